//go:build !dev

package main

import "keysmith/app/face/desktop"

// devChooseFile: the dev build's stand-in for file dialogs (dialogs_dev.go);
// other builds always show the system's dialogs.
func devChooseFile(func(string) string) desktop.ChooseFile { return nil }
