package verifiers

import (
	"database/sql"
	"time"

	"keysmith/app/core/verify"
)

// NewReplaysOn returns a replay window over db keyed as s's, holding at
// most max rows, on either engine.
func NewReplaysOn(s *Service, db *sql.DB, max int) *Replays {
	return newReplays(db, s.key, max, &s.work)
}

// Purge purges and counts at now, as FirstUse does in the background.
func (r *Replays) Purge(now time.Time) {
	r.mu.Lock()
	r.counting = true
	r.mu.Unlock()
	r.purge(now)
}

// DB is the database s writes to.
func (s *Service) DB() *sql.DB { return s.db }

// ForSkew is the window as a verifier accepting dates within skew uses it.
func (r *Replays) ForSkew(skew time.Duration) verify.Replays { return r.forSkew(skew) }

// WindowOf is the window under a verifier's view of it.
func WindowOf(v verify.Replays) *Replays {
	if s, ok := v.(skewed); ok {
		return s.r
	}
	return v.(*Replays)
}
