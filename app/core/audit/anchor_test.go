package audit_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"keysmith/app/core/audit"
	"keysmith/app/core/store"
	"keysmith/app/testkit"
)

// Removing the newest rows is tampering even when the head file is removed
// too; a missing anchor is never "intact"; an altered anchor is tampering.
func TestAnchorsDetectRemovedNewestRows(t *testing.T) {
	t.Parallel()
	const n = 12
	tests := []struct {
		name     string
		sql      string // run with the triggers dropped
		dropHead bool
		tampered bool // else: unproven
		problem  string
	}{
		{"newest rows and head file removed", `DELETE FROM audit WHERE seq > 10`, true, true, "Entries 11 to 12 are missing"},
		{"newest rows removed", `DELETE FROM audit WHERE seq > 10`, false, true, "Entries 11 to 12 are missing"},
		{"head file removed", ``, true, false, "head file"},
		{"anchor removed", `DELETE FROM audit_anchor`, false, false, "no audit anchor"},
		{"rows, anchor and head file removed", `DELETE FROM audit WHERE seq > 10; DELETE FROM audit_anchor`, true, false, "head file"},
		{"anchor seq altered", `UPDATE audit_anchor SET seq = 10`, false, true, "anchor in the database was altered"},
		{"anchor count altered", `UPDATE audit_anchor SET count = count - 1`, false, true, "anchor in the database was altered"},
		{"anchor hash altered", `UPDATE audit_anchor SET hash = randomblob(32)`, false, true, "anchor in the database was altered"},
		{"anchor mac altered", `UPDATE audit_anchor SET mac = randomblob(32)`, false, true, "anchor in the database was altered"},
		{"newest row and head file removed", `DELETE FROM audit WHERE seq = 12`, true, true, "Entries 12 to 12 are missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, l, path := anchored(t, n)
			if r := verify(t, s, l); !r.OK() || r.Checked != n {
				t.Fatalf("before: %+v", r)
			}
			dropTriggers(t, s.DB)
			if tt.sql != "" {
				if _, err := s.DB.Exec(tt.sql); err != nil {
					t.Fatal(err)
				}
			}
			if tt.dropHead {
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
			}
			r := verify(t, s, l)
			if r.OK() || r.Tampered() != tt.tampered || !strings.Contains(r.Problem+r.Unproven, tt.problem) {
				t.Fatalf("Verify = %+v, want tampered=%v mentioning %q", r, tt.tampered, tt.problem)
			}
			// Closing (SaveHead) does not write a head over what was found,
			// and recreates a missing one only saying so in the log.
			if err := l.SaveHead(ctx, s.DB); err != nil {
				t.Fatal(err)
			}
			r = verify(t, s, l)
			var last string
			s.DB.QueryRow(`SELECT action FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&last)
			// A head file made again is recorded, and the log stays
			// unproven before that entry: it never reads as intact.
			if r.OK() || tt.name == "head file removed" && (last != "audit.head" || !strings.Contains(r.Unproven, "made again at entry")) {
				t.Fatalf("after SaveHead: %+v, newest entry %s", r, last)
			}
		})
	}
}

// The placeholder anchor of a log from before anchors is sealed by the next
// append, which says so, and the log then verifies intact. An anchor that
// went missing is sealed again by the next append too, but the log then
// stays unproven before that entry.
func TestAnchorResealedByAppend(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, sql, action string
		upgrading, ok     bool
	}{
		{"upgraded log", `UPDATE audit_anchor SET seq = -1, hash = substr(hash, 1, 0), count = 0, mac = substr(mac, 1, 0)`, "audit.anchor-new", true, true},
		{"placeholder written outside an upgrade", `UPDATE audit_anchor SET seq = -1, hash = substr(hash, 1, 0), count = 0, mac = substr(mac, 1, 0)`, "audit.anchor", false, false},
		{"anchor removed", `DELETE FROM audit_anchor`, "audit.anchor", false, false},
		{"anchor removed during an upgrade", `DELETE FROM audit_anchor`, "audit.anchor", true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, l, _ := anchored(t, 3)
			if _, err := s.DB.Exec(tt.sql); err != nil {
				t.Fatal(err)
			}
			l.Upgrading(tt.upgrading)
			appendOne(t, s, l, "after")
			r := verify(t, s, l)
			if r.OK() != tt.ok || r.Checked != 5 || r.Tampered() {
				t.Fatalf("after resealing: %+v", r)
			}
			if !tt.ok && !strings.Contains(r.Unproven, "made again at entry 4") {
				t.Fatalf("unproven reason: %q", r.Unproven)
			}
			var action, detail string
			s.DB.QueryRow(`SELECT action, detail FROM audit WHERE seq = 4`).Scan(&action, &detail)
			if action != tt.action || !strings.Contains(detail, "3 entries") {
				t.Fatalf("entry 4: %s %q", action, detail)
			}
		})
	}
}

// A new log has a head file from the start, and verifies intact as it grows.
func TestNewLogHeadFile(t *testing.T) {
	t.Parallel()
	s, l, path := anchored(t, 0)
	if !fileExists(path) || audit.HeadRecorded(path) {
		t.Fatalf("a new log's head file: exists %v, records entries %v", fileExists(path), audit.HeadRecorded(path))
	}
	if r := verify(t, s, l); !r.OK() || r.Checked != 0 {
		t.Fatalf("empty: %+v", r)
	}
	appendOne(t, s, l, "first")
	if r := verify(t, s, l); !r.OK() || r.Checked != 1 {
		t.Fatalf("first entry, head at 0: %+v", r)
	}
}

// The residual exposure README states: a database rolled back as a whole
// is caught by the head file, and only by it.
func TestWholeDatabaseRollback(t *testing.T) {
	t.Parallel()
	testkit.SQLiteOnly(t) // a copy of the file, rolled back
	s, l, path := anchored(t, 4)
	old := t.TempDir()
	if _, err := s.DB.Exec(`VACUUM INTO ?`, filepath.Join(old, store.FileName)); err != nil {
		t.Fatal(err)
	}
	appendOne(t, s, l, "later")
	if err := l.SaveHead(ctx, s.DB); err != nil {
		t.Fatal(err)
	}
	rolled, err := store.Open(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	defer rolled.Close()
	if r := verify(t, rolled, l); !r.Tampered() || !strings.Contains(r.Problem, "Entries 5 to 5 are missing") {
		t.Fatalf("rolled back, head file present: %+v", r)
	}
	os.Remove(path)
	if r := verify(t, rolled, l); r.OK() || r.Tampered() {
		t.Fatalf("rolled back, head file removed: %+v, want unproven", r)
	}
}

// fileExists reports whether path exists.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// After the newest rows and the head file are removed and another entry is
// appended (its anchor then names the newest row but miscounts), closing
// does not recreate the head file over the cut.
func TestHeadNotRecreatedOverRemovedRows(t *testing.T) {
	t.Parallel()
	s, l, path := anchored(t, 12)
	dropTriggers(t, s.DB)
	s.DB.Exec(`DELETE FROM audit WHERE seq > 10`)
	os.Remove(path)
	appendOne(t, s, l, "sign-in")
	if err := l.SaveHead(ctx, s.DB); err != nil {
		t.Fatal(err)
	}
	var heads int
	s.DB.QueryRow(`SELECT COUNT(*) FROM audit WHERE action = 'audit.head'`).Scan(&heads)
	if fileExists(path) || heads != 0 {
		t.Fatalf("head file recreated over removed rows (file %v, audit.head rows %d)", fileExists(path), heads)
	}
	if r := verify(t, s, l); !r.Tampered() || !strings.Contains(r.Problem, "entries were removed") {
		t.Fatalf("Verify = %+v", r)
	}
}
