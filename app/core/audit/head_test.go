package audit_test

import (
	"os"
	"strings"
	"testing"
)

func TestHeadDetectsRemovedNewestEntries(t *testing.T) {
	t.Parallel()
	s, l, path := anchored(t, 4)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("head file: %v %v", fi, err)
	}
	if r, _ := l.Verify(ctx, s.DB); !r.OK() || r.Checked != 4 {
		t.Fatalf("intact chain: %+v", r)
	}
	dropTriggers(t, s.DB)
	if _, err := s.DB.Exec(`DELETE FROM audit WHERE seq >= 3`); err != nil {
		t.Fatal(err)
	}
	r, _ := l.Verify(ctx, s.DB)
	if r.OK() || r.BadSeq != 3 || !strings.Contains(r.Problem, "Entries 3 to 4 are missing") {
		t.Fatalf("after removing the newest rows: %+v", r)
	}
	// Saving again must not rewind the head over the evidence.
	if err := l.SaveHead(ctx, s.DB); err != nil {
		t.Fatal(err)
	}
	if r, _ := l.Verify(ctx, s.DB); r.OK() {
		t.Fatal("SaveHead rewound the head")
	}
	// Appending new rows after the cut does not hide it either.
	appendOne(t, s, l, "later")
	appendOne(t, s, l, "later")
	r, _ = l.Verify(ctx, s.DB)
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
		if r, _ := l.Verify(ctx, s.DB); r.OK() {
			t.Fatalf("flipped byte %d of the head file went unnoticed", i)
		}
	}
	os.WriteFile(path, b, 0o600)
	if r, _ := l.Verify(ctx, s.DB); !r.OK() {
		t.Fatalf("restored head: %+v", r)
	}
}

func TestHeadAdvances(t *testing.T) {
	t.Parallel()
	s, l, _ := anchored(t, 2)
	appendOne(t, s, l, "more")
	if r, _ := l.Verify(ctx, s.DB); !r.OK() || r.Checked != 3 {
		t.Fatalf("head behind the chain is fine: %+v", r)
	}
	if err := l.SaveHead(ctx, s.DB); err != nil {
		t.Fatal(err)
	}
	dropTriggers(t, s.DB)
	s.DB.Exec(`DELETE FROM audit WHERE seq = 3`)
	if r, _ := l.Verify(ctx, s.DB); r.OK() {
		t.Fatal("removal of the saved newest entry went unnoticed")
	}
}
