package core_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/accounts"
	"keysmith/app/core/audit"
	"keysmith/app/core/credentials"
	"keysmith/app/core/errs"
	"keysmith/app/core/keyfile"
	"keysmith/app/core/store"
	"keysmith/app/core/team"
	"keysmith/app/core/vault"
	"keysmith/app/core/verifiers"
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

// The local account of these tests is always in SQLite: a move starts on
// this computer, whatever engine the rest of the suite runs on.
func skipOnPostgresPass(t *testing.T) {
	t.Helper()
	if testkit.Engine() == store.Postgres {
		t.Skip("the moved account is a local SQLite one whatever the engine: this ran in the SQLite pass")
	}
}

const vaultPassphrase = "orchid-Basalt-17-lantern-quiet"

// migrated is a local account with a row in every table, and what it
// takes to check that each still works after a move.
type migrated struct {
	c              *core.Core
	dir            string
	opts           core.Options
	users          testkit.Users
	basic, hmac    credentials.Credential
	basicSecret    string // the rolled key's new secret
	oldBasicSecret string // its first secret, within its grace period
	hmacSecret     string
	legacy         credentials.Credential
	recovery       string
	item           int64
}

const legacyPassword = "Passw0rdX"

// migrateFixture makes a local account that fills every table of the
// schema: users, a sign-in failure, Basic (rolled: two generations), HMAC
// and Legacy credentials, a vault with both key slots, an item and its
// manifest, and an audit log whose oldest entries were archived (its
// checkpoint). The account is a local SQLite one whatever the engine, so
// a test of it runs in the SQLite pass only (skipOnPostgresPass).
func migrateFixture(t *testing.T) *migrated {
	t.Helper()
	skipOnPostgresPass(t)
	ctx := context.Background()
	clock := testkit.NewClock()
	p, kdf := testkit.CheapParams, testkit.FastVaultKDF
	m := &migrated{dir: t.TempDir(), opts: core.Options{Params: &p, Clock: clock.Now, VaultKDF: &kdf}}
	var err error
	if m.c, err = core.Open(ctx, m.dir, m.opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.c.Close() })
	m.users = testkit.Seed(t, m.c)
	clock.Advance(48 * time.Hour)
	admin := m.users.Admin.ID
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	m.basic, m.oldBasicSecret, err = m.c.Credentials.Create(ctx, admin, credentials.Basic, "Orders", nil)
	must(err)
	m.basic, m.basicSecret, err = m.c.Credentials.Roll(ctx, admin, m.basic.ID, 7*24*time.Hour)
	must(err)
	m.hmac, m.hmacSecret, err = m.c.Credentials.Create(ctx, admin, credentials.HMAC, "Billing ☃", nil)
	must(err)
	m.legacy, err = m.c.Credentials.CreateLegacy(ctx, admin, "ordersys", legacyPassword, nil)
	must(err)
	if _, err := m.c.Accounts.SignIn(ctx, "bea@acme.test", "not-her-password", "test"); !errors.Is(err, errs.ErrBadCredentials) {
		t.Fatalf("a failed sign-in: %v", err)
	}
	sess, code, err := m.c.Vault.Setup(ctx, admin, vaultPassphrase, true)
	must(err)
	m.recovery = code
	m.item, err = sess.Add(ctx, admin, vault.Item{Kind: "login", Title: "Router", Username: "root", Secret: "s3cret-Ü"})
	must(err)
	_, err = m.c.ArchiveAudit(ctx, admin, clock.Now().Add(-24*time.Hour), filepath.Join(t.TempDir(), "archive.jsonl"))
	must(err)
	// The window's endpoint registered; a remembered signature (only
	// replicas on a team database write one: planted here so that the
	// move is checked to carry that table too).
	_, err = m.c.Verifiers.Register(ctx, admin, verifiers.Info{Kind: verifiers.Window, Host: "ada-laptop", Address: "127.0.0.1:8787", Version: "test"})
	must(err)
	_, err = testkit.DB(t, m.dir).ExecContext(ctx, `INSERT INTO replay_signatures (digest, expires_at) VALUES (?, ?)`,
		bytes.Repeat([]byte{7}, 32), clock.Now().Add(5*time.Minute).UnixMilli())
	must(err)
	return m
}

// readOnly opens a SQLite database file for reading, beside the core.
func readOnly(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// everyTableFilled fails when a table of the schema holds no row in db, so
// a new table cannot go uncompared: give it rows in migrateFixture.
func everyTableFilled(t *testing.T, db *sql.DB) []string {
	t.Helper()
	tables, err := store.Tables(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		if testkit.Count(t, db, table) == 0 {
			t.Errorf("table %s has no row in the local account: fill it in migrateFixture, so the move is checked to carry it", table)
		}
	}
	if len(tables) < 14 {
		t.Fatalf("only %d tables: %v", len(tables), tables)
	}
	return tables
}

// sameRows compares every row of every table of local with target, both
// read in order of their first column (each table's primary key) and
// rendered value by value: audit entries up to seq (those after it are
// the target's own), and every table but audit_anchor, which the entries
// after seq reseal (Verify checks it).
func sameRows(t *testing.T, local, target *sql.DB, seq int64) {
	t.Helper()
	ctx := context.Background()
	tables, err := store.Tables(ctx, local)
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		if table == "audit_anchor" {
			continue
		}
		r, err := local.Query(`SELECT * FROM "` + table + `" LIMIT 0`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := r.Columns()
		r.Close()
		key := `"` + cols[0] + `"`
		var typ string
		if err := target.QueryRow(`SELECT data_type FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = ? AND column_name = ?`, table, cols[0]).Scan(&typ); err != nil {
			t.Fatalf("%s.%s in the target: %v", table, cols[0], err)
		}
		where := ""
		if table == "audit" {
			where = fmt.Sprintf(" WHERE seq <= %d", seq)
		}
		liteOrder, pgOrder := key, key
		if typ == "text" { // byte order on both sides
			liteOrder, pgOrder = key+" COLLATE BINARY", key+` COLLATE "C"`
		}
		a, err := local.Query(`SELECT * FROM "` + table + `"` + where + ` ORDER BY ` + liteOrder)
		if err != nil {
			t.Fatal(err)
		}
		b, err := target.Query(`SELECT * FROM "` + table + `"` + where + ` ORDER BY ` + pgOrder)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			more := a.Next()
			if more != b.Next() {
				t.Fatalf("%s: %d rows on one side, more on the other", table, n)
			}
			if !more {
				break
			}
			x, y := rendered(t, a, len(cols)), rendered(t, b, len(cols))
			if x != y {
				t.Fatalf("%s row %d differs:\nlocal  %s\ntarget %s", table, n, x, y)
			}
			n++
		}
		if err := errors.Join(a.Err(), b.Err()); err != nil {
			t.Fatal(err)
		}
		a.Close()
		b.Close()
	}
}

// rendered is the current row, each value with its type (an empty BLOB
// is not NULL).
func rendered(t *testing.T, r *sql.Rows, n int) string {
	t.Helper()
	vals, dest := store.Values(n)
	if err := r.Scan(dest...); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, v := range vals {
		switch x := v.(type) {
		case []byte:
			fmt.Fprintf(&b, "blob:%x|", x)
		case nil:
			b.WriteString("null|")
		default:
			fmt.Fprintf(&b, "%T:%v|", x, x)
		}
	}
	return b.String()
}

// machine is what a data directory holds, file by file (SQLite's shared
// memory index left out: readers write it).
func machine(t *testing.T, dir string) map[string]string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range es {
		if strings.HasSuffix(e.Name(), "-shm") || e.IsDir() {
			out[e.Name()] = "present"
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		out[e.Name()] = hex.EncodeToString(sum[:])
	}
	return out
}

// TestMigrate: an Administrator moves a local account with a row in every
// table to an empty PostgreSQL database. Every row of every table arrives
// as it was; the chain verifies there, with the move recorded at its end;
// the data directory then uses the team database (its password sealed),
// and keeps the untouched local file under a name Keysmith never opens;
// the users, credentials and vault work there, ids continue, and the data
// directory opens on the team database from then on.
func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := migrateFixture(t)
	local := filepath.Join(m.dir, store.FileName)
	tables := everyTableFilled(t, readOnly(t, local))
	before := testkit.Snapshot(t, readOnly(t, local))
	var entries, maxSeq int64
	if err := readOnly(t, local).QueryRow(`SELECT COUNT(*), MAX(seq) FROM audit`).Scan(&entries, &maxSeq); err != nil {
		t.Fatal(err)
	}

	target := pgtest.DB(t)
	clean, _, _ := team.CheckDatabaseURL(target)
	const dbPassword = "db-Passw0rd-never-in-plain"
	var mu sync.Mutex
	done := map[string]int64{}
	got, err := m.c.Migrate(ctx, m.users.Admin.ID, target, dbPassword, func(p core.MigrateProgress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Done {
			done[p.Table] = p.Rows
		}
	})
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}

	// What it reports.
	var names []string
	var rows int64
	for _, tc := range got.Tables {
		names = append(names, tc.Table)
		rows += tc.Rows
		if done[tc.Table] != tc.Rows || tc.Rows == 0 {
			t.Errorf("%s: %d rows copied, progress said %d", tc.Table, tc.Rows, done[tc.Table])
		}
	}
	sort.Strings(names)
	if strings.Join(names, " ") != strings.Join(tables, " ") || rows != got.Rows {
		t.Errorf("copied %v (%d rows, reported %d), the schema has %v", names, rows, got.Rows, tables)
	}
	if got.Database != clean || got.Entries != int(entries)+1 || got.Kept != filepath.Join(m.dir, core.MigratedFileName) {
		t.Errorf("result %+v; want %s, %d entries", got, clean, entries+1)
	}

	// The local file: renamed, untouched; the team database: the same rows.
	for name := range machine(t, m.dir) {
		if strings.HasPrefix(name, store.FileName) && !strings.HasPrefix(name, core.MigratedFileName) {
			t.Errorf("%s still in the data directory", name)
		}
	}
	kept := readOnly(t, got.Kept)
	if after := testkit.Snapshot(t, kept); after != before {
		t.Errorf("the local database changed in the move")
	}
	pg, err := store.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	sameRows(t, kept, pg.DB, maxSeq)
	var action, actor, what string
	if err := pg.DB.QueryRow(`SELECT action, actor, target FROM audit WHERE seq = ?`, maxSeq+1).Scan(&action, &actor, &what); err != nil ||
		action != "team.migrate" || actor != m.users.Admin.Label() || what != clean {
		t.Errorf("the entry after the copy: %s by %s on %s (%v)", action, actor, what, err)
	}

	// The machine now uses it; the password is sealed, not written.
	if m.c.Team() != clean {
		t.Errorf("the core still on %q", m.c.Team())
	}
	settings, err := os.ReadFile(filepath.Join(m.dir, team.ConfigFile))
	if err != nil || strings.Contains(string(settings), dbPassword) || !strings.Contains(string(settings), `"password"`) {
		t.Errorf("team settings %s (%v): want the password sealed", settings, err)
	}
	if res, err := m.c.VerifyAudit(ctx, m.users.Admin.ID); err != nil || !res.OK() || res.Checked != got.Entries {
		t.Errorf("audit on the team database: %+v %v", res, err)
	}
	worksThere(t, m)

	// Reopened, the data directory uses the team database.
	m.c.Close()
	if m.c, err = core.Open(ctx, m.dir, m.opts); err != nil {
		t.Fatal(err)
	}
	if m.c.Team() != clean {
		t.Errorf("reopened on %q", m.c.Team())
	}
	if res, err := m.c.VerifyAudit(ctx, m.users.Admin.ID); err != nil || !res.OK() {
		t.Errorf("audit after reopening: %+v %v", res, err)
	}
	if _, err := m.c.Migrate(ctx, m.users.Admin.ID, pgtest.DB(t), "", nil); err == nil || !strings.Contains(err.Error(), "already lives in the team database") {
		t.Errorf("a second move: %v", err)
	}
}

// worksThere: users sign in, every credential authenticates with its
// secrets (the rolled one with both, in its grace period), none reads as
// tampered, the vault opens with its passphrase and its recovery code, and
// new users and keys take the next ids.
func worksThere(t *testing.T, m *migrated) {
	t.Helper()
	ctx := context.Background()
	admin := m.users.Admin.ID
	if _, err := m.c.Accounts.SignIn(ctx, "bea@acme.test", testkit.BasicPassword, "test"); err != nil {
		t.Errorf("sign in: %v", err)
	}
	for _, tt := range []struct{ key, secret string }{
		{m.basic.Key, m.basicSecret}, {m.basic.Key, m.oldBasicSecret}, {"ordersys", legacyPassword},
	} {
		if _, err := m.c.Credentials.Authenticate(ctx, tt.key, tt.secret); err != nil {
			t.Errorf("authenticate %s: %v", tt.key, err)
		}
	}
	if _, secrets, err := m.c.Credentials.HMACSecrets(ctx, m.hmac.Key); err != nil || len(secrets) != 1 || secrets[0] != m.hmacSecret {
		t.Errorf("HMAC secret: %v", err)
	}
	if n, bad, err := m.c.Credentials.VerifyAll(ctx, admin); err != nil || len(bad) != 0 || n != 3 {
		t.Errorf("credential states: %d checked, %v tampered, %v", n, bad, err)
	}
	for _, tt := range []struct {
		secret   string
		recovery bool
	}{{vaultPassphrase, false}, {m.recovery, true}} {
		sess, err := m.c.Vault.Unlock(ctx, admin, tt.secret, tt.recovery)
		if err != nil {
			t.Fatalf("unlock the vault (recovery %v): %v", tt.recovery, err)
		}
		if it, err := sess.Get(ctx, admin, m.item); err != nil || it.Secret != "s3cret-Ü" {
			t.Errorf("vault item: %+v %v", it, err)
		}
	}
	u, err := m.c.Accounts.AddUser(ctx, admin, accounts.NewUser{Name: "Cy", Email: "cy@acme.test", Role: accounts.Basic, Password: "granite-Violin-42-harbor"})
	if err != nil || u.ID != m.users.Basic.ID+1 {
		t.Errorf("a new user: id %d, %v", u.ID, err)
	}
	if c, _, err := m.c.Credentials.Create(ctx, admin, credentials.Basic, "After", nil); err != nil || c.ID != m.legacy.ID+1 {
		t.Errorf("a new key: id %d, %v", c.ID, err)
	}
}

// TestMigrateRefused: a move is refused, with a clear reason and nothing
// changed on this computer or in the target, when the caller is not an
// Administrator (before any connection), the address is unsafe, the
// target is not empty or cannot be reached, the local audit log does not
// verify, or an earlier move's file is in the way; and it is undone
// entirely when it fails midway (a table appearing in the target, the
// connection cut). The account then still opens, on this computer.
func TestMigrateRefused(t *testing.T) {
	skipOnPostgresPass(t)
	t.Parallel()
	ctx := context.Background()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nowhere := "postgres://keysmith@" + l.Addr().String() + "/keysmith?sslmode=disable&connect_timeout=5"
	l.Close()
	type setup struct {
		actor    int64
		to       string
		progress func(core.MigrateProgress)
	}
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T, m *migrated, target string) setup
		want  string // in the error
		is    error
		left  []string // tables in the target afterwards
	}{
		{"a Basic user", func(t *testing.T, m *migrated, _ string) setup {
			return setup{actor: m.users.Basic.ID, to: nowhere}
		}, "", errs.ErrForbidden, nil},
		{"an Advanced user", func(t *testing.T, m *migrated, _ string) setup {
			return setup{actor: m.users.Advanced.ID, to: nowhere}
		}, "", errs.ErrForbidden, nil},
		{"a remote address without verify-full", func(t *testing.T, m *migrated, _ string) setup {
			return setup{to: "postgres://keysmith@db.example.com/keysmith"}
		}, "sslmode=verify-full", nil, nil},
		{"a database that cannot be reached", func(t *testing.T, m *migrated, _ string) setup {
			return setup{to: nowhere}
		}, "Cannot connect to the database", nil, nil},
		{"a database holding a table", func(t *testing.T, m *migrated, target string) setup {
			pgtest.Open(t, target).Exec(`CREATE TABLE theirs (x int)`)
			return setup{}
		}, "is not empty", nil, []string{"theirs"}},
		{"a database holding an account", func(t *testing.T, m *migrated, target string) setup {
			o := m.opts
			o.Database = target
			other, err := core.Open(ctx, t.TempDir(), o)
			if err != nil {
				t.Fatal(err)
			}
			testkit.Seed(t, other)
			other.Close()
			return setup{}
		}, "is not empty", nil, nil},
		{"a table made in the target during the copy", func(t *testing.T, m *migrated, target string) setup {
			db := pgtest.Open(t, target)
			var once sync.Once
			return setup{progress: func(p core.MigrateProgress) {
				if p.Table == "credentials" {
					once.Do(func() { db.Exec(`CREATE TABLE intruder (x int)`) })
				}
			}}
		}, "is not empty", nil, []string{"intruder"}},
		{"the connection cut during the copy", func(t *testing.T, m *migrated, target string) setup {
			db := pgtest.Open(t, target)
			return setup{progress: func(p core.MigrateProgress) {
				if p.Table == "credentials" && p.Done {
					db.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
				}
			}}
		}, "stopped before it completed", nil, nil},
		{"a local audit log that does not verify", func(t *testing.T, m *migrated, _ string) setup {
			db, err := sql.Open("sqlite", "file:"+filepath.Join(m.dir, store.FileName))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			restore := testkit.LiftAppendOnly(t, db)
			if _, err := db.Exec(`UPDATE audit SET detail = 'edited' WHERE seq = (SELECT MAX(seq) - 2 FROM audit)`); err != nil {
				t.Fatal(err)
			}
			restore()
			return setup{}
		}, "audit log does not verify", nil, nil},
		{"an earlier move's file", func(t *testing.T, m *migrated, _ string) setup {
			os.WriteFile(filepath.Join(m.dir, core.MigratedFileName), []byte("x"), 0o600)
			return setup{}
		}, "from an earlier move", nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := migrateFixture(t)
			target := pgtest.DB(t)
			s := tt.setup(t, m, target)
			if s.actor == 0 {
				s.actor = m.users.Admin.ID
			}
			if s.to == "" {
				s.to = target
			}
			tablesBefore := targetTables(t, pgtest.Open(t, target))
			dirBefore := machine(t, m.dir)
			local := filepath.Join(m.dir, store.FileName)
			before := testkit.Snapshot(t, readOnly(t, local))

			_, err := m.c.Migrate(ctx, s.actor, s.to, "", s.progress)
			if err == nil || tt.is != nil && !errors.Is(err, tt.is) || !strings.Contains(errs.Message(err), tt.want) {
				t.Fatalf("migrate: %v (%q), want %v %q", err, errs.Message(err), tt.is, tt.want)
			}
			if strings.Contains(err.Error(), "Passw") {
				t.Errorf("the error names a password: %v", err)
			}
			if got := machine(t, m.dir); fmt.Sprint(got) != fmt.Sprint(dirBefore) {
				t.Errorf("the data directory changed:\n%v\n%v", dirBefore, got)
			}
			if testkit.Snapshot(t, readOnly(t, local)) != before {
				t.Errorf("the local database changed")
			}
			left := tt.left
			if left == nil {
				left = tablesBefore
			}
			if got := targetTables(t, pgtest.Open(t, target)); strings.Join(got, " ") != strings.Join(left, " ") {
				t.Errorf("the target holds %v, want %v", got, left)
			}
			// Still the local account, in the open core and opened again.
			if m.c.Team() != "" {
				t.Errorf("the core moved to %s", m.c.Team())
			}
			m.c.Close()
			if m.c, err = core.Open(ctx, m.dir, m.opts); err != nil {
				t.Fatalf("reopen: %v", err)
			}
			if m.c.Team() != "" {
				t.Errorf("reopened on %s", m.c.Team())
			}
			if _, err := m.c.Accounts.SignIn(ctx, "ada@acme.test", testkit.AdminPassword, "test"); err != nil {
				t.Errorf("sign in after the refused move: %v", err)
			}
		})
	}
}

func targetTables(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`)
	got, err := store.Collect(rows, err, func(rs *sql.Rows, v *string) error { return rs.Scan(v) })
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestMigrateFailsAfterCommit: when the copy has committed but the machine
// cannot switch (here its team settings cannot be written), this computer
// keeps its own account exactly as it was, its audit head included, and
// the error says the team database holds the copy.
func TestMigrateFailsAfterCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := migrateFixture(t)
	settings := filepath.Join(m.dir, team.ConfigFile)
	if err := os.Mkdir(settings, 0o700); err != nil { // a file cannot replace it
		t.Fatal(err)
	}
	dirBefore := machine(t, m.dir)
	target := pgtest.DB(t)
	_, err := m.c.Migrate(ctx, m.users.Admin.ID, target, "", nil)
	if msg := errs.Message(err); !strings.Contains(msg, "was copied to") || !strings.Contains(msg, "team settings could not be written") ||
		!strings.Contains(msg, "empty the team database") {
		t.Fatalf("migrate: %v (%q)", err, msg)
	}
	if got := machine(t, m.dir); fmt.Sprint(got) != fmt.Sprint(dirBefore) {
		t.Errorf("the data directory changed:\n%v\n%v", dirBefore, got)
	}
	if empty, err := store.Empty(ctx, target); err != nil || empty {
		t.Errorf("the committed copy is not in the target: empty %v, %v", empty, err)
	}
	if m.c.Team() != "" {
		t.Errorf("the core moved to %s", m.c.Team())
	}
	if res, err := m.c.VerifyAudit(ctx, m.users.Admin.ID); err != nil || !res.OK() {
		t.Errorf("the local audit log after the failed switch: %+v %v", res, err)
	}
	m.c.Close()
	os.Remove(settings)
	if m.c, err = core.Open(ctx, m.dir, m.opts); err != nil || m.c.Team() != "" {
		t.Fatalf("reopen: %v", err)
	}
	if res, err := m.c.VerifyAudit(ctx, m.users.Admin.ID); err != nil || !res.OK() {
		t.Errorf("the local audit log reopened: %+v %v", res, err)
	}
}
