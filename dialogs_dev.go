//go:build dev

package main

import "keysmith/app/face/desktop"

// envDevChooseFile, in the dev build that the browser journeys drive
// (make e2e), names the path that answers every file dialog instead of
// the system's dialog, which a browser cannot reach.
const envDevChooseFile = "KEYSMITH_DEV_CHOOSE_FILE"

// devChooseFile answers file dialogs with $KEYSMITH_DEV_CHOOSE_FILE when
// it is set (nil when not).
func devChooseFile(getenv func(string) string) desktop.ChooseFile {
	path := getenv(envDevChooseFile)
	if path == "" {
		return nil
	}
	return func(desktop.FileDialog) (string, error) { return path, nil }
}
