// Command keysmith is the Keysmith desktop app. With no command it opens the
// window; with a command it runs the command line (keysmith help).
package main

import (
	"os"

	"keysmith/app/face/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], cli.OSEnv(openWindow)))
}
