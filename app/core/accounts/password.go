package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"keysmith/app/core/errs"
	"keysmith/app/core/input"
	"keysmith/third_party/zxcvbn"
)

// Params are argon2id cost parameters.
type Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultParams are OWASP's minimum for argon2id: m=19 MiB, t=2, p=1.
var DefaultParams = Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	hashLen = 32
)

var b64 = base64.RawStdEncoding.Strict()

// HashPassword returns the unpeppered PHC string of password under p with a
// fresh salt (the reference argon2id format; stored hashes use Pepper.Hash).
func HashPassword(password string, p Params) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return encodePHC(p, salt, argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, hashLen)), nil
}

// placeholderHash is a well-formed peppered hash under p that no password
// matches (its MAC is all zeros, which HMAC-SHA256 does not produce in
// practice). Verifying against it costs the same as against a real hash,
// with no KDF work to build it.
func placeholderHash(p Params) string {
	return phc{params: p, keyed: true, salt: make([]byte, saltLen), sum: make([]byte, hashLen)}.encode()
}

func encodePHC(p Params, salt, sum []byte) string {
	return phc{params: p, salt: salt, sum: sum}.encode()
}

func (h phc) encode() string {
	k := ""
	if h.keyed {
		k = ",k=1"
	}
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d%s$%s$%s",
		argon2.Version, h.params.MemoryKiB, h.params.Time, h.params.Threads, k, b64.EncodeToString(h.salt), b64.EncodeToString(h.sum))
}

var errBadHash = errors.New("malformed password hash")

type phc struct {
	params Params
	keyed  bool // peppered (k=1): sum is a MAC of argon2id's output, see Pepper
	salt   []byte
	sum    []byte
}

// weakerThan reports whether p costs less than want in any parameter.
func (p Params) weakerThan(want Params) bool {
	return p.MemoryKiB < want.MemoryKiB || p.Time < want.Time || p.Threads < want.Threads
}

// parsePHC strictly parses "$argon2id$v=19$m=..,t=..,p=..[,k=1]$salt$hash".
func parsePHC(s string) (phc, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return phc{}, errBadHash
	}
	var p phc
	kv := strings.Split(parts[3], ",")
	if len(kv) == 4 && kv[3] == "k=1" {
		p.keyed, kv = true, kv[:3]
	}
	if len(kv) != 3 {
		return phc{}, errBadHash
	}
	num := func(s, prefix string, max uint64) (uint64, error) {
		v, ok := strings.CutPrefix(s, prefix)
		if !ok {
			return 0, errBadHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 || n > max || strconv.FormatUint(n, 10) != v {
			return 0, errBadHash
		}
		return n, nil
	}
	// Bounds keep an edited hash from making one sign-in cost minutes.
	m, err1 := num(kv[0], "m=", 256*1024)
	t, err2 := num(kv[1], "t=", 16)
	th, err3 := num(kv[2], "p=", 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return phc{}, errBadHash
	}
	p.params = Params{MemoryKiB: uint32(m), Time: uint32(t), Threads: uint8(th)}
	var err error
	if p.salt, err = b64.DecodeString(parts[4]); err != nil || len(p.salt) < 8 {
		return phc{}, errBadHash
	}
	if p.sum, err = b64.DecodeString(parts[5]); err != nil || len(p.sum) < 16 || len(p.sum) > 64 {
		return phc{}, errBadHash
	}
	return p, nil
}

// VerifyPassword reports whether password matches the unpeppered PHC string
// (the reference argon2id format), in constant time, and whether the hash
// should be recomputed under want. Stored hashes are peppered and go through
// Pepper.Verify; a peppered hash is an error here.
func VerifyPassword(password, encoded string, want Params) (ok, rehash bool, err error) {
	p, err := parsePHC(encoded)
	if err != nil {
		return false, false, err
	}
	if p.keyed {
		return false, false, errBadHash
	}
	sum := argon2.IDKey([]byte(password), p.salt, p.params.Time, p.params.MemoryKiB, p.params.Threads, uint32(len(p.sum)))
	ok = subtle.ConstantTimeCompare(sum, p.sum) == 1
	return ok, p.params.weakerThan(want), nil
}

// MinScore is the lowest zxcvbn score accepted for a new password (3: about
// 10^8 guesses or more, "safely unguessable" against throttled attacks).
const MinScore = 3

// CheckPassword enforces the password policy: 8..128 characters, no control
// characters, and not common or guessable, also considering userInputs (the
// user's name, email and business) as guessable words. Messages never quote
// the password.
func CheckPassword(field, password string, userInputs ...string) error {
	if !utf8.ValidString(password) {
		return errs.Invalidf(field, "Password contains bytes that are not valid text.")
	}
	n := utf8.RuneCountInString(password)
	switch {
	case n == 0:
		return errs.Invalidf(field, "Password is required.")
	case n < input.MinPassword:
		return errs.Invalidf(field, "Password must be at least %d characters (it has %d).", input.MinPassword, n)
	case n > input.MaxPassword:
		return errs.Invalidf(field, "Password must be at most %d characters (it has %d).", input.MaxPassword, n)
	case input.HasControl(password):
		return errs.Invalidf(field, "Password cannot contain control characters or line breaks.")
	}
	words := personalWords(userInputs)
	if zxcvbn.PasswordStrength(password, words).Score < MinScore {
		return errs.Invalidf(field, "Password is too common or easy to guess; use a longer passphrase of several unrelated words.")
	}
	if tooPersonal(password, words) {
		return errs.Invalidf(field, "Password is too close to your name, email or business name; use unrelated words.")
	}
	return nil
}

// TooPersonal reports whether secret leans on userInputs (a name, an email,
// a business name): weak once those words are taken out, or weak to a
// guesser who tries them first.
func TooPersonal(secret string, userInputs ...string) bool {
	words := personalWords(userInputs)
	return zxcvbn.PasswordStrength(secret, words).Score < MinScore || tooPersonal(secret, words)
}

// personalWords are userInputs and their letter-or-digit runs, lower-cased.
func personalWords(userInputs []string) []string {
	var words []string
	for _, u := range userInputs {
		u = strings.ToLower(u)
		words = append(words, u)
		words = append(words, strings.FieldsFunc(u, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		})...)
	}
	return words
}

// tooPersonal: what is left once the user's own words are taken out must be
// strong on its own ("ZebediahQuixote1" for Zebediah Quixote is not).
func tooPersonal(secret string, words []string) bool {
	rest := strings.ToLower(secret)
	sort.Slice(words, func(i, j int) bool { return len(words[i]) > len(words[j]) })
	for _, w := range words {
		if utf8.RuneCountInString(w) >= 3 {
			rest = strings.ReplaceAll(rest, w, "")
		}
	}
	return rest != strings.ToLower(secret) && zxcvbn.PasswordStrength(rest, nil).Score < MinScore
}
