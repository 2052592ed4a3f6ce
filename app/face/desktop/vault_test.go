package desktop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/vault"
	"keysmith/app/face/desktop"
	"keysmith/app/face/views"
	"keysmith/app/testkit"
)

const vaultPhrase = "orchid-Velvet-quarry-81-lantern"

// vaultCore is a seeded core whose vault KDF is cheap enough for tests.
func vaultCore(t *testing.T) (*core.Core, testkit.Users, *testkit.Clock) {
	clock := testkit.NewClock()
	p := testkit.CheapParams
	k := vault.KDF{Name: "argon2id", MemoryKiB: 19 * 1024, Time: 2, Threads: 1}
	c, err := core.Open(context.Background(), t.TempDir(), core.Options{Clock: clock.Now, Params: &p, VaultKDF: &k})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, testkit.Seed(t, c), clock
}

func window(t *testing.T, c *core.Core) (*desktop.App, *fakeBoard, *recorder) {
	a := newApp(t, c)
	board, rec := &fakeBoard{}, &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	desktop.Attach(ctx, a, desktop.Window{Emit: rec.emit, Clipboard: board, After: board.after, ChooseFile: board.choose})
	return a, board, rec
}

func TestVaultJourney(t *testing.T) {
	t.Parallel()
	c, _, clock := vaultCore(t)
	a, board, rec := window(t, c)
	a.SignIn("ada@acme.test", testkit.AdminPassword)
	if _, err := a.VaultList(""); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("list before setup: %v", err)
	}
	if _, err := a.VaultSetup(vaultPhrase, vaultPhrase+"x", true); err == nil || !strings.Contains(err.Error(), "do not match") {
		t.Fatalf("mismatch: %v", err)
	}
	res, err := a.VaultSetup(vaultPhrase, vaultPhrase, true)
	if err != nil || !res.Status.Unlocked || res.RecoveryCode == "" {
		t.Fatalf("setup: %+v %v", res, err)
	}
	if err := a.VaultChangePassphrase(vaultPhrase, vaultPhrase, vaultPhrase); err == nil || err.Error() != "New passphrase must differ from the current one." {
		t.Fatalf("change to the same passphrase: %v", err)
	}
	// Save a credential from its confirmation.
	ns, _ := a.CreateKey(desktop.CreateKeyRequest{Type: "hmac", Name: "Saved"})
	sum, err := a.VaultSaveCredential(ns.Credential.ID)
	if err != nil || sum.Username != ns.Credential.Key || sum.Type != "hmac" {
		t.Fatalf("save credential: %+v %v", sum, err)
	}
	a.DismissSecret(ns.Credential.ID)
	list, _ := a.VaultList("saved")
	if len(list) != 1 {
		t.Fatalf("list: %+v", list)
	}
	item, err := a.VaultReveal(sum.ID)
	if err != nil || item.Secret != ns.Secret {
		t.Fatalf("reveal: %v", err)
	}
	if _, err := a.VaultCopy(sum.ID, "secret"); err != nil {
		t.Fatal(err)
	}
	if got, _ := board.Text(); got != ns.Secret {
		t.Fatal("copy did not reach the clipboard")
	}
	// Idle lock after the user's delay (5 minutes by default).
	clock.Advance(6 * time.Minute)
	a.Touch()
	desktop.CheckVaultIdle(a)
	if _, err := a.VaultList(""); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("after idle: %v", err)
	}
	if got, _ := board.Text(); got != "" {
		t.Fatal("locking left the secret on the clipboard")
	}
	if !strings.Contains(rec.all(), "vault-locked") || strings.Contains(rec.all(), ns.Secret) {
		t.Fatalf("events: %s", rec.all())
	}
	if _, err := a.VaultUnlock("wrong-Velvet-quarry-81-lantern"); err == nil || !strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := a.VaultUnlockWithRecovery(res.RecoveryCode); err != nil {
		t.Fatal(err)
	}
	// Export, through the Save dialog, and import into another user's vault.
	if _, err := a.VaultExport("export-Harbor-73-pebble-cloud", "export-Harbor-73-pebble"); problem(t, err).Field != "confirm" || len(board.dialogs) != 0 {
		t.Fatalf("a mismatched confirmation opened the dialog or passed: %v", err)
	}
	if _, err := a.VaultExport("short", "short"); problem(t, err).Field != "passphrase" || len(board.dialogs) != 0 {
		t.Fatalf("a passphrase breaking the rules opened the dialog or passed: %v", err)
	}
	if res, err := a.VaultExport("export-Harbor-73-pebble-cloud", "export-Harbor-73-pebble-cloud"); err != nil || res.Saved {
		t.Fatalf("export with the dialog cancelled: %+v %v", res, err)
	}
	d := board.dialogs[0]
	if !d.Save || d.DefaultName != "keysmith-vault-"+clock.Now().Format("2006-01-02")+".age" || d.Filter != "*.age" {
		t.Fatalf("the Save dialog: %+v", d)
	}
	path := filepath.Join(t.TempDir(), "v.age")
	board.answer(path)
	if res, err := a.VaultExport("export-Harbor-73-pebble-cloud", "export-Harbor-73-pebble-cloud"); err != nil || !res.Saved || res.Path != path {
		t.Fatalf("export: %+v %v", res, err)
	}
	if _, err := a.VaultExport("export-Harbor-73-pebble-cloud", "export-Harbor-73-pebble-cloud"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("overwrite: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("export mode %v", fi.Mode())
	}
	a.SignOut()
	a.SignIn("bea@acme.test", testkit.BasicPassword)
	if _, err := a.VaultList(""); err == nil {
		t.Fatal("Ada's vault stayed open for Bea")
	}
	if _, err := a.VaultUnlock(vaultPhrase); err == nil || !strings.Contains(err.Error(), "no vault") {
		t.Fatalf("Bea opening a vault: %v", err)
	}
	a.VaultSetup("bea-Meadow-55-violin-pond", "bea-Meadow-55-violin-pond", false)
	board.answer("")
	if rep, err := a.VaultImport("export-Harbor-73-pebble-cloud"); err != nil || rep.Chosen {
		t.Fatalf("import with the dialog cancelled: %+v %v", rep, err)
	}
	board.answer(path)
	rep, err := a.VaultImport("export-Harbor-73-pebble-cloud")
	if err != nil || !rep.Chosen || rep.Added != 1 {
		t.Fatalf("import: %+v %v", rep, err)
	}
	if last := board.dialogs[len(board.dialogs)-1]; last.Save || last.Filter != "*.age" {
		t.Fatalf("the Open dialog: %+v", last)
	}
	// Bea (Basic) cannot save a credential from the API Settings she cannot see.
	if _, err := a.VaultSaveCredential(ns.Credential.ID); err == nil || !strings.Contains(err.Error(), "Administrators") {
		t.Fatalf("basic user saving a credential: %v", err)
	}
}

func TestVaultExportOpensWithAgeFromTheWindow(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("age"); err != nil {
		t.Fatal("the age command is missing: run scripts/deps.sh")
	}
	c, _, _ := vaultCore(t)
	a, board, _ := window(t, c)
	a.SignIn("ada@acme.test", testkit.AdminPassword)
	a.VaultSetup(vaultPhrase, vaultPhrase, false)
	a.VaultAdd(desktop.VaultItemInput{Title: "By hand", Username: "me", Secret: "hand-made"})
	path := filepath.Join(t.TempDir(), "v.age")
	board.answer(path)
	if _, err := a.VaultExport("export-Harbor-73-pebble-cloud", "export-Harbor-73-pebble-cloud"); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("script", "-qec", "age -d "+path, "/dev/null")
	cmd.Stdin = strings.NewReader("export-Harbor-73-pebble-cloud\n")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "hand-made") {
		t.Fatalf("age -d: %v %s", err, out)
	}
}

func TestVaultClipboardLeavesOthersAlone(t *testing.T) {
	t.Parallel()
	c, _, _ := vaultCore(t)
	a, board, _ := window(t, c)
	a.SignIn("bea@acme.test", testkit.BasicPassword)
	a.VaultSetup(vaultPhrase, vaultPhrase, false)
	s, _ := a.VaultAdd(desktop.VaultItemInput{Title: "Wifi", Username: "guest", Secret: "wifi-secret"})
	if _, err := a.VaultCopy(s.ID, "secret"); err != nil {
		t.Fatal(err)
	}
	board.SetText("something the user copied")
	board.fire()
	a.VaultLock()
	if got, _ := board.Text(); got != "something the user copied" {
		t.Fatalf("Keysmith cleared the user's own clipboard: %q", got)
	}
	a.VaultUnlock(vaultPhrase)
	a.VaultCopy(s.ID, "username")
	if got, _ := board.Text(); got != "guest" {
		t.Fatalf("username copy: %q", got)
	}
	board.fire()
	if got, _ := board.Text(); got != "" {
		t.Fatalf("not cleared after the delay: %q", got)
	}
}

// TestVaultRotateKeyAndTampering: the window rotates the vault key (the
// recovery code still opens it afterwards) and reports a vault changed
// behind its back in words, without showing stale items.
func TestVaultRotateKeyAndTampering(t *testing.T) {
	t.Parallel()
	c, u, _ := vaultCore(t)
	a, _, rec := window(t, c)
	a.SignIn("ada@acme.test", testkit.AdminPassword)
	if _, err := a.VaultRotateKey(); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("rotate before setup: %v", err)
	}
	res, err := a.VaultSetup(vaultPhrase, vaultPhrase, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, title := range []string{"Router", "Printer"} {
		if _, err := a.VaultAdd(desktop.VaultItemInput{Title: title, Secret: title + "-secret"}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := a.VaultRotateKey(); err != nil || n != 2 {
		t.Fatalf("rotate: %d %v", n, err)
	}
	if list, err := a.VaultList(""); err != nil || len(list) != 2 {
		t.Fatalf("list after rotation: %+v %v", list, err)
	}
	// A rotation elsewhere (the CLI, say) locks the window's vault, and the
	// window hears of it as of any lock.
	other, err := c.Vault.Unlock(context.Background(), u.Admin.ID, vaultPhrase, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.RotateKey(context.Background(), u.Admin.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.VaultList(""); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("list with a replaced key: %v", err)
	}
	if st, _ := a.VaultStatus(); st.Unlocked || !strings.Contains(rec.all(), "key-changed") {
		t.Fatalf("status %+v, events %s", st, rec.all())
	}
	if _, err := a.VaultUnlockWithRecovery(res.RecoveryCode); err != nil {
		t.Fatalf("recovery code after rotation: %v", err)
	}
	if _, err := testkit.DB(t, c.Dir).Exec(`DELETE FROM vault_items WHERE id = (SELECT MIN(id) FROM vault_items)`); err != nil {
		t.Fatal(err)
	}
	list, err := a.VaultList("")
	if err == nil || list != nil || !strings.HasPrefix(err.Error(), "The vault's contents were changed outside Keysmith") {
		t.Fatalf("list of a tampered vault: %+v %v", list, err)
	}
}

// TestEmptyListsCrossAsArrays: what the window receives has no null in it;
// a list with nothing in it crosses the bridge as [], so the window's
// TypeScript (generated from these types) needs no nil-slice guard.
func TestEmptyListsCrossAsArrays(t *testing.T) {
	t.Parallel()
	c, _, _ := vaultCore(t)
	a, _, _ := window(t, c)
	if _, err := a.SignIn("ada@acme.test", testkit.AdminPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := a.VaultSetup(vaultPhrase, vaultPhrase, false); err != nil {
		t.Fatal(err)
	}
	const none = "matches-nothing-at-all"
	must := func(v any, err error) any {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name  string
		value any
		empty string // the empty list it must hold, or ""
	}{
		{"ListCredentials", must(a.ListCredentials(desktop.CredentialFilter{Query: none})), `"items":[]`},
		{"ListAudit", must(a.ListAudit(desktop.AuditFilter{Query: none})), `"entries":[]`},
		{"VaultList", must(a.VaultList(none)), `[]`},
		{"views.Audit of no entries", views.Audit(nil, 0), `"entries":[]`},
		{"State", must(a.State()), ""},
		{"APISettings", must(a.APISettings()), ""},
		{"GetSettings", must(a.GetSettings()), ""},
		{"ListUsers", must(a.ListUsers()), ""},
		{"VaultStatus", must(a.VaultStatus()), ""},
		{"VerifierStatus", must(a.VerifierStatus()), ""},
	} {
		b, err := json.Marshal(tc.value)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if bytes.Contains(b, []byte("null")) || !bytes.Contains(b, []byte(tc.empty)) {
			t.Errorf("%s crosses as %s; want no null and %s", tc.name, b, tc.empty)
		}
	}
}

// A new recovery code can be copied (kept on the clipboard while its dialog
// is open), saved as a sheet through the Save dialog, and printed from the
// same sheet, until its dialog closes; then it is gone.
func TestRecoveryCodeKeptSafely(t *testing.T) {
	t.Parallel()
	c, _, _ := vaultCore(t)
	a, board, rec := window(t, c)
	a.SignIn("ada@acme.test", testkit.AdminPassword)
	if _, err := a.CopyRecoveryCode(); problem(t, err).Field != "recovery" {
		t.Fatalf("copy with no code shown: %v", err)
	}
	res, err := a.VaultSetup(vaultPhrase, vaultPhrase, true)
	if err != nil || res.RecoveryCode == "" {
		t.Fatal(res, err)
	}
	code := res.RecoveryCode
	if cr, err := a.CopyRecoveryCode(); err != nil || !cr.Held {
		t.Fatalf("copy: %+v %v", cr, err)
	}
	if got, _ := board.Text(); got != code {
		t.Fatal("the code was not copied")
	}
	sheet, err := a.RecoverySheet()
	for _, want := range []string{code, "Acme", "Ada", "ada@acme.test", "Use recovery code instead", "KEYSMITH_VAULT_RECOVERY"} {
		if err != nil || !strings.Contains(sheet, want) {
			t.Fatalf("the sheet lacks %q: %v\n%s", want, err, sheet)
		}
	}
	path := filepath.Join(t.TempDir(), "code.txt")
	board.answer(path)
	if sr, err := a.SaveRecoveryCode(); err != nil || !sr.Saved || sr.Path != path {
		t.Fatalf("save: %+v %v", sr, err)
	}
	if d := board.dialogs[len(board.dialogs)-1]; !d.Save || d.Filter != "*.txt" || !strings.HasPrefix(d.DefaultName, "keysmith-recovery-code-") {
		t.Fatalf("the Save dialog: %+v", d)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the saved sheet: %v %v", fi, err)
	}
	if saved, _ := os.ReadFile(path); string(saved) != sheet {
		t.Fatal("the saved file is not the sheet")
	}
	if _, err := a.SaveRecoveryCode(); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("a save over the file: %v", err)
	}
	if err := a.DismissRecoveryCode(); err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"copy":  func() error { _, err := a.CopyRecoveryCode(); return err },
		"sheet": func() error { _, err := a.RecoverySheet(); return err },
		"save":  func() error { _, err := a.SaveRecoveryCode(); return err },
	} {
		if err := call(); problem(t, err).Field != "recovery" {
			t.Errorf("%s after the dialog closed: %v", name, err)
		}
	}
	if strings.Contains(rec.all(), code) {
		t.Fatal("an event carried the recovery code")
	}
	// A new code is held again; sign-out forgets it.
	if _, err := a.VaultNewRecoveryCode(); err != nil {
		t.Fatal(err)
	}
	a.SignOut()
	a.SignIn("ada@acme.test", testkit.AdminPassword)
	if _, err := a.RecoverySheet(); problem(t, err).Field != "recovery" {
		t.Fatalf("the code survived sign-out: %v", err)
	}
}
