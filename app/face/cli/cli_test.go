package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"keysmith/app/core"
	"keysmith/app/core/audit"
	"keysmith/app/testkit"
)

// harness runs the command line in-process on one data directory.
type harness struct {
	t   *testing.T
	dir string
	env map[string]string
}

type result struct {
	code           int
	stdout, stderr string
}

// decode parses the JSON the command printed into v.
func (r result) decode(v any) error { return json.Unmarshal([]byte(r.stdout), v) }

func newHarness(t *testing.T) *harness {
	return &harness{t: t, dir: t.TempDir(), env: map[string]string{}}
}

func (h *harness) run(stdin string, args ...string) result {
	h.t.Helper()
	var out bytes.Buffer
	r := h.runTo(&out, stdin, args...)
	r.stdout = out.String()
	return r
}

// runTo runs the command line with standard output going to stdout.
func (h *harness) runTo(stdout io.Writer, stdin string, args ...string) result {
	h.t.Helper()
	var errb bytes.Buffer
	p := testkit.CheapParams
	k := testkit.FastVaultKDF
	f, _ := stdout.(*os.File)
	code := Run(append([]string{"--data-dir", h.dir}, args...), Env{
		Stdin: strings.NewReader(stdin), Stdout: stdout, StdoutFile: f, Stderr: &errb,
		Getenv:  func(k string) string { return h.env[k] },
		Options: core.Options{Params: &p, VaultKDF: &k},
	})
	return result{code, "", errb.String()}
}

func (h *harness) as(email, password string) *harness {
	h.env[EnvEmail], h.env[EnvPassword] = email, password
	return h
}

// initAda creates the account with Ada Admin as its first Administrator,
// on this computer or, with --database and an address in more, in a team
// database.
func (h *harness) initAda(account string, more ...string) result {
	h.t.Helper()
	return h.run(testkit.AdminPassword+"\n", append([]string{"init", "--account", account, "--name", "Ada Admin", "--email", "ada@acme.test"}, more...)...)
}

// newKey creates an API key of type typ (basic or hmac) and returns its key
// and secret.
func (h *harness) newKey(typ, name string) (key, secret string) {
	h.t.Helper()
	r := h.run("", "keys", "create", "--type", typ, "--name", name, "--json")
	var k struct{ Key, Secret string }
	if r.code != 0 || r.decode(&k) != nil || k.Key == "" {
		h.t.Fatalf("keys create: %+v", r)
	}
	return k.Key, k.Secret
}

// withPassword puts a password into a team database's address, which the
// command line must refuse.
func withPassword(address string) string {
	return strings.Replace(address, "postgres://", "postgres://u:secret-pw@", 1)
}

// seeded initializes the account with Ada (Administrator), Avi (Advanced) and
// Bea (Basic) through the command line itself.
func seeded(t *testing.T) *harness {
	h := newHarness(t)
	if r := h.initAda("Acme"); r.code != 0 {
		t.Fatalf("init: %+v", r)
	}
	h.as("ada@acme.test", testkit.AdminPassword)
	for _, u := range []struct{ name, email, role, pw string }{
		{"Avi Advanced", "avi@acme.test", "Advanced", testkit.AdvancedPassword},
		{"Bea Basic", "bea@acme.test", "Basic", testkit.BasicPassword},
	} {
		if r := h.run(u.pw+"\n", "users", "add", "--name", u.name, "--email", u.email, "--role", u.role); r.code != 0 {
			t.Fatalf("add %s: %+v", u.email, r)
		}
	}
	return h
}

func (h *harness) snapshot() string {
	h.t.Helper()
	return testkit.Snapshot(h.t, testkit.DB(h.t, h.dir))
}

func TestHelpAndUsageErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.run("", "help")
	if r.code != 0 || !strings.Contains(r.stdout, "users add") || !strings.Contains(r.stdout, "Exit status") {
		t.Fatalf("help: %+v", r)
	}
	for _, c := range commands {
		r := h.run("", append(strings.Fields(c.name), "--help")...)
		if r.code != 0 || !strings.Contains(r.stdout, "Usage: keysmith "+c.name) {
			t.Errorf("%s --help: %+v", c.name, r)
		}
		r = h.run("", "help", c.name)
		if r.code != 0 || !strings.Contains(r.stdout, c.help) {
			t.Errorf("help %s: %+v", c.name, r)
		}
	}
	for _, args := range [][]string{{"keys", "--help"}, {"vault", "-h"}, {"users", "help"}} {
		if r := h.run("", args...); r.code != 0 || !strings.Contains(r.stdout, "Usage: keysmith "+args[0]+" SUBCOMMAND") {
			t.Errorf("%v: %+v", args, r)
		}
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown subcommand", []string{"users", "frob"}, `unknown command "users frob"`},
		{"group alone", []string{"users"}, "needs a subcommand"},
		{"missing flags", []string{"init"}, "init requires --account and --email and --name"},
		{"password as argument", []string{"init", "--account", "A", "--name", "N", "--email", "a@b.co", "--password", "x"}, "unknown option --password"},
		{"single-dash unknown option", []string{"users", "list", "-bogus"}, "unknown option --bogus"},
		{"option without a value", []string{"audit", "list", "--limit"}, "--limit needs a value"},
		{"letters for a number", []string{"audit", "list", "--limit", "abc"}, `--limit: "abc" is not a whole number`},
		{"duration without a unit", []string{"verify", "--skew", "5"}, `--skew: "5" is not a duration with a unit, like 300s or 5m`},
		{"stray argument", []string{"users", "list", "extra"}, `unexpected argument "extra"`},
		{"delete without yes", []string{"users", "delete", "--email", "a@b.co"}, "needs --yes"},
		{"set-role without role", []string{"users", "set-role", "--email", "a@b.co"}, "requires --role"},
		{"bad limit", []string{"audit", "list", "--limit", "0"}, "--limit must be"},
		{"data dir without value", []string{"--data-dir"}, "--data-dir needs a directory"},
		{"version with an argument", []string{"version", "extra"}, `unexpected argument "extra"`},
		{"an unknown role", []string{"users", "set-role", "--email", "bea@acme.test", "--role", "root"}, "Role must be Administrator, Advanced or Basic."},
		{"an unknown role for a new user", []string{"users", "add", "--name", "N", "--email", "n@acme.test", "--role", "root"}, "Role must be Administrator, Advanced or Basic."},
		{"a grace period not offered", []string{"keys", "roll", "--key", "K", "--grace", "2h"}, "Grace period must be"},
		{"a bool option with a value", []string{"keys", "list", "--json=maybe"}, `--json: "maybe" is not true or false`},
		{"an option twice", []string{"keys", "create", "--type", "basic", "--name", "x", "--name", "y"}, "--name is given twice"},
		{"an option twice, once with =", []string{"audit", "list", "--limit=5", "-limit", "6"}, "--limit is given twice"},
		{"a bool option twice", []string{"keys", "list", "--json", "--json"}, "--json is given twice"},
		{"vault edit with nothing to change", []string{"vault", "edit", "--id", "1"}, "nothing to change"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.run("", tc.args...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Fatalf("got %+v, want exit 2 and one line with %q", r, tc.want)
			}
		})
	}
}

func TestInit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.run("password\n", "init", "--account", "Acme", "--name", "Ann", "--email", "ann@acme.test")
	if r.code != 1 || !strings.Contains(r.stderr, "too common") {
		t.Fatalf("weak password: %+v", r)
	}
	r = h.run("", "init", "--account", "Acme", "--name", "Ann", "--email", "ann@acme.test")
	if r.code != 1 || !strings.Contains(r.stderr, "standard input") {
		t.Fatalf("no password: %+v", r)
	}
	r = h.run(testkit.AdminPassword+"\r\n", "init", "--account", "Acme", "--name", "Ann", "--email", "ann@acme.test", "--json")
	var out struct {
		Account string
		User    struct{ Email, Role string }
	}
	if r.code != 0 || r.decode(&out) != nil || out.Account != "Acme" || out.User.Role != "Administrator" {
		t.Fatalf("init --json: %+v", r)
	}
	r = h.run(testkit.AdminPassword+"\n", "init", "--account", "Other", "--name", "Eve", "--email", "eve@acme.test")
	if r.code != 1 || !strings.Contains(r.stderr, "already set up") {
		t.Fatalf("second init: %+v", r)
	}
	// The trailing CR was not part of the password.
	h.as("ann@acme.test", testkit.AdminPassword)
	if r := h.run("", "users", "list"); r.code != 0 {
		t.Fatalf("sign in after CRLF password: %+v", r)
	}
}

func TestUsersCommands(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	r := h.run("", "users", "list", "--json")
	var list []struct {
		Email, Role string
		Disabled    bool
	}
	if r.code != 0 || r.decode(&list) != nil || len(list) != 3 {
		t.Fatalf("list: %+v", r)
	}
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"users", "set-role", "--email", "bea@acme.test", "--role", "advanced"}, "Updated Bea Basic <bea@acme.test> (Advanced)."},
		{[]string{"users", "disable", "--email", "bea@acme.test"}, "(Advanced, disabled)"},
		{[]string{"users", "enable", "--email", "BEA@acme.test"}, "Enabled Bea Basic"},
		{[]string{"users", "delete", "--email", "avi@acme.test", "--yes"}, "Deleted avi@acme.test."},
	}
	for _, s := range steps {
		if r := h.run("", s.args...); r.code != 0 || !strings.Contains(r.stdout, s.want) {
			t.Fatalf("%v: %+v", s.args, r)
		}
	}
	if r := h.run("saffron-Tundra-19-quiver\n", "users", "reset-password", "--email", "bea@acme.test"); r.code != 0 {
		t.Fatalf("reset: %+v", r)
	}
	if r := h.as("bea@acme.test", "saffron-Tundra-19-quiver").run("", "audit", "list"); r.code != 1 || !strings.Contains(r.stderr, "Only account Administrators") {
		t.Fatalf("bea (Advanced) audit: %+v", r)
	}
	h.as("ada@acme.test", testkit.AdminPassword)
	failures := []struct {
		args []string
		want string
	}{
		{[]string{"users", "disable", "--email", "ada@acme.test"}, "at least one active Administrator"},
		{[]string{"users", "set-role", "--email", "ada@acme.test", "--role", "Basic"}, "at least one active Administrator"},
		{[]string{"users", "delete", "--email", "ghost@acme.test", "--yes"}, "No user has the email ghost@acme.test"},
	}
	for _, f := range failures {
		if r := h.run("", f.args...); r.code != 1 || !strings.Contains(r.stderr, f.want) {
			t.Fatalf("%v: %+v", f.args, r)
		}
	}
	r = h.run("x\n", "users", "add", "--name", "Dup", "--email", "BEA@ACME.TEST", "--role", "Basic")
	if r.code != 1 || !strings.Contains(r.stderr, "valid") && !strings.Contains(r.stderr, "already exists") && !strings.Contains(r.stderr, "Password") {
		t.Fatalf("dup: %+v", r)
	}
	r = h.run("granite-Violin-42-harbor\n", "users", "add", "--name", "Dup", "--email", "BEA@ACME.TEST", "--role", "Basic")
	if r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("duplicate email: %+v", r)
	}
}

func TestSignInFromEnvironment(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	h.env = map[string]string{}
	if r := h.run("", "users", "list"); r.code != 1 || !strings.Contains(r.stderr, "KEYSMITH_EMAIL") {
		t.Fatalf("no credentials: %+v", r)
	}
	if r := h.as("ada@acme.test", "wrong-password-here").run("", "users", "list"); r.code != 1 || !strings.Contains(r.stderr, "email or password is incorrect") {
		t.Fatalf("wrong password: %+v", r)
	}
	if r := h.as("nobody@acme.test", "wrong-password-here").run("", "users", "list"); r.code != 1 || !strings.Contains(r.stderr, "email or password is incorrect") {
		t.Fatalf("unknown email: %+v", r)
	}
	fresh := newHarness(t)
	if r := fresh.as("a@b.co", "x").run("", "users", "list"); r.code != 1 || !strings.Contains(r.stderr, "No account exists yet") {
		t.Fatalf("before init: %+v", r)
	}
}

// A server's unit gives the password in a file (a systemd credential).
func TestSignInFromPasswordFile(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	file := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(file, []byte(testkit.AdminPassword+"\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	h.env = map[string]string{EnvEmail: "ada@acme.test", EnvPasswordFile: file}
	if r := h.run("", "users", "list"); r.code != 0 || !strings.Contains(r.stdout, "bea@acme.test") {
		t.Fatalf("password file: %+v", r)
	}
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := h.run("", "users", "list"); r.code != 1 || !strings.Contains(r.stderr, "chmod 600") || strings.Contains(r.stderr, testkit.AdminPassword) {
		t.Fatalf("a file others may read: %+v", r)
	}
	// The variable wins over the file, as for the database password.
	h.env[EnvPassword] = "wrong-password-here"
	if r := h.run("", "users", "list"); r.code != 1 || !strings.Contains(r.stderr, "email or password is incorrect") {
		t.Fatalf("variable and file: %+v", r)
	}
}

func TestPasswd(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	h.as("bea@acme.test", testkit.BasicPassword)
	if r := h.run("granite-Violin-42-harbor\n", "passwd"); r.code != 0 || !strings.Contains(r.stdout, "Password changed.") {
		t.Fatalf("passwd: %+v", r)
	}
	if r := h.run("", "passwd"); r.code != 1 {
		t.Fatalf("old password still accepted: %+v", r)
	}
	h.as("bea@acme.test", "granite-Violin-42-harbor")
	if r := h.run("short\n", "passwd"); r.code != 1 || !strings.Contains(r.stderr, "at least 8") {
		t.Fatalf("weak new password: %+v", r)
	}
}

func TestAuditCommands(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	r := h.run("", "audit", "list", "--json", "--query", "bea@")
	var page struct {
		Entries []struct{ Action, Target string }
		Total   int
	}
	if r.code != 0 || r.decode(&page) != nil || page.Total != 1 || page.Entries[0].Action != "user.add" {
		t.Fatalf("audit list: %+v", r)
	}
	r = h.run("", "audit", "verify", "--json")
	var v struct {
		OK      bool
		Checked int
	}
	if r.code != 0 || r.decode(&v) != nil || !v.OK || v.Checked < 5 {
		t.Fatalf("verify: %+v", r)
	}
	// Tamper with one row behind Keysmith's back.
	db := testkit.DB(t, h.dir)
	db.Exec(`DROP TRIGGER audit_no_update`)
	db.Exec(`UPDATE audit SET detail = 'nothing happened' WHERE seq = 2`)
	r = h.run("", "audit", "verify")
	if r.code != 1 || !strings.Contains(r.stderr, "Entry 2 was altered") {
		t.Fatalf("tampered verify: %+v", r)
	}
}

// TestAuthorizationSweep runs every command as a Basic user, an Advanced
// user and without credentials: each is refused and nothing changes.
func TestAuthorizationSweep(t *testing.T) {
	t.Parallel()
	sample := map[string][]string{
		"init":                 {"--account", "X", "--name", "X", "--email", "x@acme.test"},
		"users list":           nil,
		"users add":            {"--name", "Mal", "--email", "mal@acme.test", "--role", "Administrator"},
		"users set-role":       {"--email", "ada@acme.test", "--role", "Basic"},
		"users disable":        {"--email", "ada@acme.test"},
		"users enable":         {"--email", "ada@acme.test"},
		"users reset-password": {"--email", "ada@acme.test"},
		"users delete":         {"--email", "ada@acme.test", "--yes"},
		"passwd":               nil,
		"audit list":           nil,
		"audit verify":         nil,
		"audit archive":        {"--out", "/nonexistent/audit.jsonl", "--before", "2030-01-01"},
		"audit retention":      {"--days", "90"},
		"keys create":          {"--type", "basic", "--name", "Mal"},
		"keys list":            nil,
		"keys verify":          nil,
		"keys rename":          {"--key", "AAAAAAAAAAAAAAAAAAAA", "--name", "x"},
		"keys disable":         {"--key", "AAAAAAAAAAAAAAAAAAAA"},
		"keys enable":          {"--key", "AAAAAAAAAAAAAAAAAAAA"},
		"keys delete":          {"--key", "AAAAAAAAAAAAAAAAAAAA", "--yes"},
		"keys roll":            {"--key", "AAAAAAAAAAAAAAAAAAAA", "--grace", "0"},
		"legacy create":        {"--username", "malory"},
		"legacy set-password":  {"--username", "malory"},
		"legacy list":          nil,
		"legacy delete":        {"--username", "malory", "--yes"},
		"serve":                {"--listen", "127.0.0.1:0"},
		"verify":               nil,
		"vault init":           nil,
		"vault status":         nil,
		"vault list":           nil,
		"vault add":            {"--title", "t"},
		"vault get":            {"--id", "1"},
		"vault edit":           {"--id", "1", "--title", "x"},
		"vault delete":         {"--id", "1", "--yes"},
		"vault passwd":         nil,
		"vault recovery":       {"--new"},
		"vault export":         {"--out", "/nonexistent/x.age"},
		"vault import":         {"--in", "/nonexistent/x.age"},
		"vault rotate-key":     nil,
		"team status":          nil,
		"team invite":          {"--out", "/nonexistent/x.invitation"},
		"team join":            {"--yes", "/nonexistent/x.invitation"},
		"migrate":              {"--to", "postgres://keysmith@127.0.0.1:1/keysmith?sslmode=disable"},
	}
	h := seeded(t)
	for _, who := range []struct{ role, email, password string }{
		{"Basic", "bea@acme.test", testkit.BasicPassword},
		{"Advanced", "avi@acme.test", testkit.AdvancedPassword},
		{"no credentials", "", ""},
	} {
		for _, c := range commands {
			args, ok := sample[c.name]
			if !ok {
				t.Fatalf("command %q has no sample arguments in the sweep", c.name)
			}
			if (c.name == "passwd" || c.name == "team status" || strings.HasPrefix(c.name, "vault ")) && who.email != "" {
				continue // every user may change their own password, use their own vault and see where the account lives
			}
			t.Run(who.role+"/"+c.name, func(t *testing.T) {
				h.as(who.email, who.password)
				before := h.snapshot()
				r := h.run("granite-Violin-42-harbor\n", append(strings.Fields(c.name), args...)...)
				want := "Only account Administrators can do that."
				switch {
				case c.name == "init":
					want = "already set up"
				case c.name == "team join":
					want = "already holds an account on this computer"
				case who.email == "":
					want = "KEYSMITH_EMAIL"
				}
				if c.name == "vault add" && who.email == "" {
					want = "KEYSMITH_VAULT_PASSPHRASE" // refused before signing in: the secret would be on stdin
					if r.code != ExitUsage || !strings.Contains(r.stderr, want) {
						t.Fatalf("got %+v, want exit 2 with %q", r, want)
					}
				} else if c.name == "vault import" && who.email == "" {
					if r.code != ExitFailure || !strings.Contains(r.stderr, "Cannot read") {
						t.Fatalf("got %+v", r)
					}
				} else if r.code != ExitFailure || !strings.Contains(r.stderr, want) {
					t.Fatalf("got %+v, want exit 1 with %q", r, want)
				}
				after := h.snapshot()
				// A CLI sign-in is itself audited; nothing else may change.
				if stripSignIns(after) != stripSignIns(before) {
					t.Fatalf("database changed:\n%s\n---\n%s", before, after)
				}
			})
		}
	}
}

// stripSignIns drops the audit table, whose only new rows in the sweep are
// sign-ins (checked separately below), from a snapshot.
func stripSignIns(s string) string {
	i := strings.Index(s, "audit:\n")
	j := strings.Index(s, "sign_in_failures:")
	if i < 0 || j < 0 {
		return s
	}
	return s[:i] + s[j:]
}

func TestSweepAddsOnlySignInRows(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	h.as("bea@acme.test", testkit.BasicPassword)
	h.run("granite-Violin-42-harbor\n", "users", "add", "--name", "Mal", "--email", "mal@acme.test", "--role", "Administrator")
	h.as("ada@acme.test", testkit.AdminPassword)
	r := h.run("", "audit", "list", "--json", "--limit", "2")
	if !strings.Contains(r.stdout, `"action": "user.sign-in"`) || strings.Contains(r.stdout, "mal@acme.test") {
		t.Fatalf("refused add left a trace other than the sign-in: %s", r.stdout)
	}
}

func TestNaughtyStringsCLI(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	for i, s := range testkit.BLNS(t) {
		email := "n" + strings.Repeat("x", i) + "@acme.test"
		r := h.run("granite-Violin-42-harbor\n", "users", "add", "--name", s, "--email", email, "--role", "Basic", "--json")
		switch r.code {
		case 0:
			var v struct{ Name string }
			if r.decode(&v) != nil || v.Name != strings.TrimSpace(s) {
				t.Fatalf("name %q stored as %q", s, r.stdout)
			}
			h.run("", "users", "delete", "--email", email, "--yes")
		case 1:
			if strings.Contains(r.stderr, "Something went wrong") {
				t.Fatalf("name %q: %s", s, r.stderr)
			}
		default:
			// An empty value, or one that begins with "-" (read as a flag), is a
			// usage error.
			if s != "" && !strings.HasPrefix(s, "-") {
				t.Fatalf("name %q: %+v", s, r)
			}
		}
		r = h.run("granite-Violin-42-harbor\n", "users", "add", "--name", "N", "--email", s, "--role", "Basic")
		if r.code == 0 {
			h.run("", "users", "delete", "--email", s, "--yes")
		} else if strings.Contains(r.stderr, "Something went wrong") {
			t.Fatalf("email %q: %s", s, r.stderr)
		}
		if r := h.run("", "audit", "list", "--query", s); r.code == 1 {
			t.Fatalf("audit query %q: %+v", s, r)
		}
	}
	if r := h.run("", "audit", "verify"); r.code != 0 {
		t.Fatalf("verify after naughty strings: %+v", r)
	}
}

func TestPrintable(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"plain": "plain", "a\x1b[31mb": `a\u001b[31mb`, "r\u202etl": `r\u202etl`, "é中": "é中"} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAuditVerifyDetectsRemovedNewestRows(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	if r := h.run("", "audit", "verify"); r.code != 0 {
		t.Fatalf("verify: %+v", r)
	}
	db := testkit.DB(t, h.dir)
	db.Exec(`DROP TRIGGER audit_no_delete`)
	db.Exec(`DELETE FROM audit WHERE seq > 3`)
	r := h.run("", "audit", "verify")
	if r.code != 1 || !strings.Contains(r.stderr, "newest entries were removed") {
		t.Fatalf("truncated log: %+v", r)
	}
}

// TestDataDirNotMade: only init makes a data directory; other commands say
// it is missing, or not a directory, and create nothing.
func TestDataDirNotMade(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	missing := filepath.Join(h.dir, "not", "here")
	file := filepath.Join(h.dir, "afile")
	os.WriteFile(file, []byte("x"), 0o600)
	h.as("ada@acme.test", testkit.AdminPassword)
	for dir, want := range map[string]string{missing: "There is no Keysmith data in " + missing + " yet", file: file + " is not a directory"} {
		for _, args := range [][]string{{"keys", "list"}, {"users", "list"}, {"vault", "status"}} {
			r := h.run("", append([]string{"--data-dir", dir}, args...)...)
			if r.code != 1 || !strings.Contains(r.stderr, want) {
				t.Errorf("%s %v: %+v", dir, args, r)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(h.dir, "not")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a read command created the data directory: %v", err)
	}
	if r := h.run(testkit.AdminPassword+"\n", "--data-dir", file, "init", "--account", "A", "--name", "N", "--email", "ada@acme.test"); r.code != 1 || !strings.Contains(r.stderr, "is not a directory") {
		t.Fatalf("init into a file: %+v", r)
	}
	if r := h.run(testkit.AdminPassword+"\n", "--data-dir", missing, "init", "--account", "A", "--name", "N", "--email", "ada@acme.test"); r.code != 0 {
		t.Fatalf("init makes the directory: %+v", r)
	}
	if r := h.run("", "--data-dir", missing, "users", "list"); r.code != 0 || !strings.Contains(r.stdout, "ada@acme.test") {
		t.Fatalf("after init: %+v", r)
	}
}

// The red-team case: newest rows and the head file removed is tampering;
// the head file alone removed is "cannot be proven", exit 1, never intact.
func TestAuditVerifyWithoutHeadFile(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, sql, want, status string
	}{
		{"rows and head file removed", `DELETE FROM audit WHERE seq > 3`, "entries were removed", "tampered"},
		{"head file removed", ``, "cannot be proven", "unproven"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := seeded(t)
			db := testkit.DB(t, h.dir)
			db.Exec(`DROP TRIGGER audit_no_delete`)
			if _, err := db.Exec(tt.sql); err != nil {
				t.Fatal(err)
			}
			os.Remove(filepath.Join(h.dir, audit.HeadFileName))
			r := h.run("", "audit", "verify")
			if r.code != 1 || !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stdout, "intact") {
				t.Fatalf("verify: %+v", r)
			}
			if tt.status == "unproven" {
				os.Remove(filepath.Join(h.dir, audit.HeadFileName)) // recreated, and logged, on close
			}
			r = h.run("", "audit", "verify", "--json")
			var v struct{ Status string }
			if r.code != 1 || r.decode(&v) != nil || v.Status != tt.status {
				t.Fatalf("verify --json: %+v", r)
			}
		})
	}
}

func TestAuditArchiveCommand(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	out := filepath.Join(t.TempDir(), "audit.jsonl")
	if r := h.run("", "audit", "archive", "--out", out); r.code != 1 || !strings.Contains(r.stderr, "retention is off") {
		t.Fatalf("archive without retention: %+v", r)
	}
	if r := h.run("", "audit", "retention", "--days", "7"); r.code != ExitUsage || !strings.Contains(r.stderr, "between 30 and 3650") {
		t.Fatalf("retention 7: %+v", r)
	}
	if r := h.run("", "audit", "retention", "--days", "30"); r.code != 0 || !strings.Contains(r.stdout, "older than 30 days") {
		t.Fatalf("retention 30: %+v", r)
	}
	if r := h.run("", "audit", "archive", "--out", out, "--before", "31/01/2026"); r.code != ExitUsage {
		t.Fatalf("bad date: %+v", r)
	}
	r := h.run("", "audit", "archive", "--out", out, "--before", "2999-01-01")
	if r.code != 0 || !strings.Contains(r.stdout, "Archived audit entries 1 to") {
		t.Fatalf("archive: %+v", r)
	}
	if r := h.run("", "audit", "verify"); r.code != 0 || !strings.Contains(r.stdout, "are archived") {
		t.Fatalf("verify after archive: %+v", r)
	}
	if r := h.run("", "audit", "verify", "--archive", out); r.code != 0 || !strings.Contains(r.stdout, "Audit archive intact: entries 1 to") {
		t.Fatalf("verify --archive: %+v", r)
	}
	if r := h.run("", "audit", "archive", "--out", out, "--before", "2999-01-01"); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("archive over a file: %+v", r)
	}
	b, _ := os.ReadFile(out)
	os.WriteFile(out, []byte(strings.Replace(string(b), `"action":"user.add"`, `"action":"user.ad"`, 1)), 0o600)
	if r := h.run("", "audit", "verify", "--archive", out); r.code != 1 || !strings.Contains(r.stderr, "Audit archive broken: Entry") {
		t.Fatalf("verify a tampered archive: %+v", r)
	}
}
