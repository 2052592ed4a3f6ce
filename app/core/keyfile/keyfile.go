// Package keyfile keeps the local master key: 32 random bytes in a 0600 file
// beside the database, never inside it, so a copy of the database alone
// reveals and forges nothing. Purpose-specific keys are derived with HKDF.
package keyfile

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"keysmith/app/core/errs"
)

// FileName is the key file's name inside the data directory.
const FileName = "keysmith.key"

const size = 32

// Key is the master key.
type Key struct{ b [size]byte }

// Load reads the key file in dir; errs.ErrKeyMissing if absent and create is
// false; errs.ErrKeyExposed if, on Unix, its mode lets other users read or
// write it (as ssh refuses such a private key). When create is true and the file does not
// exist, a new key is drawn from crypto/rand and written with mode 0600.
func Load(dir string, create bool) (*Key, error) {
	path := filepath.Join(dir, FileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, errs.ErrKeyMissing
		}
		return generate(path)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errs.ErrKeyDamaged, err)
	}
	if err := private(path); err != nil {
		return nil, err
	}
	if len(b) != size {
		return nil, errs.ErrKeyDamaged
	}
	k := &Key{}
	copy(k.b[:], b)
	return k, nil
}

// generate draws a new key and writes it (place).
func generate(path string) (*Key, error) {
	k := &Key{}
	if _, err := rand.Read(k.b[:]); err != nil {
		return nil, err
	}
	return place(path, k)
}

// place writes k to a temporary file and links it into place, so the key
// file is never seen half-written, and a key another process placed first
// wins (place returns that one).
func place(path string, k *Key) (*Key, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".keysmith-key-*")
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(k.b[:])
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return Load(filepath.Dir(path), false)
	} else if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	return k, nil
}

// Derive returns a 32-byte key for purpose, independent of every other
// purpose's key.
func (k *Key) Derive(purpose string) []byte {
	out, err := hkdf.Key(sha256.New, k.b[:], nil, "keysmith "+purpose, 32)
	if err != nil {
		panic(err) // only for lengths HKDF cannot produce
	}
	return out
}

// Export returns a copy of the key's bytes, for an invitation that carries
// the account to another machine (package team). The caller clears it.
func (k *Key) Export() []byte { return append([]byte(nil), k.b[:]...) }

// Install writes raw as the key file of dir, as a machine joining an
// account does. A dir that already has this key is left as it is; one with
// another key is refused: its data belongs to another account.
func Install(dir string, raw []byte) (*Key, error) {
	if len(raw) != size {
		return nil, errs.ErrKeyDamaged
	}
	k := &Key{}
	copy(k.b[:], raw)
	got, err := place(filepath.Join(dir, FileName), k)
	if err != nil {
		return nil, err
	}
	if got.b != k.b {
		return nil, errs.Invalidf("dir", "This data directory already holds another account's key; join from a new, empty data directory.")
	}
	return got, nil
}

// ForTest returns a key built from seed, for tests of packages that need one.
func ForTest(seed byte) *Key {
	k := &Key{}
	for i := range k.b {
		k.b[i] = seed
	}
	return k
}

// private refuses a key file other users may read or write (Unix modes; on
// Windows the file lives in the user's own profile).
func private(path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%w: %v", errs.ErrKeyDamaged, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%w: mode %04o", errs.ErrKeyExposed, fi.Mode().Perm())
	}
	return nil
}
