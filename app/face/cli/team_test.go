package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
