package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"keysmith/app/testkit"
)

func TestVaultCommands(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	const phrase = "orchid-Velvet-quarry-81-lantern"
	if r := h.run("", "vault", "list"); r.code != 1 || !strings.Contains(r.stderr, "no vault yet") {
		t.Fatalf("list before init: %+v", r)
	}
	r := h.run(phrase+"\n", "vault", "init", "--recovery", "--json")
	var init struct{ RecoveryCode string }
	if r.code != 0 || r.decode(&init) != nil || len(init.RecoveryCode) < 26 {
		t.Fatalf("init: %+v", r)
	}
	if r := h.run("weak\n", "vault", "init"); r.code != 1 {
		t.Fatalf("second init: %+v", r)
	}
	h.env[EnvVaultPassphrase] = phrase
	if r := h.runTo(failing{}, "", "vault", "recovery", "--new"); r.code != 1 ||
		!strings.Contains(r.stderr, "A new recovery code replaced the old one, but its recovery code could not be written") {
		t.Fatalf("recovery code not written: %+v", r)
	}
	if r := h.run("line one\nline two\n", "vault", "add", "--title", "Router", "--username", "admin", "--json"); r.code != 0 || !strings.Contains(r.stdout, `"id": 1`) {
		t.Fatalf("add: %+v", r)
	}
	if r := h.run("", "vault", "list", "--json"); r.code != 0 || !strings.Contains(r.stdout, "Router") || strings.Contains(r.stdout, "line one") {
		t.Fatalf("list: %+v", r)
	}
	if r := h.run("", "vault", "get", "--id", "1"); r.code != 0 || strings.Contains(r.stdout, "line one") || !strings.Contains(r.stdout, "hidden") {
		t.Fatalf("get without --show-secret: %+v", r)
	}
	if r := h.run("", "vault", "get", "--id", "1", "--show-secret", "--json"); !strings.Contains(r.stdout, `"secret": "line one\nline two"`) {
		t.Fatalf("get --show-secret: %+v", r)
	}
	if r := h.run("new secret\n", "vault", "edit", "--id", "1", "--url", "https://router.local", "--secret-from-stdin"); r.code != 0 {
		t.Fatalf("edit: %+v", r)
	}
	if r := h.run("", "vault", "get", "--id", "1", "--show-secret", "--json"); !strings.Contains(r.stdout, `"secret": "new secret"`) || !strings.Contains(r.stdout, "router.local") || !strings.Contains(r.stdout, `"title": "Router"`) {
		t.Fatalf("after edit: %+v", r)
	}
	h.env[EnvVaultPassphrase] = "wrong-Velvet-quarry-81-lantern"
	if r := h.run("", "vault", "list"); r.code != 1 || !strings.Contains(r.stderr, "The vault passphrase is wrong. If you forgot it, give your recovery code in KEYSMITH_VAULT_RECOVERY") {
		t.Fatalf("wrong passphrase: %+v", r)
	}
	h.env[EnvVaultPassphrase] = phrase
	out := filepath.Join(t.TempDir(), "v.age")
	h.env[EnvExportPassphrase] = "export-Harbor-73-pebble-cloud"
	if r := h.run("", "vault", "export", "--out", out); r.code != 0 {
		t.Fatalf("export: %+v", r)
	}
	if r := h.run("", "vault", "export", "--out", out); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("export over a file: %+v", r)
	}
	b, _ := os.ReadFile(out)
	if !strings.HasPrefix(string(b), "age-encryption.org/v1") || strings.Contains(string(b), "new secret") {
		t.Fatal("export is not an age file")
	}
	if r := h.run(phrase+"\n", "vault", "passwd"); r.code != 1 || !strings.Contains(r.stderr, "New passphrase must differ from the current one.") {
		t.Fatalf("passwd to the same passphrase: %+v", r)
	}
	const next = "marble-Tundra-62-whistle-fern"
	if r := h.run(next+"\n", "vault", "passwd"); r.code != 0 {
		t.Fatalf("passwd: %+v", r)
	}
	if r := h.run("", "vault", "list"); r.code != 1 {
		t.Fatal("old vault passphrase still works")
	}
	h.env[EnvVaultPassphrase] = next
	r = h.run("", "vault", "recovery", "--new", "--json")
	var rec struct{ RecoveryCode string }
	if r.code != 0 || r.decode(&rec) != nil || rec.RecoveryCode == "" {
		t.Fatalf("recovery: %+v", r)
	}
	// A forgotten passphrase: the recovery code opens the vault, and vault
	// passwd sets a new passphrase; a wrong code says which secret is wrong.
	h.env[EnvVaultPassphrase] = "forgotten-Velvet-quarry-81"
	h.env[EnvVaultRecovery] = rec.RecoveryCode + "X"
	if r := h.run("", "vault", "list"); r.code != 1 || !strings.Contains(r.stderr, "The recovery code in KEYSMITH_VAULT_RECOVERY is wrong") {
		t.Fatalf("wrong recovery code: %+v", r)
	}
	h.env[EnvVaultRecovery] = rec.RecoveryCode
	const recovered = "recovered-Maple-62-harbor"
	if r := h.run(recovered+"\n", "vault", "passwd"); r.code != 0 {
		t.Fatalf("passwd with the recovery code: %+v", r)
	}
	h.env[EnvVaultRecovery] = ""
	h.env[EnvVaultPassphrase] = recovered
	if r := h.run("", "vault", "list"); r.code != 0 || !strings.Contains(r.stdout, "Router") {
		t.Fatalf("list with the passphrase set by recovery: %+v", r)
	}
	// Rotating the data key keeps the passphrase and the recovery code.
	if r := h.run("", "vault", "rotate-key", "--json"); r.code != 0 || !strings.Contains(r.stdout, `"items": 1`) {
		t.Fatalf("rotate-key: %+v", r)
	}
	h.env[EnvVaultRecovery] = rec.RecoveryCode
	if r := h.run("", "vault", "get", "--id", "1", "--show-secret", "--json"); r.code != 0 || !strings.Contains(r.stdout, `"secret": "new secret"`) {
		t.Fatalf("recovery code after rotate-key: %+v", r)
	}
	h.env[EnvVaultRecovery] = ""
	if r := h.run("", "vault", "rotate-key"); r.code != 0 || !strings.Contains(r.stdout, "Your passphrase and recovery code still work") {
		t.Fatalf("rotate-key: %+v", r)
	}
	if r := h.run("", "vault", "delete", "--id", "1", "--yes"); r.code != 0 {
		t.Fatalf("delete: %+v", r)
	}
	// Another user imports the export into their own vault.
	h.as("bea@acme.test", testkit.BasicPassword)
	h.env[EnvVaultPassphrase] = "bea-Meadow-55-violin-pond"
	h.run("", "vault", "init")
	h.env[EnvExportPassphrase] = "not-the-export-passphrase"
	if r := h.run("", "vault", "import", "--in", out); r.code != 1 || !strings.Contains(r.stderr, "The export file's passphrase is wrong; nothing was imported.") {
		t.Fatalf("import with a wrong passphrase: %+v", r)
	}
	h.env[EnvExportPassphrase] = "export-Harbor-73-pebble-cloud"
	if r := h.run("", "vault", "import", "--in", out, "--json"); r.code != 0 || !strings.Contains(r.stdout, `"added": 1`) {
		t.Fatalf("import: %+v", r)
	}
	if r := h.run("", "vault", "import", "--in", out, "--json"); !strings.Contains(r.stdout, `"skipped": 1`) {
		t.Fatalf("second import: %+v", r)
	}
	for _, args := range [][]string{{"get", "--id", "999"}, {"delete", "--id", "999", "--yes"}, {"edit", "--id", "999", "--title", "x"}} {
		if r := h.run("", append([]string{"vault"}, args...)...); r.code != 1 || !strings.Contains(r.stderr, "Your vault has no item 999") {
			t.Errorf("vault %v: %+v", args, r)
		}
	}
	for _, bad := range [][]string{{"vault", "get"}, {"vault", "get", "--id", "x"}, {"vault", "recovery"}, {"vault", "delete", "--id", "1"}} {
		if r := h.run("", bad...); r.code != 2 {
			t.Errorf("%v: %+v", bad, r)
		}
	}
	// A row removed behind Keysmith's back is reported, not skipped.
	h.run("s\n", "vault", "add", "--title", "Second")
	h.tamper(`DELETE FROM vault_items WHERE id = (SELECT MIN(i.id) FROM vault_items i JOIN vaults v ON v.id = i.vault_id
		JOIN users u ON u.id = v.user_id WHERE u.email = 'bea@acme.test')`)
	if r := h.run("", "vault", "list"); r.code != 1 || !strings.Contains(r.stderr, "The vault's contents were changed outside Keysmith") {
		t.Fatalf("list of a tampered vault: %+v", r)
	}
}
