package credentials

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"keysmith/app/accounts"
	"keysmith/app/errs"
)

// Reasons Authenticate refuses; callers show errs.ErrBadCredentials to the
// client and keep the reason for the local log.
var (
	ErrUnknownKey  = errors.New("unknown key")
	ErrNotActive   = errors.New("credential disabled or expired")
	ErrWrongSecret = errors.New("wrong secret")
)

// Authenticate checks a key (or legacy username) and its secret (or
// password) against the current secret and any rolled-over secret still in
// its grace period. Disabled, expired and deleted credentials fail. Every
// failure wraps errs.ErrBadCredentials; comparisons are constant-time.
func (s *Service) Authenticate(ctx context.Context, key, secret string) (Credential, error) {
	now := s.now()
	c, err := scan(s.db.QueryRowContext(ctx, `SELECT `+credCols+` FROM credentials c WHERE c.key = ?`, key), now)
	if errors.Is(err, sql.ErrNoRows) {
		return Credential{}, fmt.Errorf("%w: %w", errs.ErrBadCredentials, ErrUnknownKey)
	}
	if err != nil {
		return Credential{}, err
	}
	if c.Status(now) != StatusActive {
		return Credential{}, fmt.Errorf("%w: %w", errs.ErrBadCredentials, ErrNotActive)
	}
	ok := false
	err = s.eachSecret(ctx, c, now, func(gen int64, digest, sealed []byte, phc sql.NullString) error {
		var match bool
		switch c.Type {
		case Basic:
			match = subtle.ConstantTimeCompare(s.seal.digest(c.ID, secret), digest) == 1
		case HMAC:
			plain, err := s.seal.open(c.ID, c.Type, gen, sealed)
			if err != nil {
				return err
			}
			match = subtle.ConstantTimeCompare([]byte(plain), []byte(secret)) == 1
		case Legacy:
			m, _, err := accounts.VerifyPassword(secret, phc.String, s.params)
			if err != nil {
				return err
			}
			match = m
		}
		ok = ok || match
		return nil
	})
	if err != nil {
		return Credential{}, err
	}
	if !ok {
		return Credential{}, fmt.Errorf("%w: %w", errs.ErrBadCredentials, ErrWrongSecret)
	}
	return c, nil
}

// HMACSecrets returns the usable secrets of an active HMAC credential,
// current first, for a verifier that must recompute a signature. The
// plaintext never leaves the process.
func (s *Service) HMACSecrets(ctx context.Context, key string) (Credential, []string, error) {
	now := s.now()
	c, err := scan(s.db.QueryRowContext(ctx, `SELECT `+credCols+` FROM credentials c WHERE c.key = ? AND c.type = 'hmac'`, key), now)
	if errors.Is(err, sql.ErrNoRows) {
		return Credential{}, nil, fmt.Errorf("%w: %w", errs.ErrBadCredentials, ErrUnknownKey)
	}
	if err != nil {
		return Credential{}, nil, err
	}
	if c.Status(now) != StatusActive {
		return Credential{}, nil, fmt.Errorf("%w: %w", errs.ErrBadCredentials, ErrNotActive)
	}
	var out []string
	err = s.eachSecret(ctx, c, now, func(gen int64, _, sealed []byte, _ sql.NullString) error {
		plain, err := s.seal.open(c.ID, c.Type, gen, sealed)
		if err != nil {
			return err
		}
		out = append(out, plain)
		return nil
	})
	return c, out, err
}

// eachSecret calls fn for the current secret and those still in grace,
// newest first, checking every one so timing does not depend on which matches.
func (s *Service) eachSecret(ctx context.Context, c Credential, now time.Time, fn func(gen int64, digest, sealed []byte, phc sql.NullString) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT generation, digest, sealed, phc FROM credential_secrets
		WHERE credential_id = ? AND (retires_at IS NULL OR retires_at > ?) ORDER BY generation DESC`, c.ID, stamp(now))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var gen int64
		var digest, sealed []byte
		var phc sql.NullString
		if err := rows.Scan(&gen, &digest, &sealed, &phc); err != nil {
			return err
		}
		if err := fn(gen, digest, sealed, phc); err != nil {
			return err
		}
	}
	return rows.Err()
}
