package vault_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"keysmith/app/core/errs"
	"keysmith/app/core/vault"
	"keysmith/app/testkit"
)

// TestRotateKey: after a rotation every item opens with the new data key
// and none with the old one; the passphrase and the recovery code still
// unlock; the rotation is audited; a failure at any step changes nothing.
func TestRotateKey(t *testing.T) {
	t.Parallel()
	c, u, v, code := withVault(t, true)
	id := u.Admin.ID
	want := map[int64]string{}
	for _, s := range []string{"alpha", "bravo", "charlie"} {
		n, err := v.Add(ctx, id, vault.Item{Kind: vault.KindLogin, Title: s, Secret: s + "-secret"})
		if err != nil {
			t.Fatal(err)
		}
		want[n] = s + "-secret"
	}
	other, err := c.Vault.Unlock(ctx, id, phrase, false)
	if err != nil {
		t.Fatal(err)
	}
	var uid []byte
	testkit.DB(t, c.Dir).QueryRow(`SELECT uid FROM vaults WHERE user_id = ?`, id).Scan(&uid)
	oldKey := vault.DataKeyOf(v)

	// A failure at any step (items, slots, manifest, audit) leaves the old
	// state: same rows, same key, the session still reads.
	for _, table := range []string{"vault_items", "vault_slots", "vault_manifest"} {
		before := testkit.Snapshot(t, testkit.DB(t, c.Dir))
		remove := testkit.FailOn(t, testkit.DB(t, c.Dir), table, "UPDATE")
		if _, err := v.RotateKey(ctx, id); err == nil || !strings.Contains(err.Error(), "injected") {
			t.Fatalf("failure in %s: %v", table, err)
		}
		remove()
		if testkit.Snapshot(t, testkit.DB(t, c.Dir)) != before || !bytes.Equal(vault.DataKeyOf(v), oldKey) {
			t.Fatalf("a rotation that failed in %s changed something", table)
		}
		if list, err := v.List(ctx, id, ""); err != nil || len(list) != 3 {
			t.Fatalf("after a failed rotation in %s: %d %v", table, len(list), err)
		}
	}
	remove := testkit.FailOn(t, testkit.DB(t, c.Dir), "audit", "INSERT")
	before := testkit.Snapshot(t, testkit.DB(t, c.Dir))
	if _, err := v.RotateKey(ctx, id); err == nil {
		t.Fatal("a rotation that could not be audited went through")
	}
	remove()
	if testkit.Snapshot(t, testkit.DB(t, c.Dir)) != before {
		t.Fatal("an unaudited rotation changed something")
	}

	// Only the owner's own session rotates.
	if _, err := v.RotateKey(ctx, u.Basic.ID); !errors.Is(err, errs.ErrForbidden) {
		t.Fatalf("another user: %v", err)
	}
	n, err := v.RotateKey(ctx, id)
	if err != nil || n != 3 {
		t.Fatalf("rotate: %d %v", n, err)
	}
	newKey := vault.DataKeyOf(v)
	if bytes.Equal(newKey, oldKey) || len(newKey) != 32 {
		t.Fatal("the data key did not change")
	}
	rows, err := testkit.DB(t, c.Dir).Query(`SELECT id, kind, revision, sealed FROM vault_items`)
	if err != nil {
		t.Fatal(err)
	}
	var checked int
	for rows.Next() {
		var r itemRow
		rows.Scan(&r.id, &r.kind, &r.revision, &r.sealed)
		if vault.OpenItemWith(oldKey, uid, r.id, r.kind, r.revision, r.sealed) {
			t.Errorf("item %d still opens with the old data key", r.id)
		}
		if !vault.OpenItemWith(newKey, uid, r.id, r.kind, r.revision, r.sealed) {
			t.Errorf("item %d does not open with the new data key", r.id)
		}
		checked++
	}
	rows.Close()
	if checked != 3 {
		t.Fatalf("%d items", checked)
	}
	for _, how := range []struct {
		name     string
		secret   string
		recovery bool
	}{{"rotating session", "", false}, {"passphrase", phrase, false}, {"recovery code", code, true}} {
		s := v
		if how.secret != "" {
			if s, err = c.Vault.Unlock(ctx, id, how.secret, how.recovery); err != nil {
				t.Fatalf("%s after rotation: %v", how.name, err)
			}
			if !bytes.Equal(vault.DataKeyOf(s), newKey) {
				t.Fatalf("%s opens another key", how.name)
			}
		}
		for n, secret := range want {
			if it, err := s.Get(ctx, id, n); err != nil || it.Secret != secret {
				t.Fatalf("%s: item %d: %+v %v", how.name, n, it, err)
			}
		}
	}
	// A session opened before holds the old key: it locks instead of reading.
	if _, err := other.Get(ctx, id, 1); !errors.Is(err, vault.ErrLocked) {
		t.Fatalf("session with the old key: %v", err)
	}
	var actor, target, detail string
	if err := testkit.DB(t, c.Dir).QueryRow(`SELECT actor, target, detail FROM audit WHERE action = 'vault.rotate-key'`).Scan(&actor, &target, &detail); err != nil {
		t.Fatalf("no audit entry: %v", err)
	}
	if !strings.Contains(actor, u.Admin.Email) || target != u.Admin.Email || !strings.Contains(detail, "3 item(s)") {
		t.Fatalf("audit entry %q %q %q", actor, target, detail)
	}
	if r, err := testkit.VerifyAudit(t, c.Dir); err != nil || !r.OK() {
		t.Fatalf("audit chain: %+v %v", r, err)
	}
	v.Lock()
	if _, err := v.RotateKey(ctx, id); !errors.Is(err, vault.ErrLocked) {
		t.Fatalf("locked session: %v", err)
	}
}

// TestLegacyVaultUpgrade: a vault made before manifests (the golden vault)
// gets a manifest at its first unlock, each key slot moves to the second
// format when it is used, and from then on deletions are detected and a
// removed manifest is not taken for a vault that never had one.
func TestLegacyVaultUpgrade(t *testing.T) {
	t.Parallel()
	c, u := open(t)
	id := u.Admin.ID
	g := loadGolden(t, c, u)
	count := func(q string) int {
		var n int
		if err := testkit.DB(t, c.Dir).QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// A damaged item is refused at the upgrade, which writes nothing.
	var sealed []byte
	testkit.DB(t, c.Dir).QueryRow(`SELECT sealed FROM vault_items WHERE id = ?`, g.Items[0].ID).Scan(&sealed)
	bad := bytes.Clone(sealed)
	bad[len(bad)-1] ^= 1
	testkit.Exec(t, testkit.DB(t, c.Dir), `UPDATE vault_items SET sealed = ? WHERE id = ?`, bad, g.Items[0].ID)
	before := testkit.Snapshot(t, testkit.DB(t, c.Dir))
	if _, err := c.Vault.Unlock(ctx, id, g.Passphrase, false); !errors.Is(err, errs.ErrUnauthenticated) {
		t.Fatalf("legacy vault with a damaged item: %v", err)
	}
	if testkit.Snapshot(t, testkit.DB(t, c.Dir)) != before {
		t.Fatal("a refused upgrade wrote something")
	}
	testkit.Exec(t, testkit.DB(t, c.Dir), `UPDATE vault_items SET sealed = ? WHERE id = ?`, sealed, g.Items[0].ID)

	v, err := c.Vault.Unlock(ctx, id, g.Passphrase, false)
	if err != nil {
		t.Fatal(err)
	}
	if count(`SELECT COUNT(*) FROM vault_manifest`) != 1 || count(`SELECT COUNT(*) FROM vault_slots WHERE public IS NULL`) != 1 ||
		count(`SELECT COUNT(*) FROM vault_slots WHERE kind = 'passphrase' AND public IS NOT NULL`) != 1 {
		t.Fatal("the first unlock did not add the manifest and move the passphrase slot")
	}
	// Items are re-sealed as items of a vault with a manifest: put back
	// without one, they do not open as a vault made before manifests.
	upgraded := map[int64]itemRow{}
	for _, it := range g.Items {
		upgraded[it.ID] = readRow(t, testkit.DB(t, c.Dir), it.ID)
		if bytes.Equal(upgraded[it.ID].sealed, it.Sealed) || upgraded[it.ID].revision != it.Revision {
			t.Fatalf("item %d was not re-sealed at its revision", it.ID)
		}
	}
	// The recovery slot still wraps the data key itself: a rotation would
	// lock the recovery code out, so it is refused and says why.
	var inv *errs.Invalid
	if _, err := v.RotateKey(ctx, id); !errors.As(err, &inv) || !strings.Contains(inv.Message, "recovery code") {
		t.Fatalf("rotation with a first-format recovery slot: %v", err)
	}
	// From now on a deleted item is tampering, whichever slot opens.
	row := readRow(t, testkit.DB(t, c.Dir), g.Items[1].ID)
	testkit.Exec(t, testkit.DB(t, c.Dir), `DELETE FROM vault_items WHERE id = ?`, row.id)
	if _, err := v.List(ctx, id, ""); !errors.Is(err, vault.ErrTampered) {
		t.Fatalf("deleted item in an upgraded vault: %v", err)
	}
	for _, how := range bothSecrets(g.Passphrase, g.Recovery) {
		if _, err := c.Vault.Unlock(ctx, id, how.secret, how.recovery); !errors.Is(err, vault.ErrTampered) {
			t.Fatalf("unlock (recovery %v) with an item deleted: %v", how.recovery, err)
		}
	}
	// Removing the manifest too does not make it pass for a vault that
	// never had one: its passphrase slot is of the second format.
	var m struct {
		counter          int64
		keyID, auth, mac []byte
	}
	testkit.DB(t, c.Dir).QueryRow(`SELECT counter, key_id, auth, mac FROM vault_manifest`).Scan(&m.counter, &m.keyID, &m.auth, &m.mac)
	testkit.Exec(t, testkit.DB(t, c.Dir), `DELETE FROM vault_manifest`)
	for _, how := range bothSecrets(g.Passphrase, g.Recovery) {
		if _, err := c.Vault.Unlock(ctx, id, how.secret, how.recovery); !errors.Is(err, vault.ErrTampered) {
			t.Fatalf("unlock (recovery %v) with the manifest removed: %v", how.recovery, err)
		}
	}
	// Nor when the passphrase slot is also made to look like one of the
	// first format: the items, re-sealed at the upgrade, give it away.
	putRow(t, testkit.DB(t, c.Dir), g.Items[0].ID, row)
	var public, sealedKey []byte
	testkit.DB(t, c.Dir).QueryRow(`SELECT public, sealed_key FROM vault_slots WHERE kind = 'passphrase'`).Scan(&public, &sealedKey)
	testkit.Exec(t, testkit.DB(t, c.Dir), `UPDATE vault_slots SET public = NULL, sealed_key = NULL WHERE kind = 'passphrase'`)
	before = testkit.Snapshot(t, testkit.DB(t, c.Dir))
	if _, err := c.Vault.Unlock(ctx, id, g.Recovery, true); !errors.Is(err, vault.ErrTampered) {
		t.Fatalf("recovery unlock with the manifest removed and the passphrase slot disguised: %v", err)
	}
	if testkit.Snapshot(t, testkit.DB(t, c.Dir)) != before {
		t.Fatal("a refused unlock wrote something")
	}
	testkit.Exec(t, testkit.DB(t, c.Dir), `UPDATE vault_slots SET public = ?, sealed_key = ? WHERE kind = 'passphrase'`, public, sealedKey)
	testkit.Exec(t, testkit.DB(t, c.Dir), `INSERT INTO vault_manifest (vault_id, counter, key_id, auth, mac) SELECT id, ?, ?, ?, ? FROM vaults`, m.counter, m.keyID, m.auth, m.mac)

	// The recovery code's first use moves its slot; then the key rotates
	// and the golden passphrase and recovery code both still open it.
	r, err := c.Vault.Unlock(ctx, id, g.Recovery, true)
	if err != nil {
		t.Fatal(err)
	}
	if count(`SELECT COUNT(*) FROM vault_slots WHERE public IS NULL`) != 0 {
		t.Fatal("the recovery slot was not moved at its first use")
	}
	if n, err := r.RotateKey(ctx, id); err != nil || n != len(g.Items) {
		t.Fatalf("rotate: %d %v", n, err)
	}
	for _, how := range bothSecrets(g.Passphrase, g.Recovery) {
		s, err := c.Vault.Unlock(ctx, id, how.secret, how.recovery)
		if err != nil {
			t.Fatalf("unlock (recovery %v) after rotation: %v", how.recovery, err)
		}
		for i, it := range g.Items {
			got, err := s.Get(ctx, id, it.ID)
			if err != nil || got.Secret != g.Want[i].Secret {
				t.Fatalf("golden item %d after rotation: %+v %v", i, got, err)
			}
		}
	}
}

// TestNoSlotWithoutAuthKey: a session that lost its authentication key
// (locked between two checks) writes no slot, manifest or item that later
// unlocks would refuse.
func TestNoSlotWithoutAuthKey(t *testing.T) {
	t.Parallel()
	c, u, v, _ := withVault(t, true)
	id := u.Admin.ID
	vault.DropAuth(v)
	before := testkit.Snapshot(t, testkit.DB(t, c.Dir))
	for name, call := range map[string]func() error{
		"change passphrase": func() error { return v.ChangePassphrase(ctx, id, "marble-Tundra-62-whistle-fern") },
		"new recovery code": func() error { _, err := v.NewRecoveryCode(ctx, id); return err },
		"rotate":            func() error { _, err := v.RotateKey(ctx, id); return err },
		"add":               func() error { _, err := v.Add(ctx, id, vault.Item{Kind: vault.KindLogin, Title: "A"}); return err },
	} {
		if err := call(); !errors.Is(err, vault.ErrLocked) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if testkit.Snapshot(t, testkit.DB(t, c.Dir)) != before {
		t.Fatal("something was written without the authentication key")
	}
	if _, err := c.Vault.Unlock(ctx, id, phrase, false); err != nil {
		t.Fatal(err)
	}
}

// TestUnlockDuringRotation: a rotation landing between an unlock's reading
// of its slot and its transaction is not taken for tampering; the unlock
// opens the new key.
func TestUnlockDuringRotation(t *testing.T) {
	c, u, v, _ := withVault(t, false)
	id := u.Admin.ID
	v.Add(ctx, id, vault.Item{Kind: vault.KindLogin, Title: "A", Secret: "a"})
	vault.BeforeAttach(func() {
		if _, err := v.RotateKey(ctx, id); err != nil {
			t.Error(err)
		}
	})
	w, err := c.Vault.Unlock(ctx, id, phrase, false)
	if err != nil {
		t.Fatalf("unlock during a rotation: %v", err)
	}
	if !bytes.Equal(vault.DataKeyOf(w), vault.DataKeyOf(v)) {
		t.Fatal("the unlock opened the replaced key")
	}
	if list, err := w.List(ctx, id, ""); err != nil || len(list) != 1 {
		t.Fatalf("list: %+v %v", list, err)
	}
}

// A session that unlocked before the key was rotated elsewhere cannot store
// a key slot sealed to the old key (which would open nothing afterwards):
// changing the passphrase or making a recovery code locks it instead, and
// the vault still opens with its passphrase and recovery code.
func TestStaleSessionWritesNoSlot(t *testing.T) {
	t.Parallel()
	for _, change := range []string{"passphrase", "recovery code"} {
		t.Run(change, func(t *testing.T) {
			t.Parallel()
			c, u, v, code := withVault(t, true)
			id := u.Admin.ID
			if _, err := v.Add(ctx, id, vault.Item{Kind: vault.KindLogin, Title: "mail", Secret: "mail-pw"}); err != nil {
				t.Fatal(err)
			}
			elsewhere, err := c.Vault.Unlock(ctx, id, phrase, false)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := elsewhere.RotateKey(ctx, id); err != nil {
				t.Fatal(err)
			}
			if change == "passphrase" {
				err = v.ChangePassphrase(ctx, id, "another-Quiet-harbour-1987")
			} else {
				_, err = v.NewRecoveryCode(ctx, id)
			}
			if !errors.Is(err, vault.ErrLocked) {
				t.Fatalf("%s change from a session older than the rotation: %v; want ErrLocked", change, err)
			}
			for _, how := range bothSecrets(phrase, code) {
				s, err := c.Vault.Unlock(ctx, id, how.secret, how.recovery)
				if err != nil {
					t.Fatalf("unlock (recovery %v) after the refused change: %v", how.recovery, err)
				}
				if list, err := s.List(ctx, id, ""); err != nil || len(list) != 1 {
					t.Fatalf("list: %v %v", list, err)
				}
			}
		})
	}
}

// An item added where a deleted one was (SQLite reuses the highest id) is
// listed as itself, not under the deleted item's cached title.
func TestListAfterIDReuse(t *testing.T) {
	t.Parallel()
	_, u, v, _ := withVault(t, false)
	id := u.Admin.ID
	if _, err := v.Add(ctx, id, vault.Item{Kind: vault.KindLogin, Title: "Alpha", Secret: "a"}); err != nil {
		t.Fatal(err)
	}
	bank, err := v.Add(ctx, id, vault.Item{Kind: vault.KindLogin, Title: "Bank", Username: "alice", Secret: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.List(ctx, id, ""); err != nil { // fills the session's cache
		t.Fatal(err)
	}
	if err := v.Delete(ctx, id, bank); err != nil {
		t.Fatal(err)
	}
	mail, err := v.Add(ctx, id, vault.Item{Kind: vault.KindLogin, Title: "Mail", Secret: "m"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := v.List(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.ID == mail && s.Title != "Mail" {
			t.Fatalf("item %d (reused id %v) listed as %q", mail, mail == bank, s.Title)
		}
		if s.Title == "Bank" {
			t.Fatalf("the deleted item is still listed: %+v", list)
		}
	}
	if found, _ := v.List(ctx, id, "mail"); len(found) != 1 {
		t.Fatalf("search for the new item: %+v", found)
	}
}
