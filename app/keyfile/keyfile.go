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

	"keysmith/app/errs"
)

// FileName is the key file's name inside the data directory.
const FileName = "keysmith.key"

const size = 32

// Key is the master key.
type Key struct{ b [size]byte }

// Load reads the key file in dir; errs.ErrKeyMissing if absent and create is
// false. When create is true and the file does not
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
	if len(b) != size {
		return nil, errs.ErrKeyDamaged
	}
	k := &Key{}
	copy(k.b[:], b)
	return k, nil
}

func generate(path string) (*Key, error) {
	k := &Key{}
	if _, err := rand.Read(k.b[:]); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	if _, err := f.Write(k.b[:]); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("write key file: %w", err)
	}
	return k, f.Close()
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

// ForTest returns a key built from seed, for tests of packages that need one.
func ForTest(seed byte) *Key {
	k := &Key{}
	for i := range k.b {
		k.b[i] = seed
	}
	return k
}
