package core_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"keysmith/app/core"
	"keysmith/app/core/accounts"
	"keysmith/app/core/errs"
	"keysmith/app/testkit"
)

var bg = context.Background()

// legacyUsed is a used data directory that also holds the Legacy credential
// "ordersys" with the password "Passw0rdX".
func legacyUsed(t *testing.T) string {
	dir, _ := used(t)
	c := mustOpen(t, dir)
	var admin int64
	testkit.DB(t, c.Dir).QueryRow(`SELECT id FROM users WHERE email_key = 'ada@acme.test'`).Scan(&admin)
	if _, err := c.Credentials.CreateLegacy(bg, admin, "ordersys", "Passw0rdX", nil); err != nil {
		t.Fatal(err)
	}
	c.Close()
	return dir
}

func legacyAccepted(t *testing.T, c *core.Core, password string) bool {
	t.Helper()
	_, err := c.Credentials.NewCache(0).Authenticate(bg, "ordersys", password)
	return err == nil
}

// mustOpen opens the core of the data directory dir.
func mustOpen(t *testing.T, dir string) *core.Core {
	t.Helper()
	c, err := open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// planted is a password whose unpeppered hash someone with write access to
// the database alone writes as the Administrator's (plant).
const planted = "attacker-Chosen-77-words"

// plant is the statement that writes planted's unpeppered hash.
func plant(t *testing.T) string {
	return `UPDATE users SET password_hash = '` + plainHash(t, planted) + `' WHERE email_key = 'ada@acme.test'`
}

// plantedSignsIn reports whether the planted password signs in on c.
func plantedSignsIn(c *core.Core) bool {
	_, err := c.Accounts.SignIn(bg, "ada@acme.test", planted, "test")
	return err == nil
}

// plainHash is what a database written before the pepper holds, and what an
// attacker with write access to the database alone can compute.
func plainHash(t *testing.T, password string) string {
	h, err := accounts.HashPassword(password, testkit.CheapParams)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestStoredHashesArePeppered(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, legacyUsed(t))
	defer c.Close()
	rows, err := testkit.DB(t, c.Dir).Query(`SELECT password_hash FROM users UNION ALL SELECT phc FROM credential_secrets WHERE phc IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var h string
		rows.Scan(&h)
		if !accounts.Peppered(h) {
			t.Errorf("stored hash %q is not peppered", h)
		}
		n++
	}
	if n < 4 {
		t.Fatalf("only %d hashes checked", n)
	}
}

// With write access to the database alone: an unpeppered hash of a known
// password, or a hash copied from a user whose password the attacker knows,
// does not sign in as an Administrator nor pass as a Legacy password.
func TestDatabaseWriteCannotPlantAPassword(t *testing.T) {
	t.Parallel()
	dir := legacyUsed(t)
	c := mustOpen(t, dir)
	db := testkit.DB(t, c.Dir)
	// A Basic user's hash copied onto the Administrator.
	testkit.Exec(t, db, `UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE email_key = 'bea@acme.test') WHERE email_key = 'ada@acme.test'`)
	if _, err := c.Accounts.SignIn(bg, "ada@acme.test", testkit.BasicPassword, "test"); !errors.Is(err, errs.ErrBadCredentials) {
		t.Errorf("sign in as ada with bea's copied hash: %v; want refused", err)
	}
	// An unpeppered hash of a password the attacker chose.
	testkit.Exec(t, db, plant(t))
	testkit.Exec(t, db, `UPDATE credential_secrets SET phc = ? WHERE phc IS NOT NULL`, plainHash(t, "Attacker1"))
	for range 2 { // in this process, and after the core opens the database again
		if plantedSignsIn(c) {
			t.Error("an unpeppered hash written into the database signed in")
		}
		if legacyAccepted(t, c, "Attacker1") {
			t.Error("an unpeppered Legacy hash written into the database was accepted")
		}
		c.Close()
		c = mustOpen(t, dir)
		db = testkit.DB(t, c.Dir)
	}
	c.Close()
}

// A database written before the pepper (key_check with the older message)
// has its hashes wrapped once at open: the same passwords still work, and
// the hashes are then peppered.
func TestOldDatabaseHashesWrappedAtOpen(t *testing.T) {
	t.Parallel()
	dir := legacyUsed(t)
	c := mustOpen(t, dir)
	// Written by an older Keysmith: no upgrade marker beside it.
	if err := os.Remove(filepath.Join(dir, "keysmith.upgraded")); err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE users SET password_hash = ? WHERE email_key = 'ada@acme.test'`, []any{plainHash(t, testkit.AdminPassword)}},
		{`UPDATE credential_secrets SET phc = ? WHERE phc IS NOT NULL`, []any{plainHash(t, "Passw0rdX")}},
		// Its audit log had no database anchor: migration 5 left the placeholder.
		{`UPDATE audit_anchor SET seq = -1, hash = ?, count = 0, mac = ?`, []any{[]byte{}, []byte{}}},
		// Nor had it credential state MACs (they came with the pepper).
		{`UPDATE credentials SET state_mac = NULL, state_seq = 0`, nil},
		{`DELETE FROM audit WHERE action = 'credentials.state-sealed'`, nil},
	} {
		restore := testkit.LiftAppendOnly(t, testkit.DB(t, c.Dir))
		if _, err := testkit.DB(t, c.Dir).Exec(q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
		restore()
	}
	c.Close()

	c = mustOpen(t, dir)
	defer c.Close()
	if _, err := c.Accounts.SignIn(bg, "ada@acme.test", testkit.AdminPassword, "test"); err != nil {
		t.Fatalf("sign in after the upgrade: %v", err)
	}
	if !legacyAccepted(t, c, "Passw0rdX") {
		t.Fatal("the Legacy password no longer works after the upgrade")
	}
	var h, phc string
	testkit.DB(t, c.Dir).QueryRow(`SELECT password_hash FROM users WHERE email_key = 'ada@acme.test'`).Scan(&h)
	testkit.DB(t, c.Dir).QueryRow(`SELECT phc FROM credential_secrets WHERE phc IS NOT NULL`).Scan(&phc)
	if !accounts.Peppered(h) || !accounts.Peppered(phc) {
		t.Fatalf("hashes not wrapped: %q, %q", h, phc)
	}
	if _, err := os.Stat(filepath.Join(dir, "keysmith.upgraded")); err != nil {
		t.Fatalf("no upgrade marker after the upgrade: %v", err)
	}
	var made int
	testkit.DB(t, c.Dir).QueryRow(`SELECT COUNT(*) FROM audit WHERE action = 'audit.anchor-new'`).Scan(&made)
	if made != 1 {
		t.Fatalf("%d audit.anchor-new events after the upgrade, want 1", made)
	}
	// Marked: an unpeppered hash written now is never wrapped.
	testkit.DB(t, c.Dir).Exec(plant(t))
	c.Close()
	c2 := mustOpen(t, dir)
	defer c2.Close()
	if plantedSignsIn(c2) {
		t.Fatal("an unpeppered hash written after the upgrade was wrapped at the next open")
	}
}

// Deleting key_check from a database written by this version re-creates it
// without wrapping: a planted unpeppered hash stays refused.
func TestDeletedKeyCheckDoesNotWrap(t *testing.T) {
	t.Parallel()
	dir := legacyUsed(t)
	c := mustOpen(t, dir)
	testkit.DB(t, c.Dir).Exec(`DELETE FROM key_check`)
	testkit.DB(t, c.Dir).Exec(plant(t))
	c.Close()
	c = mustOpen(t, dir)
	defer c.Close()
	if plantedSignsIn(c) {
		t.Fatal("deleting key_check had a planted unpeppered hash wrapped")
	}
}

// Someone who can write only the database cannot make it look old enough to
// have a planted unpeppered hash wrapped or an anchor placeholder taken as
// the first anchor, while the marker beside the database says the upgrade
// is done: with a lower schema version the open is refused; with key_check
// deleted and the anchor reset to the placeholder, the hash is still
// refused and the audit log is not intact.
func TestDatabaseMadeToLookOldIsNotUpgraded(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		sql  []string
	}{
		{"schema version lowered", nil},
		{"key check deleted, anchor reset", []string{`DELETE FROM key_check`, `UPDATE audit_anchor SET seq = -1, hash = substr(hash, 1, 0), count = 0, mac = substr(mac, 1, 0)`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := legacyUsed(t)
			for _, q := range append([]string{plant(t)}, tt.sql...) {
				if _, err := testkit.DB(t, dir).Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			if tt.sql == nil {
				testkit.SetSchemaVersion(t, testkit.DB(t, dir), 3)
			}
			c, err := open(dir)
			if err != nil {
				return // refused: nothing was wrapped
			}
			defer c.Close()
			if plantedSignsIn(c) {
				t.Fatal("a planted unpeppered hash signed in after the database was made to look old")
			}
			if r, err := testkit.VerifyAudit(t, c.Dir); err != nil || r.OK() {
				t.Fatalf("audit after the anchor was reset to the placeholder: %+v %v", r, err)
			}
		})
	}
}
