package cli

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
)

type keyJSON struct {
	ID                                   int64
	Type, Name, Key, Secret, Status      string
	ExpiresAt, PreviousUntil, LastUsedAt string
}

func TestKeysCommands(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	r := h.run("", "keys", "create", "--type", "basic", "--name", "Website", "--expires", "90d", "--json")
	var k keyJSON
	if r.code != 0 || r.decode(&k) != nil || k.ID == 0 || k.Type != "basic" || len(k.Key) != 20 || len(k.Secret) != 30 || k.ExpiresAt == "" {
		t.Fatalf("create --json: %+v", r)
	}
	r = h.run("", "keys", "create", "--type", "HMAC", "--name", "Signer")
	if r.code != 0 || !strings.Contains(r.stdout, "API Secret: ") || !strings.Contains(r.stdout, "only time the API Secret is shown") {
		t.Fatalf("create text: %+v", r)
	}
	r = h.run("", "keys", "list", "--json")
	var page struct {
		Items []keyJSON
		Total int
	}
	if r.code != 0 || r.decode(&page) != nil || page.Total != 2 || strings.Contains(r.stdout, k.Secret) || strings.Contains(r.stdout, `"secret"`) {
		t.Fatalf("list: %+v", r)
	}
	if r := h.run("", "keys", "list", "--type", "basic", "--json"); !strings.Contains(r.stdout, `"total": 1`) {
		t.Fatalf("list --type: %+v", r)
	}
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"keys", "rename", "--key", k.Key, "--name", "Website v2"}, `Renamed Basic "Website v2"`},
		{[]string{"keys", "disable", "--key", k.Key}, "disabled)."},
		{[]string{"keys", "enable", "--key", k.Key}, "active)."},
		{[]string{"keys", "roll", "--key", k.Key, "--grace", "7d"}, "Rolled Basic key"},
		{[]string{"keys", "delete", "--key", k.Key, "--yes"}, "Deleted Basic"},
	}
	for _, s := range steps {
		if r := h.run("", s.args...); r.code != 0 || !strings.Contains(r.stdout, s.want) {
			t.Fatalf("%v: %+v", s.args, r)
		}
	}
	failures := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"keys", "rename", "--key", k.Key, "--name", "x"}, 1, "No credential has the key "},
		{[]string{"keys", "create", "--type", "legacy", "--name", "x"}, 1, "use the legacy commands"},
		{[]string{"keys", "create", "--type", "rsa", "--name", "x"}, 2, "Type must be basic or hmac (Legacy credentials: keysmith legacy create)."},
		{[]string{"keys", "create", "--type", "basic", "--name", strings.Repeat("n", 101)}, 1, "at most 100 characters"},
		{[]string{"keys", "create", "--type", "basic", "--name", "x", "--expires", "yesterday"}, 2, "Expiry must be"},
		{[]string{"keys", "create", "--type", "basic"}, 2, "requires --name"},
		{[]string{"keys", "create", "--type", "basic", "--name", "x", "--secret", "abc"}, 2, "unknown option --secret"},
		{[]string{"keys", "roll", "--key", "AAAAAAAAAAAAAAAAAAAA", "--grace", "24h"}, 1, "No credential has the key AAAAAAAAAAAAAAAAAAAA"},
		{[]string{"keys", "delete", "--key", "whatever"}, 2, "needs --yes"},
	}
	for _, f := range failures {
		if r := h.run("", f.args...); r.code != f.code || !strings.Contains(r.stderr, f.want) {
			t.Errorf("%v: %+v, want exit %d with %q", f.args, r, f.code, f.want)
		}
	}
	r = h.run("", "audit", "list", "--query", k.Key, "--json")
	if !strings.Contains(r.stdout, `"total": 6`) || strings.Contains(r.stdout, k.Secret) {
		t.Fatalf("audit for the key: %s", r.stdout)
	}
}

func TestLegacyCommands(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	for _, tc := range []struct{ username, password, want string }{
		{"abc", "Passw0rd", "at least 5 characters"},
		{"John", "Passw0rd", "must be lowercase"},
		{"john.smith", "Passw0rd", "no special characters"},
		{"johnsmith", "passw0rd", "upper-case"},
		{"johnsmith", "Pw1", "at least 6 characters"},
		{"johnsmith", "Passw0rd!", "only contain letters"},
		{"johnsmith", "", "standard input"},
	} {
		r := h.run(tc.password+"\n", "legacy", "create", "--username", tc.username)
		if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s/%s: %+v, want %q", tc.username, tc.password, r, tc.want)
		}
	}
	if r := h.run("Passw0rd\n", "legacy", "create", "--username", "johnsmith", "--json"); r.code != 0 || !strings.Contains(r.stdout, `"key": "johnsmith"`) {
		t.Fatalf("legacy create: %+v", r)
	}
	if r := h.run("Passw0rd\n", "legacy", "create", "--username", "johnsmith"); r.code != 1 || !strings.Contains(r.stderr, "already taken") {
		t.Fatalf("duplicate: %+v", r)
	}
	if r := h.run("N3wPassword\n", "legacy", "set-password", "--username", "johnsmith"); r.code != 0 {
		t.Fatalf("set-password: %+v", r)
	}
	if r := h.run("", "legacy", "list"); r.code != 0 || !strings.Contains(r.stdout, "johnsmith") || strings.Contains(r.stdout, "N3wPassword") {
		t.Fatalf("legacy list: %+v", r)
	}
	if r := h.run("", "keys", "rename", "--key", "johnsmith", "--name", "other"); r.code != 1 || !strings.Contains(r.stderr, "cannot change") {
		t.Fatalf("rename legacy: %+v", r)
	}
	// The legacy commands leave Basic and HMAC keys alone.
	basic, _ := h.newKey("basic", "Kept")
	for _, args := range [][]string{{"delete", "--username", basic, "--yes"}, {"set-password", "--username", basic}} {
		if r := h.run("Passw0rd\n", append([]string{"legacy"}, args...)...); r.code != 1 || !strings.Contains(r.stderr, "is a Basic key, not a Legacy username") {
			t.Fatalf("legacy %s on a Basic key: %+v", args[0], r)
		}
	}
	if r := h.run("", "keys", "list"); !strings.Contains(r.stdout, basic) {
		t.Fatalf("a legacy command touched a Basic key: %s", r.stdout)
	}
	if r := h.run("", "legacy", "delete", "--username", "johnsmith", "--yes"); r.code != 0 {
		t.Fatalf("legacy delete: %+v", r)
	}
	if r := h.run("", "legacy", "list", "--json"); !strings.Contains(r.stdout, `"total": 0`) {
		t.Fatalf("after delete: %s", r.stdout)
	}
}

// failing is a standard output that cannot be written, like /dev/full.
type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// TestSecretNotWritten: when the new secret cannot be written, the command
// fails and says the change was made and how to get a new secret, never
// that nothing changed.
func TestSecretNotWritten(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	for _, asJSON := range []bool{false, true} {
		args := []string{"keys", "create", "--type", "hmac", "--name", fmt.Sprintf("Lost %v", asJSON)}
		if asJSON {
			args = append(args, "--json")
		}
		r := h.runTo(failing{}, "", args...)
		if r.code != 1 || !strings.Contains(r.stderr, "but its API Secret could not be written to standard output, so it is lost") ||
			!strings.Contains(r.stderr, " --grace 0") || strings.Contains(r.stderr, "nothing was changed") {
			t.Fatalf("json %v: %+v", asJSON, r)
		}
		key := r.stderr[strings.Index(r.stderr, "--key ")+6:]
		key = strings.Fields(key)[0]
		if l := h.run("", "keys", "list"); !strings.Contains(l.stdout, key) {
			t.Fatalf("the key named in the message, %s, is not listed: %s", key, l.stdout)
		}
		// After a roll with a grace period, the advice keeps that grace, so
		// the secret in use keeps working.
		if r := h.runTo(failing{}, "", "keys", "roll", "--key", key, "--grace", "7d"); r.code != 1 || !strings.HasPrefix(r.stderr, "keysmith: Rolled HMAC key") ||
			!strings.Contains(r.stderr, "keysmith keys roll --key "+key+" --grace 7d") {
			t.Fatalf("roll: %+v", r)
		}
	}
	// Any command's output that cannot be written fails the command.
	for _, args := range [][]string{{"keys", "list"}, {"keys", "delete", "--key", "nope", "--yes"}, {"users", "list"}, {"version"}} {
		want := "Could not write to standard output (no space left on device)"
		if len(args) > 1 && args[1] == "delete" {
			want = "No credential has the key nope" // a failure is reported as itself
		}
		if r := h.runTo(failing{}, "", args...); r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Fatalf("%v: %+v", args, r)
		}
	}
	doomed, _ := h.newKey("basic", "Doomed")
	if r := h.runTo(failing{}, "", "keys", "delete", "--key", doomed, "--yes"); r.code != 1 || !strings.Contains(r.stderr, "If the command makes a change, it was made") {
		t.Fatalf("delete with unwritable output: %+v", r)
	}
	if r := h.run("", "keys", "list"); strings.Contains(r.stdout, doomed) {
		t.Fatalf("the delete was not made: %s", r.stdout)
	}
}
