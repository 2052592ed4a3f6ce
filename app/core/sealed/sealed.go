// Package sealed encrypts small values under a 32-byte key with
// XChaCha20-Poly1305. A sealed value is a random 24-byte nonce followed by
// the ciphertext; its associated data binds it to its place (a row id, a
// generation, an address), so a value moved elsewhere does not open.
//
// Guarantees: Open fails with errs.ErrUnauthenticated on any change to the
// value, its associated data or the key, and never returns part of a
// plaintext. Nonces are random (192 bits), so one key may seal any number
// of values.
package sealed

import (
	"crypto/rand"
	"io"

	"golang.org/x/crypto/chacha20poly1305"

	"keysmith/app/core/errs"
)

// KeySize is the size of a key.
const KeySize = chacha20poly1305.KeySize

// Seal encrypts plaintext under key, bound to ad.
func Seal(key, plaintext, ad []byte) ([]byte, error) {
	return SealFrom(rand.Reader, key, plaintext, ad)
}

// SealFrom is Seal with the nonce read from r.
func SealFrom(r io.Reader, key, plaintext, ad []byte) ([]byte, error) {
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(plaintext)+a.Overhead())
	if _, err := io.ReadFull(r, nonce); err != nil {
		return nil, err
	}
	return a.Seal(nonce, nonce, plaintext, ad), nil
}

// Open decrypts what Seal made under key with ad.
func Open(key, value, ad []byte) ([]byte, error) {
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	if len(value) < chacha20poly1305.NonceSizeX+a.Overhead() {
		return nil, errs.ErrUnauthenticated
	}
	pt, err := a.Open(nil, value[:chacha20poly1305.NonceSizeX], value[chacha20poly1305.NonceSizeX:], ad)
	if err != nil {
		return nil, errs.ErrUnauthenticated
	}
	return pt, nil
}
