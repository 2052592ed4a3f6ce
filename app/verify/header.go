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
	ErrTooLarge        = errors.New("request too large to verify")
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
	algorithm string
	headers   []string
	signature []byte
}

// parseHMAC parses the HMAC Authorization header strictly: every parameter
// once, quoted values, no unknown parameters.
func parseHMAC(h string) (hmacParams, error) {
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "hmac") {
		return hmacParams{}, ErrUnsupported
	}
	var p hmacParams
	seen := map[string]bool{}
	for rest = strings.TrimSpace(rest); rest != ""; {
		name, after, ok := strings.Cut(rest, "=")
		if !ok {
			return hmacParams{}, ErrMalformed
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if len(after) < 2 || after[0] != '"' {
			return hmacParams{}, ErrMalformed
		}
		end := strings.IndexByte(after[1:], '"')
		if end < 0 {
			return hmacParams{}, ErrMalformed
		}
		value := after[1 : 1+end]
		rest = strings.TrimSpace(after[2+end:])
		if rest != "" {
			if rest[0] != ',' {
				return hmacParams{}, ErrMalformed
			}
			rest = strings.TrimSpace(rest[1:])
		}
		if seen[name] {
			return hmacParams{}, ErrMalformed
		}
		seen[name] = true
		switch name {
		case "username":
			p.username = value
		case "algorithm":
			p.algorithm = strings.ToLower(value)
		case "headers":
			p.headers = strings.Fields(value)
		case "signature":
			sig, err := base64.StdEncoding.DecodeString(value)
			if err != nil {
				return hmacParams{}, ErrMalformed
			}
			p.signature = sig
		default:
			return hmacParams{}, ErrMalformed
		}
	}
	if p.username == "" || p.signature == nil || len(p.headers) == 0 || len(p.headers) > maxListed {
		return hmacParams{}, ErrMalformed
	}
	if p.algorithm != "hmac-sha1" && p.algorithm != "hmac-sha256" {
		return hmacParams{}, ErrUnsupported
	}
	return p, nil
}

// ClaimedKey returns the key or username an Authorization header names
// (the hmac username, or the user part of Basic), never a secret; "" if none.
func ClaimedKey(h string) string {
	h = strings.TrimSpace(h)
	if user, _, err := basicCreds(h); err == nil {
		return user
	}
	if p, err := parseHMAC(h); err == nil {
		return p.username
	}
	return ""
}
