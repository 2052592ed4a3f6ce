package vault

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"keysmith/app/core/errs"
	"keysmith/app/core/sealed"
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

// itemAD binds an item's ciphertext to its vault, id, kind and revision,
// in a vault with a manifest.
func itemAD(uid []byte, id int64, kind string, revision int64) []byte {
	return itemADLabel("keysmith vault item v2\x00", uid, id, kind, revision)
}

// legacyItemAD is itemAD in a vault made before manifests. Items move to
// itemAD when the manifest is made, so an item of a vault with a manifest
// never opens as one of a vault without.
func legacyItemAD(uid []byte, id int64, kind string, revision int64) []byte {
	return itemADLabel("keysmith vault item\x00", uid, id, kind, revision)
}

func itemADLabel(label string, uid []byte, id int64, kind string, revision int64) []byte {
	ad := []byte(label)
	ad = append(ad, uid...)
	ad = binary.BigEndian.AppendUint64(ad, uint64(id))
	ad = append(ad, kind...)
	ad = append(ad, 0)
	return binary.BigEndian.AppendUint64(ad, uint64(revision))
}

// seal and open are the vault's AEAD (package sealed).
var (
	seal = sealed.Seal
	open = sealed.Open
)

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

// Key slots of the second format. The slot's key-encryption key wraps an
// X25519 private key and the vault's slot authentication key; the data key
// is sealed to the slot's public key under a key that also depends on the
// authentication key. So the data key can be replaced (RotateKey) without
// the passphrase or recovery code, while nobody without the authentication
// key can substitute a data key of their own.

// slotADv2 binds a second-format slot's wrapped keys to the vault, the slot
// kind, its KDF parameters, salt and public key.
func slotADv2(uid []byte, kind, kdf string, salt, public []byte) []byte {
	ad := []byte("keysmith vault slot v2\x00")
	ad = append(ad, uid...)
	ad = append(ad, kind...)
	ad = append(ad, 0)
	ad = append(ad, kdf...)
	ad = append(ad, 0)
	ad = append(ad, salt...)
	return append(ad, public...)
}

// sealedKeyAD binds a sealed data key to the vault, slot kind and public key.
func sealedKeyAD(uid []byte, kind string, public []byte) []byte {
	ad := []byte("keysmith vault data key\x00")
	ad = append(ad, uid...)
	ad = append(ad, kind...)
	ad = append(ad, 0)
	return append(ad, public...)
}

// boxKey derives the key a data key is sealed under from an X25519 shared
// secret and the authentication key.
func boxKey(shared, auth, ephPub, public []byte) ([]byte, error) {
	ikm := append(append([]byte(nil), shared...), auth...)
	defer clear(ikm)
	return hkdf.Key(sha256.New, ikm, append(append([]byte(nil), ephPub...), public...), "keysmith vault data key v2", chacha20poly1305.KeySize)
}

// sealDataKey seals dataKey to public: an ephemeral X25519 public key ||
// XChaCha20-Poly1305 ciphertext.
func sealDataKey(public, auth, dataKey, ad []byte) ([]byte, error) {
	pub, err := ecdh.X25519().NewPublicKey(public)
	if err != nil {
		return nil, errs.ErrUnauthenticated
	}
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	shared, err := eph.ECDH(pub)
	if err != nil {
		return nil, errs.ErrUnauthenticated
	}
	k, err := boxKey(shared, auth, eph.PublicKey().Bytes(), public)
	clear(shared)
	if err != nil {
		return nil, err
	}
	defer clear(k)
	ct, err := seal(k, dataKey, ad)
	if err != nil {
		return nil, err
	}
	return append(eph.PublicKey().Bytes(), ct...), nil
}

// openDataKey opens what sealDataKey made with the slot's private key.
func openDataKey(private, auth, public, sealed, ad []byte) ([]byte, error) {
	if len(sealed) < 32 {
		return nil, errs.ErrUnauthenticated
	}
	priv, err := ecdh.X25519().NewPrivateKey(private)
	if err != nil {
		return nil, errs.ErrUnauthenticated
	}
	eph, err := ecdh.X25519().NewPublicKey(sealed[:32])
	if err != nil {
		return nil, errs.ErrUnauthenticated
	}
	shared, err := priv.ECDH(eph)
	if err != nil {
		return nil, errs.ErrUnauthenticated
	}
	k, err := boxKey(shared, auth, sealed[:32], public)
	clear(shared)
	if err != nil {
		return nil, err
	}
	defer clear(k)
	return open(k, sealed[32:], ad)
}

// subKey derives a 32-byte key for one purpose from the data key.
func subKey(dataKey, uid []byte, label string) []byte {
	k, err := hkdf.Key(sha256.New, dataKey, uid, label, 32)
	if err != nil {
		panic(err)
	}
	return k
}

// keyID names a data key without revealing it.
func keyID(dataKey, uid []byte) []byte { return subKey(dataKey, uid, "keysmith vault key id v1")[:16] }

// authAD binds the sealed authentication key to its vault.
func authAD(uid []byte) []byte { return append([]byte("keysmith vault auth\x00"), uid...) }

// idRev is one item as the manifest lists it: its id, revision and the
// nonce of its ciphertext (which pins the one ciphertext sealed for it).
type idRev struct {
	id, rev int64
	nonce   []byte
}

// manifestMAC is HMAC-SHA256, under a key derived from the data key, over
// the vault, the counter and every (item id, revision, nonce) sorted by id.
func manifestMAC(dataKey, uid []byte, counter int64, items []idRev) []byte {
	k := subKey(dataKey, uid, "keysmith vault manifest v1")
	defer clear(k)
	m := hmac.New(sha256.New, k)
	m.Write([]byte("keysmith vault manifest\x00"))
	m.Write(uid)
	var b [8]byte
	for _, n := range []int64{counter, int64(len(items))} {
		binary.BigEndian.PutUint64(b[:], uint64(n))
		m.Write(b[:])
	}
	for _, it := range items {
		binary.BigEndian.PutUint64(b[:], uint64(it.id))
		m.Write(b[:])
		binary.BigEndian.PutUint64(b[:], uint64(it.rev))
		m.Write(b[:])
		binary.BigEndian.PutUint64(b[:], uint64(len(it.nonce)))
		m.Write(b[:])
		m.Write(it.nonce)
	}
	return m.Sum(nil)
}
