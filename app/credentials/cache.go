package credentials

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"keysmith/app/accounts"
	"keysmith/app/errs"
)

// Cache keeps the verifier's view of credentials in memory, so a request
// costs no database read. It checks the credential revision (bumped by every
// change, from any process) at most every poll interval and starts over when
// it moved, so a change made elsewhere applies within that interval. Expiry
// and grace periods are checked against the clock on every request.
type Cache struct {
	s    *Service
	poll time.Duration

	checked atomic.Int64 // unix nanoseconds of the last revision check
	mu      sync.RWMutex
	rev     int64
	entries map[string]*cached
}

type cached struct {
	cred    Credential
	secrets []cachedSecret
}

type cachedSecret struct {
	retires *time.Time
	digest  []byte
	plain   string
	phc     string
}

// maxCached bounds the cache; beyond it entries are read from the database.
const maxCached = 200_000

// NewCache returns a Cache over s that rechecks the revision every poll.
func (s *Service) NewCache(poll time.Duration) *Cache {
	return &Cache{s: s, poll: poll, rev: -1, entries: map[string]*cached{}}
}

// refresh drops everything if the revision moved since the last check.
func (c *Cache) refresh(ctx context.Context) error {
	now := c.s.clock().UnixNano()
	last := c.checked.Load()
	if now-last < int64(c.poll) || !c.checked.CompareAndSwap(last, now) {
		return nil
	}
	var rev int64
	if err := c.s.db.QueryRowContext(ctx, `SELECT n FROM credential_revision WHERE id = 1`).Scan(&rev); err != nil {
		c.checked.Store(0)
		return err
	}
	c.mu.Lock()
	if rev != c.rev {
		c.rev, c.entries = rev, map[string]*cached{}
	}
	c.mu.Unlock()
	return nil
}

func (c *Cache) lookup(ctx context.Context, key string) (*cached, error) {
	if err := c.refresh(ctx); err != nil {
		return nil, err
	}
	c.mu.RLock()
	e, ok := c.entries[key]
	rev := c.rev
	c.mu.RUnlock()
	if ok {
		return e, nil
	}
	e, err := c.load(ctx, key)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.rev == rev && len(c.entries) < maxCached {
		c.entries[key] = e
	}
	c.mu.Unlock()
	return e, nil
}

func (c *Cache) load(ctx context.Context, key string) (*cached, error) {
	s := c.s
	cred, err := scan(s.db.QueryRowContext(ctx, `SELECT `+credCols+` FROM credentials c WHERE c.key = ?`, key), s.now())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %w", errs.ErrBadCredentials, ErrUnknownKey)
	}
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT generation, digest, sealed, phc, retires_at FROM credential_secrets
		WHERE credential_id = ? ORDER BY generation DESC`, cred.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	e := &cached{cred: cred}
	for rows.Next() {
		var gen int64
		var digest, sealed []byte
		var phc, retires sql.NullString
		if err := rows.Scan(&gen, &digest, &sealed, &phc, &retires); err != nil {
			return nil, err
		}
		cs := cachedSecret{retires: optTime(retires), digest: digest, phc: phc.String}
		if cred.Type == HMAC {
			if cs.plain, err = s.seal.open(cred.ID, cred.Type, gen, sealed); err != nil {
				return nil, err
			}
		}
		e.secrets = append(e.secrets, cs)
	}
	return e, rows.Err()
}

// usable returns the entry's secrets still valid at now, or why none are.
func (c *Cache) usable(e *cached) ([]cachedSecret, error) {
	now := c.s.now()
	if e.cred.Status(now) != StatusActive {
		return nil, fmt.Errorf("%w: %w", errs.ErrBadCredentials, ErrNotActive)
	}
	var out []cachedSecret
	for _, s := range e.secrets {
		if s.retires == nil || s.retires.After(now) {
			out = append(out, s)
		}
	}
	return out, nil
}

// Authenticate checks a key and secret from memory (see Service.Authenticate).
func (c *Cache) Authenticate(ctx context.Context, key, secret string) (Credential, error) {
	e, err := c.lookup(ctx, key)
	if err != nil {
		return Credential{}, err
	}
	secrets, err := c.usable(e)
	if err != nil {
		return Credential{}, err
	}
	ok := false
	for _, s := range secrets {
		switch e.cred.Type {
		case Basic:
			ok = subtle.ConstantTimeCompare(c.s.seal.digest(e.cred.ID, secret), s.digest) == 1 || ok
		case HMAC:
			ok = subtle.ConstantTimeCompare([]byte(s.plain), []byte(secret)) == 1 || ok
		case Legacy:
			m, _, err := accounts.VerifyPassword(secret, s.phc, c.s.params)
			if err != nil {
				return Credential{}, err
			}
			ok = m || ok
		}
	}
	if !ok {
		return Credential{}, fmt.Errorf("%w: %w", errs.ErrBadCredentials, ErrWrongSecret)
	}
	return e.cred, nil
}

// EachHMACSecret calls fn with every usable secret of an active HMAC
// credential, current first, without copying them.
func (c *Cache) EachHMACSecret(ctx context.Context, key string, fn func(secret string)) (Credential, error) {
	e, err := c.lookup(ctx, key)
	if err != nil {
		return Credential{}, err
	}
	if e.cred.Type != HMAC {
		return Credential{}, fmt.Errorf("%w: %w", errs.ErrBadCredentials, ErrUnknownKey)
	}
	now := c.s.now()
	if e.cred.Status(now) != StatusActive {
		return Credential{}, fmt.Errorf("%w: %w", errs.ErrBadCredentials, ErrNotActive)
	}
	for i := range e.secrets {
		if r := e.secrets[i].retires; r == nil || r.After(now) {
			fn(e.secrets[i].plain)
		}
	}
	return e.cred, nil
}
