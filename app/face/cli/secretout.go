package cli

import (
	"os"

	"keysmith/app/core/errs"
)

// errNoSecretOutput refuses to make a secret that standard output cannot
// carry.
func errNoSecretOutput(why string) error {
	return errs.Invalidf("output", "Standard output %s, so a new secret would be lost; nothing was changed. Run the command with its output going to a terminal, a file or a program that reads it.", why)
}

// checkSecretOutput is called before a command makes a secret it prints
// only once (keys create and roll, vault init --recovery, vault recovery
// --new): it refuses when standard output is closed (the Go runtime then
// gives the process /dev/null), is /dev/null, or is a pipe whose reader has
// gone. Output that fails later (a full disk) is still caught when written.
func (r *run) checkSecretOutput() error {
	f := r.env.StdoutFile
	if f == nil {
		return nil // not a file (tests write to a buffer)
	}
	if why := unusableOutput(f); why != "" {
		return errNoSecretOutput(why)
	}
	return nil
}

// sameFile reports whether f is the file at path.
func sameFile(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}
