package credentials

import (
	"context"
	"errors"
)

// Reasons Authenticate refuses; callers show errs.ErrBadCredentials to the
// client and keep the reason for the local log.
var (
	ErrUnknownKey  = errors.New("unknown key")
	ErrNotHMAC     = errors.New("the key is not an HMAC key")
	ErrNotActive   = errors.New("credential disabled or expired")
	ErrWrongSecret = errors.New("wrong secret")
)

// Authenticate checks a key (or legacy username) and its secret (or
// password) against the current secret and any rolled-over secret still in
// its grace period. Disabled, expired and deleted credentials fail. Every
// failure wraps errs.ErrBadCredentials; comparisons are constant-time. It
// reads the database now; a verifier keeps a Cache instead.
func (s *Service) Authenticate(ctx context.Context, key, secret string) (Credential, error) {
	return s.NewCache(0).Authenticate(ctx, key, secret)
}

// HMACSecrets returns the usable secrets of an active HMAC credential,
// current first. The plaintext never leaves the process.
func (s *Service) HMACSecrets(ctx context.Context, key string) (Credential, []string, error) {
	var out []string
	c, err := s.NewCache(0).EachHMACSecret(ctx, key, func(secret string) { out = append(out, secret) })
	return c, out, err
}
