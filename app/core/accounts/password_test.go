package accounts

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"keysmith/app/core/keyfile"

	"keysmith/app/core/errs"
)

// pwCheap keeps argon2id fast where a test hashes many times.
var pwCheap = Params{MemoryKiB: 64, Time: 1, Threads: 1}

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=([1-9][0-9]*),t=([1-9][0-9]*),p=([1-9][0-9]*)\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$`)

func TestHashPasswordRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		password string
		p        Params
	}{
		{"default params", "violet-Tractor-93-sunrise", DefaultParams},
		{"cheap params", "violet-Tractor-93-sunrise", pwCheap},
		{"unicode", "pässwörd 🔑 日本語", pwCheap},
		{"128 chars", strings.Repeat("ab1!", 32), pwCheap},
		{"two threads", "another passphrase", Params{MemoryKiB: 128, Time: 2, Threads: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			enc, err := HashPassword(tt.password, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			m := phcRE.FindStringSubmatch(enc)
			if m == nil {
				t.Fatalf("hash %q is not a PHC argon2id string", enc)
			}
			if want := []string{fmt.Sprint(tt.p.MemoryKiB), fmt.Sprint(tt.p.Time), fmt.Sprint(tt.p.Threads)}; m[1] != want[0] || m[2] != want[1] || m[3] != want[2] {
				t.Errorf("params in %q = %v, want %v", enc, m[1:4], want)
			}
			if strings.Contains(enc, tt.password) {
				t.Error("hash contains the password")
			}
			ok, rehash, err := VerifyPassword(tt.password, enc, tt.p)
			if err != nil || !ok || rehash {
				t.Errorf("VerifyPassword(right) = %v, %v, %v; want true, false, nil", ok, rehash, err)
			}
			for _, wrong := range []string{"", tt.password + " ", strings.ToUpper(tt.password), tt.password[:len(tt.password)-1], "x" + tt.password[1:]} {
				if wrong == tt.password {
					continue
				}
				ok, _, err := VerifyPassword(wrong, enc, tt.p)
				if err != nil || ok {
					t.Errorf("VerifyPassword(%q) = %v, %v; want false, nil", wrong, ok, err)
				}
			}
		})
	}
}

func TestHashPasswordFreshSalt(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	salts := map[string]bool{}
	for i := 0; i < 5; i++ {
		enc, err := HashPassword("same password", pwCheap)
		if err != nil {
			t.Fatal(err)
		}
		m := phcRE.FindStringSubmatch(enc)
		if m == nil {
			t.Fatalf("bad hash %q", enc)
		}
		if seen[enc] || salts[m[4]] {
			t.Fatalf("hash %d repeats an earlier hash or salt: equal passwords would be visible in the database", i)
		}
		seen[enc], salts[m[4]] = true, true
		if ok, _, err := VerifyPassword("same password", enc, pwCheap); !ok || err != nil {
			t.Errorf("hash %d does not verify: %v", i, err)
		}
	}
}

type pwVectors struct {
	Vectors []struct {
		Password, Salt, Args, PHC string
	}
	Refused map[string]string
}

func loadPWVectors(t *testing.T) pwVectors {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "argon2id_vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v pwVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	return v
}

// Hashes made by the argon2 reference CLI must verify: Keysmith is compatible
// with standard argon2id, not just with itself.
func TestVerifyReferenceVectors(t *testing.T) {
	t.Parallel()
	v := loadPWVectors(t)
	for _, vec := range v.Vectors {
		t.Run(vec.Args, func(t *testing.T) {
			t.Parallel()
			ok, _, err := VerifyPassword(vec.Password, vec.PHC, pwCheap)
			if err != nil || !ok {
				t.Fatalf("VerifyPassword(%q, %q) = %v, %v; want accepted", vec.Password, vec.PHC, ok, err)
			}
			p, err := parsePHC(vec.PHC)
			if err != nil || string(p.salt) != vec.Salt {
				t.Errorf("parsed salt %q, %v; want %q", p.salt, err, vec.Salt)
			}
			for _, wrong := range []string{vec.Password + "!", strings.ToUpper(vec.Password), vec.Password[:len(vec.Password)-1]} {
				if wrong == vec.Password {
					continue
				}
				if ok, _, err := VerifyPassword(wrong, vec.PHC, pwCheap); ok || err != nil {
					t.Errorf("VerifyPassword(%q) = %v, %v; want rejected", wrong, ok, err)
				}
			}
		})
	}
	for name, enc := range v.Refused {
		if ok, _, err := VerifyPassword("password", enc, pwCheap); ok || err == nil {
			t.Errorf("%s hash %q: ok %v, err %v; want a parse error", name, enc, ok, err)
		}
	}
}

// b64Flip returns c with the top bit of its 6-bit base64 value flipped: a
// different, valid base64 character whose change always reaches the data
// bits (unlike a change confined to trailing padding bits).
func b64Flip(c byte) byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	i := strings.IndexByte(alphabet, c)
	return alphabet[i^0x20]
}

// Any change to a stored hash string, anywhere, must fail closed.
func TestTamperEveryCharacter(t *testing.T) {
	t.Parallel()
	const password = "password"
	v := loadPWVectors(t)
	var reference string
	for _, vec := range v.Vectors {
		if vec.Password == password {
			reference = vec.PHC
		}
	}
	own, err := HashPassword(password, pwCheap)
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []string{reference, own} {
		if ok, _, err := VerifyPassword(password, enc, pwCheap); !ok || err != nil {
			t.Fatalf("untampered %q does not verify", enc)
		}
		dollar := strings.LastIndexByte(enc, '$')
		saltStart := strings.LastIndexByte(enc[:dollar], '$')
		for i := 1; i < len(enc); i++ {
			var alts []byte
			switch {
			case i > saltStart && i != dollar:
				alts = []byte{b64Flip(enc[i]), '!', '='}
			default:
				alts = []byte{'0', '9', 'x', '$', ','}
			}
			for _, c := range alts {
				if c == enc[i] {
					continue
				}
				bad := enc[:i] + string(c) + enc[i+1:]
				ok, _, err := VerifyPassword(password, bad, pwCheap)
				if ok {
					t.Errorf("tampered hash %q (byte %d -> %q) still verifies", bad, i, c)
				}
				_ = err
			}
		}
		for _, cut := range []int{1, 2, 10} {
			if ok, _, _ := VerifyPassword(password, enc[:len(enc)-cut], pwCheap); ok {
				t.Errorf("hash truncated by %d still verifies", cut)
			}
		}
		if ok, _, _ := VerifyPassword(password, enc+"A", pwCheap); ok {
			t.Error("hash with an extra character still verifies")
		}
	}
}

func TestParsePHC(t *testing.T) {
	t.Parallel()
	const salt = "c2FsdHNhbHRzYWx0"                           // "saltsaltsalt"
	const sum = "hk3MNnowk+g5FQ6vidVZOiILjdY2VIE9DQlZfnbESyo" // 32 bytes
	good := "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + sum
	if p, err := parsePHC(good); err != nil || p.params != (Params{64, 1, 1}) || len(p.salt) != 12 || len(p.sum) != 32 {
		t.Fatalf("parsePHC(good) = %+v, %v", p, err)
	}
	withParams := func(ps string) string { return "$argon2id$v=19$" + ps + "$" + salt + "$" + sum }
	accepted := []struct{ name, in string }{
		{"max memory", withParams("m=262144,t=1,p=1")},
		{"max time", withParams("m=64,t=16,p=1")},
		{"max threads", withParams("m=64,t=1,p=64")},
		{"8-byte salt", "$argon2id$v=19$m=64,t=1,p=1$YWJjZGVmZ2g$" + sum},
		{"16-byte hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$pZ5kflu5qEwpr1dwX+jHUQ"},
	}
	for _, tt := range accepted {
		if _, err := parsePHC(tt.in); err != nil {
			t.Errorf("%s: parsePHC(%q) = %v, want accepted", tt.name, tt.in, err)
		}
	}
	refused := []struct{ name, in string }{
		{"empty", ""},
		{"memory above the bound", withParams("m=262145,t=1,p=1")},
		{"time above the bound", withParams("m=64,t=17,p=1")},
		{"threads above the bound", withParams("m=64,t=1,p=65")},
		{"just dollars", "$$$$$"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + sum},
		{"argon2d", "$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + sum},
		{"upper-case algorithm", "$ARGON2ID$v=19$m=64,t=1,p=1$" + salt + "$" + sum},
		{"bcrypt", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"},
		{"version 16", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + sum},
		{"version 019", "$argon2id$v=019$m=64,t=1,p=1$" + salt + "$" + sum},
		{"missing version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + sum},
		{"missing hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{"empty hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$"},
		{"empty salt", "$argon2id$v=19$m=64,t=1,p=1$$" + sum},
		{"trailing dollar", good + "$"},
		{"no leading dollar", good[1:]},
		{"leading space", " " + good},
		{"missing params", "$argon2id$v=19$$" + salt + "$" + sum},
		{"two params", withParams("m=64,t=1")},
		{"four params", withParams("m=64,t=1,p=1,k=2")},
		{"keyid param", withParams("m=64,t=1,p=1,keyid=abc")},
		{"params reordered", withParams("t=1,m=64,p=1")},
		{"m=0", withParams("m=0,t=1,p=1")},
		{"t=0", withParams("m=64,t=0,p=1")},
		{"p=0", withParams("m=64,t=1,p=0")},
		{"m above 4 GiB", withParams("m=4194305,t=1,p=1")},
		{"m beyond uint32", withParams("m=99999999999,t=1,p=1")},
		{"t=101", withParams("m=64,t=101,p=1")},
		{"p=256", withParams("m=64,t=1,p=256")},
		{"m=019", withParams("m=019,t=1,p=1")},
		{"t=01", withParams("m=64,t=01,p=1")},
		{"m=+64", withParams("m=+64,t=1,p=1")},
		{"m=-64", withParams("m=-64,t=1,p=1")},
		{"m= 64", withParams("m= 64,t=1,p=1")},
		{"m=64 with space after", withParams("m=64 ,t=1,p=1")},
		{"m=0x40", withParams("m=0x40,t=1,p=1")},
		{"m empty", withParams("m=,t=1,p=1")},
		{"spaces after commas", withParams("m=64, t=1, p=1")},
		{"unicode digits", withParams("m=٦٤,t=1,p=1")},
		{"bad base64 salt", "$argon2id$v=19$m=64,t=1,p=1$c2Fsd!!!SYWx0$" + sum},
		{"padded salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + sum},
		{"url-safe base64 hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.NewReplacer("+", "-", "/", "_").Replace(sum)},
		{"bad base64 hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + sum[:10] + "*" + sum[11:]},
		{"impossible base64 length", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + sum + "AA"},
		{"7-byte salt", "$argon2id$v=19$m=64,t=1,p=1$YWJjZGVmZw$" + sum},
		{"15-byte hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$YWJjZGVmZ2hpamtsbW5v"},
		{"65-byte hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.Repeat("QUFB", 21) + "QUE"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if p, err := parsePHC(tt.in); err == nil {
				t.Errorf("parsePHC(%q) = %+v, want error", tt.in, p)
			}
			ok, rehash, err := VerifyPassword("password", tt.in, pwCheap)
			if err == nil || ok || rehash {
				t.Errorf("VerifyPassword on %q = %v, %v, %v; want error", tt.in, ok, rehash, err)
			}
			if msg := errs.Message(err); strings.Contains(msg, "argon2") || strings.Contains(msg, salt) {
				t.Errorf("user message %q exposes the hash", msg)
			}
		})
	}
}

func TestRehash(t *testing.T) {
	t.Parallel()
	enc, err := HashPassword("rehash me please", Params{MemoryKiB: 128, Time: 2, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want Params
		re   bool
	}{
		{"same params", Params{128, 2, 2}, false},
		{"wanted lower everywhere", Params{64, 1, 1}, false},
		{"more memory wanted", Params{129, 2, 2}, true},
		{"more time wanted", Params{128, 3, 2}, true},
		{"more threads wanted", Params{128, 2, 3}, true},
		{"more memory, less time", Params{256, 1, 1}, true},
		{"default params", DefaultParams, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, re, err := VerifyPassword("rehash me please", enc, tt.want)
			if err != nil || !ok {
				t.Fatalf("VerifyPassword = %v, %v", ok, err)
			}
			if re != tt.re {
				t.Errorf("rehash = %v, want %v", re, tt.re)
			}
		})
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$hk3MNnowk+g5FQ6vidVZOiILjdY2VIE9DQlZfnbESyo")
	f.Add("$argon2id$v=19$m=4194304,t=100,p=255$YWJjZGVmZ2g$pZ5kflu5qEwpr1dwX+jHUQ")
	f.Add("$argon2id$v=19$m=019,t=1,p=1$c2FsdHNhbHRzYWx0$hk3MNnowk+g5FQ6vidVZOiILjdY2VIE9DQlZfnbESyo")
	f.Add("$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$xWEeig1StJLLIR5JlmXX/ec33iRmwZB89/N6ARIdTXM")
	f.Add("")
	f.Add("$")
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Add("$argon2id$v=19$m=18446744073709551616,t=1,p=1$YWJjZGVmZ2g$pZ5kflu5qEwpr1dwX+jHUQ")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePHC(s)
		if err != nil {
			if !errors.Is(err, errBadHash) {
				t.Errorf("error %v is not errBadHash", err)
			}
			return
		}
		pr := p.params
		if pr.MemoryKiB == 0 || pr.MemoryKiB > 4*1024*1024 || pr.Time == 0 || pr.Time > 100 || pr.Threads == 0 {
			t.Errorf("accepted params out of range: %+v", pr)
		}
		if len(p.salt) < 8 || len(p.sum) < 16 || len(p.sum) > 64 {
			t.Errorf("accepted salt %d bytes, hash %d bytes", len(p.salt), len(p.sum))
		}
		if !strings.HasPrefix(s, fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$", pr.MemoryKiB, pr.Time, pr.Threads)) {
			t.Errorf("accepted %q is not in canonical parameter form", s)
		}
		re := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", pr.MemoryKiB, pr.Time, pr.Threads, b64.EncodeToString(p.salt), b64.EncodeToString(p.sum))
		if q, err := parsePHC(re); err != nil || q.params != pr || string(q.salt) != string(p.salt) || string(q.sum) != string(p.sum) {
			t.Errorf("re-encoded %q does not parse back: %v", re, err)
		}
	})
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	strong := "violet-Tractor-93-sunrise"
	s128 := (strings.Repeat("Quartz-Lynx-7-", 10))[:127] + "!"
	name, email := "Zebediah Quixote", "zebediah.quixote@acme.test"
	tests := []struct {
		name     string
		password string
		inputs   []string
		wantMsg  string // "" means accepted
	}{
		{"empty", "", nil, "Password is required."},
		{"7 chars", "Vx9#kq2", nil, "at least 8 characters (it has 7)"},
		{"7 emoji", strings.Repeat("🔑", 7), nil, "at least 8 characters (it has 7)"},
		{"8 chars weak", "abcdefgh", nil, "too common or easy to guess"},
		{"8 digits", "12345678", nil, "too common or easy to guess"},
		{"129 chars", s128 + "x", nil, "at most 128 characters (it has 129)"},
		{"128 chars strong", s128, nil, ""},
		{"control char", "violet-Tractor\x00-93-sunrise", nil, "control characters"},
		{"tab", "violet-Tractor\t-93-sunrise", nil, "control characters"},
		{"newline", "violet-Tractor-93-sunrise\n", nil, "line breaks"},
		{"line separator", "violet-Tractor\u2028-93-sunrise", nil, "line breaks"},
		{"invalid UTF-8", "violet-Tractor-\xff-93-sunrise", nil, "not valid text"},
		{"password123", "password123", nil, "too common"},
		{"qwertyuiop", "qwertyuiop", nil, "too common"},
		{"Password1!", "Password1!", nil, "too common"},
		{"P@ssw0rd2024", "P@ssw0rd2024", nil, "too common"},
		{"repeated", "aaaaaaaaaaaaaaaa", nil, "too common"},
		{"own name", "ZebediahQuixote", []string{name, email}, "too common"},
		{"own name lower", "zebediahquixote", []string{name, email}, "too common"},
		{"own name, no inputs given", "ZebediahQuixote", nil, ""},
		{"strong passphrase", strong, nil, ""},
		{"strong passphrase with inputs", strong, []string{name, email, "Acme Ltd"}, ""},
		{"diceware words", "correct horse battery staple", nil, ""},
		{"unicode passphrase", "Grüße-aus-Köln-🔑-1987", nil, ""},
		{"leading and trailing spaces count", "  Tz8#vq2Lm  ", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckPassword("password", tt.password, tt.inputs...)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("CheckPassword(%q) = %v, want accepted", tt.password, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckPassword(%q) accepted, want %q", tt.password, tt.wantMsg)
			}
			var inv *errs.Invalid
			if !errors.As(err, &inv) || inv.Field != "password" {
				t.Fatalf("error %v is not an *errs.Invalid for field password", err)
			}
			if !strings.Contains(inv.Message, tt.wantMsg) {
				t.Errorf("message %q, want it to contain %q", inv.Message, tt.wantMsg)
			}
			if len(tt.password) >= 3 && strings.Contains(inv.Message, strings.TrimSpace(tt.password)) {
				t.Errorf("message %q quotes the password", inv.Message)
			}
		})
	}
}

// A refused password is never echoed in the message, whatever the reason.
func TestCheckPasswordNeverEchoes(t *testing.T) {
	t.Parallel()
	secrets := []string{"hunter2hunter2", "Hunter2\x00Secret", "Hunter2Secret\xff", strings.Repeat("Hunter2Secret", 10), "Hunter2"}
	for _, s := range secrets {
		err := CheckPassword("password", s)
		if err == nil {
			t.Fatalf("CheckPassword(%q) accepted", s)
		}
		if strings.Contains(strings.ToLower(err.Error()), "hunter2") {
			t.Errorf("message %q echoes the password", err)
		}
		if !utf8.ValidString(err.Error()) {
			t.Errorf("message %q is not valid text", err)
		}
	}
}

// The policy says a password guessable from the user's own name or email is
// refused, but zxcvbn scores name + one digit as 3 (about 10^8 guesses), which
// MinScore accepts.
func TestNamePlusDigitAccepted(t *testing.T) {
	t.Parallel()
	inputs := []string{"Zebediah Quixote", "zebediah.quixote@acme.test"}
	for _, pw := range []string{"ZebediahQuixote1", "Quixote!Zebediah", "quixote zebediah 2024", "zebediah.quixote@acme.test"} {
		if err := CheckPassword("password", pw, inputs...); err == nil {
			t.Errorf("CheckPassword(%q) with the user's own name accepted", pw)
		}
	}
}

// parsePHC says it parses strictly, but base64 is decoded without Strict(), so
// a hash whose last character differs only in unused padding bits still
// parses and verifies: two different stored strings mean the same hash.
func TestNonCanonicalBase64Accepted(t *testing.T) {
	t.Parallel()
	good := "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$hk3MNnowk+g5FQ6vidVZOiILjdY2VIE9DQlZfnbESyo"
	for _, bad := range []string{
		good[:len(good)-1] + "p", // hash: low padding bits set
	} {
		if _, err := parsePHC(bad); err == nil {
			t.Errorf("parsePHC accepted non-canonical base64 in %q", bad)
		}
	}
}

func TestPlaceholderHashCostsARealVerify(t *testing.T) {
	t.Parallel()
	for _, p := range []Params{DefaultParams, {MemoryKiB: 64, Time: 1, Threads: 1}} {
		h := placeholderHash(p)
		got, err := parsePHC(h)
		if err != nil {
			t.Fatalf("%+v: placeholder %q does not parse: %v", p, h, err)
		}
		if got.params != p || len(got.salt) != saltLen || len(got.sum) != hashLen {
			t.Fatalf("%+v: placeholder parses as %+v, salt %d, sum %d bytes", p, got.params, len(got.salt), len(got.sum))
		}
		pepper := PepperFrom(keyfile.ForTest(7))
		for _, pw := range []string{"", "keysmith", testkitLikePassword} {
			ok, rehash, err := pepper.Verify(pw, h, UserOwner(pw), p)
			if ok || rehash || err != nil {
				t.Errorf("%+v: VerifyPassword(%q, placeholder) = %v, %v, %v; want false, false, nil", p, pw, ok, rehash, err)
			}
		}
	}
}

const testkitLikePassword = "violet-Tractor-93-sunrise"
