package sealed_test

import (
	"bytes"
	"errors"
	"testing"

	"keysmith/app/core/errs"
	"keysmith/app/core/sealed"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{1}, sealed.KeySize)
	v, err := sealed.Seal(key, []byte("db-password"), []byte("postgres://db/ks"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(v, []byte("db-password")) {
		t.Fatal("the plaintext shows")
	}
	if pt, err := sealed.Open(key, v, []byte("postgres://db/ks")); err != nil || string(pt) != "db-password" {
		t.Fatalf("open: %q %v", pt, err)
	}
	if w, _ := sealed.Seal(key, []byte("db-password"), []byte("postgres://db/ks")); bytes.Equal(v, w) {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}
	flipped := bytes.Clone(v)
	flipped[len(flipped)-1] ^= 1
	other := bytes.Repeat([]byte{2}, sealed.KeySize)
	for name, tt := range map[string]struct{ key, value, ad []byte }{
		"other associated data": {key, v, []byte("postgres://evil/ks")},
		"other key":             {other, v, []byte("postgres://db/ks")},
		"a flipped bit":         {key, flipped, []byte("postgres://db/ks")},
		"truncated":             {key, v[:30], []byte("postgres://db/ks")},
		"empty":                 {key, nil, nil},
	} {
		if pt, err := sealed.Open(tt.key, tt.value, tt.ad); !errors.Is(err, errs.ErrUnauthenticated) || pt != nil {
			t.Errorf("%s: %q %v", name, pt, err)
		}
	}
	if _, err := sealed.Seal(key[:16], nil, nil); err == nil {
		t.Fatal("a short key sealed")
	}
}
