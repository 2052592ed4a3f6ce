package accounts

import (
	"strings"
	"testing"

	"keysmith/app/core/keyfile"
)

func TestPepperRoundTrip(t *testing.T) {
	t.Parallel()
	p := PepperFrom(keyfile.ForTest(1))
	owner := UserOwner("ada@acme.test")
	enc, err := p.Hash("violet-Tractor-93-sunrise", owner, pwCheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(enc, ",k=1$") || !Peppered(enc) {
		t.Fatalf("hash %q is not marked peppered", enc)
	}
	tests := []struct {
		name     string
		pepper   Pepper
		password string
		owner    string
		want     bool
	}{
		{"right password, owner and key file", p, "violet-Tractor-93-sunrise", owner, true},
		{"wrong password", p, "violet-Tractor-93-sunrisE", owner, false},
		{"another owner (hash copied to another user)", p, "violet-Tractor-93-sunrise", UserOwner("bea@acme.test"), false},
		{"a Legacy owner of the same name", p, "violet-Tractor-93-sunrise", LegacyOwner("ada@acme.test"), false},
		{"another key file", PepperFrom(keyfile.ForTest(2)), "violet-Tractor-93-sunrise", owner, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, _, err := tt.pepper.Verify(tt.password, enc, tt.owner, pwCheap)
			if err != nil || ok != tt.want {
				t.Errorf("Verify = %v, %v; want %v, nil", ok, err, tt.want)
			}
		})
	}
}

// A copy of the database alone gives nothing to crack: the stored string
// does not verify as a plain argon2id hash of the right password.
func TestPepperedHashIsNotCrackableWithoutTheKey(t *testing.T) {
	t.Parallel()
	p := PepperFrom(keyfile.ForTest(1))
	enc, err := p.Hash("Passw0rdX", LegacyOwner("ordersys"), pwCheap)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := VerifyPassword("Passw0rdX", enc, pwCheap); ok {
		t.Fatal("a peppered hash verified as a plain argon2id hash")
	}
	plain := strings.Replace(enc, ",k=1$", "$", 1) // what a guesser without the pepper would test
	if ok, _, _ := VerifyPassword("Passw0rdX", plain, pwCheap); ok {
		t.Fatal("the stored MAC is the plain argon2id output")
	}
}

// With write access to the database alone, an unpeppered hash of a known
// password must not be accepted.
func TestUnpepperedHashRefused(t *testing.T) {
	t.Parallel()
	p := PepperFrom(keyfile.ForTest(1))
	plain, err := HashPassword("Passw0rdX", pwCheap)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := p.Verify("Passw0rdX", plain, LegacyOwner("ordersys"), pwCheap); ok || err == nil {
		t.Fatalf("unpeppered hash: Verify = %v, %v; want false and an error", ok, err)
	}
}

// Wrap peppers an old hash without the password; the result verifies with
// the password, Wrap is idempotent, and a damaged old hash is refused.
func TestWrap(t *testing.T) {
	t.Parallel()
	p := PepperFrom(keyfile.ForTest(1))
	owner := UserOwner("ada@acme.test")
	plain, err := HashPassword("violet-Tractor-93-sunrise", pwCheap)
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := p.Wrap(plain, owner)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := p.Verify("violet-Tractor-93-sunrise", wrapped, owner, pwCheap); !ok || err != nil {
		t.Fatalf("wrapped hash: Verify = %v, %v", ok, err)
	}
	if again, err := p.Wrap(wrapped, owner); err != nil || again != wrapped {
		t.Fatalf("Wrap of a peppered hash = %q, %v; want it unchanged", again, err)
	}
	for _, bad := range []string{"", "plain text", plain[:len(plain)-3], strings.Replace(plain, "argon2id", "argon2i", 1)} {
		if _, err := p.Wrap(bad, owner); err == nil {
			t.Errorf("Wrap(%q) accepted a malformed hash", bad)
		}
	}
}

func TestPepperRehashWhenParamsRise(t *testing.T) {
	t.Parallel()
	p := PepperFrom(keyfile.ForTest(1))
	enc, err := p.Hash("violet-Tractor-93-sunrise", "o", pwCheap)
	if err != nil {
		t.Fatal(err)
	}
	ok, rehash, err := p.Verify("violet-Tractor-93-sunrise", enc, "o", Params{MemoryKiB: 128, Time: 1, Threads: 1})
	if !ok || !rehash || err != nil {
		t.Fatalf("Verify under stronger params = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
}

func TestZeroPepperRefused(t *testing.T) {
	t.Parallel()
	if _, err := (Pepper{}).Hash("violet-Tractor-93-sunrise", "o", pwCheap); err == nil {
		t.Fatal("Hash with no pepper succeeded")
	}
	if _, err := New(nil, nil, nil, pwCheap, Pepper{}); err == nil {
		t.Fatal("New accepted a Service with no pepper")
	}
}
