package credentials

import (
	"bytes"
	"crypto/rand"
	"errors"
	mrand "math/rand/v2"
	"strings"
	"testing"

	"keysmith/app/core/errs"
	"keysmith/app/core/keyfile"
)

func TestRandomFormat(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, KeyLen, SecretLen, 500} {
		s, err := Random(rand.Reader, n)
		if err != nil || len(s) != n {
			t.Fatalf("Random(%d) = %q, %v", n, s, err)
		}
		if strings.Trim(s, Alphabet) != "" {
			t.Fatalf("Random(%d) = %q has characters outside the alphabet", n, s)
		}
	}
	if len(Alphabet) != 62 {
		t.Fatalf("alphabet has %d characters, want 62 letters and digits", len(Alphabet))
	}
}

// rejectingReader yields bytes at or above the rejection bound first.
type rejectingReader struct{ i int }

func (r *rejectingReader) Read(p []byte) (int, error) {
	for i := range p {
		if r.i < 40 {
			p[i] = byte(rejectAbove + r.i%(256-rejectAbove))
		} else {
			p[i] = byte(r.i % 62)
		}
		r.i++
	}
	return len(p), nil
}

func TestRandomRejectsBiasedBytes(t *testing.T) {
	t.Parallel()
	s, err := Random(&rejectingReader{}, 30)
	if err != nil {
		t.Fatal(err)
	}
	// Every byte ≥ 248 was skipped: the output starts at the first byte below.
	if s[:10] != Alphabet[40:50] {
		t.Fatalf("got %q: bytes above the bound were not rejected", s)
	}
}

func chiSquare(counts map[byte]int, n int) float64 {
	expected := float64(n) / float64(len(Alphabet))
	var chi float64
	for i := 0; i < len(Alphabet); i++ {
		d := float64(counts[Alphabet[i]]) - expected
		chi += d * d / expected
	}
	return chi
}

// chiCritical is the chi-square critical value for 61 degrees of freedom at
// p = 0.0001: a fair generator exceeds it once in ten thousand samples.
const chiCritical = 109.0

func TestNoModuloBias(t *testing.T) {
	t.Parallel()
	const n = 62 * 20000
	sample := func(r interface{ Read([]byte) (int, error) }) map[byte]int {
		s, err := Random(r, n)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[byte]int{}
		for i := 0; i < len(s); i++ {
			counts[s[i]]++
		}
		return counts
	}
	// A fixed-seed source makes the strict check repeatable.
	seeded := mrand.NewChaCha8([32]byte{1, 2, 3})
	if chi := chiSquare(sample(seeded), n); chi > chiCritical {
		t.Fatalf("chi-square %.1f > %.1f: characters are not uniform", chi, chiCritical)
	}
	if chi := chiSquare(sample(rand.Reader), n); chi > chiCritical*1.3 {
		t.Fatalf("crypto/rand sample: chi-square %.1f", chi)
	}
	// The test can tell: plain "byte % 62" over the same source is biased.
	biased := map[byte]int{}
	buf := make([]byte, n)
	mrand.NewChaCha8([32]byte{1, 2, 3}).Read(buf)
	for _, b := range buf {
		biased[Alphabet[int(b)%62]]++
	}
	if chi := chiSquare(biased, n); chi < 10*chiCritical {
		t.Fatalf("the naive modulo sample scored only %.1f; the test would not catch bias", chi)
	}
}

func testSealer() *sealer {
	k := keyfile.ForTest(9)
	return &sealer{pepper: k.Derive("p"), aead: k.Derive("a"), rand: rand.Reader}
}

func TestSealRoundTripAndTamper(t *testing.T) {
	t.Parallel()
	s := testSealer()
	const secret = "abcdefghijABCDEFGHIJ0123456789"
	sealed, err := s.seal(7, HMAC, 2, secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(secret)) {
		t.Fatal("sealed form contains the secret")
	}
	if got, err := s.open(7, HMAC, 2, sealed); err != nil || got != secret {
		t.Fatalf("open = %q, %v", got, err)
	}
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x80
		if _, err := s.open(7, HMAC, 2, bad); !errors.Is(err, errs.ErrUnauthenticated) {
			t.Fatalf("flipped byte %d: %v", i, err)
		}
	}
	for name, open := range map[string]func() error{
		"other id":         func() error { _, err := s.open(8, HMAC, 2, sealed); return err },
		"other type":       func() error { _, err := s.open(7, Basic, 2, sealed); return err },
		"other generation": func() error { _, err := s.open(7, HMAC, 3, sealed); return err },
		"truncated":        func() error { _, err := s.open(7, HMAC, 2, sealed[:20]); return err },
		"other key": func() error {
			o := testSealer()
			o.aead = keyfile.ForTest(10).Derive("a")
			_, err := o.open(7, HMAC, 2, sealed)
			return err
		},
	} {
		if err := open(); !errors.Is(err, errs.ErrUnauthenticated) {
			t.Errorf("%s: %v, want ErrUnauthenticated", name, err)
		}
	}
	again, _ := s.seal(7, HMAC, 2, secret)
	if bytes.Equal(again, sealed) {
		t.Fatal("two seals of one secret are identical: nonces repeat")
	}
}

func TestDigestBindsIDAndPepper(t *testing.T) {
	t.Parallel()
	s := testSealer()
	d := s.digest(1, "secret")
	if len(d) != 32 || bytes.Equal(d, s.digest(2, "secret")) || bytes.Equal(d, s.digest(1, "secreT")) {
		t.Fatal("digest must depend on id and secret")
	}
	o := testSealer()
	o.pepper = keyfile.ForTest(11).Derive("p")
	if bytes.Equal(d, o.digest(1, "secret")) {
		t.Fatal("digest must depend on the pepper")
	}
}
