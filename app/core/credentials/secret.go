package credentials

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"sync"

	"keysmith/app/core/sealed"
)

// Alphabet is the platform's key and secret alphabet: letters and digits.
const Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// Formats of generated values.
const (
	KeyLen    = 20
	SecretLen = 30
)

// rejectAbove is the largest multiple of len(Alphabet) a byte can hold:
// bytes at or above it are drawn again, so every character is equally likely.
const rejectAbove = 256 - 256%len(Alphabet)

// Random returns n characters of Alphabet drawn from r without modulo bias.
func Random(r io.Reader, n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n)
	for len(out) < n {
		// Read only what is still missing, so the reader's bytes map one to
		// one onto characters unless rejected.
		b := buf[:n-len(out)]
		if _, err := io.ReadFull(r, b); err != nil {
			return "", fmt.Errorf("random: %w", err)
		}
		for _, c := range b {
			if int(c) < rejectAbove {
				out = append(out, Alphabet[int(c)%len(Alphabet)])
			}
		}
	}
	return string(out), nil
}

// sealer protects secrets at rest with keys derived from the local key file.
type sealer struct {
	pepper []byte // HMAC-SHA256 key for Basic secrets
	aead   []byte // XChaCha20-Poly1305 key for HMAC secrets
	rand   io.Reader
	macs   sync.Pool // keyed HMAC-SHA256 states under pepper, reset after use
}

// digest is the Basic secret's stored form: HMAC-SHA256 under the pepper,
// bound to the credential id. Random 30-character secrets (about 178 bits)
// need no slow KDF.
func (s *sealer) digest(id int64, secret string) []byte {
	m, _ := s.macs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, s.pepper)
	}
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(id))
	m.Write([]byte("keysmith basic v1"))
	m.Write(n[:])
	io.WriteString(m, secret)
	sum := m.Sum(make([]byte, 0, sha256.Size))
	m.Reset()
	s.macs.Put(m)
	return sum
}

// ad is the associated data binding a sealed HMAC secret to its credential,
// type and generation: moving ciphertext between rows fails to open.
func ad(id int64, typ Type, generation int64) []byte {
	b := []byte("keysmith sealed secret v1\x00")
	b = append(b, typ...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(id))
	return binary.BigEndian.AppendUint64(b, uint64(generation))
}

// seal encrypts an HMAC secret (package sealed), bound to its credential
// and generation.
func (s *sealer) seal(id int64, typ Type, generation int64, secret string) ([]byte, error) {
	return sealed.SealFrom(s.rand, s.aead, []byte(secret), ad(id, typ, generation))
}

// open decrypts a sealed HMAC secret; any change to it or to its associated
// data gives errs.ErrUnauthenticated.
func (s *sealer) open(id int64, typ Type, generation int64, value []byte) (string, error) {
	pt, err := sealed.Open(s.aead, value, ad(id, typ, generation))
	return string(pt), err
}
