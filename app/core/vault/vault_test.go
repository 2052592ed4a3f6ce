package vault_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"keysmith/app/core"
	"keysmith/app/core/errs"
	"keysmith/app/core/vault"
	"keysmith/app/testkit"
)

var ctx = context.Background()

const phrase = "orchid-Velvet-quarry-81-lantern"

// open opens a seeded account whose vaults use the cheapest KDF.
func open(t *testing.T) (*core.Core, testkit.Users) {
	t.Helper()
	return openWith(t, testkit.FastVaultKDF)
}

// openWith opens a seeded account whose vaults are set up with kdf.
func openWith(t *testing.T, kdf vault.KDF) (*core.Core, testkit.Users) {
	t.Helper()
	dir := t.TempDir()
	opt := testkit.Options(t, dir, nil)
	opt.VaultKDF = &kdf
	c, err := core.Open(ctx, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, testkit.Seed(t, c)
}

// withVault is open with the Administrator's vault set up under phrase, with
// a recovery code (returned) when recovery is true.
func withVault(t *testing.T, recovery bool) (*core.Core, testkit.Users, *vault.Session, string) {
	t.Helper()
	c, u := open(t)
	v, code, err := c.Vault.Setup(ctx, u.Admin.ID, phrase, recovery)
	if err != nil {
		t.Fatal(err)
	}
	return c, u, v, code
}

func TestSetupUnlockAndRecovery(t *testing.T) {
	t.Parallel()
	c, u := open(t)
	if st, _ := c.Vault.Status(ctx, u.Basic.ID); st.Exists {
		t.Fatal("a vault exists before setup")
	}
	for _, bad := range []string{"", "short", "password1234", strings.Repeat("a", 12), "line\nbreak-Velvet-81"} {
		if _, _, err := c.Vault.Setup(ctx, u.Basic.ID, bad, false); err == nil {
			t.Errorf("passphrase %q accepted", bad)
		}
	}
	v, code, err := c.Vault.Setup(ctx, u.Basic.ID, phrase, true)
	if err != nil || len(strings.ReplaceAll(code, "-", "")) != 26 {
		t.Fatalf("setup: %q %v", code, err)
	}
	if _, _, err := c.Vault.Setup(ctx, u.Basic.ID, phrase, false); !errors.Is(err, vault.ErrExists) {
		t.Fatalf("second setup: %v", err)
	}
	id, err := v.Add(ctx, u.Basic.ID, vault.Item{Kind: vault.KindLogin, Title: "Router", Username: "admin", Secret: "s3cr3t"})
	if err != nil {
		t.Fatal(err)
	}
	v.Lock()
	if _, err := v.List(ctx, u.Basic.ID, ""); !errors.Is(err, vault.ErrLocked) {
		t.Fatalf("after lock: %v", err)
	}
	if _, err := c.Vault.Unlock(ctx, u.Basic.ID, phrase+"x", false); !errors.Is(err, vault.ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	for _, form := range []string{code, strings.ToLower(code), strings.ReplaceAll(code, "-", " ")} {
		v2, err := c.Vault.Unlock(ctx, u.Basic.ID, form, true)
		if err != nil {
			t.Fatalf("recovery code %q: %v", form, err)
		}
		if it, err := v2.Get(ctx, u.Basic.ID, id); err != nil || it.Secret != "s3cr3t" {
			t.Fatalf("item via recovery: %+v %v", it, err)
		}
	}
	if _, err := c.Vault.Unlock(ctx, u.Basic.ID, phrase, true); !errors.Is(err, vault.ErrWrongPassphrase) {
		t.Fatal("the passphrase opened the recovery slot")
	}
	if st, _ := c.Vault.Status(ctx, u.Basic.ID); !st.Exists || !st.HasRecovery || st.Items != 1 {
		t.Fatalf("status %+v", st)
	}
	// Another user has no vault, and cannot use this one.
	if _, err := c.Vault.Unlock(ctx, u.Advanced.ID, phrase, false); !errors.Is(err, vault.ErrNoVault) {
		t.Fatalf("other user: %v", err)
	}
	v3, _ := c.Vault.Unlock(ctx, u.Basic.ID, phrase, false)
	if _, err := v3.List(ctx, u.Advanced.ID, ""); !errors.Is(err, errs.ErrForbidden) {
		t.Fatalf("another user's session: %v", err)
	}
	// A disabled user's session stops working.
	c.Accounts.SetDisabled(ctx, u.Admin.ID, u.Basic.ID, true)
	if _, err := v3.List(ctx, u.Basic.ID, ""); !errors.Is(err, errs.ErrSignedOut) {
		t.Fatalf("disabled owner: %v", err)
	}
}

func TestNFCPassphrase(t *testing.T) {
	t.Parallel()
	c, u := open(t)
	composed := "caf\u00e9-Velvet-quarry-81-lantern"
	decomposed := "cafe\u0301-Velvet-quarry-81-lantern"
	if _, _, err := c.Vault.Setup(ctx, u.Admin.ID, composed, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Vault.Unlock(ctx, u.Admin.ID, decomposed, false); err != nil {
		t.Fatalf("the decomposed form of the same passphrase: %v", err)
	}
}

func TestItemsRoundTrip(t *testing.T) {
	t.Parallel()
	c, u, v, _ := withVault(t, false)
	items := []vault.Item{
		{Kind: vault.KindCredential, Title: "Website form", Username: "AbCdEfGhIjKlMnOpQrSt", Secret: strings.Repeat("x", 30), Type: "basic"},
		{Kind: vault.KindLogin, Title: "Ünïcödé ✓ 🔑", Username: "用户", Secret: "пароль", URL: "https://example.com/ü", Notes: "multi\nline\nnotes"},
		{Kind: vault.KindLogin, Title: "Empty secret"},
		{Kind: vault.KindLogin, Title: "Big", Secret: strings.Repeat("S", 64<<10), Notes: strings.Repeat("N", 64<<10)},
	}
	ids := map[int64]vault.Item{}
	for _, it := range items {
		id, err := v.Add(ctx, u.Admin.ID, it)
		if err != nil {
			t.Fatalf("add %q: %v", it.Title, err)
		}
		ids[id] = it
	}
	for id, want := range ids {
		got, err := v.Get(ctx, u.Admin.ID, id)
		if err != nil || got.Title != want.Title || got.Secret != want.Secret || got.Notes != want.Notes || got.URL != want.URL || got.Type != want.Type {
			t.Fatalf("round trip of %q: %+v %v", want.Title, got, err)
		}
	}
	if _, err := v.Add(ctx, u.Admin.ID, vault.Item{Kind: vault.KindLogin, Title: "Too big", Secret: strings.Repeat("S", 64<<10+1)}); err == nil {
		t.Fatal("a secret over 64 KiB was accepted")
	}
	if _, err := v.Add(ctx, u.Admin.ID, vault.Item{Kind: vault.KindLogin, Title: ""}); err == nil {
		t.Fatal("an empty title was accepted")
	}
	list, _ := v.List(ctx, u.Admin.ID, "")
	if len(list) != 4 || list[0].Title != "Big" {
		t.Fatalf("list %+v", list)
	}
	found, _ := v.List(ctx, u.Admin.ID, "ÜNÏ")
	if len(found) != 1 {
		t.Fatalf("search: %+v", found)
	}
	// Nothing readable in the database: titles, usernames and secrets are sealed.
	rows, _ := testkit.DB(t, c.Dir).Query(`SELECT sealed FROM vault_items`)
	defer rows.Close()
	for rows.Next() {
		var b []byte
		rows.Scan(&b)
		for _, s := range []string{"Website form", "AbCdEfGhIjKlMnOpQrSt", "пароль", "multi"} {
			if bytes.Contains(b, []byte(s)) {
				t.Fatalf("%q stored in plain text", s)
			}
		}
	}
	var first int64
	for id := range ids {
		first = id
		break
	}
	edited := ids[first]
	edited.Secret = "new secret"
	if err := v.Edit(ctx, u.Admin.ID, first, edited); err != nil {
		t.Fatal(err)
	}
	if got, _ := v.Get(ctx, u.Admin.ID, first); got.Secret != "new secret" || got.Kind != ids[first].Kind {
		t.Fatalf("edit: %+v", got)
	}
	if err := v.Delete(ctx, u.Admin.ID, first); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Get(ctx, u.Admin.ID, first); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

func sealedOf(t *testing.T, db *sql.DB, id int64) []byte {
	var b []byte
	if err := db.QueryRow(`SELECT sealed FROM vault_items WHERE id = ?`, id).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTamper(t *testing.T) {
	t.Parallel()
	c, u, v, _ := withVault(t, false)
	a, _ := v.Add(ctx, u.Admin.ID, vault.Item{Kind: vault.KindLogin, Title: "A", Secret: "alpha"})
	b, _ := v.Add(ctx, u.Admin.ID, vault.Item{Kind: vault.KindLogin, Title: "A", Secret: "alpha"})
	sa, sb := sealedOf(t, testkit.DB(t, c.Dir), a), sealedOf(t, testkit.DB(t, c.Dir), b)
	if bytes.Equal(sa, sb) {
		t.Fatal("the same plaintext sealed twice gave the same ciphertext")
	}
	// Each flipped byte of an item's ciphertext is detected.
	for i := range sa {
		bad := bytes.Clone(sa)
		bad[i] ^= 1
		testkit.DB(t, c.Dir).Exec(`UPDATE vault_items SET sealed = ? WHERE id = ?`, bad, a)
		if _, err := v.Get(ctx, u.Admin.ID, a); !errors.Is(err, errs.ErrUnauthenticated) {
			t.Fatalf("flipped byte %d of an item: %v", i, err)
		}
	}
	testkit.DB(t, c.Dir).Exec(`UPDATE vault_items SET sealed = ? WHERE id = ?`, sa, a)
	for name, q := range map[string]string{
		"swapped ciphertexts": `UPDATE vault_items SET sealed = (SELECT sealed FROM vault_items WHERE id = ` + itoa(b) + `) WHERE id = ` + itoa(a),
		"revision changed":    `UPDATE vault_items SET revision = revision + 1 WHERE id = ` + itoa(a),
		"kind changed":        `UPDATE vault_items SET kind = 'credential' WHERE id = ` + itoa(a),
	} {
		testkit.DB(t, c.Dir).Exec(`UPDATE vault_items SET sealed = ?, revision = 1, kind = 'login' WHERE id = ?`, sa, a)
		testkit.DB(t, c.Dir).Exec(q)
		if _, err := v.Get(ctx, u.Admin.ID, a); !errors.Is(err, errs.ErrUnauthenticated) {
			t.Errorf("%s: %v", name, err)
		}
	}
	testkit.DB(t, c.Dir).Exec(`UPDATE vault_items SET sealed = ?, revision = 1, kind = 'login' WHERE id = ?`, sa, a)
	if _, err := v.Get(ctx, u.Admin.ID, a); err != nil {
		t.Fatalf("restored: %v", err)
	}
	// Another user's vault cannot read this user's ciphertext.
	w, _, _ := c.Vault.Setup(ctx, u.Basic.ID, phrase, false)
	x, _ := w.Add(ctx, u.Basic.ID, vault.Item{Kind: vault.KindLogin, Title: "X"})
	testkit.DB(t, c.Dir).Exec(`UPDATE vault_items SET sealed = ? WHERE id = ?`, sa, x)
	if _, err := w.Get(ctx, u.Basic.ID, x); !errors.Is(err, errs.ErrUnauthenticated) {
		t.Fatalf("ciphertext moved between users: %v", err)
	}
	// The key slot: every byte of the wrapped key, the salt, the KDF text
	// and the vault uid is bound.
	var wrapped, salt, uid []byte
	var kdf string
	testkit.DB(t, c.Dir).QueryRow(`SELECT s.wrapped, s.salt, s.kdf, v.uid FROM vault_slots s JOIN vaults v ON v.id = s.vault_id WHERE v.user_id = ?`, u.Admin.ID).Scan(&wrapped, &salt, &kdf, &uid)
	check := func(what string) {
		t.Helper()
		if _, err := c.Vault.Unlock(ctx, u.Admin.ID, phrase, false); err == nil {
			t.Fatalf("%s: unlocked", what)
		}
	}
	for _, i := range []int{0, 23, 24, len(wrapped) / 2, len(wrapped) - 1} {
		bad := bytes.Clone(wrapped)
		bad[i] ^= 1
		testkit.DB(t, c.Dir).Exec(`UPDATE vault_slots SET wrapped = ?`, bad)
		check("wrapped key byte " + itoa(int64(i)))
	}
	testkit.DB(t, c.Dir).Exec(`UPDATE vault_slots SET wrapped = ?`, wrapped)
	bad := bytes.Clone(salt)
	bad[5] ^= 1
	testkit.DB(t, c.Dir).Exec(`UPDATE vault_slots SET salt = ? WHERE kdf = ?`, bad, kdf)
	check("salt")
	testkit.DB(t, c.Dir).Exec(`UPDATE vault_slots SET salt = ? WHERE salt = ?`, salt, bad)
	for _, k := range []string{"argon2id$m=19456,t=2,p=2", "argon2id$m=1024,t=1,p=1", "argon2id$m=99999999,t=2,p=1", "scrypt"} {
		testkit.DB(t, c.Dir).Exec(`UPDATE vault_slots SET kdf = ? WHERE salt = ?`, k, salt)
		check("kdf " + k)
	}
	testkit.DB(t, c.Dir).Exec(`UPDATE vault_slots SET kdf = ? WHERE salt = ?`, kdf, salt)
	badUID := bytes.Clone(uid)
	badUID[0] ^= 1
	testkit.DB(t, c.Dir).Exec(`UPDATE vaults SET uid = ? WHERE user_id = ?`, badUID, u.Admin.ID)
	check("vault uid")
	testkit.DB(t, c.Dir).Exec(`UPDATE vaults SET uid = ? WHERE user_id = ?`, uid, u.Admin.ID)
	testkit.DB(t, c.Dir).Exec(`UPDATE vaults SET format = 2 WHERE user_id = ?`, u.Admin.ID)
	if _, err := c.Vault.Unlock(ctx, u.Admin.ID, phrase, false); !errors.Is(err, vault.ErrNewerFormat) {
		t.Fatalf("unknown format: %v", err)
	}
	testkit.DB(t, c.Dir).Exec(`UPDATE vaults SET format = 1 WHERE user_id = ?`, u.Admin.ID)
	if _, err := c.Vault.Unlock(ctx, u.Admin.ID, phrase, false); err != nil {
		t.Fatalf("restored slot: %v", err)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestChangePassphrase(t *testing.T) {
	t.Parallel()
	c, u, v, _ := withVault(t, false)
	id, _ := v.Add(ctx, u.Admin.ID, vault.Item{Kind: vault.KindLogin, Title: "Kept", Secret: "kept"})
	before := sealedOf(t, testkit.DB(t, c.Dir), id)
	const next = "marble-Tundra-62-whistle-fern"
	// A failure in the middle of the change leaves the old passphrase working.
	remove := testkit.FailOn(t, testkit.DB(t, c.Dir), "vault_slots", "UPDATE")
	if err := v.ChangePassphrase(ctx, u.Admin.ID, next); err == nil {
		t.Fatal("injected failure not reported")
	}
	remove()
	if _, err := c.Vault.Unlock(ctx, u.Admin.ID, phrase, false); err != nil {
		t.Fatalf("old passphrase after a failed change: %v", err)
	}
	if err := v.ChangePassphrase(ctx, u.Admin.ID, next); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Vault.Unlock(ctx, u.Admin.ID, phrase, false); !errors.Is(err, vault.ErrWrongPassphrase) {
		t.Fatalf("old passphrase still works: %v", err)
	}
	v2, err := c.Vault.Unlock(ctx, u.Admin.ID, next, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := v2.Get(ctx, u.Admin.ID, id); got.Secret != "kept" {
		t.Fatal("item lost")
	}
	if !bytes.Equal(before, sealedOf(t, testkit.DB(t, c.Dir), id)) {
		t.Fatal("items were rewritten by a passphrase change")
	}
	code, err := v2.NewRecoveryCode(ctx, u.Admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Vault.Unlock(ctx, u.Admin.ID, code, true); err != nil {
		t.Fatal(err)
	}
	v2.RemoveRecoveryCode(ctx, u.Admin.ID)
	if _, err := c.Vault.Unlock(ctx, u.Admin.ID, code, true); !errors.Is(err, vault.ErrWrongPassphrase) {
		t.Fatalf("removed recovery code: %v", err)
	}
}

func TestExportImport(t *testing.T) {
	t.Parallel()
	c, u, v, _ := withVault(t, false)
	v.Add(ctx, u.Admin.ID, vault.Item{Kind: vault.KindCredential, Title: "API", Username: "KEY", Secret: "SECRET", Type: "hmac"})
	v.Add(ctx, u.Admin.ID, vault.Item{Kind: vault.KindLogin, Title: "Ünïcode", Secret: "ü"})
	const filePhrase = "export-Harbor-73-pebble-cloud"
	data, err := v.Export(ctx, u.Admin.ID, filePhrase)
	if err != nil || !bytes.HasPrefix(data, []byte("age-encryption.org/v1")) {
		t.Fatalf("export: %v %.30q", err, data)
	}
	if bytes.Contains(data, []byte("SECRET")) {
		t.Fatal("export holds plain text")
	}
	w, _, _ := c.Vault.Setup(ctx, u.Basic.ID, "other-Meadow-55-violin-pond", false)
	w.Add(ctx, u.Basic.ID, vault.Item{Kind: vault.KindLogin, Title: "Ünïcode", Secret: "ü"})
	before := testkit.Snapshot(t, testkit.DB(t, c.Dir))
	if _, err := w.Import(ctx, u.Basic.ID, data, "wrong-Harbor-73-pebble-cloud"); !errors.Is(err, vault.ErrWrongPassphrase) {
		t.Fatalf("wrong export passphrase: %v", err)
	}
	// A file that asks for more scrypt work than imports allow is refused
	// unopened (here the cap is lowered below the 18 age writes).
	vault.SetImportWorkFactor(c.Vault, 17)
	if _, err := w.Import(ctx, u.Basic.ID, data, filePhrase); !errors.Is(err, vault.ErrBadExport) {
		t.Fatalf("export above the work cap: %v", err)
	}
	vault.SetImportWorkFactor(c.Vault, vault.MaxImportWorkFactor)
	damaged := bytes.Clone(data)
	damaged[len(damaged)-5] ^= 1
	if _, err := w.Import(ctx, u.Basic.ID, damaged, filePhrase); !errors.Is(err, vault.ErrBadExport) {
		t.Fatalf("damaged export: %v", err)
	}
	// A file that is not an export (a .env chosen by mistake): nothing of
	// its content reaches the error, which goes to the log.
	for _, wrong := range []string{"STRIPE_SECRET=sk_live_TOPSECRET123\n", "age-encryption.org/v1\nTOPSECRET-LINE-2\n"} {
		_, err := w.Import(ctx, u.Basic.ID, []byte(wrong), filePhrase)
		if !errors.Is(err, vault.ErrBadExport) || strings.Contains(err.Error(), "TOPSECRET") || strings.Contains(err.Error(), "sk_live") {
			t.Fatalf("not an export: %v", err)
		}
	}
	if testkit.Snapshot(t, testkit.DB(t, c.Dir)) != before {
		t.Fatal("a refused import changed the database")
	}
	rep, err := w.Import(ctx, u.Basic.ID, data, filePhrase)
	if err != nil || rep.Added != 1 || rep.Skipped != 1 {
		t.Fatalf("import: %+v %v", rep, err)
	}
	rep, _ = w.Import(ctx, u.Basic.ID, data, filePhrase)
	if rep.Added != 0 || rep.Skipped != 2 {
		t.Fatalf("second import: %+v", rep)
	}
	list, _ := w.List(ctx, u.Basic.ID, "api")
	if len(list) != 1 || list[0].Type != "hmac" {
		t.Fatalf("imported item: %+v", list)
	}
}

const goldenPath = "testdata/golden_vault.json"

// golden is a vault made once by an earlier build, before manifests and
// second-format key slots. It is never rewritten: it is what vaults of that
// build look like, and each test upgrades a copy of it.
type golden struct {
	Passphrase, Recovery string
	UID                  []byte
	Slots                []struct {
		Kind, KDF     string
		Salt, Wrapped []byte
	}
	Items []goldenItem
	Want  []vault.Item
}

// goldenItem is an item's row in a golden vault.
type goldenItem struct {
	ID       int64
	Kind     string
	Revision int64
	Sealed   []byte
}

// loadGolden stores the golden vault's rows as the Administrator's vault.
func loadGolden(t *testing.T, c *core.Core, u testkit.Users) golden {
	t.Helper()
	var g golden
	readJSON(t, goldenPath, &g)
	var vid int64
	if err := testkit.DB(t, c.Dir).QueryRow(`INSERT INTO vaults (user_id, uid, format, created_at, updated_at) VALUES (?, ?, 1, 'x', 'x') RETURNING id`, u.Admin.ID, g.UID).Scan(&vid); err != nil {
		t.Fatal(err)
	}
	for _, s := range g.Slots {
		testkit.Exec(t, testkit.DB(t, c.Dir), `INSERT INTO vault_slots (vault_id, kind, kdf, salt, wrapped) VALUES (?, ?, ?, ?, ?)`, vid, s.Kind, s.KDF, s.Salt, s.Wrapped)
	}
	for _, it := range g.Items {
		testkit.Exec(t, testkit.DB(t, c.Dir), `INSERT INTO vault_items (id, vault_id, kind, revision, sealed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'x', 'x')`, it.ID, vid, it.Kind, it.Revision, it.Sealed)
	}
	testkit.SyncIDs(t, testkit.DB(t, c.Dir))
	return g
}

// TestGoldenVault opens a vault made once by an earlier build: the format
// must keep opening forever.
func TestGoldenVault(t *testing.T) {
	t.Parallel()
	c, u := open(t)
	g := loadGolden(t, c, u)
	opensAsGolden(t, c, u, g.Passphrase, g.Recovery, g.Items, g.Want)
}

// readJSON reads the JSON file path into v.
func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// secret is what unlocks a vault: its passphrase, or a recovery code.
type secret struct {
	secret   string
	recovery bool
}

// bothSecrets are a vault's passphrase and its recovery code.
func bothSecrets(passphrase, recovery string) []secret {
	return []secret{{passphrase, false}, {recovery, true}}
}

// opensAsGolden: the Administrator's golden vault opens with its passphrase
// and with its recovery code, and holds the items it was made with.
func opensAsGolden(t *testing.T, c *core.Core, u testkit.Users, passphrase, recovery string, items []goldenItem, want []vault.Item) {
	t.Helper()
	for _, how := range bothSecrets(passphrase, recovery) {
		v, err := c.Vault.Unlock(ctx, u.Admin.ID, how.secret, how.recovery)
		if err != nil {
			t.Fatalf("golden vault (recovery %v): %v", how.recovery, err)
		}
		for i, it := range items {
			got, err := v.Get(ctx, u.Admin.ID, it.ID)
			if w := want[i]; err != nil || got.Title != w.Title || got.Secret != w.Secret || got.Notes != w.Notes || got.Username != w.Username {
				t.Fatalf("golden item %d: %+v %v", i, got, err)
			}
		}
	}
}

// TestReadExport: an import reads only a regular file within MaxExportFile,
// and says why it will not read anything else.
func TestReadExport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.age")
	os.WriteFile(good, []byte("age-encryption.org/v1\n"), 0o600)
	big := filepath.Join(dir, "big.age")
	f, _ := os.Create(big)
	f.Truncate(vault.MaxExportFile + 1) // sparse: nothing is written
	f.Close()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		good:                           "",
		big:                            "larger than any Keysmith export can be",
		dir:                            "is not a file",
		"/dev/zero":                    "is not a file",
		fifo:                           "is not a file", // without waiting for a writer
		filepath.Join(dir, "missing"):  "no such file or directory",
		filepath.Join(good, "nothing"): "not a directory",
	} {
		data, err := vault.ReadExport(path)
		if want == "" {
			if err != nil || string(data) != "age-encryption.org/v1\n" {
				t.Errorf("%s: %q %v", path, data, err)
			}
			continue
		}
		var inv *errs.Invalid
		if !errors.As(err, &inv) || !strings.Contains(inv.Message, want) || data != nil {
			t.Errorf("%s: %v, want %q", path, err, want)
		}
	}
}

// TestPassphraseNotPersonal: a vault passphrase may not be the user's
// sign-in password, nor lean on their name or email; nor may a new one.
func TestPassphraseNotPersonal(t *testing.T) {
	t.Parallel()
	c, u := open(t)
	for p, want := range map[string]string{
		testkit.BasicPassword:         "must differ from your sign-in password",
		"bea@acme.test":               "too close to your name or email",
		"Bea Basic bea@acme.test 1":   "too close to your name or email",
		"other-Meadow-55-violin-pond": "",
	} {
		_, _, err := c.Vault.Setup(ctx, u.Basic.ID, p, false)
		var inv *errs.Invalid
		if want == "" && err != nil || want != "" && (!errors.As(err, &inv) || !strings.Contains(inv.Message, want)) {
			t.Errorf("%q: %v, want %q", p, err, want)
		}
	}
	v, err := c.Vault.Unlock(ctx, u.Basic.ID, "other-Meadow-55-violin-pond", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.ChangePassphrase(ctx, u.Basic.ID, testkit.BasicPassword); err == nil || !strings.Contains(err.Error(), "sign-in password") {
		t.Fatalf("change to the sign-in password: %v", err)
	}
}

// TestItemOneLineFields: a username or URL holds no control characters.
func TestItemOneLineFields(t *testing.T) {
	t.Parallel()
	_, u, v, _ := withVault(t, false)
	for _, it := range []vault.Item{
		{Kind: vault.KindLogin, Title: "Router", Username: "u\x00", Secret: "s"},
		{Kind: vault.KindLogin, Title: "Router", URL: "https://a\nb", Secret: "s"},
	} {
		if _, err := v.Add(ctx, u.Admin.ID, it); err == nil || !strings.Contains(err.Error(), "cannot contain control characters") {
			t.Errorf("%+v: %v", it, err)
		}
	}
	if _, err := v.Add(ctx, u.Admin.ID, vault.Item{Kind: vault.KindLogin, Title: "Key", Secret: "line one\nline two", Notes: "a\nb"}); err != nil {
		t.Fatalf("multi-line secret and notes: %v", err)
	}
}

// TestWriteFileRefusals: an export path with a control character, or a
// folder, is refused with a message that says so.
func TestWriteFileRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for path, want := range map[string]string{
		filepath.Join(dir, "x\a.age"): "control character",
		dir:                           "is a folder",
	} {
		if err := vault.WriteFile(path, []byte("x")); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", path, err, want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("files written: %v", entries)
	}
}
