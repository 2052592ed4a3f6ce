// Package secretfile reads a password that a server keeps in a file rather
// than in its environment or on its command line (a systemd credential, a
// file in /etc/keysmith).
//
// Guarantees:
//   - A file that its group or other users may read or change is refused
//     before it is read: a secret shared with every local user is no secret.
//     A systemd credential (mode 0400, owned by the service's user) passes.
//   - Only the first line is the secret, without its line ending; a file
//     whose first line is empty, or larger than MaxSize, is refused.
//   - Errors name the file and the variable that named it, never its content.
package secretfile

import (
	"bufio"
	"io"
	"os"
	"strings"

	"keysmith/app/core/errs"
)

// MaxSize bounds what Read reads: a password is short.
const MaxSize = 4096

// Read returns the first line of the file that the variable env names.
// field is the field a refusal concerns.
func Read(path, env, field string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", errs.Invalidf(field, "Cannot read the file %s names (%s): %s.", env, path, errs.SystemText(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", errs.Invalidf(field, "Cannot read the file %s names (%s): %s.", env, path, errs.SystemText(err))
	}
	if !fi.Mode().IsRegular() {
		return "", errs.Invalidf(field, "The file %s names (%s) is not a regular file.", env, path)
	}
	if private(fi) != nil {
		return "", errs.Invalidf(field, "The file %s names (%s) can be read by other users; make it private (chmod 600).", env, path)
	}
	if fi.Size() > MaxSize {
		return "", errs.Invalidf(field, "The file %s names (%s) is larger than %d bytes; it should hold one line.", env, path, MaxSize)
	}
	line, err := bufio.NewReader(io.LimitReader(f, MaxSize)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", errs.Invalidf(field, "Cannot read the file %s names (%s): %s.", env, path, errs.SystemText(err))
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errs.Invalidf(field, "The file %s names (%s) is empty; its first line is the password.", env, path)
	}
	return line, nil
}
