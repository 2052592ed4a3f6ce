package vault_test

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"testing"

	"keysmith/app/core/vault"
	"keysmith/app/testkit"
)

var update = flag.Bool("update", false, "rewrite testdata/golden_vault_v2.json (the pre-manifest golden vault is never rewritten)")

const goldenV2Path = "testdata/golden_vault_v2.json"

// goldenV2 is a vault of the current format: X25519 key slots and a
// manifest.
type goldenV2 struct {
	Passphrase, Recovery string
	UID                  []byte
	Slots                []struct {
		Kind, KDF                        string
		Salt, Wrapped, Public, SealedKey []byte
	}
	Items    []goldenItem
	Manifest struct {
		Counter          int64
		KeyID, Auth, MAC []byte
	}
	Want []vault.Item
}

func writeGoldenV2(t *testing.T) {
	c, u := openWith(t, vault.DefaultKDF)
	g := goldenV2{Passphrase: "golden-Manifest-vault-2026", Want: []vault.Item{
		{Kind: vault.KindCredential, Title: "Golden key", Username: "AbCdEfGhIjKlMnOpQrSt", Secret: "sEcReT0123456789abcdefGHIJKLmn", Type: "basic"},
		{Kind: vault.KindLogin, Title: "Ünïcode ✓ edited", Username: "用户", Secret: "пароль-2", URL: "https://example.com", Notes: "two\nlines"},
	}}
	v, code, err := c.Vault.Setup(ctx, u.Admin.ID, g.Passphrase, true)
	if err != nil {
		t.Fatal(err)
	}
	g.Recovery = code
	v.Add(ctx, u.Admin.ID, g.Want[0])
	id, _ := v.Add(ctx, u.Admin.ID, vault.Item{Kind: vault.KindLogin, Title: "Ünïcode ✓", Secret: "пароль"})
	if err := v.Edit(ctx, u.Admin.ID, id, g.Want[1]); err != nil { // revision 2
		t.Fatal(err)
	}
	db := testkit.DB(t, c.Dir)
	db.QueryRow(`SELECT uid FROM vaults`).Scan(&g.UID)
	rows, _ := db.Query(`SELECT kind, kdf, salt, wrapped, public, sealed_key FROM vault_slots ORDER BY kind`)
	for rows.Next() {
		var s struct {
			Kind, KDF                        string
			Salt, Wrapped, Public, SealedKey []byte
		}
		rows.Scan(&s.Kind, &s.KDF, &s.Salt, &s.Wrapped, &s.Public, &s.SealedKey)
		g.Slots = append(g.Slots, s)
	}
	rows.Close()
	rows, _ = db.Query(`SELECT id, kind, revision, sealed FROM vault_items ORDER BY id`)
	for rows.Next() {
		var it goldenItem
		rows.Scan(&it.ID, &it.Kind, &it.Revision, &it.Sealed)
		g.Items = append(g.Items, it)
	}
	rows.Close()
	db.QueryRow(`SELECT counter, key_id, auth, mac FROM vault_manifest`).Scan(&g.Manifest.Counter, &g.Manifest.KeyID, &g.Manifest.Auth, &g.Manifest.MAC)
	b, _ := json.MarshalIndent(g, "", "  ")
	if err := os.WriteFile(goldenV2Path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGoldenVaultV2 opens a vault of the current format made once by an
// earlier build, with both secrets, and still detects a deleted item in it:
// the format must keep opening forever.
func TestGoldenVaultV2(t *testing.T) {
	t.Parallel()
	if *update {
		writeGoldenV2(t)
	}
	var g goldenV2
	readJSON(t, goldenV2Path, &g)
	c, u := open(t)
	db := testkit.DB(t, c.Dir)
	var vid int64
	if err := db.QueryRow(`INSERT INTO vaults (user_id, uid, format, created_at, updated_at) VALUES (?, ?, 1, 'x', 'x') RETURNING id`, u.Admin.ID, g.UID).Scan(&vid); err != nil {
		t.Fatal(err)
	}
	for _, s := range g.Slots {
		testkit.Exec(t, db, `INSERT INTO vault_slots (vault_id, kind, kdf, salt, wrapped, public, sealed_key) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			vid, s.Kind, s.KDF, s.Salt, s.Wrapped, s.Public, s.SealedKey)
	}
	for _, it := range g.Items {
		testkit.Exec(t, db, `INSERT INTO vault_items (id, vault_id, kind, revision, sealed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'x', 'x')`,
			it.ID, vid, it.Kind, it.Revision, it.Sealed)
	}
	testkit.Exec(t, db, `INSERT INTO vault_manifest (vault_id, counter, key_id, auth, mac) VALUES (?, ?, ?, ?, ?)`,
		vid, g.Manifest.Counter, g.Manifest.KeyID, g.Manifest.Auth, g.Manifest.MAC)
	testkit.SyncIDs(t, db)
	before := testkit.Snapshot(t, db)
	opensAsGolden(t, c, u, g.Passphrase, g.Recovery, g.Items, g.Want)
	if testkit.Snapshot(t, db) != before {
		t.Fatal("unlocking a vault of the current format rewrote it")
	}
	testkit.Exec(t, db, `DELETE FROM vault_items WHERE id = ?`, g.Items[0].ID)
	if _, err := c.Vault.Unlock(ctx, u.Admin.ID, g.Passphrase, false); !errors.Is(err, vault.ErrTampered) {
		t.Fatalf("golden vault with an item deleted: %v", err)
	}
}
