package credentials

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"hash"
	"sync"
	"sync/atomic"
	"time"

	"keysmith/app/core/accounts"
	"keysmith/app/core/errs"
)

// Cache keeps the verifier's view of credentials in memory, so a request
// costs no database read. Expiry and grace periods are checked against the
// clock on every request. It starts over whenever the credential revision
// (bumped by every change, from any process or machine) moved:
//   - By itself, it rereads the revision at most every poll interval, on the
//     request path, so a change made elsewhere applies within that interval.
//   - Following the database's change feed (Follow), requests never read the
//     revision: a credentials change rereads it at once, off the request
//     path, so a change made on any machine applies within the feed's
//     delay (well under a second); while the feed is down, the revision is
//     polled every poll interval instead. While the database cannot be
//     reached at all, credentials already in memory are still answered, for
//     at most MaxStale after the cache was last known to be up to date
//     (then they are refused as well), and keys not in memory are refused
//     at once without trying the database; all of it is caught up at the
//     first successful read of the revision.
//
// A key that names no credential is remembered as such (up to maxMisses
// keys) until the cache starts over, so a flood of unknown keys reads the
// database once per key and revision. Refusing an unknown key costs the
// same comparison work as refusing a known key's wrong secret; what still
// tells them apart is the first lookup of a key, which reads the database
// either way. Legacy passwords are checked under the bounds of guard.go.
type Cache struct {
	s    *Service
	poll time.Duration

	checked atomic.Int64 // unix nanoseconds of the last revision check
	loads   atomic.Int64 // database lookups of a key

	// Set by Follow (follow.go).
	following atomic.Bool  // requests never read the revision
	feedLive  atomic.Bool  // the change feed is connected
	offline   atomic.Bool  // the last read of the database failed (unreachable, too slow, refused)
	current   atomic.Int64 // unix nanoseconds (clock) when the cache was last known up to date
	recheckMu sync.Mutex
	report    func(msg string, err error)
	mu        sync.RWMutex
	rev       int64
	entries   map[string]*cached
	misses    map[string]struct{} // keys that named no credential at rev

	decoyHMAC cachedSecret // what a refused HMAC key is checked with (never accepted)
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
	gen     int64
	macs    [2]atomic.Pointer[keyedMAC] // by Algorithm: a reset MAC keyed with plain, or nil
}

// keyedMAC is an HMAC state with its key already set up, kept with the
// secret so a verification skips the key schedule.
type keyedMAC struct{ hash.Hash }

// Algorithm is a MAC an HMAC credential signs with.
type Algorithm int

// The MACs the official SDKs sign with.
const (
	HMACSHA1 Algorithm = iota
	HMACSHA256
)

func (a Algorithm) hash() func() hash.Hash {
	if a == HMACSHA256 {
		return sha256.New
	}
	return sha1.New
}

// maxCached bounds the cache; beyond it entries are read from the database.
// maxMisses bounds the unknown keys remembered; beyond it they start over.
const (
	maxCached = 200_000
	maxMisses = 1 << 16
)

// NewCache returns a Cache over s that rechecks the revision every poll.
func (s *Service) NewCache(poll time.Duration) *Cache {
	c := &Cache{s: s, poll: poll, rev: -1, entries: map[string]*cached{}, misses: map[string]struct{}{}}
	c.decoyHMAC.plain = Alphabet[:SecretLen] // of a real secret's length: the same key schedule
	return c
}

// refresh drops everything if the revision moved since the last check
// (Follow does it instead while it runs).
func (c *Cache) refresh(ctx context.Context) error {
	if c.following.Load() {
		return nil
	}
	now := c.s.clock().UnixNano()
	last := c.checked.Load()
	if now-last < int64(c.poll) || !c.checked.CompareAndSwap(last, now) {
		return nil
	}
	if err := c.reread(ctx); err != nil {
		c.checked.Store(0)
		return err
	}
	return nil
}

// reread reads the revision and starts over if it moved.
func (c *Cache) reread(ctx context.Context) error {
	var rev int64
	if err := c.s.db.QueryRowContext(ctx, `SELECT n FROM credential_revision WHERE id = 1`).Scan(&rev); err != nil {
		return err
	}
	c.mu.Lock()
	if rev != c.rev {
		c.rev, c.entries, c.misses = rev, map[string]*cached{}, map[string]struct{}{}
	}
	c.mu.Unlock()
	return nil
}

func (c *Cache) lookup(ctx context.Context, key string) (*cached, error) {
	if err := c.refresh(ctx); err != nil {
		return nil, err
	}
	mk := missKey(key)
	c.mu.RLock()
	e, ok := c.entries[key]
	_, missed := c.misses[mk]
	rev := c.rev
	c.mu.RUnlock()
	if ok {
		if !c.fresh() {
			return nil, errStale
		}
		return e, nil
	}
	if missed {
		return nil, errUnknown
	}
	following := c.following.Load()
	if following && c.offline.Load() {
		return nil, errNotInMemory
	}
	c.loads.Add(1)
	e, err := c.load(ctx, key)
	if following && errors.Is(err, errs.ErrUnreachable) {
		c.lost(err)
		return nil, errNotInMemory
	}
	if errors.Is(err, ErrUnknownKey) {
		c.mu.Lock()
		if c.rev == rev {
			if len(c.misses) >= maxMisses {
				c.misses = map[string]struct{}{}
			}
			c.misses[mk] = struct{}{}
		}
		c.mu.Unlock()
	}
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

var errUnknown = fmt.Errorf("%w: %w", errs.ErrBadCredentials, ErrUnknownKey)

// missKey is how the misses remember key: as is when short, else by its
// SHA-256 (a claimed key may be as long as an Authorization header).
func missKey(key string) string {
	if len(key) <= 64 {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return string(sum[:])
}

func (c *Cache) load(ctx context.Context, key string) (*cached, error) {
	s := c.s
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}) // one snapshot: what is checked is what is cached
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	cred, err := scan(tx.QueryRowContext(ctx, `SELECT `+credCols+` FROM credentials c WHERE c.key = ?`, key), s.now())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errUnknown
	}
	if err != nil {
		return nil, err
	}
	secs, err := readSecrets(ctx, tx, cred.ID)
	if err == nil {
		err = s.checkState(ctx, tx, &cred, secs)
	}
	if err != nil || cred.Tampered {
		return &cached{cred: cred}, err // a tampered credential keeps no secret
	}
	rows, err := tx.QueryContext(ctx, `SELECT generation, digest, sealed, phc, retires_at FROM credential_secrets
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
		e.secrets = append(e.secrets, cachedSecret{})
		cs := &e.secrets[len(e.secrets)-1]
		cs.retires, cs.digest, cs.phc, cs.gen = optTime(retires), digest, phc.String, gen
		if cred.Type == HMAC {
			if cs.plain, err = s.seal.open(cred.ID, cred.Type, gen, sealed); err != nil {
				return nil, err
			}
		}
	}
	return e, rows.Err()
}

// Known reports whether key names a credential, in any state.
func (c *Cache) Known(ctx context.Context, key string) bool {
	_, err := c.lookup(ctx, key)
	return err == nil
}

// usable returns the entry's credential's secrets, current first, and now,
// or why the credential may not be used; a secret past its grace period is
// skipped by live.
func (c *Cache) usable(e *cached) ([]cachedSecret, time.Time, error) {
	now := c.s.now()
	if e.cred.Tampered {
		return nil, now, fmt.Errorf("%w: %w", errs.ErrBadCredentials, ErrStateTampered)
	}
	if e.cred.Status(now) != StatusActive {
		return nil, now, fmt.Errorf("%w: %w", errs.ErrBadCredentials, ErrNotActive)
	}
	return e.secrets, now, nil
}

// live reports whether the secret is still accepted at now.
func (s *cachedSecret) live(now time.Time) bool { return s.retires == nil || s.retires.After(now) }

// Authenticate checks a key and secret from memory (see Service.Authenticate).
// A refusal costs what refusing a wrong secret for a known key of the same
// look costs: a name that could be a Legacy username, known or not, gets
// one argon2id check under the bounds of guard.go; any other key one Basic
// digest.
func (c *Cache) Authenticate(ctx context.Context, key, secret string) (Credential, error) {
	e, err := c.lookup(ctx, key)
	if err != nil {
		if errors.Is(err, ErrUnknownKey) || errors.Is(err, errs.ErrUnreachable) {
			if gerr := c.decoy(ctx, key, secret); gerr != nil {
				return Credential{}, fmt.Errorf("%w: %w", errs.ErrBadCredentials, gerr)
			}
		}
		return Credential{}, err
	}
	if e.cred.Type == Legacy {
		return c.legacy(ctx, e, secret)
	}
	digest := c.s.seal.digest(e.cred.ID, secret)
	secrets, now, err := c.usable(e)
	if err != nil {
		subtle.ConstantTimeCompare(digest, noDigest[:])
		return Credential{}, err
	}
	ok := false
	for i := range secrets {
		s := &secrets[i]
		if !s.live(now) {
			continue
		}
		switch e.cred.Type {
		case Basic:
			ok = subtle.ConstantTimeCompare(digest, s.digest) == 1 || ok
		case HMAC:
			ok = subtle.ConstantTimeCompare([]byte(s.plain), []byte(secret)) == 1 || ok
		}
	}
	if !ok {
		return Credential{}, fmt.Errorf("%w: %w", errs.ErrBadCredentials, ErrWrongSecret)
	}
	return e.cred, nil
}

// decoy spends on an unknown key the work of refusing a known one.
func (c *Cache) decoy(ctx context.Context, key, secret string) error {
	if CheckUsername(key) == nil {
		return c.s.legacyGuard().decoy(ctx, key, secret)
	}
	subtle.ConstantTimeCompare(c.s.seal.digest(0, secret), noDigest[:])
	return nil
}

// legacy checks a Legacy password: one remembered lately is accepted at
// once; any other costs one argon2id check under the guard's bounds.
func (c *Cache) legacy(ctx context.Context, e *cached, password string) (Credential, error) {
	g := c.s.legacyGuard()
	secrets, now, err := c.usable(e)
	if err != nil {
		if gerr := g.decoy(ctx, e.cred.Key, password); gerr != nil {
			return Credential{}, fmt.Errorf("%w: %w", errs.ErrBadCredentials, gerr)
		}
		return Credential{}, err
	}
	digests := make([][32]byte, len(secrets))
	for i := range secrets {
		if s := &secrets[i]; s.live(now) {
			digests[i] = g.digest(e.cred.ID, s.gen, s.phc, password)
			if g.recall(e.cred.ID, s.gen, &digests[i], now) {
				return e.cred, nil
			}
		}
	}
	owner := accounts.LegacyOwner(e.cred.Key)
	k := flightKey{e: e, d: g.digest(e.cred.ID, 0, "", password)}
	ok, err := g.shared(ctx, k, func() (bool, error) {
		return g.run(ctx, e.cred.Key, func() (bool, error) {
			ok := false
			for i := range secrets {
				s := &secrets[i]
				if !s.live(now) {
					continue
				}
				m, err := g.check(password, s.phc, owner)
				if err != nil {
					return false, err
				}
				if m {
					g.remember(e.cred.ID, s.gen, &digests[i], now)
				}
				ok = m || ok
			}
			return ok, nil
		})
	})
	if errors.Is(err, ErrBusy) || errors.Is(err, ErrThrottled) {
		return Credential{}, fmt.Errorf("%w: %w", errs.ErrBadCredentials, err)
	}
	if err != nil {
		return Credential{}, err
	}
	if !ok {
		return Credential{}, fmt.Errorf("%w: %w", errs.ErrBadCredentials, ErrWrongSecret)
	}
	return e.cred, nil
}

// EachHMACSecret calls fn with every usable secret of an active HMAC
// credential, current first, without copying them.
func (c *Cache) EachHMACSecret(ctx context.Context, key string, fn func(secret string)) (Credential, error) {
	return c.eachHMAC(ctx, key, func(s *cachedSecret) { fn(s.plain) })
}

// EachHMAC calls fn with a MAC keyed with every usable secret of an active
// HMAC credential, current first. The MAC is reset; fn may Reset it between
// messages and must not keep it. Keyed states are kept with the cached
// secret, so repeated verifications skip the key schedule; they go with the
// secret when the cache starts over. When the key is refused (unknown, not
// HMAC, not active), fn is called once with a MAC under a decoy key whose
// result is never accepted, so a refusal costs what a wrong signature does.
func (c *Cache) EachHMAC(ctx context.Context, key string, alg Algorithm, fn func(m hash.Hash)) (Credential, error) {
	keyed := func(s *cachedSecret) {
		slot := &s.macs[alg&1]
		m := slot.Swap(nil) // taken out while in use; a concurrent caller keys its own
		if m == nil {
			m = &keyedMAC{hmac.New(alg.hash(), []byte(s.plain))}
		}
		fn(m)
		m.Reset()
		slot.CompareAndSwap(nil, m)
	}
	cred, err := c.eachHMAC(ctx, key, keyed)
	if errors.Is(err, errs.ErrBadCredentials) {
		keyed(&c.decoyHMAC)
	}
	return cred, err
}

func (c *Cache) eachHMAC(ctx context.Context, key string, fn func(s *cachedSecret)) (Credential, error) {
	e, err := c.lookup(ctx, key)
	if err != nil {
		return Credential{}, err
	}
	if e.cred.Type != HMAC {
		return Credential{}, fmt.Errorf("%w: %w", errs.ErrBadCredentials, ErrNotHMAC)
	}
	secrets, now, err := c.usable(e)
	if err != nil {
		return Credential{}, err
	}
	for i := range secrets {
		if secrets[i].live(now) {
			fn(&secrets[i])
		}
	}
	return e.cred, nil
}
