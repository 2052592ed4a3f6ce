package vault

import (
	"testing"
)

// FuzzDecodeExport: any bytes and passphrase give an export or an error,
// never a panic.
func FuzzDecodeExport(f *testing.F) {
	f.Add([]byte("age-encryption.org/v1\n-> scrypt AAAA 18\nxyz\n--- abc\n"), "pass")
	f.Add([]byte(""), "")
	f.Add([]byte("not age at all"), "x")
	f.Fuzz(func(t *testing.T, data []byte, pass string) {
		if len(pass) > 64 {
			return
		}
		decodeExport(data, pass, MaxImportWorkFactor)
	})
}

// FuzzDecodeItem: a decrypted record that is not an item is refused.
func FuzzDecodeItem(f *testing.F) {
	f.Add([]byte(`{"kind":"login","title":"t","secret":"s"}`))
	f.Add([]byte(`{"kind":`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		it, err := decodeItem(b)
		if err == nil && it.ID != 0 {
			t.Fatal("an item id came from the record")
		}
	})
}

func FuzzParseKDF(f *testing.F) {
	for _, s := range []string{"argon2id$m=65536,t=3,p=4", "hkdf-sha256", "argon2id$m=1,t=1,p=1", "argon2id$m=65536,t=3", "argon2id$p=4,m=65536,t=3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := parseKDF(s)
		if err == nil && k.Name == "argon2id" && (k.MemoryKiB < minKDF.MemoryKiB || k.MemoryKiB > maxKDF.MemoryKiB || k.Time < minKDF.Time || k.Threads < 1) {
			t.Fatalf("%q accepted out of bounds: %+v", s, k)
		}
	})
}
