//go:build !race

// The large round trip takes about 15 s, and about 160 s under the race
// detector (modernc's SQLite is Go, instrumented row by row): it is built
// only without the detector, and make test, whose Go tests run with it,
// runs this one apart without it.

package core_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"keysmith/app/core/audit"
	"keysmith/app/core/store"
	"keysmith/app/testkit"
	"keysmith/app/testkit/pgtest"
)

// Large-move sizes: the round trip.
const (
	largeCredentials = 10_000
	largeAudit       = 100_000
)

// TestMigrateLarge: the round trip on an account with 10,000 credentials
// and 100,000 audit entries: every row equal on both sides, and the chain
// (a real one, each entry keyed and chained by the audit code itself, in
// batches of AppendAll) verifies in the team database.
func TestMigrateLarge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := migrateFixture(t)
	start := time.Now()
	testkit.Fill(t, m.c, largeCredentials)
	log := testkit.AuditLog(t, m.dir)
	db := testkit.DB(t, m.dir)
	const perTx = 10_000
	for i := 0; i < largeAudit; i += perTx {
		events := make([]audit.Event, perTx)
		for j := range events {
			events[j] = audit.Event{ActorID: m.users.Admin.ID, Actor: m.users.Admin.Label(), Action: "credential.use",
				Target: fmt.Sprintf("K%019d", (i+j)%largeCredentials), Detail: fmt.Sprintf("entry %d of the large log", i+j)}
		}
		if err := store.Tx(ctx, db, func(tx *sql.Tx) error { return log.AppendAll(ctx, tx, events) }); err != nil {
			t.Fatal(err)
		}
	}
	local := readOnly(t, filepath.Join(m.dir, store.FileName))
	var entries, maxSeq int64
	if err := local.QueryRow(`SELECT COUNT(*), MAX(seq) FROM audit`).Scan(&entries, &maxSeq); err != nil || entries < largeAudit {
		t.Fatalf("%d audit entries (%v)", entries, err)
	}
	if n := testkit.Count(t, local, "credentials"); n < largeCredentials {
		t.Fatalf("%d credentials", n)
	}
	t.Logf("fixture: %d credentials, %d audit entries in %v", testkit.Count(t, local, "credentials"), entries, time.Since(start))

	start = time.Now()
	target := pgtest.DB(t)
	got, err := m.c.Migrate(ctx, m.users.Admin.ID, target, "", nil)
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	t.Logf("migrate: %d rows in %v", got.Rows, time.Since(start))
	if got.Entries != int(entries)+1 {
		t.Errorf("%d entries verified, want %d", got.Entries, entries+1)
	}
	start = time.Now()
	pg, err := store.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	sameRows(t, readOnly(t, got.Kept), pg.DB, maxSeq)
	if res, err := m.c.VerifyAudit(ctx, m.users.Admin.ID); err != nil || !res.OK() || res.Checked != got.Entries {
		t.Errorf("audit on the team database: %+v %v", res, err)
	}
	t.Logf("compare and verify: %v", time.Since(start))
}
