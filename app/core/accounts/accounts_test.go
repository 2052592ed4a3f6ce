package accounts_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"keysmith/app/core"

	"keysmith/app/core/accounts"
	"keysmith/app/core/errs"
	"keysmith/app/core/keyfile"
	"keysmith/app/testkit"
)

var ctx = context.Background()

// seeded is a core with the seeded account and users.
func seeded(t *testing.T) (*core.Core, testkit.Users) {
	t.Helper()
	c := testkit.Open(t, testkit.NewClock())
	return c, testkit.Seed(t, c)
}

func TestSetupOnlyOnce(t *testing.T) {
	t.Parallel()
	c := testkit.Open(t, testkit.NewClock())
	if _, err := c.Accounts.Account(ctx); !errors.Is(err, errs.ErrNotSetUp) {
		t.Fatalf("fresh account: %v, want ErrNotSetUp", err)
	}
	u := testkit.Seed(t, c)
	if u.Admin.Role != accounts.Administrator {
		t.Fatalf("first user role %s", u.Admin.Role)
	}
	_, err := c.Accounts.Setup(ctx, "Other", accounts.NewUser{Name: "Eve", Email: "eve@x.test", Password: testkit.AdminPassword})
	if !errors.Is(err, errs.ErrAlreadySetUp) {
		t.Fatalf("second setup: %v", err)
	}
	if n := testkit.Count(t, testkit.DB(t, c.Dir), "users"); n != 3 {
		t.Fatalf("users = %d after refused setup", n)
	}
}

func TestSetupValidation(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 101)
	cases := []struct {
		name, account, uname, email, password, want string
	}{
		{"empty account", "", "Ann", "ann@a.test", testkit.AdminPassword, "Business name is required."},
		{"long account", long, "Ann", "ann@a.test", testkit.AdminPassword, "at most 100 characters"},
		{"empty name", "Acme", " ", "ann@a.test", testkit.AdminPassword, "Name is required."},
		{"control in name", "Acme", "An\x07n", "ann@a.test", testkit.AdminPassword, "control characters"},
		{"bad email", "Acme", "Ann", "ann.a.test", testkit.AdminPassword, "Email must be an address"},
		{"short password", "Acme", "Ann", "ann@a.test", "short", "at least 8"},
		{"common password", "Acme", "Ann", "ann@a.test", "password123", "too common"},
		{"password from account name", "Zanzibar Widgets", "Ann", "ann@a.test", "ZanzibarWidgets", "too common"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := testkit.Open(t, testkit.NewClock())
			_, err := c.Accounts.Setup(ctx, tc.account, accounts.NewUser{Name: tc.uname, Email: tc.email, Password: tc.password})
			var inv *errs.Invalid
			if !errors.As(err, &inv) || !strings.Contains(inv.Message, tc.want) {
				t.Fatalf("err = %v, want message containing %q", err, tc.want)
			}
			if strings.Contains(inv.Message, tc.password) {
				t.Fatalf("message echoes the password: %q", inv.Message)
			}
			if n := testkit.Count(t, testkit.DB(t, c.Dir), "account") + testkit.Count(t, testkit.DB(t, c.Dir), "users"); n != 0 {
				t.Fatalf("half-saved setup: %d rows", n)
			}
		})
	}
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	c, u := seeded(t)
	got, err := c.Accounts.SignIn(ctx, "  ADA@acme.test ", testkit.AdminPassword, "test")
	if err != nil || got.ID != u.Admin.ID {
		t.Fatalf("sign in with case and spaces: %v %v", got, err)
	}
	for _, tc := range []struct{ name, email, password string }{
		{"wrong password", "ada@acme.test", "wrong-password-here"},
		{"unknown email", "nobody@acme.test", testkit.AdminPassword},
		{"malformed email", "not an email\x00", testkit.AdminPassword},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Accounts.SignIn(ctx, tc.email, tc.password, "test")
			if !errors.Is(err, errs.ErrBadCredentials) {
				t.Fatalf("err = %v, want ErrBadCredentials", err)
			}
			if errs.Message(err) != "The email or password is incorrect." {
				t.Fatalf("message %q", errs.Message(err))
			}
		})
	}
}

func TestSignInThrottleSameForUnknownAndKnown(t *testing.T) {
	t.Parallel()
	for _, email := range []string{"ada@acme.test", "ghost@acme.test"} {
		t.Run(email, func(t *testing.T) {
			t.Parallel()
			clock := testkit.NewClock()
			c := testkit.Open(t, clock)
			testkit.Seed(t, c)
			for i := 0; i < accounts.FreeFailures; i++ {
				if _, err := c.Accounts.SignIn(ctx, email, "wrong-password-here", "test"); !errors.Is(err, errs.ErrBadCredentials) {
					t.Fatalf("attempt %d: %v", i+1, err)
				}
			}
			_, err := c.Accounts.SignIn(ctx, email, testkit.AdminPassword, "test")
			var th *errs.Throttle
			if !errors.As(err, &th) || th.Seconds != 1 {
				t.Fatalf("after %d failures: %v, want a 1 s throttle", accounts.FreeFailures, err)
			}
			clock.Advance(time.Second)
			if _, err := c.Accounts.SignIn(ctx, email, "wrong-password-here", "test"); !errors.Is(err, errs.ErrBadCredentials) {
				t.Fatalf("after waiting: %v", err)
			}
			_, err = c.Accounts.SignIn(ctx, email, "wrong-password-here", "test")
			if !errors.As(err, &th) || th.Seconds != 2 {
				t.Fatalf("delay should double: %v", err)
			}
			// Other emails are not slowed down.
			if _, err := c.Accounts.SignIn(ctx, "bea@acme.test", testkit.BasicPassword, "test"); err != nil {
				t.Fatalf("another user throttled: %v", err)
			}
		})
	}
}

// Backoff: nothing for the free failures, then a second doubling with each
// failure up to the limit, and the limit however many failures follow.
func TestBackoff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n, free int
		limit   time.Duration
		want    time.Duration
	}{
		{0, 5, time.Minute, 0},
		{4, 5, time.Minute, 0},
		{5, 5, time.Minute, time.Second},
		{6, 5, time.Minute, 2 * time.Second},
		{10, 5, time.Minute, 32 * time.Second},
		{11, 5, time.Minute, time.Minute},
		{14, 5, 15 * time.Minute, 512 * time.Second},
		{15, 5, 15 * time.Minute, 15 * time.Minute},
		{36, 5, time.Minute, time.Minute},
		{37, 5, time.Minute, time.Minute},
		{1 << 40, 5, time.Minute, time.Minute},
	} {
		if got := accounts.Backoff(tc.n, tc.free, tc.limit); got != tc.want {
			t.Errorf("Backoff(%d, %d, %v) = %v, want %v", tc.n, tc.free, tc.limit, got, tc.want)
		}
	}
}

func TestThrottleCapsAndClearsOnSuccess(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	c := testkit.Open(t, clock)
	testkit.Seed(t, c)
	for i := 0; i < 30; i++ {
		c.Accounts.SignIn(ctx, "ada@acme.test", "wrong-password-here", "test")
		clock.Advance(accounts.MaxDelay)
	}
	c.Accounts.SignIn(ctx, "ada@acme.test", "wrong-password-here", "test")
	_, err := c.Accounts.SignIn(ctx, "ada@acme.test", testkit.AdminPassword, "test")
	var th *errs.Throttle
	if !errors.As(err, &th) || th.Seconds != int(accounts.MaxDelay.Seconds()) {
		t.Fatalf("want capped throttle, got %v", err)
	}
	clock.Advance(accounts.MaxDelay)
	if _, err := c.Accounts.SignIn(ctx, "ada@acme.test", testkit.AdminPassword, "test"); err != nil {
		t.Fatalf("right password after the wait: %v", err)
	}
	if _, err := c.Accounts.SignIn(ctx, "ada@acme.test", "wrong-password-here", "test"); !errors.Is(err, errs.ErrBadCredentials) {
		t.Fatalf("success should clear the count: %v", err)
	}
}

func TestDisabledUserCannotSignIn(t *testing.T) {
	t.Parallel()
	c, u := seeded(t)
	if _, err := c.Accounts.SetDisabled(ctx, u.Admin.ID, u.Basic.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Accounts.SignIn(ctx, "bea@acme.test", testkit.BasicPassword, "test"); !errors.Is(err, errs.ErrDisabled) {
		t.Fatalf("disabled sign-in: %v", err)
	}
	if _, err := c.Accounts.SignIn(ctx, "bea@acme.test", "wrong-password-here", "test"); !errors.Is(err, errs.ErrBadCredentials) {
		t.Fatalf("disabled + wrong password must not reveal the state: %v", err)
	}
	if _, err := c.Accounts.Actor(ctx, u.Basic.ID); !errors.Is(err, errs.ErrSignedOut) {
		t.Fatalf("a disabled user's session must end: %v", err)
	}
	if _, err := c.Accounts.SetDisabled(ctx, u.Admin.ID, u.Basic.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Accounts.SignIn(ctx, "bea@acme.test", testkit.BasicPassword, "test"); err != nil {
		t.Fatalf("re-enabled: %v", err)
	}
}

func TestRehashWhenParamsRise(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := testkit.OpenDir(t, dir, testkit.NewClock())
	testkit.Seed(t, c)
	var before string
	testkit.DB(t, c.Dir).QueryRow(`SELECT password_hash FROM users WHERE email_key = 'ada@acme.test'`).Scan(&before)
	c.Close()

	stronger := accounts.Params{MemoryKiB: 128, Time: 2, Threads: 1}
	c2 := testkit.OpenDir(t, dir, testkit.NewClock())
	key, err := keyfile.Load(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := accounts.New(testkit.DB(t, dir), testkit.AuditLog(t, dir), time.Now, stronger, accounts.PepperFrom(key))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acc.SignIn(ctx, "ada@acme.test", testkit.AdminPassword, "test"); err != nil {
		t.Fatal(err)
	}
	var after string
	testkit.DB(t, c2.Dir).QueryRow(`SELECT password_hash FROM users WHERE email_key = 'ada@acme.test'`).Scan(&after)
	if before == after || !strings.Contains(after, "m=128,t=2,p=1") {
		t.Fatalf("hash not upgraded: %s → %s", before, after)
	}
	if _, err := acc.SignIn(ctx, "ada@acme.test", testkit.AdminPassword, "test"); err != nil {
		t.Fatalf("sign in after rehash: %v", err)
	}
}

func TestLastAdministratorIsKept(t *testing.T) {
	t.Parallel()
	c, u := seeded(t)
	a := u.Admin.ID
	checks := []struct {
		name string
		do   func() error
	}{
		{"demote", func() error { _, err := c.Accounts.SetRole(ctx, a, a, accounts.Basic); return err }},
		{"disable", func() error { _, err := c.Accounts.SetDisabled(ctx, a, a, true); return err }},
		{"delete", func() error { return c.Accounts.DeleteUser(ctx, a, a) }},
	}
	for _, tc := range checks {
		before := testkit.Snapshot(t, testkit.DB(t, c.Dir))
		if err := tc.do(); !errors.Is(err, errs.ErrLastAdmin) {
			t.Errorf("%s last admin: %v, want ErrLastAdmin", tc.name, err)
		}
		if testkit.Snapshot(t, testkit.DB(t, c.Dir)) != before {
			t.Errorf("%s changed the database", tc.name)
		}
	}
	// With a second active Administrator the first may step down.
	if _, err := c.Accounts.SetRole(ctx, a, u.Advanced.ID, accounts.Administrator); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Accounts.SetRole(ctx, a, a, accounts.Advanced); err != nil {
		t.Fatalf("demote with another admin: %v", err)
	}
	// A disabled Administrator does not count as the one kept.
	avi := u.Advanced.ID
	if _, err := c.Accounts.SetRole(ctx, avi, a, accounts.Administrator); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Accounts.SetDisabled(ctx, avi, a, true); err != nil {
		t.Fatal(err)
	}
	if err := c.Accounts.DeleteUser(ctx, avi, avi); !errors.Is(err, errs.ErrLastAdmin) {
		t.Fatalf("only active admin left: %v", err)
	}
}

func TestSelfDisableAndDeleteRefused(t *testing.T) {
	t.Parallel()
	c, u := seeded(t)
	c.Accounts.SetRole(ctx, u.Admin.ID, u.Advanced.ID, accounts.Administrator)
	if _, err := c.Accounts.SetDisabled(ctx, u.Admin.ID, u.Admin.ID, true); err == nil || !strings.Contains(errs.Message(err), "yourself") {
		t.Fatalf("self disable: %v", err)
	}
	if err := c.Accounts.DeleteUser(ctx, u.Admin.ID, u.Admin.ID); err == nil || !strings.Contains(errs.Message(err), "yourself") {
		t.Fatalf("self delete: %v", err)
	}
}

func TestNonAdministratorsAreRefused(t *testing.T) {
	t.Parallel()
	c, u := seeded(t)
	for _, who := range []accounts.User{u.Advanced, u.Basic} {
		id := who.ID
		ops := map[string]func() error{
			"list": func() error { _, err := c.Accounts.ListUsers(ctx, id); return err },
			"add": func() error {
				_, err := c.Accounts.AddUser(ctx, id, accounts.NewUser{Name: "X", Email: "x@acme.test", Role: accounts.Administrator, Password: testkit.AdminPassword})
				return err
			},
			"role":     func() error { _, err := c.Accounts.SetRole(ctx, id, id, accounts.Administrator); return err },
			"disable":  func() error { _, err := c.Accounts.SetDisabled(ctx, id, u.Admin.ID, true); return err },
			"reset":    func() error { return c.Accounts.ResetPassword(ctx, id, u.Admin.ID, "new-Pass-phrase-77-x") },
			"delete":   func() error { return c.Accounts.DeleteUser(ctx, id, u.Admin.ID) },
			"by email": func() error { _, err := c.Accounts.UserByEmail(ctx, id, "ada@acme.test"); return err },
			"idle": func() error {
				return c.Accounts.SetPreferences(ctx, id, accounts.Preferences{Theme: "dark", IdleMinutes: 60, ClipboardSeconds: 30, VaultLockMinutes: 5})
			},
		}
		for name, op := range ops {
			before := testkit.Snapshot(t, testkit.DB(t, c.Dir))
			if err := op(); !errors.Is(err, errs.ErrForbidden) {
				t.Errorf("%s as %s: %v, want ErrForbidden", name, who.Role, err)
			}
			if testkit.Snapshot(t, testkit.DB(t, c.Dir)) != before {
				t.Errorf("%s as %s changed the database", name, who.Role)
			}
		}
		admins, err := c.Accounts.Administrators(ctx, id)
		if err != nil || len(admins) != 1 || admins[0].Email != "ada@acme.test" {
			t.Errorf("administrators as %s: %v %v", who.Role, admins, err)
		}
	}
}

func TestDuplicateEmailIgnoresCase(t *testing.T) {
	t.Parallel()
	c, u := seeded(t)
	_, err := c.Accounts.AddUser(ctx, u.Admin.ID, accounts.NewUser{Name: "Bea Two", Email: "BEA@Acme.test", Role: accounts.Basic, Password: testkit.BasicPassword})
	if err == nil || errs.Message(err) != "A user with this email already exists." {
		t.Fatalf("duplicate: %v", err)
	}
}

func TestChangeAndResetPassword(t *testing.T) {
	t.Parallel()
	c, u := seeded(t)
	const next = "granite-Violin-42-harbor"
	if err := c.Accounts.ChangePassword(ctx, u.Basic.ID, "wrong-password-here", next); errs.Message(err) != "Current password is incorrect." {
		t.Fatalf("wrong current: %v", err)
	}
	if err := c.Accounts.ChangePassword(ctx, u.Basic.ID, testkit.BasicPassword, "abc"); err == nil {
		t.Fatal("weak new password accepted")
	}
	if err := c.Accounts.ChangePassword(ctx, u.Basic.ID, testkit.BasicPassword, next); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Accounts.SignIn(ctx, "bea@acme.test", testkit.BasicPassword, "test"); !errors.Is(err, errs.ErrBadCredentials) {
		t.Fatalf("old password still works: %v", err)
	}
	if _, err := c.Accounts.SignIn(ctx, "bea@acme.test", next, "test"); err != nil {
		t.Fatal(err)
	}
	const reset = "saffron-Tundra-19-quiver"
	if err := c.Accounts.ResetPassword(ctx, u.Admin.ID, u.Basic.ID, reset); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Accounts.SignIn(ctx, "bea@acme.test", reset, "test"); err != nil {
		t.Fatalf("reset password: %v", err)
	}
}

func TestSetPreferences(t *testing.T) {
	t.Parallel()
	c, u := seeded(t)
	if err := c.Accounts.SetPreferences(ctx, u.Basic.ID, accounts.Preferences{Theme: "dark", IdleMinutes: 15, ClipboardSeconds: 30, VaultLockMinutes: 5}); err != nil {
		t.Fatalf("basic user theme: %v", err)
	}
	if me, _ := c.Accounts.Actor(ctx, u.Basic.ID); me.Theme != "dark" {
		t.Fatalf("theme = %s", me.Theme)
	}
	if err := c.Accounts.SetPreferences(ctx, u.Admin.ID, accounts.Preferences{Theme: "light", IdleMinutes: 45, ClipboardSeconds: 20, VaultLockMinutes: 5}); err != nil {
		t.Fatal(err)
	}
	if acc, _ := c.Accounts.Account(ctx); acc.IdleMinutes != 45 || acc.ClipboardSeconds != 20 {
		t.Fatalf("account settings = %+v", acc)
	}
	if err := c.Accounts.SetPreferences(ctx, u.Basic.ID, accounts.Preferences{Theme: "dark", IdleMinutes: 45, ClipboardSeconds: 60, VaultLockMinutes: 5}); !errors.Is(err, errs.ErrForbidden) {
		t.Fatalf("basic user changing the clipboard delay: %v", err)
	}
	for _, p := range []accounts.Preferences{
		{Theme: "neon", IdleMinutes: 15, ClipboardSeconds: 30, VaultLockMinutes: 5}, {Theme: "dark", IdleMinutes: 0, ClipboardSeconds: 30, VaultLockMinutes: 5},
		{Theme: "dark", IdleMinutes: 241, ClipboardSeconds: 30, VaultLockMinutes: 5}, {Theme: "", IdleMinutes: 15, ClipboardSeconds: 30, VaultLockMinutes: 5},
		{Theme: "dark", IdleMinutes: 15, ClipboardSeconds: 4, VaultLockMinutes: 5}, {Theme: "dark", IdleMinutes: 15, ClipboardSeconds: 601, VaultLockMinutes: 5},
	} {
		if err := c.Accounts.SetPreferences(ctx, u.Admin.ID, p); err == nil {
			t.Errorf("accepted %+v", p)
		}
	}
}

func TestEveryChangeIsAudited(t *testing.T) {
	t.Parallel()
	c, u := seeded(t)
	a := u.Admin.ID
	c.Accounts.SetRole(ctx, a, u.Basic.ID, accounts.Advanced)
	c.Accounts.SetDisabled(ctx, a, u.Basic.ID, true)
	c.Accounts.SetDisabled(ctx, a, u.Basic.ID, false)
	c.Accounts.ResetPassword(ctx, a, u.Basic.ID, "saffron-Tundra-19-quiver")
	c.Accounts.DeleteUser(ctx, a, u.Basic.ID)
	c.Accounts.SignIn(ctx, "ada@acme.test", "wrong-password-here", "test")
	c.Accounts.SignIn(ctx, "ada@acme.test", testkit.AdminPassword, "test")
	c.Accounts.SignOut(ctx, a, "signed out")
	c.Accounts.ChangePassword(ctx, a, testkit.AdminPassword, "granite-Violin-42-harbor")
	want := []string{"account.create", "user.add", "user.add", "user.role", "user.disable", "user.enable",
		"user.reset-password", "user.delete", "user.sign-in-failed", "user.sign-in", "user.sign-out", "user.password-change"}
	rows, err := testkit.DB(t, c.Dir).Query(`SELECT action, actor, detail FROM audit ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var action, actor, detail string
		rows.Scan(&action, &actor, &detail)
		got = append(got, action)
		for _, secret := range []string{testkit.AdminPassword, testkit.BasicPassword, "saffron-Tundra-19-quiver", "wrong-password-here"} {
			if strings.Contains(actor+detail, secret) {
				t.Fatalf("audit row %s holds a password", action)
			}
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("audit actions\n got %v\nwant %v", got, want)
	}
	if res, err := testkit.VerifyAudit(t, c.Dir); err != nil || !res.OK() || res.Checked != len(want) {
		t.Fatalf("verify: %+v %v", res, err)
	}
}

func TestParseRole(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]accounts.Role{"Administrator": accounts.Administrator, "admin": accounts.Administrator,
		" ADVANCED ": accounts.Advanced, "basic": accounts.Basic} {
		if got, err := accounts.ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "root", "Administrators", "<script>"} {
		if _, err := accounts.ParseRole(bad); err == nil {
			t.Errorf("ParseRole(%q) accepted", bad)
		}
	}
}
