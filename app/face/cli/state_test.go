package cli

import (
	"strings"
	"testing"

	"keysmith/app/testkit"
)

// tamper changes h's database behind Keysmith's back.
func (h *harness) tamper(q string, args ...any) {
	h.t.Helper()
	if _, err := testkit.DB(h.t, h.dir).Exec(q, args...); err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
}

// TestTamperedCredentialFlagged: a credential whose stored state was edited
// outside Keysmith shows as tampered in listings, keys verify reports it and
// exits 1, changes to it are refused and deleting it is allowed.
func TestTamperedCredentialFlagged(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	key, _ := h.newKey("basic", "Shop")
	h.run("", "keys", "create", "--type", "hmac", "--name", "Fine")
	if r := h.run("", "keys", "disable", "--key", key); r.code != 0 {
		t.Fatalf("disable: %+v", r)
	}
	if r := h.run("", "keys", "verify"); r.code != 0 || !strings.Contains(r.stdout, "Credential state intact: 2 credentials checked.") {
		t.Fatalf("keys verify before: %+v", r)
	}
	h.tamper(`UPDATE credentials SET disabled = 0 WHERE key = ?`, key)

	r := h.run("", "keys", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "tampered") || !strings.Contains(r.stderr, "stored state of "+key+" does not verify") {
		t.Fatalf("keys list: %+v", r)
	}
	if r := h.run("", "keys", "list", "--json"); !strings.Contains(r.stdout, `"status": "tampered"`) {
		t.Fatalf("keys list --json: %+v", r)
	}
	r = h.run("", "keys", "verify", "--json")
	var v struct {
		Checked  int
		Tampered []struct{ Key, Status string }
	}
	if r.code != 1 || r.decode(&v) != nil || v.Checked != 2 || len(v.Tampered) != 1 || v.Tampered[0].Key != key ||
		!strings.Contains(r.stderr, "1 of 2 credentials") {
		t.Fatalf("keys verify after: %+v", r)
	}
	for _, args := range [][]string{{"keys", "enable", "--key", key}, {"keys", "rename", "--key", key, "--name", "x"}, {"keys", "roll", "--key", key, "--grace", "0"}} {
		if r := h.run("", args...); r.code != 1 || !strings.Contains(r.stderr, "does not verify") {
			t.Fatalf("%v on a tampered key: %+v", args, r)
		}
	}
	if r := h.run("", "keys", "delete", "--key", key, "--yes"); r.code != 0 {
		t.Fatalf("delete a tampered key: %+v", r)
	}
	if r := h.run("", "keys", "verify"); r.code != 0 {
		t.Fatalf("keys verify after the delete: %+v", r)
	}
}

// TestLegacyWeakPasswordWarning: a Legacy password that meets the platform's
// rules but is easy to guess is accepted with a warning on standard error
// that never quotes it; a strong one gets none.
func TestLegacyWeakPasswordWarning(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	for _, tc := range []struct {
		username, password string
		weak               bool
	}{
		{"weakling1", "Passw0rd", true},
		{"weakling2", "Weakling2", true}, // the username itself
		{"weakling3", "Abc123", true},
		{"strongone", "Tq7mZr4WbX9pLk2v", false},
	} {
		r := h.run(tc.password+"\n", "legacy", "create", "--username", tc.username)
		if r.code != 0 || strings.Contains(r.stderr, "easy to guess") != tc.weak || strings.Contains(r.stderr+r.stdout, tc.password) {
			t.Errorf("legacy create %s: %+v, want weak %v", tc.username, r, tc.weak)
		}
	}
	if r := h.run("Password1\n", "legacy", "set-password", "--username", "strongone"); r.code != 0 || !strings.Contains(r.stderr, "Warning: This password is easy to guess") {
		t.Fatalf("set-password weak: %+v", r)
	}
	if r := h.run("Hv4sQm8rTz2nXw\n", "legacy", "set-password", "--username", "strongone"); r.code != 0 || r.stderr != "" {
		t.Fatalf("set-password strong: %+v", r)
	}
}
