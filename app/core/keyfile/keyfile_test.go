package keyfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"keysmith/app/core/errs"
)

func TestLoadCreatesPrivateKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k, err := Load(dir, true)
	if err != nil {
		t.Fatalf("Load(create): %v", err)
	}
	path := filepath.Join(dir, FileName)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("key file not written: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if len(b) != 32 {
		t.Fatalf("key file is %d bytes, want 32", len(b))
	}
	if bytes.Equal(b, make([]byte, 32)) {
		t.Error("key file is all zeros")
	}
	if !bytes.Equal(k.b[:], b) {
		t.Error("returned key differs from the key written")
	}
}

func TestLoadAgainReturnsSameKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k1, err := Load(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, create := range []bool{true, false} {
		k2, err := Load(dir, create)
		if err != nil {
			t.Fatalf("second Load(create=%v): %v", create, err)
		}
		if !bytes.Equal(k1.Derive("audit"), k2.Derive("audit")) {
			t.Errorf("Load(create=%v) of an existing file gave a different key: data written before would no longer verify", create)
		}
	}
}

func TestNewKeysDiffer(t *testing.T) {
	t.Parallel()
	a, err := Load(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Derive("x"), b.Derive("x")) {
		t.Error("two new key files hold the same key")
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		create  bool
		wantErr error
	}{
		{"missing, no create", func(*testing.T, string) {}, false, errs.ErrKeyMissing},
		{"empty file", writeKey(nil), false, errs.ErrKeyDamaged},
		{"empty file, create", writeKey(nil), true, errs.ErrKeyDamaged},
		{"31 bytes", writeKey(bytes.Repeat([]byte{1}, 31)), false, errs.ErrKeyDamaged},
		{"33 bytes", writeKey(bytes.Repeat([]byte{1}, 33)), true, errs.ErrKeyDamaged},
		{"64 bytes", writeKey(bytes.Repeat([]byte{1}, 64)), false, errs.ErrKeyDamaged},
		{"hex text of a key", writeKey([]byte("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")), false, errs.ErrKeyDamaged},
		{"directory in its place", func(t *testing.T, dir string) {
			if err := os.Mkdir(filepath.Join(dir, FileName), 0o700); err != nil {
				t.Fatal(err)
			}
		}, true, errs.ErrKeyDamaged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tt.setup(t, dir)
			before, _ := os.ReadFile(filepath.Join(dir, FileName))
			k, err := Load(dir, tt.create)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Load error = %v, want %v", err, tt.wantErr)
			}
			if k != nil {
				t.Error("Load returned a key along with an error")
			}
			msg := errs.Message(err)
			if !bytes.Contains([]byte(msg), []byte("Nothing was changed")) || bytes.Contains([]byte(msg), []byte(dir)) {
				t.Errorf("message %q: want a path-free sentence saying nothing changed", msg)
			}
			after, _ := os.ReadFile(filepath.Join(dir, FileName))
			if !bytes.Equal(before, after) {
				t.Error("a damaged key file was rewritten")
			}
			if errors.Is(tt.wantErr, errs.ErrKeyMissing) {
				if _, err := os.Stat(filepath.Join(dir, FileName)); !errors.Is(err, os.ErrNotExist) {
					t.Error("Load(create=false) created a key file")
				}
			}
		})
	}
}

func writeKey(b []byte) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, FileName), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadMissingDirFails(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "nope")
	if _, err := Load(dir, true); err == nil {
		t.Error("Load(create) succeeded in a directory that does not exist")
	}
}

func TestDerive(t *testing.T) {
	t.Parallel()
	k := ForTest(1)
	purposes := []string{"audit chain v1", "audit chain v2", "sessions", "", "x", "X", "audit"}
	seen := map[string]string{}
	for _, p := range purposes {
		d := k.Derive(p)
		if len(d) != 32 {
			t.Fatalf("Derive(%q) is %d bytes, want 32", p, len(d))
		}
		if prev, dup := seen[string(d)]; dup {
			t.Errorf("Derive(%q) == Derive(%q)", p, prev)
		}
		seen[string(d)] = p
		if !bytes.Equal(d, k.Derive(p)) {
			t.Errorf("Derive(%q) not deterministic", p)
		}
		if bytes.Equal(d, k.b[:]) {
			t.Errorf("Derive(%q) returns the master key", p)
		}
	}
	for seed := 0; seed < 8; seed++ {
		for other := seed + 1; other < 8; other++ {
			if bytes.Equal(ForTest(byte(seed)).Derive("x"), ForTest(byte(other)).Derive("x")) {
				t.Errorf("keys %d and %d derive the same subkey", seed, other)
			}
		}
	}
}

// Known answers: HKDF-SHA256(ikm = 32 x seed, no salt, info = "keysmith " + purpose),
// cross-checked once with Python's hmac module (RFC 5869 by hand).
// Changing the derivation would orphan every existing audit chain.
func TestDeriveKnownAnswer(t *testing.T) {
	t.Parallel()
	want, err := os.ReadFile(filepath.Join("testdata", "derive_vectors.txt"))
	if err != nil {
		t.Fatal(err)
	}
	got := formatVectors()
	if string(want) != got {
		t.Errorf("derived keys changed:\n got:\n%s\nwant:\n%s", got, want)
	}
}

func TestForTestDeterministic(t *testing.T) {
	t.Parallel()
	if !bytes.Equal(ForTest(7).Derive("a"), ForTest(7).Derive("a")) {
		t.Error("ForTest(7) differs between calls")
	}
	if bytes.Equal(ForTest(7).Derive("a"), ForTest(8).Derive("a")) {
		t.Error("ForTest(7) and ForTest(8) derive the same key")
	}
}

// TestLoadRefusesExposedKey: like ssh with a private key, a key file other
// users may read or write is refused, and left as it is.
func TestLoadRefusesExposedKey(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Unix modes")
	}
	for _, tt := range []struct {
		mode os.FileMode
		ok   bool
	}{
		{0o600, true}, {0o400, true}, {0o700, true},
		{0o644, false}, {0o640, false}, {0o604, false}, {0o660, false}, {0o602, false}, {0o620, false},
	} {
		t.Run(tt.mode.String(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if _, err := Load(dir, true); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, FileName)
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, err := Load(dir, false)
			if tt.ok != (err == nil) || !tt.ok && !errors.Is(err, errs.ErrKeyExposed) {
				t.Fatalf("Load with mode %v: %v", tt.mode, err)
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != tt.mode {
				t.Fatalf("mode changed to %v", fi.Mode().Perm())
			}
		})
	}
}

// TestInstallCarriesAKeyToAnotherDirectory: what Export gives, Install
// writes elsewhere as a private key file that derives the same keys; a
// directory with another key keeps it.
func TestInstallCarriesAKeyToAnotherDirectory(t *testing.T) {
	k, err := Load(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	raw := k.Export()
	dir := t.TempDir()
	got, err := Install(dir, raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Derive("audit chain v1"), k.Derive("audit chain v1")) {
		t.Fatal("the installed key derives other keys")
	}
	if fi, err := os.Stat(filepath.Join(dir, FileName)); err != nil || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("installed key file: %v %v", fi.Mode(), err)
	}
	if _, err := Install(dir, raw); err != nil {
		t.Fatalf("installing the same key again: %v", err)
	}
	other, _ := Load(t.TempDir(), true)
	if _, err := Install(dir, other.Export()); err == nil || !strings.Contains(err.Error(), "another account's key") {
		t.Fatalf("installing another key over it: %v", err)
	}
	if again, _ := Load(dir, false); again.b != k.b {
		t.Fatal("the directory's key was replaced")
	}
	if _, err := Install(t.TempDir(), raw[:31]); !errors.Is(err, errs.ErrKeyDamaged) {
		t.Fatalf("a short key: %v", err)
	}
	clear(raw)
	if k.b == ([size]byte{}) {
		t.Fatal("clearing the export cleared the key")
	}
}
