// Package verifiers keeps what the verification endpoints of one account
// share in its database: which of them run, where, and since when (their
// registrations), and which signed requests any of them accepted (the
// replay window of a team).
//
// Guarantees:
//   - Only an active Administrator registers an endpoint (keysmith serve and
//     the window both run it for one) or lists them; the core checks it, in
//     the transaction that writes or reads. A registration is a random id
//     with the host name, listen address, version and kind its face gives
//     (cut to bounded, printable text), its start, and the time it was last
//     seen, which its heartbeat moves every HeartbeatEvery; a clean stop
//     marks it stopped. Health is derived from those: live while seen within
//     StaleAfter, stopped, or silent (not seen since its last heartbeat).
//   - The registrations are bounded: rows not seen for PruneAfter are
//     removed, and at most MaxVerifiers are kept, the most recently seen.
//   - On a database several machines share (a team), Replays keeps the
//     signatures any verifier accepted so that every other one refuses them
//     as replays within their window (see Replays for its bounds). It stores
//     an HMAC-SHA256 of each signature under a key derived from the key
//     file, never the signature. On one machine's database each verifier
//     keeps them in memory (verify.Memory) and SharedReplays is nil.
//   - Heartbeats and the replay window run outside the account's write
//     queue (store.Tx): one statement each, so they never wait behind, nor
//     hold up, the changes administrators make.
package verifiers

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"keysmith/app/core/accounts"
	"keysmith/app/core/store"
	"keysmith/app/core/verify"
)

// Timing and bounds of the registrations.
const (
	// HeartbeatEvery is how often a running endpoint marks itself seen.
	HeartbeatEvery = 5 * time.Second
	// StaleAfter is how long after its last heartbeat an endpoint that did
	// not stop cleanly still counts as live: three heartbeats.
	StaleAfter = 3 * HeartbeatEvery
	// PruneAfter is how long a registration not seen is kept.
	PruneAfter = 7 * 24 * time.Hour
	// MaxVerifiers bounds the registrations kept (and listed).
	MaxVerifiers = 100
	// pruneEvery is how often a running endpoint prunes old registrations.
	pruneEvery = time.Hour
)

// Lengths of the text a registration keeps, in characters.
const (
	maxHost    = 255
	maxAddress = 300
	maxVersion = 64
)

// Kind is what runs an endpoint.
type Kind string

// The kinds of endpoint.
const (
	Serve  Kind = "serve"  // keysmith serve
	Window Kind = "window" // a Keysmith window's own loopback endpoint
)

// Health of a registered endpoint.
type Health string

// The healths.
const (
	Live    Health = "live"    // seen within StaleAfter
	Stopped Health = "stopped" // stopped cleanly
	Silent  Health = "silent"  // not seen since LastSeen, without a clean stop
)

// Info is what an endpoint tells about itself.
type Info struct {
	Kind    Kind
	Host    string // the machine's host name
	Address string // the address it listens on, host:port
	Version string // Keysmith's version
	// Skew is the date difference it accepts in signed requests (its
	// --skew); the shared replay window keeps a signature as long as the
	// largest of the team's would accept its date.
	Skew time.Duration
}

// Verifier is a registered endpoint as listed.
type Verifier struct {
	ID string
	Info
	StartedAt time.Time
	LastSeen  time.Time
	StoppedAt *time.Time // nil unless it stopped cleanly
	Health    Health
}

// Service registers and lists the account's verification endpoints and
// gives a team's verifiers their shared replay window.
type Service struct {
	db      *sql.DB
	acc     *accounts.Service
	clock   func() time.Time
	key     []byte   // keys the replay window's digests
	replays *Replays // nil when the database is one machine's
	work    sync.WaitGroup
}

// New returns the Service over db. replayKey keys the digests of the
// shared replay window, which exists only when shared (st.SharedByMachines).
func New(db *sql.DB, acc *accounts.Service, clock func() time.Time, replayKey []byte, shared bool) *Service {
	s := &Service{db: db, acc: acc, clock: clock, key: replayKey}
	if shared {
		s.replays = newReplays(db, replayKey, MaxReplayRows, &s.work)
	}
	return s
}

// SharedReplays is the replay window a verifier accepting dates within skew
// shares with the account's other verifiers (verify.Options.Shared): nil on
// one machine's database, where each verifier's memory is the whole window.
func (s *Service) SharedReplays(skew time.Duration) verify.Replays {
	if s.replays == nil {
		return nil
	}
	return s.replays.forSkew(skew)
}

// Close waits for the replay window's background work (a purge) to end;
// the database may then be closed.
func (s *Service) Close() { s.work.Wait() }

// Registration is one running endpoint's row, kept seen by Beat until Stop.
type Registration struct {
	s       *Service
	id      string
	info    Info
	started time.Time

	mu        sync.Mutex
	lastBeat  time.Time
	lastPrune time.Time
	stopped   bool
}

// Register records a running endpoint (Administrators only) and returns its
// registration, after pruning registrations not seen for PruneAfter and
// keeping at most MaxVerifiers.
func (s *Service) Register(ctx context.Context, actorID int64, info Info) (*Registration, error) {
	if info.Kind != Serve && info.Kind != Window {
		return nil, fmt.Errorf("register verifier: unknown kind %q", info.Kind)
	}
	if info.Skew < 0 || info.Skew > verify.MaxSkew {
		return nil, fmt.Errorf("register verifier: skew %v outside 0 to %v", info.Skew, verify.MaxSkew)
	}
	info.Host = printable(info.Host, maxHost)
	info.Address = printable(info.Address, maxAddress)
	info.Version = printable(info.Version, maxVersion)
	now := s.clock()
	r := &Registration{s: s, id: rand.Text(), info: info, started: now, lastBeat: now, lastPrune: now}
	err := store.Tx(ctx, s.db, func(tx *sql.Tx) error {
		if _, err := s.acc.RequireAdmin(ctx, tx, actorID); err != nil {
			return err
		}
		return r.insert(ctx, tx, now)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// execer runs a statement: the database or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// insert prunes, writes r's row as seen at now and trims the table to
// MaxVerifiers rows, the most recently seen.
func (r *Registration) insert(ctx context.Context, q execer, now time.Time) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM verifiers WHERE last_seen < ?`, now.Add(-PruneAfter).UnixMilli()); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO verifiers (id, kind, host, address, version, skew_ms, started_at, last_seen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, stopped_at = NULL`,
		r.id, string(r.info.Kind), r.info.Host, r.info.Address, r.info.Version, r.info.Skew.Milliseconds(),
		r.started.UnixMilli(), now.UnixMilli()); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `DELETE FROM verifiers WHERE id NOT IN
		(SELECT id FROM verifiers ORDER BY last_seen DESC, id LIMIT ?)`, MaxVerifiers)
	return err
}

// ID is the registration's random id.
func (r *Registration) ID() string { return r.id }

// Beat marks the endpoint seen, when HeartbeatEvery has passed since it
// last did (a caller may call it more often), and prunes old registrations
// every hour. A row removed meanwhile (pruned while the database was out of
// reach) is written again.
func (r *Registration) Beat(ctx context.Context) error {
	r.mu.Lock() // held throughout, so a Stop is never undone by a Beat in flight
	defer r.mu.Unlock()
	now := r.s.clock()
	if r.stopped || now.Sub(r.lastBeat) < HeartbeatEvery {
		return nil
	}
	prune := now.Sub(r.lastPrune) >= pruneEvery
	var err error
	if prune {
		err = r.insert(ctx, r.s.db, now)
	} else {
		var res sql.Result
		if res, err = r.s.db.ExecContext(ctx, `UPDATE verifiers SET last_seen = ?, stopped_at = NULL WHERE id = ?`, now.UnixMilli(), r.id); err == nil {
			if n, _ := res.RowsAffected(); n == 0 {
				err = r.insert(ctx, r.s.db, now)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("verifier heartbeat: %w", err)
	}
	r.lastBeat = now
	if prune {
		r.lastPrune = now
	}
	return nil
}

// Stop marks the endpoint stopped; Beat then does nothing.
func (r *Registration) Stop(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	now := r.s.clock()
	if _, err := r.s.db.ExecContext(ctx, `UPDATE verifiers SET last_seen = ?, stopped_at = ? WHERE id = ?`,
		now.UnixMilli(), now.UnixMilli(), r.id); err != nil {
		return fmt.Errorf("verifier stop: %w", err)
	}
	return nil
}

// List returns the registered endpoints with their health, live ones
// first, then the most recently seen (Administrators only).
func (s *Service) List(ctx context.Context, actorID int64) ([]Verifier, error) {
	if _, err := s.acc.RequireAdmin(ctx, nil, actorID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, host, address, version, started_at, last_seen, stopped_at
		FROM verifiers ORDER BY last_seen DESC, id LIMIT ?`, MaxVerifiers)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	now := s.clock()
	var out, silent []Verifier
	for rows.Next() {
		var v Verifier
		var kind string
		var started, seen int64
		var stopped sql.NullInt64
		if err := rows.Scan(&v.ID, &kind, &v.Host, &v.Address, &v.Version, &started, &seen, &stopped); err != nil {
			return nil, err
		}
		v.Kind, v.StartedAt, v.LastSeen = Kind(kind), time.UnixMilli(started).UTC(), time.UnixMilli(seen).UTC()
		switch {
		case stopped.Valid:
			t := time.UnixMilli(stopped.Int64).UTC()
			v.StoppedAt, v.Health = &t, Stopped
		case now.Sub(v.LastSeen) <= StaleAfter:
			v.Health = Live
		default:
			v.Health = Silent
		}
		if v.Health == Live {
			out = append(out, v)
		} else {
			silent = append(silent, v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return append(out, silent...), nil
}

// printable cuts s to max characters of one line: control, line-break and
// invisible formatting characters become spaces, invalid UTF-8 is dropped.
func printable(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max])
	}
	if s == "" {
		return "unknown"
	}
	return s
}
