package credentials_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"keysmith/app/core/credentials"
	"keysmith/app/core/errs"
	"keysmith/app/testkit"
)

func isAlnum(s string) bool { return strings.Trim(s, credentials.Alphabet) == "" }

func TestCreateFormatsAndRoundTrip(t *testing.T) {
	t.Parallel()
	c, u, _ := seeded(t)
	for _, typ := range []credentials.Type{credentials.Basic, credentials.HMAC} {
		cred, secret := create(t, c, u.Admin.ID, typ, "  Website form  ")
		if len(cred.Key) != 20 || !isAlnum(cred.Key) || len(secret) != 30 || !isAlnum(secret) {
			t.Fatalf("%s: key %q secret %q", typ, cred.Key, secret)
		}
		if cred.Name != "Website form" || cred.Type != typ || cred.CreatedBy != "Ada Admin <ada@acme.test>" {
			t.Fatalf("%s: %+v", typ, cred)
		}
		if _, err := c.Credentials.Authenticate(ctx, cred.Key, secret); err != nil {
			t.Fatalf("%s: the issued secret does not authenticate: %v", typ, err)
		}
		for _, bad := range []string{"", secret[:29], secret + "x", strings.ToUpper(secret[:1]) + strings.ToLower(secret[1:])} {
			if bad == secret {
				continue
			}
			if _, err := c.Credentials.Authenticate(ctx, cred.Key, bad); !errors.Is(err, errs.ErrBadCredentials) {
				t.Fatalf("%s: wrong secret %q accepted: %v", typ, bad, err)
			}
		}
		var plain int
		testkit.DB(t, c.Dir).QueryRow(`SELECT COUNT(*) FROM credential_secrets WHERE CAST(digest AS TEXT) LIKE ? OR CAST(sealed AS TEXT) LIKE ? OR phc LIKE ?`,
			"%"+secret+"%", "%"+secret+"%", "%"+secret+"%").Scan(&plain)
		if plain != 0 {
			t.Fatalf("%s: the secret is stored in plain text", typ)
		}
	}
	if _, err := c.Credentials.Authenticate(ctx, "NOSUCHKEY00000000000", "x"); !errors.Is(err, credentials.ErrUnknownKey) {
		t.Fatalf("unknown key: %v", err)
	}
	_, secrets, err := c.Credentials.HMACSecrets(ctx, "NOSUCHKEY00000000000")
	if err == nil || secrets != nil {
		t.Fatal("HMACSecrets for an unknown key")
	}
}

func TestKeysAreUnique(t *testing.T) {
	t.Parallel()
	c, u, _ := seeded(t)
	seen := map[string]bool{}
	for i := 0; i < 1500; i++ {
		cred, secret := create(t, c, u.Admin.ID, credentials.Basic, "k")
		if seen[cred.Key] || seen[secret] {
			t.Fatalf("repeated value after %d creates", i)
		}
		seen[cred.Key], seen[secret] = true, true
	}
}

func TestHMACSecretsDecrypt(t *testing.T) {
	t.Parallel()
	c, u, _ := seeded(t)
	cred, secret := create(t, c, u.Admin.ID, credentials.HMAC, "Signer")
	_, got, err := c.Credentials.HMACSecrets(ctx, cred.Key)
	if err != nil || len(got) != 1 || got[0] != secret {
		t.Fatalf("HMACSecrets = %v, %v", got, err)
	}
	// A flipped byte in the stored ciphertext is detected, not decrypted
	// (by the state MAC, before the AEAD would refuse it).
	db := testkit.DB(t, c.Dir)
	var sealed []byte
	db.QueryRow(`SELECT sealed FROM credential_secrets WHERE credential_id = ?`, cred.ID).Scan(&sealed)
	sealed[30] ^= 0xff
	db.Exec(`UPDATE credential_secrets SET sealed = ? WHERE credential_id = ?`, sealed, cred.ID)
	if _, _, err := c.Credentials.HMACSecrets(ctx, cred.Key); !errors.Is(err, credentials.ErrStateTampered) {
		t.Fatalf("tampered ciphertext: %v", err)
	}
	// Ciphertext moved to another credential's row does not open there.
	other, _ := create(t, c, u.Admin.ID, credentials.HMAC, "Other")
	cred2, _ := create(t, c, u.Admin.ID, credentials.HMAC, "Third")
	testkit.DB(t, c.Dir).Exec(`UPDATE credential_secrets SET sealed = (SELECT sealed FROM credential_secrets WHERE credential_id = ?) WHERE credential_id = ?`, cred2.ID, other.ID)
	if _, _, err := c.Credentials.HMACSecrets(ctx, other.Key); !errors.Is(err, credentials.ErrStateTampered) {
		t.Fatalf("moved ciphertext: %v", err)
	}
}

func TestNameValidation(t *testing.T) {
	t.Parallel()
	c, u, _ := seeded(t)
	for _, tc := range []struct{ name, want string }{
		{"", "Name is required."},
		{"   ", "Name is required."},
		{strings.Repeat("n", 101), "at most 100 characters (it has 101)"},
		{"bad\nname", "control characters"},
		{"zero\u200bwidth", "invisible formatting"},
	} {
		before := rowCount(t, c, "credentials")
		_, _, err := c.Credentials.Create(ctx, u.Admin.ID, credentials.Basic, tc.name, nil)
		if err == nil || !strings.Contains(errs.Message(err), tc.want) {
			t.Errorf("name %q: %v, want %q", tc.name, err, tc.want)
		}
		if rowCount(t, c, "credentials") != before {
			t.Errorf("name %q: half-saved", tc.name)
		}
	}
	if _, _, err := c.Credentials.Create(ctx, u.Admin.ID, credentials.Legacy, "x", nil); err == nil {
		t.Error("Create made a legacy credential")
	}
}

func TestRollWithGrace(t *testing.T) {
	t.Parallel()
	c, u, clock := seeded(t)
	cred, first := create(t, c, u.Admin.ID, credentials.HMAC, "Rolling")
	rolled, second, err := c.Credentials.Roll(ctx, u.Admin.ID, cred.ID, time.Hour)
	if err != nil || rolled.Key != cred.Key || second == first || len(second) != 30 {
		t.Fatalf("roll: %+v %v", rolled, err)
	}
	if rolled.PreviousUntil == nil || !rolled.PreviousUntil.Equal(clock.Now().Add(time.Hour)) {
		t.Fatalf("previous until %v", rolled.PreviousUntil)
	}
	for _, s := range []string{first, second} {
		if _, err := c.Credentials.Authenticate(ctx, cred.Key, s); err != nil {
			t.Fatalf("during grace: %v", err)
		}
	}
	clock.Advance(time.Hour)
	if _, err := c.Credentials.Authenticate(ctx, cred.Key, first); err == nil {
		t.Fatal("old secret works after the grace period")
	}
	if _, err := c.Credentials.Authenticate(ctx, cred.Key, second); err != nil {
		t.Fatal(err)
	}
	got, _ := c.Credentials.Get(ctx, u.Admin.ID, cred.ID)
	if got.PreviousUntil != nil {
		t.Fatal("expired grace still shown")
	}
	_, third, _ := c.Credentials.Roll(ctx, u.Admin.ID, cred.ID, 0)
	if _, err := c.Credentials.Authenticate(ctx, cred.Key, second); err == nil {
		t.Fatal("grace 0 left the old secret working")
	}
	if _, err := c.Credentials.Authenticate(ctx, cred.Key, third); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Credentials.Roll(ctx, u.Admin.ID, cred.ID, 2*time.Hour); err == nil {
		t.Fatal("a grace period that is not offered was accepted")
	}
	// A later roll caps the grace of every earlier secret: an emergency
	// roll with no grace stops a secret still in an earlier 7-day grace.
	_, fourth, _ := c.Credentials.Roll(ctx, u.Admin.ID, cred.ID, 7*24*time.Hour)
	_, fifth, _ := c.Credentials.Roll(ctx, u.Admin.ID, cred.ID, time.Hour)
	clock.Advance(time.Hour)
	for _, s := range []string{third, fourth} {
		if _, err := c.Credentials.Authenticate(ctx, cred.Key, s); err == nil {
			t.Fatal("a secret outlived the 1-hour grace of a later roll")
		}
	}
	_, sixth, _ := c.Credentials.Roll(ctx, u.Admin.ID, cred.ID, 7*24*time.Hour)
	if _, err := c.Credentials.Authenticate(ctx, cred.Key, fifth); err != nil {
		t.Fatalf("during grace: %v", err)
	}
	_, seventh, _ := c.Credentials.Roll(ctx, u.Admin.ID, cred.ID, 0)
	for _, s := range []string{fifth, sixth} {
		if _, err := c.Credentials.Authenticate(ctx, cred.Key, s); err == nil {
			t.Fatal("a roll with no grace left an earlier secret working")
		}
	}
	if _, err := c.Credentials.Authenticate(ctx, cred.Key, seventh); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Credentials.Get(ctx, u.Admin.ID, cred.ID); got.PreviousUntil != nil {
		t.Fatalf("previous until %v after a roll with no grace", got.PreviousUntil)
	}
}

func TestDisableExpireDelete(t *testing.T) {
	t.Parallel()
	c, u, clock := seeded(t)
	exp := clock.Now().Add(48 * time.Hour)
	cred, secret, err := c.Credentials.Create(ctx, u.Admin.ID, credentials.Basic, "Temp", &exp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Credentials.SetDisabled(ctx, u.Admin.ID, cred.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Credentials.Authenticate(ctx, cred.Key, secret); !errors.Is(err, credentials.ErrNotActive) {
		t.Fatalf("disabled: %v", err)
	}
	c.Credentials.SetDisabled(ctx, u.Admin.ID, cred.ID, false)
	if _, err := c.Credentials.Authenticate(ctx, cred.Key, secret); err != nil {
		t.Fatalf("enabled: %v", err)
	}
	clock.Advance(48 * time.Hour)
	got, _ := c.Credentials.Get(ctx, u.Admin.ID, cred.ID)
	if got.Status(clock.Now()) != credentials.StatusExpired {
		t.Fatalf("status %s after expiry", got.Status(clock.Now()))
	}
	if _, err := c.Credentials.Authenticate(ctx, cred.Key, secret); !errors.Is(err, credentials.ErrNotActive) {
		t.Fatalf("expired: %v", err)
	}
	// An expired key gets no new secret: it could never be used.
	if _, _, err := c.Credentials.Roll(ctx, u.Admin.ID, cred.ID, 0); !strings.Contains(invalidMessage(err), "create a new key instead") {
		t.Fatalf("roll an expired key: %v", err)
	}
	if _, err := c.Credentials.Authenticate(ctx, cred.Key, secret); !errors.Is(err, credentials.ErrNotActive) {
		t.Fatalf("expired after a refused roll: %v", err)
	}
	c.Credentials.SetDisabled(ctx, u.Admin.ID, cred.ID, true)
	if _, _, err := c.Credentials.Roll(ctx, u.Admin.ID, cred.ID, 0); !strings.Contains(invalidMessage(err), "create a new key instead") {
		t.Fatalf("roll an expired, disabled key: %v", err)
	}
	past := clock.Now().Add(-time.Minute)
	if _, _, err := c.Credentials.Create(ctx, u.Admin.ID, credentials.Basic, "Past", &past); err == nil {
		t.Fatal("expiry in the past accepted")
	}
	if err := c.Credentials.Delete(ctx, u.Admin.ID, cred.ID); err != nil {
		t.Fatal(err)
	}
	if n := rowCount(t, c, "credential_secrets"); n != 0 {
		t.Fatalf("secrets left after delete: %d", n)
	}
	for name, op := range map[string]func() error{
		"delete":  func() error { return c.Credentials.Delete(ctx, u.Admin.ID, cred.ID) },
		"rename":  func() error { _, err := c.Credentials.Rename(ctx, u.Admin.ID, cred.ID, "x"); return err },
		"disable": func() error { _, err := c.Credentials.SetDisabled(ctx, u.Admin.ID, cred.ID, true); return err },
		"roll":    func() error { _, _, err := c.Credentials.Roll(ctx, u.Admin.ID, cred.ID, 0); return err },
	} {
		if err := op(); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("%s on a deleted credential: %v", name, err)
		}
	}
	if _, err := c.Credentials.Authenticate(ctx, cred.Key, secret); !errors.Is(err, credentials.ErrUnknownKey) {
		t.Fatalf("deleted: %v", err)
	}
}

func TestListFilterAndPaging(t *testing.T) {
	t.Parallel()
	c, u, clock := seeded(t)
	for i := 0; i < 30; i++ {
		typ := credentials.Basic
		if i%3 == 0 {
			typ = credentials.HMAC
		}
		name := "Service " + string(rune('A'+i%26))
		if i == 7 {
			name = "100%_literal"
		}
		if _, _, err := c.Credentials.Create(ctx, u.Admin.ID, typ, name, nil); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
	}
	all, total, _ := c.Credentials.List(ctx, u.Admin.ID, credentials.Filter{})
	if total != 30 || len(all) != 30 || !all[0].CreatedAt.After(all[29].CreatedAt) {
		t.Fatalf("list: %d/%d, newest first", len(all), total)
	}
	hm, total, _ := c.Credentials.List(ctx, u.Admin.ID, credentials.Filter{Type: credentials.HMAC})
	if total != 10 || len(hm) != 10 {
		t.Fatalf("hmac filter: %d", total)
	}
	lit, total, _ := c.Credentials.List(ctx, u.Admin.ID, credentials.Filter{Query: "%_"})
	if total != 1 || lit[0].Name != "100%_literal" {
		t.Fatalf("LIKE metacharacters must match literally: %d", total)
	}
	byKey, total, _ := c.Credentials.List(ctx, u.Admin.ID, credentials.Filter{Query: all[5].Key[3:12]})
	if total < 1 || byKey[0].Key != all[5].Key {
		t.Fatalf("filter by key: %d", total)
	}
	page, total, _ := c.Credentials.List(ctx, u.Admin.ID, credentials.Filter{Limit: 7, Offset: 28})
	if total != 30 || len(page) != 2 || page[1].ID != all[29].ID {
		t.Fatalf("paging: %d of %d", len(page), total)
	}
}

func TestOnlyAdministrators(t *testing.T) {
	t.Parallel()
	c, u, _ := seeded(t)
	cred, _ := create(t, c, u.Admin.ID, credentials.Basic, "Ops")
	leg := legacyCred(t, c, u.Admin.ID, "legacyone", "Passw0rd")
	for _, who := range []int64{u.Advanced.ID, u.Basic.ID} {
		ops := map[string]func() error{
			"create":  func() error { _, _, err := c.Credentials.Create(ctx, who, credentials.Basic, "x", nil); return err },
			"legacy":  func() error { _, err := c.Credentials.CreateLegacy(ctx, who, "legacytwo", "Passw0rd", nil); return err },
			"list":    func() error { _, _, err := c.Credentials.List(ctx, who, credentials.Filter{}); return err },
			"get":     func() error { _, err := c.Credentials.Get(ctx, who, cred.ID); return err },
			"by key":  func() error { _, err := c.Credentials.ByKey(ctx, who, cred.Key); return err },
			"rename":  func() error { _, err := c.Credentials.Rename(ctx, who, cred.ID, "y"); return err },
			"disable": func() error { _, err := c.Credentials.SetDisabled(ctx, who, cred.ID, true); return err },
			"delete":  func() error { return c.Credentials.Delete(ctx, who, cred.ID) },
			"roll":    func() error { _, _, err := c.Credentials.Roll(ctx, who, cred.ID, 0); return err },
			"passwd":  func() error { _, err := c.Credentials.SetLegacyPassword(ctx, who, leg.ID, "Passw0rd2"); return err },
		}
		for name, op := range ops {
			before := testkit.Snapshot(t, testkit.DB(t, c.Dir))
			if err := op(); !errors.Is(err, errs.ErrForbidden) {
				t.Errorf("%s by user %d: %v", name, who, err)
			}
			if testkit.Snapshot(t, testkit.DB(t, c.Dir)) != before {
				t.Errorf("%s by user %d changed the database", name, who)
			}
		}
	}
}

func TestAuditedWithKeyNeverSecret(t *testing.T) {
	t.Parallel()
	c, u, _ := seeded(t)
	a := u.Admin.ID
	cred, s1 := create(t, c, a, credentials.Basic, "Audited")
	c.Credentials.Rename(ctx, a, cred.ID, "Audited 2")
	c.Credentials.SetDisabled(ctx, a, cred.ID, true)
	c.Credentials.SetDisabled(ctx, a, cred.ID, false)
	_, s2, _ := c.Credentials.Roll(ctx, a, cred.ID, time.Hour)
	c.Credentials.Delete(ctx, a, cred.ID)
	leg := legacyCred(t, c, a, "auditme", "Passw0rdA")
	c.Credentials.SetLegacyPassword(ctx, a, leg.ID, "Passw0rdB")
	rows, _ := testkit.DB(t, c.Dir).Query(`SELECT action, target, actor || detail FROM audit WHERE action LIKE 'credential.%' ORDER BY seq`)
	defer rows.Close()
	var got []string
	for rows.Next() {
		var action, target, text string
		rows.Scan(&action, &target, &text)
		got = append(got, action+" "+target)
		for _, secret := range []string{s1, s2, "Passw0rdA", "Passw0rdB"} {
			if strings.Contains(text+target, secret) {
				t.Fatalf("%s holds a secret", action)
			}
		}
	}
	k := cred.Key
	want := []string{"credential.create " + k, "credential.rename " + k, "credential.disable " + k, "credential.enable " + k,
		"credential.roll " + k, "credential.delete " + k, "credential.create auditme", "credential.password-change auditme"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("audit\n got %v\nwant %v", got, want)
	}
}

func TestTwoProcessesOnOneCredential(t *testing.T) {
	t.Parallel()
	one, u, clock := seeded(t)
	two := testkit.OpenDir(t, one.Dir, clock)
	cred, _ := create(t, one, u.Admin.ID, credentials.Basic, "Shared")
	if err := two.Credentials.Delete(ctx, u.Admin.ID, cred.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := one.Credentials.Rename(ctx, u.Admin.ID, cred.ID, "Late"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("rename after another process deleted: %v", err)
	}
	done := make(chan error, 2)
	for _, s := range []*credentials.Service{one.Credentials, two.Credentials} {
		go func() {
			for i := 0; i < 40; i++ {
				if _, _, err := s.Create(ctx, u.Admin.ID, credentials.HMAC, "Race", nil); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatalf("concurrent create: %v", err)
		}
	}
	if n := rowCount(t, one, "credentials"); n != 80 {
		t.Fatalf("credentials = %d, want 80", n)
	}
	if check := testkit.IntegrityCheck(t, testkit.DB(t, one.Dir)); check != "ok" {
		t.Fatal(check)
	}
	if r, _ := testkit.VerifyAudit(t, one.Dir); !r.OK() {
		t.Fatalf("audit chain after concurrent writers: %+v", r)
	}
}

func TestParseExpiryAndGrace(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for in, want := range map[string]string{
		"": "", "never": "", "30d": "2026-12-26T09:00:00Z", "365D": "2027-11-26T09:00:00Z", "2027-01-31": "2027-02-01T00:00:00Z",
		"2026-11-26": "2026-11-27T00:00:00Z",
		// Through the end of the day in the user's own time zone.
		"2027-01-31+01:00": "2027-01-31T23:00:00Z", "2027-01-31-05:00": "2027-02-01T05:00:00Z",
		"2026-11-26+14:00": "2026-11-26T10:00:00Z",
	} {
		got, err := credentials.ParseExpiry(in, now)
		s := ""
		if got != nil {
			s = got.Format(time.RFC3339)
		}
		if err != nil || s != want {
			t.Errorf("ParseExpiry(%q) = %q, %v; want %q", in, s, err, want)
		}
	}
	for _, bad := range []string{"0d", "-5d", "3651d", "030d", "tomorrow", "2026-11-25", "2026-02-30", "31/01/2027",
		"2026-11-25+14:00", "2027-01-31+25:00", "2027-01-31+01:0x", "2027-01-31 01:00", "0001-01-01+00:00"} {
		if _, err := credentials.ParseExpiry(bad, now); err == nil {
			t.Errorf("ParseExpiry(%q) accepted", bad)
		}
	}
	for in, want := range map[string]time.Duration{"0": 0, "1h": time.Hour, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour} {
		if got, err := credentials.ParseGrace(in); err != nil || got != want {
			t.Errorf("ParseGrace(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "2h", "forever", "-1h"} {
		if _, err := credentials.ParseGrace(bad); err == nil {
			t.Errorf("ParseGrace(%q) accepted", bad)
		}
	}
}

func TestNaughtyNames(t *testing.T) {
	t.Parallel()
	c, u, _ := seeded(t)
	for _, s := range testkit.BLNS(t) {
		before := rowCount(t, c, "credentials")
		cred, _, err := c.Credentials.Create(ctx, u.Admin.ID, credentials.HMAC, s, nil)
		if err != nil {
			var inv *errs.Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("name %q: %v", s, err)
			}
			if rowCount(t, c, "credentials") != before {
				t.Fatalf("name %q half-saved", s)
			}
			continue
		}
		if cred.Name != strings.TrimSpace(s) {
			t.Fatalf("name %q stored as %q", s, cred.Name)
		}
		if err := credentials.CheckUsername(s); err == nil {
			if _, err := c.Credentials.CreateLegacy(ctx, u.Admin.ID, s, "Passw0rd", nil); err != nil && !strings.Contains(err.Error(), "taken") {
				t.Fatalf("valid username %q: %v", s, err)
			}
		}
	}
}
