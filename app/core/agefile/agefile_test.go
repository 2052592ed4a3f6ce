package agefile_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"filippo.io/age"

	"keysmith/app/core/agefile"
	"keysmith/app/core/errs"
)

const phrase = "correct horse battery staple"

func TestSealOpen(t *testing.T) {
	t.Parallel()
	plain := []byte(`{"secret":"s3cr3t"}`)
	sealed, err := agefile.Seal(plain, phrase)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("s3cr3t")) {
		t.Fatal("the plaintext shows in the sealed file")
	}
	// age itself opens it: the file is plain age, for `age -d`.
	id, _ := age.NewScryptIdentity(phrase)
	if _, err := age.Decrypt(bytes.NewReader(sealed), id); err != nil {
		t.Fatalf("age cannot open it: %v", err)
	}
	// The passphrase is used in NFC: the decomposed form opens it too.
	nfc, _ := agefile.Seal(plain, "caf\u00e9 horse battery staple")
	for _, tt := range []struct {
		name     string
		data     []byte
		pass     string
		work     int
		maxPlain int
		want     error
	}{
		{"right passphrase", sealed, phrase, agefile.MaxWorkFactor, len(plain), nil},
		{"NFD of an NFC passphrase", nfc, "cafe\u0301 horse battery staple", agefile.MaxWorkFactor, len(plain), nil},
		{"wrong passphrase", sealed, "wrong horse battery staple", agefile.MaxWorkFactor, len(plain), agefile.ErrWrongPassphrase},
		{"more work than allowed", sealed, phrase, 17, len(plain), agefile.ErrUnreadable},
		{"plaintext over the limit", sealed, phrase, agefile.MaxWorkFactor, len(plain) - 1, agefile.ErrUnreadable},
		{"not age", []byte("API_SECRET=hunter2\n"), phrase, agefile.MaxWorkFactor, 100, agefile.ErrUnreadable},
		{"truncated", sealed[:len(sealed)-5], phrase, agefile.MaxWorkFactor, len(plain), agefile.ErrUnreadable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := agefile.Open(tt.data, tt.pass, tt.work, tt.maxPlain)
			if !errors.Is(err, tt.want) || tt.want == nil && !bytes.Equal(got, plain) {
				t.Fatalf("got %q, %v; want %v", got, err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), tt.pass)) {
				t.Fatalf("the error quotes the file or the passphrase: %v", err)
			}
		})
	}
}

var kind = agefile.Kind{Noun: "invitation", Example: "keysmith-invitation.age"}

func TestReadRefusesWhatIsNotASmallFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok.age")
	os.WriteFile(ok, []byte("data"), 0o600)
	big := filepath.Join(dir, "big.age")
	os.WriteFile(big, make([]byte, 2<<20+1), 0o600)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := agefile.Read(ok, 2<<20, kind); err != nil || string(b) != "data" {
		t.Fatalf("a small file: %q %v", b, err)
	}
	for path, want := range map[string]string{
		big:                           "larger than any Keysmith invitation can be (2 MiB)",
		dir:                           "is not a file; choose a Keysmith invitation file",
		fifo:                          "is not a file", // without waiting for a writer
		filepath.Join(dir, "missing"): "Cannot read",
	} {
		_, err := agefile.Read(path, 2<<20, kind)
		var inv *errs.Invalid
		if !errors.As(err, &inv) || inv.Field != "path" || !strings.Contains(inv.Message, want) {
			t.Errorf("%s: %v, want %q", path, err, want)
		}
	}
}

func TestWriteCreatesAPrivateNewFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "out.age")
	if err := agefile.Write(path, []byte("sealed"), kind); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode: %v %v", fi.Mode(), err)
	}
	for p, want := range map[string]string{
		path:            "already exists",
		dir:             "is a folder; give the full path of a new file in it, such as " + filepath.Join(dir, "keysmith-invitation.age"),
		dir + "/a\nb":   "contains a control character",
		"/proc/x/y.age": "cannot write there",
	} {
		err := agefile.Write(p, []byte("other"), kind)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", p, err, want)
		}
	}
	if b, _ := os.ReadFile(path); string(b) != "sealed" {
		t.Fatalf("an existing file was overwritten: %q", b)
	}
}

// FuzzOpen: whatever the bytes, Open returns an error or a plaintext within
// its limit, never panics, and its error never quotes the input.
func FuzzOpen(f *testing.F) {
	sealed, _ := agefile.Seal([]byte("x"), phrase)
	f.Add(sealed)
	f.Add([]byte("age-encryption.org/v1\n-> scrypt AAAA 30\n"))
	f.Add([]byte("-----BEGIN AGE ENCRYPTED FILE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := agefile.Open(data, phrase, 15, 64)
		if err == nil && len(got) > 64 {
			t.Fatalf("plaintext over the limit: %d", len(got))
		}
		if err != nil && len(data) > 8 && strings.Contains(err.Error(), string(data)) {
			t.Fatalf("the error quotes the input: %v", err)
		}
	})
}
