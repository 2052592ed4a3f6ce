package credentials

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"keysmith/app/core/accounts"
)

// Legacy passwords are argon2id hashes: one check costs the hash's memory
// (19 MiB by default) and tens of milliseconds of CPU. The verifier bounds
// that work (legacyGuard, one per Service):
//   - At most LegacySlots checks run at once in the process; a request that
//     cannot start one within LegacyBusyWait is refused (ErrBusy), never
//     queued without bound. Their memory stays under slots × the hash's.
//     Concurrent requests with the same password for the same credential
//     share one check.
//   - A password accepted once is remembered, as a keyed digest
//     (HMAC-SHA256 under a random per-process key of the credential id,
//     secret generation, stored hash and password; never the password),
//     until it has gone unused for LegacyRemember. Using it again costs no
//     argon2id and is never throttled. A new password (a new stored hash)
//     never matches an old digest, and a disabled, expired or deleted
//     credential is refused before any is consulted, so each change applies
//     as soon as the verifier's cache sees it.
//   - After FreeLegacyFailures failed checks for one username, each further
//     failure doubles the wait before the next check (1 s up to
//     MaxLegacyDelay); meanwhile checks are refused (ErrThrottled) without
//     argon2id, and answered only after LegacyTarpit, so a client flooding
//     one username gets one answer a second per connection. A remembered
//     password still works, so a flood of wrong passwords cannot lock out a
//     service that is using its password.
//   - An unknown name that could be a Legacy username, and a disabled or
//     expired Legacy credential, cost one check against a placeholder hash
//     under the same slots and throttle: to a client they look exactly like
//     a known username with a wrong password.

// Reasons the guard refuses a Legacy password without checking it.
var (
	ErrBusy      = errors.New("busy")
	ErrThrottled = errors.New("throttled")
)

// Limits of the Legacy guard.
const (
	FreeLegacyFailures = 5
	MaxLegacyDelay     = 60 * time.Second
	LegacyRemember     = 5 * time.Minute
	LegacyBusyWait     = 200 * time.Millisecond
	LegacyTarpit       = time.Second
	legacyFailWindow   = 15 * time.Minute // a failure streak this old starts over
	maxLegacyTracked   = 1 << 14          // usernames with failures kept
	maxRemembered      = 1 << 16          // accepted passwords kept
)

// LegacySlots is how many argon2id checks run at once: half the cores the
// process may use (so valid Basic and HMAC requests keep the rest), at
// least 1, at most 4.
func LegacySlots() int { return min(max(runtime.GOMAXPROCS(0)/2, 1), 4) }

// guardOnce holds a Service's guard, made on first use.
type guardOnce struct {
	once sync.Once
	g    *legacyGuard
}

func (s *Service) legacyGuard() *legacyGuard {
	s.guard.once.Do(func() { s.guard.g = newLegacyGuard(s.clock, s.pepper, s.params) })
	return s.guard.g
}

// noDigest is what an unknown key's Basic digest is compared with.
var noDigest [sha256.Size]byte

// LegacyMemory bounds the memory of the Legacy checks running at once:
// LegacySlots times the argon2id memory of new hashes.
func (s *Service) LegacyMemory() int64 {
	return int64(LegacySlots()) * int64(s.params.MemoryKiB) << 10
}

type legacyGuard struct {
	clock       func() time.Time
	slots       chan struct{}
	busyWait    time.Duration
	key         []byte // keys remembered digests; random per process
	placeholder string // peppered hash that no password matches
	check       func(password, phc, owner string) (bool, error)
	sleep       func(ctx context.Context, d time.Duration)

	mu      sync.Mutex
	fails   map[string]legacyFailures
	flights map[flightKey]*flight
	waiting atomic.Int64 // callers waiting for another's check

	rmu sync.RWMutex
	rem map[[2]int64]*remembered // by credential id and secret generation
}

// flightKey names a check of one password against one cache entry.
type flightKey struct {
	e *cached
	d [sha256.Size]byte
}

type flight struct {
	done chan struct{}
	ok   bool
	err  error
}

type legacyFailures struct {
	n    int
	last time.Time
}

func newLegacyGuard(clock func() time.Time, pepper accounts.Pepper, params accounts.Params) *legacyGuard {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return &legacyGuard{
		clock:       clock,
		slots:       make(chan struct{}, LegacySlots()),
		busyWait:    LegacyBusyWait,
		key:         key,
		placeholder: placeholderPHC(params),
		check: func(password, phc, owner string) (bool, error) {
			ok, _, err := pepper.Verify(password, phc, owner, params)
			return ok, err
		},
		sleep: func(ctx context.Context, d time.Duration) {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
			}
		},
		fails:   map[string]legacyFailures{},
		flights: map[flightKey]*flight{},
		rem:     map[[2]int64]*remembered{},
	}
}

// placeholderPHC is a well-formed peppered hash under p with an all-zero
// MAC, which no password produces in practice: checking it costs what
// checking a real hash does.
func placeholderPHC(p accounts.Params) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d,k=1$%s$%s", p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(make([]byte, 16)), b64.EncodeToString(make([]byte, 32)))
}

// throttled reports whether username must wait before its next check.
func (g *legacyGuard) throttled(username string) bool {
	now := g.clock()
	g.mu.Lock()
	defer g.mu.Unlock()
	f, ok := g.fails[username]
	return ok && now.Sub(f.last) < accounts.Backoff(f.n, FreeLegacyFailures, MaxLegacyDelay)
}

// record counts a check's outcome for username.
func (g *legacyGuard) record(username string, ok bool) {
	now := g.clock()
	g.mu.Lock()
	defer g.mu.Unlock()
	if ok {
		delete(g.fails, username)
		return
	}
	f, known := g.fails[username]
	if !known && len(g.fails) >= maxLegacyTracked {
		for u, old := range g.fails {
			if now.Sub(old.last) > legacyFailWindow {
				delete(g.fails, u)
			}
		}
		for u := range g.fails { // still full: forget one at random
			if len(g.fails) < maxLegacyTracked {
				break
			}
			delete(g.fails, u)
		}
	}
	if now.Sub(f.last) > legacyFailWindow {
		f.n = 0
	}
	f.n++
	f.last = now
	g.fails[username] = f
}

// run checks a password for username with fn, within the guard's bounds:
// refused with ErrThrottled, after LegacyTarpit, while username must wait;
// with ErrBusy when no slot frees within the busy wait.
func (g *legacyGuard) run(ctx context.Context, username string, fn func() (bool, error)) (bool, error) {
	ok, err := g.try(ctx, username, fn)
	if errors.Is(err, ErrThrottled) {
		g.sleep(ctx, LegacyTarpit)
	}
	return ok, err
}

func (g *legacyGuard) try(ctx context.Context, username string, fn func() (bool, error)) (bool, error) {
	if g.throttled(username) {
		return false, ErrThrottled
	}
	select {
	case g.slots <- struct{}{}:
	default:
		t := time.NewTimer(g.busyWait)
		select {
		case g.slots <- struct{}{}:
			t.Stop()
		case <-t.C:
			return false, ErrBusy
		case <-ctx.Done():
			t.Stop()
			return false, ErrBusy
		}
	}
	defer func() { <-g.slots }()
	if g.throttled(username) { // failures recorded while this one waited
		return false, ErrThrottled
	}
	ok, err := fn()
	if err != nil {
		return false, err
	}
	g.record(username, ok)
	return ok, nil
}

// shared runs fn once for concurrent callers with the same k: the others
// wait for its outcome instead of running argon2id again, so a service
// opening many connections at once pays one check, not one per connection.
func (g *legacyGuard) shared(ctx context.Context, k flightKey, fn func() (bool, error)) (bool, error) {
	g.mu.Lock()
	if f, ok := g.flights[k]; ok {
		g.mu.Unlock()
		g.waiting.Add(1)
		defer g.waiting.Add(-1)
		select {
		case <-f.done:
			return f.ok, f.err
		case <-ctx.Done():
			return false, ErrBusy
		}
	}
	f := &flight{done: make(chan struct{})}
	g.flights[k] = f
	g.mu.Unlock()
	f.ok, f.err = fn()
	g.mu.Lock()
	delete(g.flights, k)
	g.mu.Unlock()
	close(f.done)
	return f.ok, f.err
}

// decoy spends on an unknown or unusable username the check a known one
// costs, under the same bounds; it never accepts.
func (g *legacyGuard) decoy(ctx context.Context, username, password string) error {
	_, err := g.run(ctx, username, func() (bool, error) {
		g.check(password, g.placeholder, accounts.LegacyOwner(username))
		return false, nil
	})
	return err
}

// remembered is a password accepted for one secret, as a keyed digest.
type remembered struct {
	sum   [sha256.Size]byte
	until atomic.Int64 // unix nanoseconds
}

// digest is the remembered form of password for a credential's secret
// whose stored hash is phc: a new password (a new hash) never matches it.
func (g *legacyGuard) digest(id, generation int64, phc, password string) (d [sha256.Size]byte) {
	m := hmac.New(sha256.New, g.key)
	var n [24]byte
	binary.BigEndian.PutUint64(n[:8], uint64(id))
	binary.BigEndian.PutUint64(n[8:16], uint64(generation))
	binary.BigEndian.PutUint64(n[16:], uint64(len(phc)))
	m.Write(n[:])
	m.Write([]byte(phc))
	m.Write([]byte(password))
	m.Sum(d[:0])
	return d
}

// recall reports whether d was accepted for the secret (id, generation)
// and not left unused for LegacyRemember, and if so keeps it for another
// LegacyRemember.
func (g *legacyGuard) recall(id, generation int64, d *[sha256.Size]byte, now time.Time) bool {
	g.rmu.RLock()
	r := g.rem[[2]int64{id, generation}]
	g.rmu.RUnlock()
	if r == nil || now.UnixNano() >= r.until.Load() || subtle.ConstantTimeCompare(r.sum[:], d[:]) != 1 {
		return false
	}
	r.until.Store(now.Add(LegacyRemember).UnixNano())
	return true
}

// remember keeps d as the accepted password of the secret (id, generation).
// Only accepted passwords get here, so the map grows with the Legacy
// credentials in use; past maxRemembered, forgotten entries go first and a
// new one is not kept if none has been forgotten.
func (g *legacyGuard) remember(id, generation int64, d *[sha256.Size]byte, now time.Time) {
	k := [2]int64{id, generation}
	r := &remembered{sum: *d}
	r.until.Store(now.Add(LegacyRemember).UnixNano())
	g.rmu.Lock()
	defer g.rmu.Unlock()
	if _, ok := g.rem[k]; !ok && len(g.rem) >= maxRemembered {
		for old, e := range g.rem {
			if now.UnixNano() >= e.until.Load() {
				delete(g.rem, old)
			}
		}
		if len(g.rem) >= maxRemembered {
			return
		}
	}
	g.rem[k] = r
}
