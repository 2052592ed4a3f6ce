// Package agefile keeps secrets in files that the age tool opens: it seals
// bytes to a passphrase in the age format (a scrypt recipient), opens them
// with a bounded scrypt work factor and a bounded size, and reads and writes
// such files with the care a secret needs.
//
// Guarantees:
//   - Open refuses a file that asks for more scrypt work than it is allowed
//     (so a hostile file cannot make Keysmith spend minutes or gigabytes)
//     and any plaintext longer than its limit, without holding more.
//   - Errors never quote the file's bytes or the passphrase.
//   - Read takes only a regular file of bounded size: a named pipe, a device
//     or a growing file is refused without waiting or holding it in memory.
//   - Write creates the file with mode 0600, never overwrites one, and
//     leaves nothing behind when it fails.
package agefile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"filippo.io/age"
	"golang.org/x/text/unicode/norm"

	"keysmith/app/core/errs"
	"keysmith/app/core/input"
)

// MaxWorkFactor bounds the scrypt work a file may ask of Open (2^20: about
// 1 GiB and a few seconds), above the 18 that Seal and age write.
const MaxWorkFactor = 20

var (
	// ErrWrongPassphrase: the file is age-encrypted, to another passphrase.
	ErrWrongPassphrase = errors.New("wrong passphrase")
	// ErrUnreadable: the file is not age-encrypted to a passphrase, asks for
	// too much work, is damaged, or holds more than the caller allows.
	ErrUnreadable = errors.New("not a readable age file")
)

// Seal encrypts plain to passphrase (Unicode NFC) in the age format.
func Seal(plain []byte, passphrase string) ([]byte, error) {
	rcpt, err := age.NewScryptRecipient(norm.NFC.String(passphrase))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	w, err := age.Encrypt(&out, rcpt)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Open decrypts data with passphrase (Unicode NFC), allowing at most
// maxWork as scrypt work factor and maxPlain bytes of plaintext. The caller
// clears the plaintext when done with it.
func Open(data []byte, passphrase string, maxWork, maxPlain int) ([]byte, error) {
	id, err := age.NewScryptIdentity(norm.NFC.String(passphrase))
	if err != nil {
		return nil, err
	}
	id.SetMaxWorkFactor(maxWork)
	r, err := age.Decrypt(bytes.NewReader(data), id)
	if err != nil {
		var wrong *age.NoIdentityMatchError
		if errors.As(err, &wrong) {
			return nil, ErrWrongPassphrase
		}
		// age's reason can quote the file's first bytes (say, a .env chosen
		// by mistake): it stays out of the error, which may reach a log.
		return nil, ErrUnreadable
	}
	plain, err := io.ReadAll(io.LimitReader(r, int64(maxPlain)+1))
	if err != nil || len(plain) > maxPlain {
		clear(plain)
		return nil, ErrUnreadable
	}
	return plain, nil
}

// Kind names a kind of file in messages: "export" reads "Keysmith export
// file"; Example is a file name to suggest ("keysmith-vault.age").
type Kind struct {
	Noun, Example string
}

// Read reads a file of kind k for opening: a regular file of at most max
// bytes, or an *errs.Invalid that says why not. The size is checked before
// and while reading.
func Read(path string, max int64, k Kind) ([]byte, error) {
	// Looked at before it is opened: opening a named pipe would wait for a
	// writer. Checked again once open, in case it was swapped meanwhile.
	if fi, err := os.Stat(path); err != nil {
		return nil, errs.Invalidf("path", "Cannot read %s: %s.", path, errs.SystemText(err))
	} else if !fi.Mode().IsRegular() {
		return nil, errs.Invalidf("path", "%s is not a file; choose a Keysmith %s file.", path, k.Noun)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, errs.Invalidf("path", "Cannot read %s: %s.", path, errs.SystemText(err))
	}
	defer f.Close()
	tooLarge := errs.Invalidf("path", "%s is larger than any Keysmith %s can be (%d MiB); nothing was imported.", path, k.Noun, max>>20)
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, errs.Invalidf("path", "%s is not a file; choose a Keysmith %s file.", path, k.Noun)
	}
	if fi.Size() > max {
		return nil, tooLarge
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, errs.Invalidf("path", "Cannot read %s: %s.", path, errs.SystemText(err))
	}
	if int64(len(data)) > max {
		return nil, tooLarge
	}
	return data, nil
}

// Write saves data to path with mode 0600, never overwriting an existing
// file; a failed write leaves no file behind.
func Write(path string, data []byte, k Kind) error {
	if input.HasControl(path) {
		return errs.Invalidf("path", "The %s path contains a control character (a line break, say); type it again.", k.Noun)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
			return errs.Invalidf("path", "%s is a folder; give the full path of a new file in it, such as %s.", path, filepath.Join(path, k.Example))
		}
		if os.IsExist(err) {
			return errs.Invalidf("path", "That file already exists; choose another name.")
		}
		return errs.Invalidf("path", "Keysmith cannot write there; choose another folder.")
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return errs.Invalidf("path", "Writing the %s failed; nothing was saved.", k.Noun)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return errs.Invalidf("path", "Writing the %s failed; nothing was saved.", k.Noun)
	}
	return nil
}
