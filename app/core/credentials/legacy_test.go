package credentials_test

import (
	"strings"
	"testing"

	"keysmith/app/core/credentials"
	"keysmith/app/core/errs"
)

func TestLegacyRules(t *testing.T) {
	t.Parallel()
	c, u, _ := seeded(t)
	cases := []struct{ username, password, want string }{
		{"", "Passw0rd", "Username is required."},
		{"abcd", "Passw0rd", "at least 5 characters"},
		{"john smith", "Passw0rd", "cannot contain spaces"},
		{"JohnSmith", "Passw0rd", "must be lowercase"},
		{"john_smith", "Passw0rd", "no special characters"},
		{"jöhnsmith", "Passw0rd", "no special characters"},
		{strings.Repeat("a", 51), "Passw0rd", "at most 50 characters"},
		{"johnsmith", "", "Password is required."},
		{"johnsmith", "Pass1", "at least 6 characters"},
		{"johnsmith", strings.Repeat("A", 51), "at most 50 characters"},
		{"johnsmith", "password1", "at least one upper-case letter"},
		{"johnsmith", "Pass word1", "only contain letters"},
		{"johnsmith", "Passw0rd!", "only contain letters"},
		// Every broken rule at once.
		{"Shop One", "Passw0rd", "Username cannot contain spaces. Username must be lowercase."},
		{"Ab!", "Passw0rd", "Username must be lowercase. Username can only contain lowercase letters a–z and digits 0–9, no special characters. Username must be at least 5 characters."},
		{"johnsmith", "pa ss", "Password can only contain letters A–Z, a–z and digits 0–9. Password must be at least 6 characters. Password must include at least one upper-case letter."},
	}
	for _, tc := range cases {
		_, err := c.Credentials.CreateLegacy(ctx, u.Admin.ID, tc.username, tc.password, nil)
		if err == nil || !strings.Contains(errs.Message(err), tc.want) {
			t.Errorf("%q/%q: %v, want %q", tc.username, tc.password, err, tc.want)
		}
		if err != nil && tc.password != "" && strings.Contains(errs.Message(err), tc.password) {
			t.Errorf("message echoes the password: %q", errs.Message(err))
		}
	}
	if n := rowCount(t, c, "credentials"); n != 0 {
		t.Fatalf("refused legacy credentials saved: %d", n)
	}
	cred, err := c.Credentials.CreateLegacy(ctx, u.Admin.ID, "johnsmith", "Passw0rd", nil)
	if err != nil || cred.Key != "johnsmith" || cred.Type != credentials.Legacy {
		t.Fatalf("valid legacy: %+v %v", cred, err)
	}
	if _, err := c.Credentials.CreateLegacy(ctx, u.Admin.ID, "johnsmith", "Other1pass", nil); err == nil || !strings.Contains(errs.Message(err), "already taken") {
		t.Fatalf("duplicate username: %v", err)
	}
	if _, err := c.Credentials.Authenticate(ctx, "johnsmith", "Passw0rd"); err != nil {
		t.Fatalf("legacy round trip: %v", err)
	}
	if _, err := c.Credentials.SetLegacyPassword(ctx, u.Admin.ID, cred.ID, "weak"); err == nil {
		t.Fatal("weak legacy password accepted on edit")
	}
	if _, err := c.Credentials.SetLegacyPassword(ctx, u.Admin.ID, cred.ID, "NewPassw0rd"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Credentials.Authenticate(ctx, "johnsmith", "Passw0rd"); err == nil {
		t.Fatal("old legacy password still works")
	}
	if _, err := c.Credentials.Authenticate(ctx, "johnsmith", "NewPassw0rd"); err != nil {
		t.Fatalf("new legacy password: %v", err)
	}
	if _, err := c.Credentials.Rename(ctx, u.Admin.ID, cred.ID, "otheruser"); err == nil || !strings.Contains(errs.Message(err), "cannot change") {
		t.Fatalf("rename legacy: %v", err)
	}
	if _, _, err := c.Credentials.Roll(ctx, u.Admin.ID, cred.ID, 0); err == nil {
		t.Fatal("rolled a legacy credential")
	}
	basic, _ := create(t, c, u.Admin.ID, credentials.Basic, "b")
	if _, err := c.Credentials.SetLegacyPassword(ctx, u.Admin.ID, basic.ID, "NewPassw0rd"); err == nil {
		t.Fatal("set a legacy password on a basic key")
	}
}

func TestLegacyPasswordWarning(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		username, password string
		weak               bool
	}{
		{"johnsmith", "Passw0rd", true},
		{"johnsmith", "Johnsmith1", true}, // the username is a guessable word
		{"johnsmith", "Abc123", true},
		{"johnsmith", "Qwerty123", true},
		{"johnsmith", "Tq7mZr4WbX9pLk2v", false},
		{"johnsmith", "HorseBatteryStaple42", false},
		{"johnsmith", "passw0rd", false},              // breaks a rule: the rule's message, not a warning
		{"johnsmith", strings.Repeat("A", 51), false}, // too long: never scored
	} {
		w := credentials.LegacyPasswordWarning(tc.username, tc.password)
		if (w != "") != tc.weak || strings.Contains(w, tc.password) {
			t.Errorf("%q: warning %q, want weak %v", tc.password, w, tc.weak)
		}
	}
}
