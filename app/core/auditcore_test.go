package core_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keysmith/app/core/credentials"
	"keysmith/app/core/errs"
	"keysmith/app/testkit"
)

// errRejected stands for any *errs.Invalid in the table below.
var errRejected = errors.New("rejected value")

// Only an Administrator sets the retention, within its bounds, and the
// change is audited.
func TestAuditKeepDays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testkit.Open(t, testkit.NewClock())
	u := testkit.Seed(t, c)
	if d, err := c.AuditKeepDays(ctx); err != nil || d != 0 {
		t.Fatalf("default retention: %d %v", d, err)
	}
	for _, tt := range []struct {
		who  int64
		days int
		want error
	}{
		{u.Basic.ID, 90, errs.ErrForbidden},
		{u.Advanced.ID, 90, errs.ErrForbidden},
		{u.Admin.ID, 29, errRejected},
		{u.Admin.ID, 3651, errRejected},
		{u.Admin.ID, -1, errRejected},
		{u.Admin.ID, 90, nil},
		{u.Admin.ID, 0, nil},
		{u.Admin.ID, 3650, nil},
	} {
		before := testkit.Count(t, testkit.DB(t, c.Dir), "audit")
		err := c.SetAuditKeepDays(ctx, tt.who, tt.days)
		var inv *errs.Invalid
		switch {
		case tt.want == errRejected && !errors.As(err, &inv):
			t.Fatalf("%d days: %v, want a rejected value", tt.days, err)
		case tt.want != errRejected && !errors.Is(err, tt.want):
			t.Fatalf("user %d, %d days: %v, want %v", tt.who, tt.days, err, tt.want)
		}
		added := testkit.Count(t, testkit.DB(t, c.Dir), "audit") - before
		if (err == nil) != (added == 1) {
			t.Fatalf("user %d, %d days: %d audit rows added", tt.who, tt.days, added)
		}
	}
	if d, _ := c.AuditKeepDays(ctx); d != 3650 {
		t.Fatalf("retention = %d", d)
	}
}

// Archiving by the retention setting keeps the log verifying and the file
// verifying; only Administrators may archive.
func TestArchiveAuditByRetention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := testkit.NewClock()
	dir := t.TempDir()
	c := testkit.OpenDir(t, dir, clock)
	u := testkit.Seed(t, c)
	out := filepath.Join(t.TempDir(), "audit.jsonl")
	if _, err := c.ArchiveAudit(ctx, u.Admin.ID, time.Time{}, out); err == nil || !strings.Contains(errs.Message(err), "retention is off") {
		t.Fatalf("archive with retention off: %v", err)
	}
	if err := c.SetAuditKeepDays(ctx, u.Admin.ID, 30); err != nil {
		t.Fatal(err)
	}
	old := testkit.Count(t, testkit.DB(t, c.Dir), "audit")
	clock.Advance(31 * 24 * time.Hour)
	if err := c.SetAuditKeepDays(ctx, u.Admin.ID, 60); err != nil { // one recent entry
		t.Fatal(err)
	}
	if _, err := c.ArchiveAudit(ctx, u.Advanced.ID, time.Time{}, out); !errors.Is(err, errs.ErrForbidden) {
		t.Fatalf("Advanced archives: %v", err)
	}
	if err := c.SetAuditKeepDays(ctx, u.Admin.ID, 30); err != nil {
		t.Fatal(err)
	}
	got, err := c.ArchiveAudit(ctx, u.Admin.ID, time.Time{}, out)
	if err != nil || got.Count != int64(old) {
		t.Fatalf("archive: %+v %v, want %d entries", got, err, old)
	}
	r, err := c.VerifyAudit(ctx, u.Admin.ID)
	if err != nil || !r.OK() || r.Start != int64(old)+1 || r.Checked != 3 {
		t.Fatalf("verify after archive: %+v %v", r, err)
	}
	ar, err := c.VerifyAuditArchive(ctx, u.Admin.ID, out)
	if err != nil || !ar.OK() || ar.Checked != old {
		t.Fatalf("verify archive: %+v %v", ar, err)
	}
	if _, err := c.VerifyAuditArchive(ctx, u.Basic.ID, out); !errors.Is(err, errs.ErrForbidden) {
		t.Fatalf("Basic verifies an archive: %v", err)
	}
	// Reopened, the head file and both anchors agree with the shorter table.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c2 := testkit.OpenDir(t, dir, clock)
	if r, err := testkit.VerifyAudit(t, c2.Dir); err != nil || !r.OK() {
		t.Fatalf("after reopening: %+v %v", r, err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".audit-archive-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("archive file: %v %v", fi, err)
	}
}

// TestArchiveKeepsCredentialStateHonest: once the archive has removed the
// events credential states name, a deleted credential's row put back (or a
// row rolled back) is still refused, credentials that verified before the
// archive still verify and authenticate, and one that was tampered before
// stays tampered.
func TestArchiveKeepsCredentialStateHonest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := testkit.NewClock()
	c := testkit.Open(t, clock)
	u := testkit.Seed(t, c)
	kept, keptSecret := testkit.Create(t, c, u.Admin.ID, credentials.Basic, "Kept")
	gone, goneSecret := testkit.Create(t, c, u.Admin.ID, credentials.Basic, "Gone")
	bent, _ := testkit.Create(t, c, u.Admin.ID, credentials.Basic, "Bent")
	db := testkit.DB(t, c.Dir)
	// A copy of Gone's rows as they were, then Gone is deleted.
	testkit.Exec(t, db, `CREATE TABLE old_cred AS SELECT * FROM credentials WHERE id = ?`, gone.ID)
	testkit.Exec(t, db, `CREATE TABLE old_secret AS SELECT * FROM credential_secrets WHERE credential_id = ?`, gone.ID)
	if err := c.Credentials.Delete(ctx, u.Admin.ID, gone.ID); err != nil {
		t.Fatal(err)
	}
	testkit.Exec(t, db, `UPDATE credentials SET disabled = 1 WHERE id = ?`, bent.ID) // tampered before the archive
	if err := c.SetAuditKeepDays(ctx, u.Admin.ID, 30); err != nil {
		t.Fatal(err)
	}
	clock.Advance(31 * 24 * time.Hour)
	if _, err := c.ArchiveAudit(ctx, u.Admin.ID, time.Time{}, filepath.Join(t.TempDir(), "a.jsonl")); err != nil {
		t.Fatal(err)
	}
	var deleteLeft int
	db.QueryRow(`SELECT COUNT(*) FROM audit WHERE action = 'credential.delete'`).Scan(&deleteLeft)
	if deleteLeft != 0 {
		t.Fatal("the archive kept the delete event; the test needs it gone")
	}
	// Gone put back as it was.
	testkit.Exec(t, db, `INSERT INTO credentials SELECT * FROM old_cred`)
	testkit.Exec(t, db, `INSERT INTO credential_secrets SELECT * FROM old_secret`)
	testkit.Exec(t, db, `UPDATE credential_revision SET n = n + 1`)

	cache := c.Credentials.NewCache(0)
	if _, err := cache.Authenticate(ctx, gone.Key, goneSecret); !errors.Is(err, credentials.ErrStateTampered) {
		t.Errorf("deleted credential put back after the archive: %v; want refused as tampered", err)
	}
	if _, err := cache.Authenticate(ctx, kept.Key, keptSecret); err != nil {
		t.Errorf("a sound credential after the archive: %v", err)
	}
	list, _, err := c.Credentials.List(ctx, u.Admin.ID, credentials.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{kept.Key: false, gone.Key: true, bent.Key: true}
	for _, cr := range list {
		if w, ok := want[cr.Key]; ok && cr.Tampered != w {
			t.Errorf("%s: tampered %v, want %v", cr.Name, cr.Tampered, w)
		}
	}
	// A later legitimate change keeps working.
	if _, err := c.Credentials.Rename(ctx, u.Admin.ID, kept.ID, "Kept still"); err != nil {
		t.Fatalf("rename after the archive: %v", err)
	}
	if _, err := c.Credentials.NewCache(0).Authenticate(ctx, kept.Key, keptSecret); err != nil {
		t.Errorf("after a rename: %v", err)
	}
}
