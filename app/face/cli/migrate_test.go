package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"keysmith/app/core"
	"keysmith/app/core/team"
	"keysmith/app/testkit/pgtest"
)

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
