package vault_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"keysmith/app/core/vault"
)

// TestExportOpensWithAge decrypts an export with the age command (Debian
// package age). age reads a passphrase only from a terminal, so the test
// gives it one with script(1).
func TestExportOpensWithAge(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("age"); err != nil {
		t.Fatal("the age command is missing: run scripts/deps.sh (make test installs it)")
	}
	_, u, v, _ := withVault(t, false)
	v.Add(ctx, u.Admin.ID, vault.Item{Kind: vault.KindLogin, Title: "Interop ✓", Secret: "opened-by-age"})
	const filePhrase = "interop-Canyon-48-sparrow"
	data, err := v.Export(ctx, u.Admin.ID, filePhrase)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "vault.age"), filepath.Join(dir, "vault.json")
	os.WriteFile(in, data, 0o600)
	cmd := exec.Command("script", "-qec", "age -d -o "+out+" "+in, "/dev/null")
	cmd.Stdin = strings.NewReader(filePhrase + "\n")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("age -d: %v %s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Format string
		Items  []vault.Item
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Format != "keysmith-vault-export" || len(doc.Items) != 1 || doc.Items[0].Secret != "opened-by-age" {
		t.Fatalf("age output: %s", b)
	}
}
