package store

import (
	"context"
	"path/filepath"
	"testing"
)

// An account upgraded to the search index finds the entries it held
// before: the migration fills the index from them.
func TestAuditSearchFilledOnUpgrade(t *testing.T) {
	dir := t.TempDir()
	var stmts []string
	for _, m := range migrations(SQLite)[:9] {
		stmts = append(stmts, m.sql)
	}
	stmts = append(stmts,
		`INSERT INTO audit (seq, at, actor, action, target, detail, prev_hash, hash)
		VALUES (1, '2026-11-30T09:00:00Z', 'Ada <ada@acme.test>', 'credential.create', 'K1', 'name "Orders"', x'00', x'00')`,
		`PRAGMA user_version = 9`)
	makeRawDB(t, filepath.Join(dir, FileName), stmts...)
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cond, args := AuditMatch(s.DB, "ORDERS")
	var n int
	if err := s.DB.QueryRow(`SELECT COUNT(*) FROM audit WHERE `+cond, args...).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d entries found after the upgrade, want 1 (%v)", n, err)
	}
	if _, err := s.DB.Exec(`INSERT INTO audit_search (audit_search, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Fatalf("the index differs from audit: %v", err)
	}
}
