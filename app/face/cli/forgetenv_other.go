//go:build !linux

package cli

import "os"

// forgetEnv removes name from the environment.
func forgetEnv(name string) { os.Unsetenv(name) }
