package audit_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keysmith/app/core/audit"
	"keysmith/app/core/keyfile"
	"keysmith/app/core/store"
	"keysmith/app/testkit"
)

func anchored(t *testing.T, n int) (*store.Store, *audit.Log, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := store.Open(context.Background(), testkit.Target(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	l := audit.New(keyfile.ForTest(3).Derive("audit chain v1"), func() time.Time { return time.Unix(1_800_000_000, 0) })
	path := filepath.Join(dir, audit.HeadFileName)
	l.AnchorHead(path)
	// As app.Open does for a new log: the head file exists from the start.
	if err := l.SaveHead(context.Background(), s.DB); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		appendOne(t, s, l, "event")
	}
	if err := l.SaveHead(context.Background(), s.DB); err != nil {
		t.Fatal(err)
	}
	return s, l, path
}

func appendOne(t *testing.T, s *store.Store, l *audit.Log, action string) {
	t.Helper()
	err := s.Tx(context.Background(), func(tx *sql.Tx) error {
		return l.Append(context.Background(), tx, audit.Event{Actor: "a", Action: action, Target: "t"})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestHeadDetectsRemovedNewestEntries(t *testing.T) {
	t.Parallel()
	s, l, path := anchored(t, 4)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("head file: %v %v", fi, err)
	}
	if r, _ := l.Verify(context.Background(), s.DB); !r.OK() || r.Checked != 4 {
		t.Fatalf("intact chain: %+v", r)
	}
	testkit.LiftAppendOnly(t, s.DB)
	if _, err := s.DB.Exec(`DELETE FROM audit WHERE seq >= 3`); err != nil {
		t.Fatal(err)
	}
	r, _ := l.Verify(context.Background(), s.DB)
	if r.OK() || r.BadSeq != 3 || !strings.Contains(r.Problem, "Entries 3 to 4 are missing") {
		t.Fatalf("after removing the newest rows: %+v", r)
	}
	// Saving again must not rewind the head over the evidence.
	if err := l.SaveHead(context.Background(), s.DB); err != nil {
		t.Fatal(err)
	}
	if r, _ := l.Verify(context.Background(), s.DB); r.OK() {
		t.Fatal("SaveHead rewound the head")
	}
	// Appending new rows after the cut does not hide it either.
	appendOne(t, s, l, "later")
	appendOne(t, s, l, "later")
	r, _ = l.Verify(context.Background(), s.DB)
	if r.OK() || r.BadSeq != 4 || !strings.Contains(r.Problem, "rewritten") {
		t.Fatalf("after cut and re-append: %+v", r)
	}
}

func TestHeadFileTamper(t *testing.T) {
	t.Parallel()
	s, l, path := anchored(t, 3)
	b, _ := os.ReadFile(path)
	for i := range len(b) - 1 { // the last byte is a newline
		bad := append([]byte(nil), b...)
		bad[i] ^= 0x01
		os.WriteFile(path, bad, 0o600)
		if r, _ := l.Verify(context.Background(), s.DB); r.OK() {
			t.Fatalf("flipped byte %d of the head file went unnoticed", i)
		}
	}
	os.WriteFile(path, b, 0o600)
	if r, _ := l.Verify(context.Background(), s.DB); !r.OK() {
		t.Fatalf("restored head: %+v", r)
	}
}

func TestHeadAdvances(t *testing.T) {
	t.Parallel()
	s, l, _ := anchored(t, 2)
	appendOne(t, s, l, "more")
	if r, _ := l.Verify(context.Background(), s.DB); !r.OK() || r.Checked != 3 {
		t.Fatalf("head behind the chain is fine: %+v", r)
	}
	if err := l.SaveHead(context.Background(), s.DB); err != nil {
		t.Fatal(err)
	}
	testkit.LiftAppendOnly(t, s.DB)
	s.DB.Exec(`DELETE FROM audit WHERE seq = 3`)
	if r, _ := l.Verify(context.Background(), s.DB); r.OK() {
		t.Fatal("removal of the saved newest entry went unnoticed")
	}
}
