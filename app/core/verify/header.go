package verify

import (
	"encoding/base64"
	"errors"
	"strings"
)

// Limits on what a request may carry; anything larger is refused before work.
const (
	MaxAuthorization = 1024    // bytes of the Authorization header
	MaxBody          = 1 << 20 // bytes of a body whose digest is checked
	maxListed        = 8       // names in headers=
)

// Reasons a request is refused. The caller always gets the same 401; the
// reason goes to the local log and audit only.
var (
	ErrNoAuthorization = errors.New("no Authorization header")
	ErrMalformed       = errors.New("malformed Authorization header")
	ErrUnsupported     = errors.New("unsupported authentication scheme or algorithm")
	ErrDate            = errors.New("date missing, unreadable or outside the allowed skew")
	ErrDigest          = errors.New("body digest missing or wrong")
	ErrUnsigned        = errors.New("a required part of the request is not signed")
	ErrSignature       = errors.New("signature does not match")
	ErrReplay          = errors.New("signature already used")
	// ErrReplayUnchecked: the replay window shared with the other
	// verifiers (the team database) did not answer.
	ErrReplayUnchecked = errors.New("signature not checked for replays: the shared replay window is unavailable")
	ErrTooLarge        = errors.New("request too large to verify")

	ErrDuplicateAuthorization = errors.New("more than one Authorization header")
	ErrDuplicateHeader        = errors.New("a signed header appears more than once")
)

// basicCreds parses "Basic base64(user:pass)".
func basicCreds(h string) (user, pass string, err error) {
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "basic") {
		return "", "", ErrUnsupported
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return "", "", ErrMalformed
	}
	user, pass, ok = strings.Cut(string(raw), ":")
	if !ok || user == "" {
		return "", "", ErrMalformed
	}
	return user, pass, nil
}

// hmacParams is a parsed `hmac username="…", algorithm="…", headers="…",
// signature="…"` header.
type hmacParams struct {
	username  string
	algorithm string // "hmac-sha1" or "hmac-sha256"
	headers   [maxListed]string
	nHeaders  int
	sigLen    int
	sigBuf    [64]byte
}

func (p *hmacParams) listed() []string  { return p.headers[:p.nHeaders] }
func (p *hmacParams) signature() []byte { return p.sigBuf[:p.sigLen] }

// parseHMAC parses the HMAC Authorization header strictly: every parameter
// once, quoted values, no unknown parameters. It allocates nothing that
// grows with the input.
func parseHMAC(h string, p *hmacParams) error {
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "hmac") {
		return ErrUnsupported
	}
	const (
		seenUser = 1 << iota
		seenAlg
		seenHeaders
		seenSig
	)
	seen := 0
	for rest = strings.TrimSpace(rest); rest != ""; {
		name, after, ok := strings.Cut(rest, "=")
		if !ok {
			return ErrMalformed
		}
		name = strings.TrimSpace(name)
		if len(after) < 2 || after[0] != '"' {
			return ErrMalformed
		}
		end := strings.IndexByte(after[1:], '"')
		if end < 0 {
			return ErrMalformed
		}
		value := after[1 : 1+end]
		rest = strings.TrimSpace(after[2+end:])
		if rest != "" {
			if rest[0] != ',' {
				return ErrMalformed
			}
			rest = strings.TrimSpace(rest[1:])
		}
		var bit int
		switch {
		case strings.EqualFold(name, "username"):
			bit, p.username = seenUser, value
		case strings.EqualFold(name, "algorithm"):
			bit = seenAlg
			switch {
			case strings.EqualFold(value, "hmac-sha1"):
				p.algorithm = "hmac-sha1"
			case strings.EqualFold(value, "hmac-sha256"):
				p.algorithm = "hmac-sha256"
			default:
				return ErrUnsupported
			}
		case strings.EqualFold(name, "headers"):
			bit = seenHeaders
			for f := range strings.FieldsSeq(value) {
				if p.nHeaders == maxListed {
					return ErrMalformed
				}
				p.headers[p.nHeaders] = f
				p.nHeaders++
			}
		case strings.EqualFold(name, "signature"):
			bit = seenSig
			if base64.StdEncoding.DecodedLen(len(value)) > len(p.sigBuf) {
				return ErrMalformed
			}
			var enc [88]byte // the longest value DecodedLen lets through
			n, err := base64.StdEncoding.Decode(p.sigBuf[:], enc[:copy(enc[:], value)])
			if err != nil {
				return ErrMalformed
			}
			p.sigLen = n
		default:
			return ErrMalformed
		}
		if seen&bit != 0 {
			return ErrMalformed
		}
		seen |= bit
	}
	if seen&seenAlg == 0 {
		return ErrUnsupported
	}
	if p.username == "" || seen&seenSig == 0 || p.nHeaders == 0 {
		return ErrMalformed
	}
	return nil
}

// ClaimedKey returns the key or username an Authorization header names
// (the hmac username, or the user part of Basic), never a secret; "" if none.
func ClaimedKey(h string) string {
	h = strings.TrimSpace(h)
	if user, _, err := basicCreds(h); err == nil {
		return user
	}
	var p hmacParams
	if parseHMAC(h, &p) == nil {
		return p.username
	}
	return ""
}
