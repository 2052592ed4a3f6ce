package credentials

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"keysmith/app/audit"
	"keysmith/app/store"
)

// Use is one accepted request, reported by a verifier.
type Use struct {
	ID   int64
	At   time.Time
	From string // client address
}

// Refusal is a count of refused requests with one reason, key and client.
type Refusal struct {
	Key    string // the key or username the request named, may be empty
	Reason string // never a secret
	From   string
	Count  int
}

// Record stores a verifier's batch in one transaction: the latest use of
// each credential, and one audit event per kind of refusal. It is the
// verifier's own bookkeeping and needs no signed-in user.
func (s *Service) Record(ctx context.Context, uses []Use, refusals []Refusal) error {
	if len(uses) == 0 && len(refusals) == 0 {
		return nil
	}
	return store.Tx(ctx, s.db, func(tx *sql.Tx) error {
		for _, u := range uses {
			if _, err := tx.ExecContext(ctx, `UPDATE credentials SET last_used_at = ?, last_used_from = ?
				WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, stamp(u.At), u.From, u.ID, stamp(u.At)); err != nil {
				return err
			}
		}
		for _, r := range refusals {
			detail := fmt.Sprintf("%d request(s) refused from %s: %s", r.Count, r.From, r.Reason)
			if err := s.log.Append(ctx, tx, audit.Event{Actor: "verifier", Action: "verify.refused", Target: r.Key, Detail: detail}); err != nil {
				return err
			}
		}
		return nil
	})
}
