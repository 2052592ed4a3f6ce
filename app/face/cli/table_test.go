package cli

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestCommandTable: the CLI has exactly these commands, in this order, and
// README's command table names each of them.
func TestCommandTable(t *testing.T) {
	t.Parallel()
	want := []string{
		"init", "users list", "users add", "users set-role", "users disable", "users enable",
		"users reset-password", "users delete", "passwd", "audit list", "audit verify", "audit archive",
		"audit retention",
		"keys create", "keys list", "keys verify", "keys rename", "keys disable", "keys enable", "keys delete",
		"keys roll", "legacy create", "legacy set-password", "legacy list", "legacy delete",
		"serve", "verify",
		"vault init", "vault status", "vault list", "vault add", "vault get", "vault edit", "vault delete",
		"vault passwd", "vault recovery", "vault rotate-key", "vault export", "vault import",
		"team status", "team invite", "team join", "migrate",
	}
	var got []string
	for _, c := range commands {
		got = append(got, c.name)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("commands:\n got %q\nwant %q", got, want)
	}
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range want {
		if !strings.Contains(string(readme), "| `"+name) && !strings.Contains(string(readme), "`"+name+" ") {
			t.Errorf("README's command table does not list %q", name)
		}
	}
}
