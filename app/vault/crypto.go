package vault

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"keysmith/app/errs"
)

// Format is the vault format this build writes and reads.
const Format = 1

// KDF is how a key slot turns its secret into a key-encryption key.
type KDF struct {
	Name      string // "argon2id" (passphrase) or "hkdf-sha256" (recovery code)
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultKDF is the passphrase KDF: argon2id, m=64 MiB, t=3, p=4.
var DefaultKDF = KDF{Name: "argon2id", MemoryKiB: 64 * 1024, Time: 3, Threads: 4}

// Bounds on stored argon2id parameters: below OWASP's minimum or above what
// a desktop can afford is refused before any work.
var (
	minKDF = KDF{Name: "argon2id", MemoryKiB: 19 * 1024, Time: 2, Threads: 1}
	maxKDF = KDF{Name: "argon2id", MemoryKiB: 1024 * 1024, Time: 10, Threads: 16}
)

func (k KDF) String() string {
	if k.Name != "argon2id" {
		return k.Name
	}
	return fmt.Sprintf("argon2id$m=%d,t=%d,p=%d", k.MemoryKiB, k.Time, k.Threads)
}

// parseKDF reads a stored KDF and checks it against the bounds.
func parseKDF(s string) (KDF, error) {
	if s == "hkdf-sha256" {
		return KDF{Name: s}, nil
	}
	params, ok := strings.CutPrefix(s, "argon2id$")
	if !ok {
		return KDF{}, errUnsupportedKDF
	}
	var k KDF
	k.Name = "argon2id"
	for _, kv := range strings.Split(params, ",") {
		name, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return KDF{}, errUnsupportedKDF
		}
		switch name {
		case "m":
			k.MemoryKiB = uint32(n)
		case "t":
			k.Time = uint32(n)
		case "p":
			if n > 255 {
				return KDF{}, errUnsupportedKDF
			}
			k.Threads = uint8(n)
		default:
			return KDF{}, errUnsupportedKDF
		}
	}
	if k.MemoryKiB < minKDF.MemoryKiB || k.MemoryKiB > maxKDF.MemoryKiB || k.Time < minKDF.Time || k.Time > maxKDF.Time ||
		k.Threads < minKDF.Threads || k.Threads > maxKDF.Threads {
		return KDF{}, errUnsupportedKDF
	}
	if k.String() != s {
		return KDF{}, errUnsupportedKDF
	}
	return k, nil
}

var errUnsupportedKDF = fmt.Errorf("%w: key derivation parameters out of bounds", errs.ErrUnauthenticated)

// derive returns the key-encryption key for secret under k and salt.
func (k KDF) derive(secret, salt []byte) ([]byte, error) {
	switch k.Name {
	case "argon2id":
		return argon2.IDKey(secret, salt, k.Time, k.MemoryKiB, k.Threads, chacha20poly1305.KeySize), nil
	case "hkdf-sha256":
		return hkdf.Key(sha256.New, secret, salt, "keysmith vault recovery v1", chacha20poly1305.KeySize)
	}
	return nil, errUnsupportedKDF
}

// slotAD binds a wrapped data key to the format, the vault, the slot kind and
// its KDF parameters and salt.
func slotAD(uid []byte, kind string, kdf string, salt []byte) []byte {
	ad := []byte("keysmith vault slot\x00")
	ad = append(ad, byte(Format))
	ad = append(ad, uid...)
	ad = append(ad, kind...)
	ad = append(ad, 0)
	ad = append(ad, kdf...)
	ad = append(ad, 0)
	return append(ad, salt...)
}

// itemAD binds an item's ciphertext to its vault, id, kind and revision.
func itemAD(uid []byte, id int64, kind string, revision int64) []byte {
	ad := []byte("keysmith vault item\x00")
	ad = append(ad, uid...)
	ad = binary.BigEndian.AppendUint64(ad, uint64(id))
	ad = append(ad, kind...)
	ad = append(ad, 0)
	return binary.BigEndian.AppendUint64(ad, uint64(revision))
}

// seal encrypts plaintext under key: a random 24-byte nonce || ciphertext.
func seal(key, plaintext, ad []byte) ([]byte, error) {
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(plaintext)+a.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return a.Seal(nonce, nonce, plaintext, ad), nil
}

// open decrypts what seal made; any change gives errs.ErrUnauthenticated.
func open(key, sealed, ad []byte) ([]byte, error) {
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < chacha20poly1305.NonceSizeX+a.Overhead() {
		return nil, errs.ErrUnauthenticated
	}
	pt, err := a.Open(nil, sealed[:chacha20poly1305.NonceSizeX], sealed[chacha20poly1305.NonceSizeX:], ad)
	if err != nil {
		return nil, errs.ErrUnauthenticated
	}
	return pt, nil
}

// itemKey derives the key items are sealed under from the data key.
func itemKey(dataKey, uid []byte) []byte {
	k, err := hkdf.Key(sha256.New, dataKey, uid, "keysmith vault items v1", chacha20poly1305.KeySize)
	if err != nil {
		panic(err)
	}
	return k
}

func random(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return b
}
