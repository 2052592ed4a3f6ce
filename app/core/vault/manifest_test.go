package vault_test

import (
	"bytes"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"keysmith/app/core"
	"keysmith/app/core/errs"
	"keysmith/app/core/vault"
	"keysmith/app/testkit"
)

// itemRow is a vault_items row as an attacker with the database file sees it.
type itemRow struct {
	id, revision int64
	kind         string
	sealed       []byte
}

func readRow(t *testing.T, db *sql.DB, id int64) itemRow {
	t.Helper()
	r := itemRow{id: id}
	if err := db.QueryRow(`SELECT revision, kind, sealed FROM vault_items WHERE id = ?`, id).Scan(&r.revision, &r.kind, &r.sealed); err != nil {
		t.Fatal(err)
	}
	return r
}

func putRow(t *testing.T, db *sql.DB, vaultOf int64, r itemRow) {
	t.Helper()
	if _, err := db.Exec(`INSERT INTO vault_items (id, vault_id, kind, revision, sealed, created_at, updated_at)
		VALUES (?, (SELECT vault_id FROM vault_items WHERE id = ?), ?, ?, ?, 'x', 'x')
		ON CONFLICT (id) DO UPDATE SET vault_id = excluded.vault_id, kind = excluded.kind, revision = excluded.revision,
			sealed = excluded.sealed, created_at = excluded.created_at, updated_at = excluded.updated_at`, r.id, vaultOf, r.kind, r.revision, r.sealed); err != nil {
		t.Fatal(err)
	}
}

// TestManifestDetectsTampering: a row rolled back, deleted, added back,
// swapped or copied in, or the manifest itself removed or rolled back, is
// reported as tampering by unlock, list, get, export and every change;
// nothing stale is returned.
func TestManifestDetectsTampering(t *testing.T) {
	t.Parallel()
	type fixture struct {
		c       *core.Core
		u       testkit.Users
		v       *vault.Session
		a, b, x int64 // x is another item, present throughout
	}
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, f *fixture)
		// unlockOK: the change cannot be seen from the database alone (a
		// whole-vault rollback); only a session that saw the newer manifest
		// reports it.
		unlockOK bool
		// unlockErr, if set, is what unlock answers instead of ErrTampered.
		unlockErr error
	}{
		{name: "item rolled back to an older revision", tamper: func(t *testing.T, f *fixture) {
			old := readRow(t, testkit.DB(t, f.c.Dir), f.a)
			if err := f.v.Edit(ctx, f.u.Admin.ID, f.a, vault.Item{Title: "A", Secret: "alpha v2"}); err != nil {
				t.Fatal(err)
			}
			putRow(t, testkit.DB(t, f.c.Dir), f.a, old)
		}},
		{name: "item deleted", tamper: func(t *testing.T, f *fixture) {
			testkit.Exec(t, testkit.DB(t, f.c.Dir), `DELETE FROM vault_items WHERE id = ?`, f.b)
		}},
		{name: "deleted item added back", tamper: func(t *testing.T, f *fixture) {
			old := readRow(t, testkit.DB(t, f.c.Dir), f.b)
			if err := f.v.Delete(ctx, f.u.Admin.ID, f.b); err != nil {
				t.Fatal(err)
			}
			testkit.Exec(t, testkit.DB(t, f.c.Dir), `INSERT INTO vault_items (id, vault_id, kind, revision, sealed, created_at, updated_at)
				SELECT ?, vault_id, ?, ?, ?, 'x', 'x' FROM vault_items WHERE id = ?`, old.id, old.kind, old.revision, old.sealed, f.a)
		}},
		{name: "two items' rows swapped", tamper: func(t *testing.T, f *fixture) {
			ra, rb := readRow(t, testkit.DB(t, f.c.Dir), f.a), readRow(t, testkit.DB(t, f.c.Dir), f.b)
			ra.id, rb.id = rb.id, ra.id
			putRow(t, testkit.DB(t, f.c.Dir), f.a, ra)
			putRow(t, testkit.DB(t, f.c.Dir), f.b, rb)
		}},
		{name: "two items' rows swapped, revisions differing", tamper: func(t *testing.T, f *fixture) {
			if err := f.v.Edit(ctx, f.u.Admin.ID, f.a, vault.Item{Title: "A", Secret: "alpha v2"}); err != nil {
				t.Fatal(err)
			}
			ra, rb := readRow(t, testkit.DB(t, f.c.Dir), f.a), readRow(t, testkit.DB(t, f.c.Dir), f.b)
			ra.id, rb.id = rb.id, ra.id
			putRow(t, testkit.DB(t, f.c.Dir), f.a, ra)
			putRow(t, testkit.DB(t, f.c.Dir), f.b, rb)
		}},
		{name: "revision number raised", tamper: func(t *testing.T, f *fixture) {
			testkit.Exec(t, testkit.DB(t, f.c.Dir), `UPDATE vault_items SET revision = revision + 1 WHERE id = ?`, f.a)
		}},
		{name: "item copied in from another vault", tamper: func(t *testing.T, f *fixture) {
			w, _, err := f.c.Vault.Setup(ctx, f.u.Basic.ID, phrase, false)
			if err != nil {
				t.Fatal(err)
			}
			y, _ := w.Add(ctx, f.u.Basic.ID, vault.Item{Kind: vault.KindLogin, Title: "Y", Secret: "y"})
			testkit.Exec(t, testkit.DB(t, f.c.Dir), `UPDATE vault_items SET vault_id = (SELECT vault_id FROM vault_items WHERE id = ?) WHERE id = ?`, f.a, y)
		}},
		{name: "manifest deleted", tamper: func(t *testing.T, f *fixture) {
			testkit.Exec(t, testkit.DB(t, f.c.Dir), `DELETE FROM vault_manifest`)
		}},
		{name: "manifest deleted and slots made to look older", unlockErr: vault.ErrWrongPassphrase, tamper: func(t *testing.T, f *fixture) {
			testkit.Exec(t, testkit.DB(t, f.c.Dir), `DELETE FROM vault_items WHERE id = ?`, f.b)
			testkit.Exec(t, testkit.DB(t, f.c.Dir), `DELETE FROM vault_manifest`)
			testkit.Exec(t, testkit.DB(t, f.c.Dir), `UPDATE vault_slots SET public = NULL, sealed_key = NULL WHERE kind = 'passphrase'`)
		}},
		{name: "manifest and items rolled back together", unlockOK: true, tamper: func(t *testing.T, f *fixture) {
			rb := readRow(t, testkit.DB(t, f.c.Dir), f.b)
			var counter int64
			var mac, keyID, auth []byte
			testkit.DB(t, f.c.Dir).QueryRow(`SELECT counter, mac, key_id, auth FROM vault_manifest`).Scan(&counter, &mac, &keyID, &auth)
			if err := f.v.Delete(ctx, f.u.Admin.ID, f.b); err != nil {
				t.Fatal(err)
			}
			if _, err := f.v.List(ctx, f.u.Admin.ID, ""); err != nil { // the session sees the newer manifest
				t.Fatal(err)
			}
			testkit.Exec(t, testkit.DB(t, f.c.Dir), `INSERT INTO vault_items (id, vault_id, kind, revision, sealed, created_at, updated_at)
				SELECT ?, vault_id, ?, ?, ?, 'x', 'x' FROM vault_items WHERE id = ?`, rb.id, rb.kind, rb.revision, rb.sealed, f.a)
			testkit.Exec(t, testkit.DB(t, f.c.Dir), `UPDATE vault_manifest SET counter = ?, mac = ?, key_id = ?, auth = ?`, counter, mac, keyID, auth)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, u, v, _ := withVault(t, false)
			f := &fixture{c: c, u: u, v: v}
			f.a, _ = v.Add(ctx, u.Admin.ID, vault.Item{Kind: vault.KindLogin, Title: "A", Secret: "alpha"})
			f.b, _ = v.Add(ctx, u.Admin.ID, vault.Item{Kind: vault.KindLogin, Title: "B", Secret: "bravo"})
			f.x, _ = v.Add(ctx, u.Admin.ID, vault.Item{Kind: vault.KindLogin, Title: "X", Secret: "x-ray"})
			tc.tamper(t, f)
			before := testkit.Snapshot(t, testkit.DB(t, c.Dir))
			id := u.Admin.ID
			checks := map[string]func() error{
				"list":   func() error { _, err := v.List(ctx, id, ""); return err },
				"get":    func() error { _, err := v.Get(ctx, id, f.x); return err },
				"export": func() error { _, err := v.Export(ctx, id, "export-Harbor-73-pebble-cloud"); return err },
				"add":    func() error { _, err := v.Add(ctx, id, vault.Item{Kind: vault.KindLogin, Title: "New"}); return err },
				"edit":   func() error { return v.Edit(ctx, id, f.x, vault.Item{Title: "X", Secret: "changed"}) },
				"delete": func() error { return v.Delete(ctx, id, f.x) },
				"rotate": func() error { _, err := v.RotateKey(ctx, id); return err },
			}
			for what, call := range checks {
				err := call()
				if !errors.Is(err, vault.ErrTampered) || !errors.Is(err, errs.ErrUnauthenticated) {
					t.Errorf("%s: %v, want tampering", what, err)
				} else if msg := errs.Message(err); !strings.Contains(msg, "changed outside Keysmith") {
					t.Errorf("%s: message %q", what, msg)
				}
			}
			if testkit.Snapshot(t, testkit.DB(t, c.Dir)) != before {
				t.Error("a change was written over a tampered vault")
			}
			_, err := c.Vault.Unlock(ctx, id, phrase, false)
			if tc.unlockOK {
				if err != nil {
					t.Fatalf("unlock after a whole-vault rollback: %v", err)
				}
				return
			}
			want := vault.ErrTampered
			if tc.unlockErr != nil {
				want = tc.unlockErr
			}
			if !errors.Is(err, want) {
				t.Fatalf("unlock: %v, want %v", err, want)
			}
		})
	}
}

// TestManifestFollowsChanges: adds, edits, deletes and imports (from this
// and from another session of the same vault) keep the vault verifying,
// and each advances the manifest counter.
func TestManifestFollowsChanges(t *testing.T) {
	t.Parallel()
	c, u, v, _ := withVault(t, false)
	id := u.Admin.ID
	other, err := c.Vault.Unlock(ctx, id, phrase, false)
	if err != nil {
		t.Fatal(err)
	}
	w, _, _ := c.Vault.Setup(ctx, u.Basic.ID, "other-Meadow-55-violin-pond", false)
	w.Add(ctx, u.Basic.ID, vault.Item{Kind: vault.KindLogin, Title: "Imported", Secret: "i"})
	export, err := w.Export(ctx, u.Basic.ID, "export-Harbor-73-pebble-cloud")
	if err != nil {
		t.Fatal(err)
	}
	counter := func() int64 {
		var n int64
		testkit.DB(t, c.Dir).QueryRow(`SELECT counter FROM vault_manifest m JOIN vaults v ON v.id = m.vault_id WHERE v.user_id = ?`, id).Scan(&n)
		return n
	}
	var a int64
	steps := []struct {
		name  string
		s     *vault.Session
		do    func(s *vault.Session) error
		items int
	}{
		{"add", v, func(s *vault.Session) (err error) {
			a, err = s.Add(ctx, id, vault.Item{Kind: vault.KindLogin, Title: "A", Secret: "a"})
			return
		}, 1},
		{"add in another session", other, func(s *vault.Session) error {
			_, err := s.Add(ctx, id, vault.Item{Kind: vault.KindLogin, Title: "B", Secret: "b"})
			return err
		}, 2},
		{"edit", v, func(s *vault.Session) error { return s.Edit(ctx, id, a, vault.Item{Title: "A", Secret: "a2"}) }, 2},
		{"edit in another session", other, func(s *vault.Session) error { return s.Edit(ctx, id, a, vault.Item{Title: "A", Secret: "a3"}) }, 2},
		{"import", v, func(s *vault.Session) error {
			_, err := s.Import(ctx, id, export, "export-Harbor-73-pebble-cloud")
			return err
		}, 3},
		{"delete", other, func(s *vault.Session) error { return s.Delete(ctx, id, a) }, 2},
		{"new recovery code", v, func(s *vault.Session) error { _, err := s.NewRecoveryCode(ctx, id); return err }, 2},
		{"rotate the key", v, func(s *vault.Session) error { _, err := s.RotateKey(ctx, id); return err }, 2},
	}
	for _, st := range steps {
		before := counter()
		if err := st.do(st.s); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if st.name != "new recovery code" && counter() != before+1 {
			t.Fatalf("%s: counter %d after %d", st.name, counter(), before)
		}
		fresh, err := c.Vault.Unlock(ctx, id, phrase, false)
		if err != nil {
			t.Fatalf("unlock after %s: %v", st.name, err)
		}
		for _, s := range []*vault.Session{v, fresh} {
			list, err := s.List(ctx, id, "")
			if err != nil || len(list) != st.items {
				t.Fatalf("list after %s: %d %v", st.name, len(list), err)
			}
		}
	}
	// The session that did not rotate holds the old key: it locks itself
	// rather than reading with it.
	if _, err := other.List(ctx, id, ""); !errors.Is(err, vault.ErrLocked) || !other.Locked() {
		t.Fatalf("session with the replaced key: %v", err)
	}
}

// TestSubstitutedDataKey: a data key sealed to a slot's public key by
// someone without the vault's authentication key does not open it.
func TestSubstitutedDataKey(t *testing.T) {
	t.Parallel()
	c, u, v, _ := withVault(t, false)
	v.Add(ctx, u.Admin.ID, vault.Item{Kind: vault.KindLogin, Title: "A", Secret: "a"})
	var uid, public []byte
	testkit.DB(t, c.Dir).QueryRow(`SELECT v.uid, s.public FROM vault_slots s JOIN vaults v ON v.id = s.vault_id WHERE s.kind = 'passphrase'`).Scan(&uid, &public)
	mine := bytes.Repeat([]byte{7}, 32)
	sealed, err := vault.SealToSlot(uid, "passphrase", public, bytes.Repeat([]byte{1}, 32), mine)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Exec(t, testkit.DB(t, c.Dir), `UPDATE vault_slots SET sealed_key = ? WHERE kind = 'passphrase'`, sealed)
	if _, err := c.Vault.Unlock(ctx, u.Admin.ID, phrase, false); !errors.Is(err, vault.ErrTampered) {
		t.Fatalf("substituted data key: %v", err)
	}
}
