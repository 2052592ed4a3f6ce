package core_test

import (
	"context"
	"errors"
	"net/url"
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
	"keysmith/app/core/store"
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
	a, u, opts := teamAccount(t, clock)
	cred, secret := testkit.Create(t, a, u.Admin.ID, credentials.Basic, "Orders")
	pass := team.NewPassphrase()
	if _, _, err := a.Invite(ctx, u.Basic.ID, pass, true); !errors.Is(err, errs.ErrForbidden) {
		t.Fatalf("a Basic user invited: %v", err)
	}
	local, lu := localAccount(t, opts)
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

// teamAccount opens a seeded account on a new team database, and returns
// the options (cheap hashing, clock) to open other data directories with.
func teamAccount(t *testing.T, clock *testkit.Clock) (*core.Core, testkit.Users, core.Options) {
	t.Helper()
	a := testkit.OpenOnPostgres(t, clock)
	p := testkit.CheapParams
	return a, testkit.Seed(t, a), core.Options{Params: &p, Clock: clock.Now}
}

// localAccount opens a seeded account on this computer (in SQLite,
// whatever the tests' engine) with teamAccount's options.
func localAccount(t *testing.T, opts core.Options) (*core.Core, testkit.Users) {
	t.Helper()
	c, err := core.Open(context.Background(), t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, testkit.Seed(t, c)
}

// TestJoinInstead: a window opened on a new data directory made an empty
// database there; joining a team in its place leaves the data directory
// exactly as it was when it fails, and a machine of the team when it
// succeeds. A data directory with an account is refused, untouched.
func TestJoinInstead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := testkit.NewClock()
	a, u, opts := teamAccount(t, clock)
	pass := team.NewPassphrase()
	data, _, err := a.Invite(ctx, u.Admin.ID, pass, true)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := team.Open(data, pass, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	unreachable := inv
	unreachable.Database = "postgres://keysmith@127.0.0.1:1/keysmith"

	window := opts
	window.CheckLater = true
	dir := t.TempDir()
	fresh, err := core.Open(ctx, dir, window)
	if err != nil {
		t.Fatal(err)
	}
	if err := fresh.Check(ctx); err != nil { // as the window does once open
		t.Fatal(err)
	}
	fresh.Close() // the files as they are between two uses
	before := testkit.Listing(t, dir, false)
	fresh, _ = core.Open(ctx, dir, window)

	c, err := fresh.JoinInstead(ctx, unreachable, "", "host-b", opts)
	if !errors.Is(err, errs.ErrUnreachable) || c == nil || c == fresh {
		t.Fatalf("join an unreachable database: %v (core %v)", err, c)
	}
	if _, err := c.Accounts.Account(ctx); !errors.Is(err, errs.ErrNotSetUp) || c.Team() != "" {
		t.Fatalf("after a failed join the window has not its empty account back: %v %q", err, c.Team())
	}
	// OpenTeam keeps a new key and settings for a retry when it fails;
	// in place of a window's empty database, those go too.
	c, err = c.OpenTeamInstead(ctx, unreachable.Database, "pw", opts)
	if !errors.Is(err, errs.ErrUnreachable) || c == nil {
		t.Fatalf("create in an unreachable database: %v", err)
	}
	c.Close()
	if after := testkit.Listing(t, dir, false); after != before {
		t.Fatalf("a failed join changed the data directory:\n%s\nwas\n%s", after, before)
	}

	c, _ = core.Open(ctx, dir, window)
	c, err = c.JoinInstead(ctx, inv, "", "host-b", opts)
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	defer c.Close()
	if c.Team() == "" {
		t.Fatal("joined, yet on this computer")
	}
	if _, err := c.Accounts.SignIn(ctx, "ada@acme.test", testkit.AdminPassword, "test"); err != nil {
		t.Fatalf("sign in on the machine that joined: %v", err)
	}
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		if e.Name() == store.FileName || strings.HasPrefix(e.Name(), ".keysmith-aside") {
			t.Fatalf("the database on this computer stays after joining: %s", e.Name())
		}
	}

	// A data directory that holds an account keeps it.
	local, _ := localAccount(t, opts)
	inv2data, _, _ := a.Invite(ctx, u.Admin.ID, pass, true)
	inv2, _ := team.Open(inv2data, pass, clock.Now())
	got, err := local.JoinInstead(ctx, inv2, "", "host-c", opts)
	if got != local || err == nil || !strings.Contains(err.Error(), "already holds an account") {
		t.Fatalf("joined over an account: %v", err)
	}
	if _, err := local.Accounts.SignIn(ctx, "ada@acme.test", testkit.AdminPassword, "test"); err != nil {
		t.Fatalf("the refused core no longer works: %v", err)
	}
}

// TestOpenTeamExplainsRefusals: a database that cannot be reached, a user
// it does not know and a database it does not have each fail with their
// own code or field, and the address never in the message with a password.
func TestOpenTeamExplainsRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := testkit.CheapParams
	db, err := url.Parse(pgtest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	with := func(f func(u *url.URL)) string {
		u := *db
		f(&u)
		return u.String()
	}
	for _, tt := range []struct {
		name, address string
		code, field   string
	}{
		{"no server there", with(func(u *url.URL) { u.Host = "127.0.0.1:1" }), "unreachable", ""},
		{"an unknown user", with(func(u *url.URL) { u.User = url.User("nosuchrole") }), errs.CodeInvalid, "password"},
		{"no such database", with(func(u *url.URL) { u.Path = "/nosuchdb" }), errs.CodeInvalid, "database"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := core.OpenTeam(ctx, t.TempDir(), tt.address, "pw-not-shown", core.Options{Params: &p})
			pr := errs.ProblemOf(err)
			if pr.Code != tt.code || pr.Field != tt.field || strings.Contains(pr.Message, "pw-not-shown") {
				t.Fatalf("%+v (%v)", pr, err)
			}
		})
	}
}

// TestCheckInvite: what Invite checks first, without writing.
func TestCheckInvite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, u, opts := teamAccount(t, testkit.NewClock())
	if err := a.CheckInvite(ctx, u.Admin.ID); err != nil {
		t.Fatalf("an Administrator of a team account: %v", err)
	}
	for _, id := range []int64{u.Basic.ID, u.Advanced.ID} {
		if err := a.CheckInvite(ctx, id); !errors.Is(err, errs.ErrForbidden) {
			t.Fatalf("user %d: %v", id, err)
		}
	}
	local, lu := localAccount(t, opts)
	if err := local.CheckInvite(ctx, lu.Admin.ID); errs.ProblemOf(err).Field != "team" {
		t.Fatalf("an account on this computer: %v", err)
	}
}
