// Command keysmith is the Keysmith desktop app. With no command it opens the
// window; with a command it runs the command line (keysmith help).
package main

import (
	"embed"
	"os"

	"keysmith/app/face/cli"
)

//go:embed all:frontend/dist
var assets embed.FS

func main() {
	os.Exit(cli.Run(os.Args[1:], cli.OSEnv(openWindow)))
}
