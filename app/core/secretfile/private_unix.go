//go:build !windows

package secretfile

import (
	"errors"
	"io/fs"
)

func private(fi fs.FileInfo) error {
	if fi.Mode().Perm()&0o077 != 0 {
		return errors.New("readable by others")
	}
	return nil
}
