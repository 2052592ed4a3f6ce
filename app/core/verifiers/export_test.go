package verifiers

import (
	"database/sql"
	"time"
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
