package audit_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keysmith/app/core/audit"
	"keysmith/app/core/store"
)

var archiver = audit.Event{ActorID: 1, Actor: "Ada <admin@acme.test>"}

// archive runs Archive in its own transaction, as app.Core does.
func archive(t testing.TB, s *store.Store, l *audit.Log, before time.Time, out string) (audit.Archived, error) {
	t.Helper()
	var got audit.Archived
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		got, err = l.Archive(ctx, tx, before, out, archiver)
		return err
	})
	return got, err
}

func verifyFile(t *testing.T, l *audit.Log, b []byte) audit.ArchiveResult {
	t.Helper()
	r, err := l.VerifyArchive(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Archiving twice leaves a chain that verifies from the checkpoint, and two
// files that each verify into their own checkpoint.
func TestArchiveThenVerify(t *testing.T) {
	t.Parallel()
	s, l := seeded(t) // entries 1..6 at t0, t0+1s, ...
	dir := t.TempDir()
	first := filepath.Join(dir, "a.jsonl")
	got, err := archive(t, s, l, t0.Add(2500*time.Millisecond), first)
	if err != nil || got != (audit.Archived{Count: 3, First: 1, Last: 3}) {
		t.Fatalf("Archive = %+v, %v", got, err)
	}
	if fi, err := os.Stat(first); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("archive file: %v %v", fi, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".audit-archive-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	r := verify(t, s, l)
	if !r.OK() || r.Start != 4 || r.Checked != 4 {
		t.Fatalf("after archive: %+v, want intact from 4 with 4 entries (3 left and the archive event)", r)
	}
	var action, detail string
	s.DB.QueryRow(`SELECT action, detail FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&action, &detail)
	if action != "audit.archive" || !strings.Contains(detail, "entries 1 to 3") {
		t.Fatalf("archive event: %s %q", action, detail)
	}
	firstBytes, _ := os.ReadFile(first)
	if fr := verifyFile(t, l, firstBytes); !fr.OK() || fr.Checked != 3 || fr.First != 1 || fr.Last != 3 {
		t.Fatalf("VerifyArchive = %+v", fr)
	}
	// Nothing more is old enough: no file, no change.
	if got, err := archive(t, s, l, t0, filepath.Join(dir, "none.jsonl")); err != nil || got.Count != 0 || fileExists(filepath.Join(dir, "none.jsonl")) {
		t.Fatalf("nothing to archive: %+v %v", got, err)
	}
	// Everything, including the first archive's event.
	second := filepath.Join(dir, "b.jsonl")
	if got, err := archive(t, s, l, t0.Add(time.Hour), second); err != nil || got.First != 4 || got.Last != 7 {
		t.Fatalf("second archive: %+v %v", got, err)
	}
	if r := verify(t, s, l); !r.OK() || r.Start != 8 || r.Checked != 1 {
		t.Fatalf("after the second archive: %+v", r)
	}
	b, _ := os.ReadFile(second)
	if fr := verifyFile(t, l, b); !fr.OK() || fr.First != 4 || fr.Last != 7 {
		t.Fatalf("second file: %+v", fr)
	}
	appendAll(t, s, l, audit.Event{Actor: "a", Action: "later", Target: "t"})
	if r := verify(t, s, l); !r.OK() || r.Checked != 2 {
		t.Fatalf("append after archive: %+v", r)
	}
	// An existing file is never replaced.
	if _, err := archive(t, s, l, t0.Add(2*time.Hour), first); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("archive over an existing file: %v", err)
	}
	if b2, _ := os.ReadFile(first); !bytes.Equal(b2, firstBytes) {
		t.Fatal("the existing archive was changed")
	}
}

// The checkpoint in the database cannot be moved back or removed through
// SQL, and rows after it stay undeletable; altering it behind the triggers'
// back is tampering.
func TestCheckpointTamper(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, sql string
	}{
		{"seq forward", `UPDATE audit_checkpoint SET seq = seq + 1`},
		{"seq back", `UPDATE audit_checkpoint SET seq = seq - 1`},
		{"hash", `UPDATE audit_checkpoint SET hash = randomblob(32)`},
		{"count", `UPDATE audit_checkpoint SET count = count + 1`},
		{"mac", `UPDATE audit_checkpoint SET mac = randomblob(32)`},
		{"removed", `DELETE FROM audit_checkpoint`},
		{"moved forward over a row, row removed", `UPDATE audit_checkpoint SET seq = seq + 1; DELETE FROM audit WHERE seq = 4`},
		{"archived row put back", `INSERT INTO audit (seq, at, actor, action, target, detail, prev_hash, hash)
			VALUES (3, '2026-03-14T15:09:28Z', 'a', 'x', 't', 'd', randomblob(32), randomblob(32))`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, l := seeded(t)
			if _, err := archive(t, s, l, t0.Add(2500*time.Millisecond), filepath.Join(t.TempDir(), "a.jsonl")); err != nil {
				t.Fatal(err)
			}
			if _, err := s.DB.Exec(`DELETE FROM audit WHERE seq = 4`); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("delete after the checkpoint: %v", err)
			}
			for _, q := range []string{`UPDATE audit_checkpoint SET seq = seq - 1`, `DELETE FROM audit_checkpoint`} {
				if _, err := s.DB.Exec(q); err == nil {
					t.Fatalf("%s was allowed", q)
				}
			}
			dropTriggers(t, s.DB)
			if _, err := s.DB.Exec(tt.sql); err != nil {
				t.Fatal(err)
			}
			if r := verify(t, s, l); !r.Tampered() {
				t.Fatalf("Verify = %+v, want tampering", r)
			}
		})
	}
}

// Each kind of change to an archive file is reported.
func TestArchiveFileTamper(t *testing.T) {
	t.Parallel()
	s, l := seeded(t)
	dir := t.TempDir()
	if _, err := archive(t, s, l, t0.Add(2500*time.Millisecond), filepath.Join(dir, "a.jsonl")); err != nil {
		t.Fatal(err)
	}
	if _, err := archive(t, s, l, t0.Add(4500*time.Millisecond), filepath.Join(dir, "b.jsonl")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "b.jsonl")) // header (after checkpoint 3), entries 4, 5, checkpoint
	lines := strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("archive has %d lines:\n%s", len(lines), b)
	}
	edit := func(i int, f func(m map[string]any)) string {
		var m map[string]any
		json.Unmarshal([]byte(lines[i]), &m)
		f(m)
		out, _ := json.Marshal(m)
		c := append([]string(nil), lines...)
		c[i] = string(out) + "\n"
		return strings.Join(c, "")
	}
	drop := func(i int) string {
		c := append([]string(nil), lines[:i]...)
		return strings.Join(append(c, lines[i+1:]...), "")
	}
	zero := make([]byte, 32)
	for _, tt := range []struct{ name, file string }{
		{"detail edited", edit(1, func(m map[string]any) { m["detail"] = "nothing" })},
		{"actor id changed", edit(2, func(m map[string]any) { m["actorId"] = 9 })},
		{"entry removed", drop(2)},
		{"first entry removed", drop(1)},
		{"entries swapped", lines[0] + lines[2] + lines[1] + lines[3]},
		{"checkpoint removed", drop(3)},
		{"checkpoint count", edit(3, func(m map[string]any) { m["checkpoint"].(map[string]any)["count"] = 1 })},
		{"checkpoint hash", edit(3, func(m map[string]any) { m["checkpoint"].(map[string]any)["hash"] = zero })},
		{"start checkpoint forged", edit(0, func(m map[string]any) { m["after"].(map[string]any)["seq"] = 2 })},
		{"start checkpoint dropped", edit(0, func(m map[string]any) { delete(m, "after") })},
		{"newest entry removed, checkpoint rewritten to match", func() string {
			var e map[string]any
			json.Unmarshal([]byte(lines[1]), &e)
			c := strings.Join(lines[:2], "")
			return c + edit(3, func(m map[string]any) {
				cp := m["checkpoint"].(map[string]any)
				cp["seq"], cp["hash"], cp["count"] = 4, e["hash"], 1
			})[len(strings.Join(lines[:3], "")):]
		}()},
		{"line after the checkpoint", string(b) + lines[1]},
		{"not an archive", "{}\n"},
		{"empty", ""},
		{"over-long line", lines[0] + strings.Repeat("x", 2<<20) + "\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if r := verifyFile(t, l, []byte(tt.file)); r.OK() {
				t.Fatalf("VerifyArchive = %+v, want a problem", r)
			}
		})
	}
	if r := verifyFile(t, l, b); !r.OK() || r.First != 4 || r.Last != 5 {
		t.Fatalf("untouched file: %+v", r)
	}
	if r := verifyFile(t, keyedLog(2, time.Now), b); r.OK() {
		t.Fatal("another key file verified the archive")
	}
}

// A log that does not verify is not archived, and nothing is written.
func TestArchiveRefusesBrokenLog(t *testing.T) {
	t.Parallel()
	s, l := seeded(t)
	dropTriggers(t, s.DB)
	s.DB.Exec(`DELETE FROM audit WHERE seq = 2`)
	out := filepath.Join(t.TempDir(), "a.jsonl")
	if _, err := archive(t, s, l, t0.Add(time.Hour), out); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("archive of a broken log: %v", err)
	}
	if fileExists(out) {
		t.Fatal("archive file written for a broken log")
	}
}

// A transaction that does not commit leaves the database as it was.
func TestArchiveRolledBack(t *testing.T) {
	t.Parallel()
	s, l := seeded(t)
	boom := errors.New("boom")
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := l.Archive(ctx, tx, t0.Add(time.Hour), filepath.Join(t.TempDir(), "a.jsonl"), archiver); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if r := verify(t, s, l); !r.OK() || r.Start != 1 || r.Checked != len(sample) {
		t.Fatalf("after a rolled-back archive: %+v", r)
	}
}

// FuzzVerifyArchive: any input is answered without a panic, and an input
// reported intact is a contiguous run of entries.
func FuzzVerifyArchive(f *testing.F) {
	s, l := seeded(f)
	out := filepath.Join(f.TempDir(), "a.jsonl")
	if _, err := archive(f, s, l, t0.Add(time.Hour), out); err != nil {
		f.Fatal(err)
	}
	valid, _ := os.ReadFile(out)
	f.Add(valid)
	f.Add([]byte("{}\n"))
	f.Add([]byte(`{"keysmithAuditArchive":1}` + "\n" + `{"checkpoint":{"seq":0,"count":0}}` + "\n"))
	f.Add([]byte(`{"keysmithAuditArchive":1,"after":{"seq":-1}}` + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := l.VerifyArchive(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if r.OK() && (r.Checked < 1 || int64(r.Checked) != r.Last-r.First+1) {
			t.Fatalf("intact archive with %+v", r)
		}
	})
}

// A log whose anchor was made again stays unproven until it is archived
// through that entry; archiving is allowed for that doubt alone, and the
// chain that starts after it verifies intact.
func TestArchiveThroughRebuiltAnchor(t *testing.T) {
	t.Parallel()
	s, l := seeded(t)
	dropTriggers(t, s.DB)
	if _, err := s.DB.Exec(`DELETE FROM audit_anchor`); err != nil {
		t.Fatal(err)
	}
	appendOne(t, s, l, "after") // seals the anchor again, recorded as entry 7
	r := verify(t, s, l)
	if r.OK() || r.Tampered() || r.Rebuilt != 7 {
		t.Fatalf("after the anchor was made again: %+v", r)
	}
	dir := t.TempDir()
	// Archiving short of the rebuilt entry leaves the doubt.
	if _, err := archive(t, s, l, t0.Add(2500*time.Millisecond), filepath.Join(dir, "a.jsonl")); err != nil {
		t.Fatal(err)
	}
	if r := verify(t, s, l); r.OK() || r.Rebuilt != 7 {
		t.Fatalf("archived before the rebuilt entry: %+v", r)
	}
	// Through it: intact again.
	if _, err := archive(t, s, l, time.Now().Add(time.Hour), filepath.Join(dir, "b.jsonl")); err != nil {
		t.Fatal(err)
	}
	if r := verify(t, s, l); !r.OK() || r.Start < 9 {
		t.Fatalf("archived through the rebuilt entry: %+v", r)
	}
}
