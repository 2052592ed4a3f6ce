package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"keysmith/app/core/audit"
)

// BenchmarkListFilter measures the Audit log page's text filter over
// 100,000 entries: one page of the newest matches and their count.
func BenchmarkListFilter(b *testing.B) {
	s := openStore(b)
	actions := []string{"credential.create", "credential.disable", "credential.roll", "user.signin", "vault.unlock"}
	err := s.Tx(context.Background(), func(tx *sql.Tx) error {
		for i := 1; i <= 100_000; i++ {
			if _, err := tx.Exec(`INSERT INTO audit (seq, at, actor_id, actor, action, target, detail, prev_hash, hash)
				VALUES (?, ?, 1, 'Ada Admin <ada@acme.test>', ?, ?, ?, ?, ?)`,
				i, t0.Add(0).Format("2006-01-02T15:04:05.000Z"), actions[i%len(actions)],
				fmt.Sprintf("K%019d", i%10_000), fmt.Sprintf(`name "orders %d" type Basic`, i%10_000), []byte{0}, []byte{0}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	l := newLog()
	for _, q := range []string{"orders 4242", "K0000000000000004242", "vault", "nothing like this"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := l.List(context.Background(), s.DB, audit.Filter{Query: q, Limit: 50}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
