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
//     same second sign the same, so the default allows them).
//   - Credentials are read from the database on every request, so a change
//     made by another process applies to the next request.
package verify

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"sync"
	"time"

	"keysmith/app/credentials"
	"keysmith/app/errs"
)

// Request is what the verifier needs of an HTTP request.
type Request struct {
	Method     string      // as received, e.g. "PUT"
	RequestURI string      // path and query exactly as sent, still URL-encoded
	Header     http.Header // as received
	Body       []byte      // the body, when the verifier sees it
	HasBody    bool        // false when the body was not forwarded (nginx auth_request)
}

// Options tune a Verifier; the zero value is the default.
type Options struct {
	Skew                  time.Duration // allowed date difference; default 300 s
	RejectBodylessReplays bool          // also refuse a repeated signature of a request without a body
	Clock                 func() time.Time
	MaxReplayEntries      int // default 1<<20
}

// Verifier checks requests against the account's credentials.
type Verifier struct {
	creds *credentials.Service
	opt   Options

	mu   sync.Mutex
	seen map[string]time.Time // signature → when it may be forgotten
}

// New returns a Verifier over creds.
func New(creds *credentials.Service, opt Options) *Verifier {
	if opt.Skew <= 0 {
		opt.Skew = 300 * time.Second
	}
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	if opt.MaxReplayEntries <= 0 {
		opt.MaxReplayEntries = 1 << 20
	}
	return &Verifier{creds: creds, opt: opt, seen: map[string]time.Time{}}
}

// Verify returns the credential a request authenticates with, or an error
// wrapping errs.ErrBadCredentials and the reason.
func (v *Verifier) Verify(ctx context.Context, r Request) (credentials.Credential, error) {
	c, err := v.verify(ctx, r)
	if err != nil {
		return credentials.Credential{}, fmt.Errorf("%w: %w", errs.ErrBadCredentials, err)
	}
	return c, nil
}

func (v *Verifier) verify(ctx context.Context, r Request) (credentials.Credential, error) {
	auth := r.Header.Values("Authorization")
	if len(auth) == 0 {
		return credentials.Credential{}, ErrNoAuthorization
	}
	if len(auth) > 1 || len(auth[0]) > MaxAuthorization {
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
	p, err := parseHMAC(h)
	if err != nil {
		return credentials.Credential{}, err
	}
	if r.HasBody && len(r.Body) > MaxBody {
		return credentials.Credential{}, ErrTooLarge
	}
	lines, methods, err := v.signedLines(p, r)
	if err != nil {
		return credentials.Credential{}, err
	}
	c, secrets, err := v.creds.HMACSecrets(ctx, p.username)
	if err != nil {
		return credentials.Credential{}, err
	}
	newHash := sha1.New
	if p.algorithm == "hmac-sha256" {
		newHash = sha256.New
	}
	ok := 0
	for _, secret := range secrets {
		for _, method := range methods {
			ok |= subtle.ConstantTimeCompare(sign(newHash, secret, lines, method, r.RequestURI), p.signature)
		}
	}
	if ok != 1 {
		return credentials.Credential{}, ErrSignature
	}
	if len(r.Body) > 0 || !r.HasBody && hasDigest(p.headers) || v.opt.RejectBodylessReplays {
		if !v.firstUse(p.algorithm+" "+string(p.signature), r) {
			return credentials.Credential{}, ErrReplay
		}
	}
	return c, nil
}

// signedLines checks the listed headers and returns the signing-string lines
// (with a placeholder for the request line) and the methods the client may
// have signed: the real one, and the SDKs' POST-with-body / GET-without.
func (v *Verifier) signedLines(p hmacParams, r Request) ([]string, []string, error) {
	var lines []string
	var date, line, digest bool
	for _, name := range p.headers {
		switch lower := strings.ToLower(name); lower {
		case "request-line":
			lines, line = append(lines, ""), true
		case "date":
			value := r.Header.Get("Date")
			t, err := http.ParseTime(value)
			if err != nil || absDuration(v.opt.Clock().Sub(t)) > v.opt.Skew {
				return nil, nil, ErrDate
			}
			lines, date = append(lines, name+": "+value), true
		case "x-content-md5", "content-md5":
			value := r.Header.Get(name)
			if r.HasBody {
				sum := md5.Sum(r.Body)
				if len(value) != 32 || !strings.EqualFold(value, hex.EncodeToString(sum[:])) {
					return nil, nil, ErrDigest
				}
			}
			lines, digest = append(lines, name+": "+value), true
		default:
			lines = append(lines, name+": "+r.Header.Get(name))
		}
	}
	if !date || !line {
		return nil, nil, ErrUnsigned
	}
	if r.HasBody && len(r.Body) > 0 && !digest {
		return nil, nil, fmt.Errorf("%w: the body", ErrUnsigned)
	}
	methods := []string{r.Method}
	quirk := "GET"
	if len(r.Body) > 0 || (!r.HasBody && digest) {
		quirk = "POST"
	}
	if quirk != r.Method {
		methods = append(methods, quirk)
	}
	return lines, methods, nil
}

func hasDigest(headers []string) bool {
	for _, h := range headers {
		if l := strings.ToLower(h); l == "x-content-md5" || l == "content-md5" {
			return true
		}
	}
	return false
}

// sign computes base64-decoded-form HMAC of the signing string.
func sign(newHash func() hash.Hash, secret string, lines []string, method, uri string) []byte {
	m := hmac.New(newHash, []byte(secret))
	for i, l := range lines {
		if i > 0 {
			m.Write([]byte{'\n'})
		}
		if l == "" {
			l = method + " " + uri + " HTTP/1.1"
		}
		m.Write([]byte(l))
	}
	return m.Sum(nil)
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// firstUse records a signature and reports whether it was new. Entries live
// as long as the request's date could still be accepted.
func (v *Verifier) firstUse(sig string, r Request) bool {
	now := v.opt.Clock()
	until := now.Add(2 * v.opt.Skew)
	if t, err := http.ParseTime(r.Header.Get("Date")); err == nil {
		until = t.Add(v.opt.Skew)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if exp, ok := v.seen[sig]; ok && now.Before(exp) {
		return false
	}
	if len(v.seen) >= v.opt.MaxReplayEntries {
		for k, exp := range v.seen {
			if !now.Before(exp) {
				delete(v.seen, k)
			}
		}
		if len(v.seen) >= v.opt.MaxReplayEntries {
			return false // refuse rather than forget a signature still in its window
		}
	}
	v.seen[sig] = until
	return true
}
