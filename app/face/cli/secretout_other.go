//go:build !unix

package cli

import "os"

// unusableOutput says why f cannot carry a secret, or "".
func unusableOutput(f *os.File) string {
	if sameFile(f, os.DevNull) {
		return "is " + os.DevNull
	}
	return ""
}

func ignoreSIGPIPE() {}
