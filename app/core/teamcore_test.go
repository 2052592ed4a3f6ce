package core_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/audit"
	"keysmith/app/core/credentials"
	"keysmith/app/core/errs"
	"keysmith/app/core/keyfile"
	"keysmith/app/core/team"
	"keysmith/app/testkit"
	"keysmith/app/testkit/pgtest"
)

// TestInviteAndJoin: an Administrator of an account on a team database
// invites a second machine, which joins with the file and its passphrase,
// sees the account and signs in; the invitation works once; only
// Administrators invite, and only accounts on a team database.
func TestInviteAndJoin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := testkit.NewClock()
	p := testkit.CheapParams
	opts := core.Options{Params: &p, Clock: clock.Now}
	withDB := opts
	withDB.Database = pgtest.DB(t)
	a, err := core.Open(ctx, t.TempDir(), withDB)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	u := testkit.Seed(t, a)
	cred, secret, err := a.Credentials.Create(ctx, u.Admin.ID, credentials.Basic, "Orders", nil)
	if err != nil {
		t.Fatal(err)
	}
	pass := team.NewPassphrase()
	if _, _, err := a.Invite(ctx, u.Basic.ID, pass, true); !errors.Is(err, errs.ErrForbidden) {
		t.Fatalf("a Basic user invited: %v", err)
	}
	local, err := core.Open(ctx, t.TempDir(), opts) // on this computer, whatever the tests' engine
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	lu := testkit.Seed(t, local)
	if _, _, err := local.Invite(ctx, lu.Admin.ID, pass, true); err == nil || !strings.Contains(err.Error(), "this computer only") {
		t.Fatalf("an account in SQLite invited: %v", err)
	}
	if local.Team() != "" || a.Team() == "" {
		t.Fatalf("Team(): %q %q", local.Team(), a.Team())
	}

	data, inv, err := a.Invite(ctx, u.Admin.ID, pass, true)
	if err != nil {
		t.Fatal(err)
	}
	opened, err := team.Open(data, pass, clock.Now())
	if err != nil || opened.ID != inv.ID {
		t.Fatalf("open the invitation: %v", err)
	}
	dirB := t.TempDir()
	b, err := core.Join(ctx, dirB, opened, "", "host-b", opts)
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	defer b.Close()
	if _, err := b.Accounts.SignIn(ctx, "ada@acme.test", testkit.AdminPassword, "test"); err != nil {
		t.Fatalf("sign in on the new machine: %v", err)
	}
	if got, err := b.Credentials.ByKey(ctx, u.Admin.ID, cred.Key); err != nil || got.Name != "Orders" {
		t.Fatalf("the new machine does not see the account's key: %v", err)
	}
	// The new machine's verifier cache follows a change made on the first
	// one once it rechecks the revision.
	cache := b.Credentials.NewCache(250 * time.Millisecond)
	if _, err := cache.Authenticate(ctx, cred.Key, secret); err != nil {
		t.Fatalf("the new machine refuses the key: %v", err)
	}
	if _, err := a.Credentials.SetDisabled(ctx, u.Admin.ID, cred.ID, true); err != nil {
		t.Fatal(err)
	}
	clock.Advance(300 * time.Millisecond)
	if _, err := cache.Authenticate(ctx, cred.Key, secret); err == nil {
		t.Fatal("the new machine still accepts a key the first machine disabled")
	}
	for name, c := range map[string]*core.Core{"inviting": a, "joined": b} {
		r, err := c.VerifyAudit(ctx, u.Admin.ID)
		if err != nil || !r.OK() {
			t.Fatalf("%s machine's audit: %+v %v", name, r, err)
		}
	}
	es, _, err := a.ListAudit(ctx, u.Admin.ID, audit.Filter{Query: inv.ID, Limit: 10})
	if err != nil || len(es) != 2 || es[0].Action != "team.join" || es[1].Action != "team.invite" || !strings.Contains(es[0].Detail, "host-b") {
		t.Fatalf("audit of the invitation: %+v %v", es, err)
	}
	if _, ok, err := team.LoadConfig(dirB); !ok || err != nil {
		t.Fatalf("the new machine's team settings: %v %v", ok, err)
	}

	// Used once: a second join is refused and leaves nothing behind.
	dirC := t.TempDir()
	os.WriteFile(filepath.Join(dirC, "notes.txt"), []byte("mine"), 0o600)
	if _, err := core.Join(ctx, dirC, opened, "", "host-c", opts); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("second join: %v", err)
	}
	if es, _ := os.ReadDir(dirC); len(es) != 1 || es[0].Name() != "notes.txt" {
		t.Fatalf("a failed join left or removed files: %v", es)
	}
	// A directory holding another account's key keeps it.
	dirD := t.TempDir()
	other, _ := keyfile.Load(dirD, true)
	if _, err := core.Join(ctx, dirD, opened, "", "host-d", opts); err == nil {
		t.Fatal("joined over another account's key")
	}
	if k, err := keyfile.Load(dirD, false); err != nil || string(k.Export()) != string(other.Export()) {
		t.Fatalf("the other key was touched: %v", err)
	}
	// An expired invitation does not open.
	if _, err := team.Open(data, pass, clock.Now().Add(team.InvitationLifetime+time.Second)); err == nil {
		t.Fatal("an expired invitation opened")
	}
}

// TestOpenTeamRemembersTheDatabase: an account created on a team database
// is found there again by a plain Open of its data directory; a second
// directory cannot create another account on the same database.
func TestOpenTeamRemembersTheDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := testkit.CheapParams
	opts := core.Options{Params: &p}
	db := pgtest.DB(t)
	if _, err := core.OpenTeam(ctx, t.TempDir(), strings.Replace(db, "sslmode=disable", "", 1)+"x y", "", opts); err == nil {
		t.Fatal("a malformed address was accepted")
	}
	dir := t.TempDir()
	c, err := core.OpenTeam(ctx, dir, db, "", opts)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Seed(t, c)
	c.Close()
	again, err := core.Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if again.Team() == "" {
		t.Fatal("reopened on this computer's SQLite, not the team database")
	}
	if _, err := again.Accounts.SignIn(ctx, "ada@acme.test", testkit.AdminPassword, "test"); err != nil {
		t.Fatalf("the account is not there: %v", err)
	}
	other := t.TempDir()
	if _, err := core.OpenTeam(ctx, other, db, "", opts); err == nil || !strings.Contains(err.Error(), "join it with an invitation") {
		t.Fatalf("a second account key on one team database: %v", err)
	}
	if es, _ := os.ReadDir(other); len(es) != 0 {
		t.Fatalf("the refused directory keeps %v", es)
	}
	local, err := core.Open(ctx, t.TempDir(), opts) // on this computer, whatever the tests' engine
	if err != nil {
		t.Fatal(err)
	}
	local.Close()
	if _, err := core.OpenTeam(ctx, local.Dir, db, "", opts); err == nil || !strings.Contains(err.Error(), "on this computer") {
		t.Fatalf("a directory with a local account: %v", err)
	}
}
