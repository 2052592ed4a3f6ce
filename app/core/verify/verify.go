// Package verify checks the credentials of an HTTP request exactly as the
// official MessageMedia SDKs send them: Basic (API key and secret, or a
// Legacy username and password) and HMAC (hmac-sha1 as the SDKs sign, and
// hmac-sha256).
//
// Guarantees:
//   - Every refusal wraps errs.ErrBadCredentials; callers answer the same 401
//     whatever the reason, which is kept for the local log and audit only.
//   - Signatures and secrets are compared in constant time.
//   - The Authorization header is bounded (MaxAuthorization) and a body is
//     digested only up to MaxBody; nothing else grows with the input.
//   - An HMAC request must sign its date (within the allowed skew) and its
//     request line, and the MD5 of its body when it has one. A signature of a
//     request with a body is accepted once within the skew window; for
//     bodiless requests that is a setting (two honest identical GETs in the
//     same second sign the same, so the default allows them). "Once" holds
//     for this Verifier's memory and, given Options.Shared, for every
//     verifier sharing it: this process's memory is asked first, then the
//     shared window, and only for a signature that verified, so a request
//     without valid credentials writes nothing there. When the shared
//     window cannot answer, the request is refused (ErrReplayUnchecked).
//   - The signed request line names the method the request was sent with.
//     The one exception is what the official SDKs send: a PUT with a body
//     signed as POST (see sdkSignedMethod); Options.StrictMethod refuses it
//     too. A bodiless request is accepted only under its own method.
//   - A header listed in the signature, or Authorization, that appears more
//     than once is refused: which copy was signed would be ambiguous.
//   - Credentials come from a credentials.Cache: a change made by any
//     process applies as soon as the cache learns of it (its change feed,
//     or its poll interval while the feed is down).
package verify

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"sync"
	"time"

	"keysmith/app/core/credentials"
	"keysmith/app/core/errs"
)

// Request is what the verifier needs of an HTTP request.
type Request struct {
	Method     string      // as received, e.g. "PUT"
	RequestURI string      // path and query exactly as sent, still URL-encoded
	Header     http.Header // as received
	Body       []byte      // the body, when the verifier sees it
	HasBody    bool        // false when the body was not forwarded (nginx auth_request)
}

// Bounds of the date difference a verifier accepts in signed requests.
const (
	DefaultSkew = 300 * time.Second
	MaxSkew     = time.Hour
)

// Options tune a Verifier; the zero value is the default.
type Options struct {
	Skew                  time.Duration // allowed date difference; default DefaultSkew, at most MaxSkew
	RejectBodylessReplays bool          // also refuse a repeated signature of a request without a body
	StrictMethod          bool          // accept only the method the request was sent with, not the SDKs' PUT signed as POST
	Clock                 func() time.Time
	MaxReplayEntries      int // signatures this process remembers; default 1<<20
	// Shared is the replay window shared with the account's other
	// verifiers (on a team database); nil for this process's memory only.
	Shared Replays
}

// Verifier checks requests against the account's credentials.
type Verifier struct {
	creds *credentials.Cache
	opt   Options
	mem   *Memory
}

// New returns a Verifier reading credentials through creds (a poll interval
// of 0 rechecks the revision on every request).
func New(creds *credentials.Cache, opt Options) *Verifier {
	if opt.Skew <= 0 {
		opt.Skew = DefaultSkew
	}
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	if opt.MaxReplayEntries <= 0 {
		opt.MaxReplayEntries = 1 << 20
	}
	return &Verifier{creds: creds, opt: opt, mem: NewMemory(opt.MaxReplayEntries)}
}

// Skew is the date difference v accepts in signed requests.
func (v *Verifier) Skew() time.Duration { return v.opt.Skew }

// Verify returns the credential a request authenticates with, or an error
// wrapping errs.ErrBadCredentials and the reason.
func (v *Verifier) Verify(ctx context.Context, r Request) (credentials.Credential, error) {
	c, err := v.verify(ctx, r)
	if err != nil {
		return credentials.Credential{}, fmt.Errorf("%w: %w", errs.ErrBadCredentials, err)
	}
	return c, nil
}

// Known reports whether key is the key (or Legacy username) of a
// credential, in any state.
func (v *Verifier) Known(ctx context.Context, key string) bool { return v.creds.Known(ctx, key) }

func (v *Verifier) verify(ctx context.Context, r Request) (credentials.Credential, error) {
	auth := r.Header.Values("Authorization")
	if len(auth) == 0 {
		return credentials.Credential{}, ErrNoAuthorization
	}
	if len(auth) > 1 {
		return credentials.Credential{}, ErrDuplicateAuthorization
	}
	if len(auth[0]) > MaxAuthorization {
		return credentials.Credential{}, ErrMalformed
	}
	h := strings.TrimSpace(auth[0])
	if scheme, _, _ := strings.Cut(h, " "); strings.EqualFold(scheme, "basic") {
		return v.basic(ctx, h)
	}
	return v.hmac(ctx, h, r)
}

func (v *Verifier) basic(ctx context.Context, h string) (credentials.Credential, error) {
	user, pass, err := basicCreds(h)
	if err != nil {
		return credentials.Credential{}, err
	}
	c, err := v.creds.Authenticate(ctx, user, pass)
	if err != nil {
		return credentials.Credential{}, err
	}
	if c.Type == credentials.HMAC {
		return credentials.Credential{}, fmt.Errorf("%w: an HMAC key must sign, not send its secret", ErrUnsupported)
	}
	return c, nil
}

func (v *Verifier) hmac(ctx context.Context, h string, r Request) (credentials.Credential, error) {
	var p hmacParams
	if err := parseHMAC(h, &p); err != nil {
		return credentials.Credential{}, err
	}
	if r.HasBody && len(r.Body) > MaxBody {
		return credentials.Credential{}, ErrTooLarge
	}
	sc := scratches.Get().(*scratch)
	defer sc.put()
	base, body, err := v.signingBase(&p, r, sc.base[:0])
	if err != nil {
		return credentials.Credential{}, err
	}
	sc.base = base
	alg := credentials.HMACSHA1
	if p.algorithm == "hmac-sha256" {
		alg = credentials.HMACSHA256
	}
	sc.line = requestLine(sc.line[:0], base, r.Method, r.RequestURI)
	var alt bool
	if !v.opt.StrictMethod {
		if m := sdkSignedMethod(r.Method, body); m != "" {
			sc.alt, alt = requestLine(sc.alt[:0], base, m, r.RequestURI), true
		}
	}
	ok := 0
	c, err := v.creds.EachHMAC(ctx, p.username, alg, func(m hash.Hash) {
		ok |= sc.check(m, sc.line, p.signature())
		if alt {
			m.Reset()
			ok |= sc.check(m, sc.alt, p.signature())
		}
	})
	if err != nil {
		return credentials.Credential{}, err
	}
	if ok != 1 {
		return credentials.Credential{}, ErrSignature
	}
	if len(r.Body) > 0 || !r.HasBody && hasDigest(p.listed()) || v.opt.RejectBodylessReplays {
		if err := v.firstUse(ctx, p.algorithm+" "+string(p.signature()), r); err != nil {
			return credentials.Credential{}, err
		}
	}
	return c, nil
}

// scratch is one HMAC verification's working memory, pooled so that a
// request allocates nothing for its signing string.
type scratch struct {
	base, line, alt []byte
	sum             [sha256.Size]byte
}

var scratches = sync.Pool{New: func() any {
	return &scratch{base: make([]byte, 0, 512), line: make([]byte, 0, 512), alt: make([]byte, 0, 512)}
}}

// put returns sc to the pool unless a large request grew it.
func (sc *scratch) put() {
	if cap(sc.base)+cap(sc.line)+cap(sc.alt) <= 8<<10 {
		scratches.Put(sc)
	}
}

// check reports 1 if m's MAC of msg is sig, in constant time.
func (sc *scratch) check(m hash.Hash, msg, sig []byte) int {
	m.Write(msg)
	return subtle.ConstantTimeCompare(m.Sum(sc.sum[:0]), sig)
}

// signingBase checks the listed headers and appends the signing string to
// dst with the request line left for last (marked by a 0 byte where it goes).
// It reports whether the request has a body: one the verifier sees, or, when
// the body was not forwarded, one whose digest is signed.
func (v *Verifier) signingBase(p *hmacParams, r Request, dst []byte) ([]byte, bool, error) {
	var date, line, digest bool
	for i, name := range p.listed() {
		if i > 0 {
			dst = append(dst, '\n')
		}
		if strings.EqualFold(name, "request-line") {
			if line {
				return nil, false, ErrMalformed
			}
			dst, line = append(dst, 0), true
			continue
		}
		values := r.Header.Values(name)
		if len(values) > 1 {
			return nil, false, ErrDuplicateHeader
		}
		var value string
		if len(values) == 1 {
			value = values[0]
		}
		switch {
		case strings.EqualFold(name, "date"):
			t, err := parseDate(value)
			if err != nil || absDuration(v.opt.Clock().Sub(t)) > v.opt.Skew {
				return nil, false, ErrDate
			}
			date = true
		case strings.EqualFold(name, "x-content-md5"), strings.EqualFold(name, "content-md5"):
			if r.HasBody {
				sum := md5.Sum(r.Body)
				var hx [32]byte
				hex.Encode(hx[:], sum[:])
				if len(value) != 32 || !strings.EqualFold(value, string(hx[:])) {
					return nil, false, ErrDigest
				}
			}
			digest = true
		}
		dst = appendHeader(dst, name, value)
	}
	if !date || !line {
		return nil, false, ErrUnsigned
	}
	if r.HasBody && len(r.Body) > 0 && !digest {
		return nil, false, fmt.Errorf("%w: the body", ErrUnsigned)
	}
	return dst, len(r.Body) > 0 || (!r.HasBody && digest), nil
}

// sdkSignedMethod is the method the official MessageMedia SDKs put in the
// signed request line of a request they send as method, when that differs;
// "" when they sign the method they send. Every SDK with HMAC (the
// messages-*-sdk for Node, Python, Ruby, PHP, Java and C#; the Go SDK has no
// HMAC) signs POST for a request with a body and GET for one without, and
// sends GET without a body and POST or PUT with one (PUT: cancel a
// scheduled message, PUT /v1/messages/{id}). So PUT with a body signed as
// POST is the only substitution they produce; none sends DELETE, PATCH or
// HEAD, nor PUT without a body.
func sdkSignedMethod(method string, body bool) string {
	if body && method == "PUT" {
		return "POST"
	}
	return ""
}

func appendHeader(dst []byte, name, value string) []byte {
	return append(append(append(dst, name...), ": "...), value...)
}

// requestLine appends base to out with its request-line marker replaced.
func requestLine(out, base []byte, method, uri string) []byte {
	i := bytes.IndexByte(base, 0)
	out = append(out, base[:i]...)
	out = append(append(append(append(out, method...), ' '), uri...), " HTTP/1.1"...)
	return append(out, base[i+1:]...)
}

// parseDate reads an HTTP date: the IMF-fixdate form every SDK sends
// ("Wed, 08 Feb 2023 03:00:00 GMT") without allocating, then the older
// forms HTTP allows.
func parseDate(s string) (time.Time, error) {
	if t, ok := parseFixdate(s); ok {
		return t, nil
	}
	return http.ParseTime(s)
}

var months = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

func parseFixdate(s string) (time.Time, bool) {
	// 0123456789012345678901234567 8
	// Wed, 08 Feb 2023 03:00:00 GMT
	if len(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
		s[19] != ':' || s[22] != ':' || s[25:] != " GMT" {
		return time.Time{}, false
	}
	num := func(a, b int) int {
		n := 0
		for i := a; i < b; i++ {
			if s[i] < '0' || s[i] > '9' {
				return -1
			}
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	month := -1
	for i, m := range months {
		if s[8:11] == m {
			month = i + 1
		}
	}
	day, year, hh, mm, ss := num(5, 7), num(12, 16), num(17, 19), num(20, 22), num(23, 25)
	if month < 0 || day < 1 || day > 31 || year < 0 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hh, mm, ss, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, false // e.g. 31 Feb
	}
	return t, true
}

func hasDigest(headers []string) bool {
	for _, h := range headers {
		if l := strings.ToLower(h); l == "x-content-md5" || l == "content-md5" {
			return true
		}
	}
	return false
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// firstUse records a signature that verified, in this process's memory
// and then in the shared window, and returns ErrReplay if either had it.
// Entries live as long as the request's date could still be accepted.
func (v *Verifier) firstUse(ctx context.Context, sig string, r Request) error {
	now := v.opt.Clock()
	until := now.Add(2 * v.opt.Skew)
	if t, err := parseDate(r.Header.Get("Date")); err == nil {
		until = t.Add(v.opt.Skew)
	}
	if fresh, _ := v.mem.FirstUse(ctx, sig, now, until); !fresh {
		return ErrReplay
	}
	if v.opt.Shared == nil {
		return nil
	}
	fresh, err := v.opt.Shared.FirstUse(ctx, sig, now, until)
	if err != nil {
		// The cause (a database error) stays out of the reason, which the
		// request log and the audit log keep.
		v.mem.forget(sig, until)
		return ErrReplayUnchecked
	}
	if !fresh {
		return ErrReplay
	}
	return nil
}

// Reason is the cause of a refusal for the local log: the error text
// without the shared "bad credentials" prefix. It never holds a secret.
func Reason(err error) string {
	msg := err.Error()
	for {
		rest, ok := strings.CutPrefix(msg, errs.ErrBadCredentials.Error()+": ")
		if !ok {
			return msg
		}
		msg = rest
	}
}
