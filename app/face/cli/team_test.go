package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"keysmith/app/core"
	"keysmith/app/core/team"
	"keysmith/app/testkit"
	"keysmith/app/testkit/pgtest"
)

// TestTeamInviteAndJoin: an account created in a team database invites a
// second data directory, which joins with the file and its passphrase and
// then works on the same account; the passphrase is printed once and the
// invitation joins once; no password is accepted on the command line.
func TestTeamInviteAndJoin(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	a := newHarness(t)
	if r := a.initAda("Acme", "--database", withPassword(db)); r.code != 2 || !strings.Contains(r.stderr, team.EnvDatabasePassword) {
		t.Fatalf("a password in the address on argv: %+v", r)
	}
	if es, _ := os.ReadDir(a.dir); len(es) != 0 {
		t.Fatalf("the refused init wrote %v", es)
	}
	if r := a.initAda("Acme", "--database", db); r.code != 0 {
		t.Fatalf("init --database: %+v", r)
	}
	a.as("ada@acme.test", testkit.AdminPassword)
	if r := a.run("", "team", "status"); r.code != 0 || !strings.Contains(r.stdout, "team database") {
		t.Fatalf("status: %+v", r)
	}
	key, _ := a.newKey("basic", "Orders")
	out := filepath.Join(t.TempDir(), "acme.invitation")
	r := a.run("", "team", "invite", "--out", out, "--json")
	var inv struct{ Passphrase, ID string }
	if r.code != 0 || r.decode(&inv) != nil || len(inv.Passphrase) != 35 {
		t.Fatalf("invite: %+v", r)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("invitation file: %v %v", fi, err)
	}

	b := newHarness(t)
	b.env[EnvInvitePassphrase] = "WRONG-PASSPHRASE-0000-1111-2222-33"
	if r := b.run("", "team", "join", out); r.code != 1 || !strings.Contains(r.stderr, "passphrase is wrong") {
		t.Fatalf("join with a wrong passphrase: %+v", r)
	}
	if r := b.run("", "team", "join"); r.code != 2 || !strings.Contains(r.stderr, "needs FILE") {
		t.Fatalf("join without a file: %+v", r)
	}
	b.env[EnvInvitePassphrase] = inv.Passphrase
	if r := b.run("", "team", "join", out); r.code != 2 || !strings.Contains(r.stderr, "needs --yes") ||
		!strings.Contains(r.stderr, "from Ada Admin <ada@acme.test> to the account Acme in the team database postgres://") {
		t.Fatalf("join without --yes: %+v", r)
	}
	if r := b.run("", "team", "join", "--yes", out); r.code != 0 || !strings.Contains(r.stdout, "Joined the account Acme") {
		t.Fatalf("join: %+v", r)
	}
	b.as("ada@acme.test", testkit.AdminPassword)
	if r := b.run("", "keys", "list", "--json"); r.code != 0 || !strings.Contains(r.stdout, key) {
		t.Fatalf("the joined machine does not see the key: %+v", r)
	}
	if r := b.run("", "audit", "verify"); r.code != 0 {
		t.Fatalf("audit on the joined machine: %+v", r)
	}
	if r := a.run("", "audit", "list", "--query", inv.ID); r.code != 0 || !strings.Contains(r.stdout, "team.join") || !strings.Contains(r.stdout, "team.invite") {
		t.Fatalf("audit of the invitation: %+v", r)
	}
	c := newHarness(t)
	c.env[EnvInvitePassphrase] = inv.Passphrase
	if r := c.run("", "team", "join", "--yes", out); r.code != 1 || !strings.Contains(r.stderr, "already used") {
		t.Fatalf("a second join: %+v", r)
	}
	local := seeded(t)
	if r := local.run("", "team", "invite", "--out", filepath.Join(t.TempDir(), "x")); r.code != 1 || !strings.Contains(r.stderr, "this computer only") {
		t.Fatalf("invite from a local account: %+v", r)
	}
}

// TestMigrate: keysmith migrate takes no password on the command line and
// refuses a database that is not empty (one sentence, exit status 1),
// changing nothing; it moves the local account to an empty team database,
// reports the rows of every table and the verification, and the data
// directory then works there (keys, audit, status); a second move is
// refused.
func TestMigrate(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	h := seeded(t)
	key, _ := h.newKey("hmac", "Orders")
	before := h.snapshot()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"migrate"}, "migrate requires --to"},
		{[]string{"migrate", "--to", withPassword(db)}, team.EnvDatabasePassword},
		{[]string{"migrate", "--to", "postgres://keysmith@db.example.com/keysmith"}, "sslmode=verify-full"},
		{[]string{"migrate", "--to", db, "--to", db}, "--to is given twice"},
	} {
		if r := h.run("", tt.args...); r.code != ExitUsage || !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stderr, "secret-pw") {
			t.Errorf("%v: %+v, want exit 2 with %q", tt.args, r, tt.want)
		}
	}
	full := pgtest.DB(t)
	if r := newHarness(t).initAda("Other", "--database", full); r.code != 0 {
		t.Fatalf("init another account in the team database: %+v", r)
	}
	if r := h.run("", "migrate", "--to", full); r.code != ExitFailure || !strings.Contains(r.stderr, "is not empty") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("migrate into a database holding an account: %+v", r)
	}
	if stripSignIns(h.snapshot()) != stripSignIns(before) { // each run signs in, audited
		t.Fatalf("the refused moves changed the local account")
	}

	h.env[team.EnvDatabasePassword] = "db-Passw0rd-sealed"
	r := h.run("", "migrate", "--to", db, "--json")
	var got struct {
		Database     string
		Tables       []struct{ Table string }
		Rows         int64
		Verified     bool
		AuditEntries int
		Kept         string
	}
	if r.code != 0 || r.decode(&got) != nil || r.stderr != "" {
		t.Fatalf("migrate --json: %+v", r)
	}
	clean, _, _ := team.CheckDatabaseURL(db)
	if !got.Verified || got.Database != clean || len(got.Tables) < 14 || got.Rows < int64(got.AuditEntries) ||
		got.Kept != filepath.Join(h.dir, core.MigratedFileName) {
		t.Fatalf("migrate --json: %+v", got)
	}
	settings, err := os.ReadFile(filepath.Join(h.dir, team.ConfigFile))
	if err != nil || strings.Contains(string(settings), "db-Passw0rd") {
		t.Fatalf("team settings: %s %v", settings, err)
	}
	delete(h.env, team.EnvDatabasePassword)
	if r := h.run("", "team", "status"); r.code != 0 || !strings.Contains(r.stdout, "team database "+clean) {
		t.Errorf("status after the move: %+v", r)
	}
	if r := h.run("", "keys", "list", "--json"); r.code != 0 || !strings.Contains(r.stdout, key) {
		t.Errorf("keys after the move: %+v", r)
	}
	if r := h.run("", "audit", "verify"); r.code != 0 {
		t.Errorf("audit verify after the move: %+v", r)
	}
	if r := h.run("", "audit", "list", "--query", "team.migrate"); r.code != 0 || !strings.Contains(r.stdout, "Ada Admin") {
		t.Errorf("the move in the audit log: %+v", r)
	}
	if r := h.run("", "migrate", "--to", pgtest.DB(t)); r.code != ExitFailure || !strings.Contains(r.stderr, "already lives in the team database") {
		t.Errorf("a second move: %+v", r)
	}
}
