package credentials_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/credentials"
	"keysmith/app/testkit"
)

// stateFixture is a database with credentials an attacker holding only the
// database (not keysmith.key) would like to use.
type stateFixture struct {
	c     *core.Core
	admin int64
	clock *testkit.Clock
	// basic is enabled; its secret is basicSecret.
	basic       credentials.Credential
	basicSecret string
	// legacy is "victim1" with password "Victim1pw"; mine is "attacker1"
	// with "Attacker1pw", a credential the attacker knows the password of.
	legacy, mine credentials.Credential
}

const (
	victimPW   = "Victim1pw"
	attackerPW = "Attacker1pw"
)

func newStateFixture(t *testing.T) *stateFixture {
	t.Helper()
	c, u, clock := seeded(t)
	f := &stateFixture{c: c, admin: u.Admin.ID, clock: clock}
	f.basic, f.basicSecret = create(t, c, f.admin, credentials.Basic, "Shop")
	f.legacy = legacyCred(t, c, f.admin, "victim1", victimPW)
	f.mine = legacyCred(t, c, f.admin, "attacker1", attackerPW)
	return f
}

func (f *stateFixture) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := testkit.DB(t, f.c.Dir).Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// rowSnapshot saves a credential's row and secrets as stored, to put them
// back later the way a restored backup or a hand edit would.
func (f *stateFixture) rowSnapshot(t *testing.T, id int64) (restore func()) {
	t.Helper()
	db := testkit.DB(t, f.c.Dir)
	f.exec(t, `CREATE TEMP TABLE IF NOT EXISTS saved_cred AS SELECT * FROM credentials WHERE 1 = 0`)
	f.exec(t, `CREATE TEMP TABLE IF NOT EXISTS saved_sec AS SELECT * FROM credential_secrets WHERE 1 = 0`)
	f.exec(t, `DELETE FROM saved_cred`)
	f.exec(t, `DELETE FROM saved_sec`)
	f.exec(t, `INSERT INTO saved_cred SELECT * FROM credentials WHERE id = ?`, id)
	f.exec(t, `INSERT INTO saved_sec SELECT * FROM credential_secrets WHERE credential_id = ?`, id)
	db.SetMaxOpenConns(1) // temp tables live on one connection
	return func() {
		f.exec(t, `DELETE FROM credentials WHERE id = ?`, id)
		f.exec(t, `INSERT INTO credentials SELECT * FROM saved_cred`)
		f.exec(t, `INSERT INTO credential_secrets SELECT * FROM saved_sec`)
	}
}

// TestTamperedStateIsRefused: every way of changing a credential's security
// state with write access to the database alone is refused by the verifier
// (with its own reason) and flagged in listings, where it can only be
// deleted.
func TestTamperedStateIsRefused(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		// tamper changes the database behind Keysmith's back and returns
		// the key and secret the attacker then tries.
		tamper func(t *testing.T, f *stateFixture) (key, secret string)
	}{
		"enable a disabled credential": {func(t *testing.T, f *stateFixture) (string, string) {
			f.c.Credentials.SetDisabled(ctx, f.admin, f.basic.ID, true)
			f.exec(t, `UPDATE credentials SET disabled = 0 WHERE id = ?`, f.basic.ID)
			return f.basic.Key, f.basicSecret
		}},
		"move an expiry": {func(t *testing.T, f *stateFixture) (string, string) {
			exp := f.clock.Now().Add(48 * time.Hour)
			cred, secret, err := f.c.Credentials.Create(ctx, f.admin, credentials.HMAC, "Expiring", &exp)
			if err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(72 * time.Hour)
			f.exec(t, `UPDATE credentials SET expires_at = NULL WHERE id = ?`, cred.ID)
			return cred.Key, secret
		}},
		"substitute a Legacy hash": {func(t *testing.T, f *stateFixture) (string, string) {
			f.exec(t, `UPDATE credential_secrets SET phc = (SELECT phc FROM credential_secrets WHERE credential_id = ?) WHERE credential_id = ?`,
				f.mine.ID, f.legacy.ID)
			return f.legacy.Key, attackerPW
		}},
		"copy a secret row from another credential": {func(t *testing.T, f *stateFixture) (string, string) {
			f.exec(t, `INSERT INTO credential_secrets (credential_id, generation, phc, created_at)
				SELECT ?, 2, phc, created_at FROM credential_secrets WHERE credential_id = ?`, f.legacy.ID, f.mine.ID)
			return f.legacy.Key, attackerPW
		}},
		"extend a grace period": {func(t *testing.T, f *stateFixture) (string, string) {
			if _, _, err := f.c.Credentials.Roll(ctx, f.admin, f.basic.ID, time.Hour); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(2 * time.Hour)
			f.exec(t, `UPDATE credential_secrets SET retires_at = '2099-01-01T00:00:00.000000000Z' WHERE credential_id = ? AND retires_at IS NOT NULL`, f.basic.ID)
			return f.basic.Key, f.basicSecret
		}},
		"put back a deleted credential": {func(t *testing.T, f *stateFixture) (string, string) {
			restore := f.rowSnapshot(t, f.basic.ID)
			if err := f.c.Credentials.Delete(ctx, f.admin, f.basic.ID); err != nil {
				t.Fatal(err)
			}
			restore() // with its old, once valid MAC
			return f.basic.Key, f.basicSecret
		}},
		"roll a password change back": {func(t *testing.T, f *stateFixture) (string, string) {
			restore := f.rowSnapshot(t, f.legacy.ID)
			if _, err := f.c.Credentials.SetLegacyPassword(ctx, f.admin, f.legacy.ID, "Changed1pw"); err != nil {
				t.Fatal(err)
			}
			restore()
			return f.legacy.Key, victimPW
		}},
		"roll a disable back": {func(t *testing.T, f *stateFixture) (string, string) {
			restore := f.rowSnapshot(t, f.basic.ID)
			f.c.Credentials.SetDisabled(ctx, f.admin, f.basic.ID, true)
			restore()
			return f.basic.Key, f.basicSecret
		}},
		"clear the MAC": {func(t *testing.T, f *stateFixture) (string, string) {
			f.exec(t, `UPDATE credentials SET state_mac = NULL WHERE id = ?`, f.basic.ID)
			return f.basic.Key, f.basicSecret
		}},
		"change the type": {func(t *testing.T, f *stateFixture) (string, string) {
			f.exec(t, `UPDATE credentials SET type = 'legacy' WHERE id = ?`, f.basic.ID)
			return f.basic.Key, f.basicSecret
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newStateFixture(t)
			key, secret := tc.tamper(t, f)
			_, err := f.c.Credentials.Authenticate(ctx, key, secret)
			refusedFor(t, "Authenticate after tampering", err, credentials.ErrStateTampered)
			cache := f.c.Credentials.NewCache(time.Hour)
			_, err = cache.Authenticate(ctx, key, secret)
			refusedFor(t, "cache", err, credentials.ErrStateTampered)
			if !cache.Known(ctx, key) {
				t.Fatal("cache: a tampered key is not a known key")
			}
			cred, err := f.c.Credentials.ByKey(ctx, f.admin, key)
			if err != nil || !cred.Tampered || cred.Status(f.clock.Now()) != credentials.StatusTampered {
				t.Fatalf("ByKey = %+v, %v; want tampered", cred, err)
			}
			list, _, err := f.c.Credentials.List(ctx, f.admin, credentials.Filter{Query: key})
			if err != nil || len(list) != 1 || !list[0].Tampered {
				t.Fatalf("List = %+v, %v; want it tampered", list, err)
			}
			_, err = f.c.Credentials.SetDisabled(ctx, f.admin, cred.ID, false)
			if msg := invalidMessage(err); !strings.Contains(msg, "does not verify") || strings.Contains(msg, secret) {
				t.Fatalf("changing a tampered credential: %v", err)
			}
			if err := f.c.Credentials.Delete(ctx, f.admin, cred.ID); err != nil {
				t.Fatalf("a tampered credential cannot be deleted: %v", err)
			}
			// Untouched credentials are unaffected.
			if _, err := f.c.Credentials.Authenticate(ctx, f.mine.Key, attackerPW); err != nil {
				t.Fatalf("an untouched credential: %v", err)
			}
		})
	}
}

// TestLegitimateChangesKeepVerifying: each change made through the service
// leaves a state that verifies, and the verifier's own writes (last use,
// refusals naming the key) do not disturb it.
func TestLegitimateChangesKeepVerifying(t *testing.T) {
	t.Parallel()
	f := newStateFixture(t)
	c, a := f.c.Credentials, f.admin
	check := func(step, key, secret string) {
		t.Helper()
		cred, err := c.ByKey(ctx, a, key)
		if err != nil || cred.Tampered {
			t.Fatalf("%s: %+v, %v", step, cred, err)
		}
		if list, _, err := c.List(ctx, a, credentials.Filter{Query: key}); err != nil || len(list) != 1 || list[0].Tampered {
			t.Fatalf("%s: listed %+v, %v", step, list, err)
		}
		if secret != "" {
			if _, err := c.Authenticate(ctx, key, secret); err != nil {
				t.Fatalf("%s: %v", step, err)
			}
		}
	}
	check("create", f.basic.Key, f.basicSecret)
	check("create legacy", f.legacy.Key, victimPW)
	c.Rename(ctx, a, f.basic.ID, "Shop 2")
	check("rename", f.basic.Key, f.basicSecret)
	c.SetDisabled(ctx, a, f.basic.ID, true)
	check("disable", f.basic.Key, "")
	c.SetDisabled(ctx, a, f.basic.ID, false)
	check("enable", f.basic.Key, f.basicSecret)
	_, s2, err := c.Roll(ctx, a, f.basic.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	check("roll, old secret in grace", f.basic.Key, f.basicSecret)
	check("roll, new secret", f.basic.Key, s2)
	f.clock.Advance(2 * time.Hour)
	if _, _, err := c.Roll(ctx, a, f.basic.ID, 0); err != nil { // prunes the retired secret
		t.Fatal(err)
	}
	check("roll after grace", f.basic.Key, "")
	if _, err := c.SetLegacyPassword(ctx, a, f.legacy.ID, "Newpass1"); err != nil {
		t.Fatal(err)
	}
	check("set password", f.legacy.Key, "Newpass1")
	if err := c.Record(ctx, []credentials.Use{{ID: f.legacy.ID, At: f.clock.Now(), From: "127.0.0.1"}},
		[]credentials.Refusal{{Key: f.legacy.Key, Reason: "wrong secret", From: "127.0.0.1", Count: 3}}); err != nil {
		t.Fatal(err)
	}
	check("verifier bookkeeping", f.legacy.Key, "Newpass1")
	// A username freed by a delete can be issued again.
	if err := c.Delete(ctx, a, f.legacy.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLegacy(ctx, a, "victim1", "Again1pw", nil); err != nil {
		t.Fatal(err)
	}
	check("re-created username", "victim1", "Again1pw")
}

// TestSealExistingOnce: rows stored before state MACs existed are sealed as
// found at the first open with the key file, once; a MAC cleared later is
// tampering, not another upgrade.
func TestSealExistingOnce(t *testing.T) {
	t.Parallel()
	c, u, clock := seeded(t)
	dir := c.Dir
	cred, secret := create(t, c, u.Admin.ID, credentials.Basic, "Old")
	// Make it a database from before migration 6: no MACs, no record of
	// sealing (taken out with the append-only trigger lifted).
	db := testkit.DB(t, c.Dir)
	restore := testkit.LiftAppendOnly(t, db)
	for _, q := range []string{
		`UPDATE credentials SET state_mac = NULL, state_seq = 0`,
		`DELETE FROM audit WHERE action = 'credentials.state-sealed'`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	restore()
	c.Close()
	if err := os.Remove(filepath.Join(dir, "keysmith.upgraded")); err != nil { // nor had its directory the upgrade marker
		t.Fatal(err)
	}

	c = testkit.OpenDir(t, dir, clock)
	if _, err := c.Credentials.Authenticate(ctx, cred.Key, secret); err != nil {
		t.Fatalf("an existing credential after the upgrade: %v", err)
	}
	if n := sealings(t, c); n != 1 {
		t.Fatalf("%d sealing events, want 1", n)
	}
	testkit.DB(t, c.Dir).Exec(`UPDATE credentials SET state_mac = NULL`)
	c.Close()

	c = testkit.OpenDir(t, dir, clock)
	_, err := c.Credentials.Authenticate(ctx, cred.Key, secret)
	refusedFor(t, "a MAC cleared after the upgrade", err, credentials.ErrStateTampered)
	if n := sealings(t, c); n != 1 {
		t.Fatalf("%d sealing events, want 1", n)
	}
}

func sealings(t *testing.T, c *core.Core) int {
	t.Helper()
	var n int
	if err := testkit.DB(t, c.Dir).QueryRow(`SELECT COUNT(*) FROM audit WHERE action = 'credentials.state-sealed'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
