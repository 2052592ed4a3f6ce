package desktop_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"keysmith/app/face/views"

	"keysmith/app/core"
	"keysmith/app/core/audit"
	"keysmith/app/core/errs"
	"keysmith/app/core/store"
	"keysmith/app/face/desktop"
	"keysmith/app/face/logfmt"
	"keysmith/app/testkit"
)

const (
	msgForbidden = "Only account Administrators can do that."
	msgSignedOut = "You are signed out. Sign in again."
)

func newApp(t *testing.T, c *core.Core) *desktop.App {
	return desktop.New(c, nil, logfmt.Discard())
}

func seeded(t *testing.T) (*desktop.App, *core.Core, testkit.Users, *testkit.Clock) {
	clock := testkit.NewClock()
	c := testkit.Open(t, clock)
	return newApp(t, c), c, testkit.Seed(t, c), clock
}

func TestFirstRunSetupSignsIn(t *testing.T) {
	t.Parallel()
	c := testkit.Open(t, testkit.NewClock())
	a := newApp(t, c)
	st, err := a.State()
	if err != nil || !st.NeedsSetup || st.User != nil {
		t.Fatalf("fresh state %+v %v", st, err)
	}
	_, err = a.Setup(desktop.SetupRequest{Account: "Acme", Name: "Ann", Email: "ann@acme.test",
		Password: testkit.AdminPassword, Confirm: testkit.AdminPassword + "x"})
	if err == nil || err.Error() != "Password and confirmation do not match." {
		t.Fatalf("mismatch: %v", err)
	}
	st, err = a.Setup(desktop.SetupRequest{Account: "Acme", Name: "Ann", Email: "ann@acme.test",
		Password: testkit.AdminPassword, Confirm: testkit.AdminPassword})
	if err != nil || st.NeedsSetup || st.User == nil || st.User.Role != "Administrator" || st.Account != "Acme" {
		t.Fatalf("after setup %+v %v", st, err)
	}
	if err := a.SignOut(); err != nil {
		t.Fatal(err)
	}
	if st, _ := a.State(); st.User != nil || st.NeedsSetup {
		t.Fatalf("after sign out %+v", st)
	}
	if _, err := a.SignIn("ann@acme.test", "nope-nope-nope"); err == nil || err.Error() != "The email or password is incorrect." {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := a.SignIn("nobody@acme.test", "nope-nope-nope"); err == nil || err.Error() != "The email or password is incorrect." {
		t.Fatalf("unknown email: %v", err)
	}
	if st, err := a.SignIn("ann@acme.test", testkit.AdminPassword); err != nil || st.User == nil {
		t.Fatalf("sign in: %+v %v", st, err)
	}
}

func TestIdleSignOut(t *testing.T) {
	t.Parallel()
	a, c, _, clock := seeded(t)
	ev := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	desktop.Attach(ctx, a, desktop.Window{Emit: ev.emit})
	defer desktop.Detach(ctx, a)
	if _, err := a.SignIn("ada@acme.test", testkit.AdminPassword); err != nil {
		t.Fatal(err)
	}
	clock.Advance(14 * time.Minute)
	if err := a.Touch(); err != nil {
		t.Fatalf("active after 14 min: %v", err)
	}
	clock.Advance(14 * time.Minute)
	if _, err := a.ListUsers(); err != nil {
		t.Fatalf("activity should postpone sign-out: %v", err)
	}
	clock.Advance(15 * time.Minute)
	if _, err := a.ListUsers(); err == nil || err.Error() != msgSignedOut {
		t.Fatalf("after 15 idle minutes: %v", err)
	}
	if st, _ := a.State(); st.User != nil {
		t.Fatal("still signed in")
	}
	if got := ev.sent(); got != desktop.EventSessionEnded {
		t.Fatalf("events %q, want one %s", got, desktop.EventSessionEnded)
	}
	var detail string
	testkit.DB(t, c.Dir).QueryRow(`SELECT detail FROM audit WHERE action = 'user.sign-out' ORDER BY seq DESC`).Scan(&detail)
	if detail != "idle" {
		t.Fatalf("sign-out reason %q", detail)
	}

	// The delay is configurable.
	if _, err := a.SignIn("ada@acme.test", testkit.AdminPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SaveSettings(desktop.Settings{IdleMinutes: 2, ClipboardSeconds: 30, VaultLockMinutes: 5, Theme: "dark"}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(3 * time.Minute)
	if err := a.Touch(); err == nil {
		t.Fatal("2-minute idle setting ignored")
	}
}

func TestAPISettingsGate(t *testing.T) {
	t.Parallel()
	a, c, u, _ := seeded(t)
	ctx := context.Background()
	// A second, disabled administrator is not a contact.
	c.Accounts.SetRole(ctx, u.Admin.ID, u.Advanced.ID, "Administrator")
	c.Accounts.SetDisabled(ctx, u.Admin.ID, u.Advanced.ID, true)
	if _, err := a.SignIn("bea@acme.test", testkit.BasicPassword); err != nil {
		t.Fatal(err)
	}
	v, err := a.APISettings()
	if err != nil {
		t.Fatal(err)
	}
	if v.CanManage || !strings.Contains(v.Message, "Only account Administrators can create and manage API keys") ||
		!strings.Contains(v.Message, "contact your account administrator") {
		t.Fatalf("basic view %+v", v)
	}
	if len(v.Administrators) != 1 || v.Administrators[0] != (desktop.Contact{Name: "Ada Admin", Email: "ada@acme.test"}) {
		t.Fatalf("contacts %+v", v.Administrators)
	}
	a.SignIn("ada@acme.test", testkit.AdminPassword)
	v, _ = a.APISettings()
	if !v.CanManage || v.Message != "" {
		t.Fatalf("admin view %+v", v)
	}
}

func TestUsersThroughFacade(t *testing.T) {
	t.Parallel()
	a, _, u, _ := seeded(t)
	a.SignIn("ada@acme.test", testkit.AdminPassword)
	nu, err := a.AddUser(desktop.NewUserRequest{Name: "Cy", Email: "cy@acme.test", Role: "Advanced",
		Password: "granite-Violin-42-harbor", Confirm: "granite-Violin-42-harbor"})
	if err != nil || nu.Role != "Advanced" || nu.IsSelf {
		t.Fatalf("add %+v %v", nu, err)
	}
	if _, err := a.AddUser(desktop.NewUserRequest{Name: "Cy", Email: "cy2@acme.test", Role: "Basic",
		Password: "granite-Violin-42-harbor", Confirm: "other"}); err == nil || !strings.Contains(err.Error(), "do not match") {
		t.Fatalf("mismatch %v", err)
	}
	if v, err := a.SetUserRole(nu.ID, "Basic"); err != nil || v.Role != "Basic" {
		t.Fatalf("role %+v %v", v, err)
	}
	if v, err := a.SetUserDisabled(nu.ID, true); err != nil || !v.Disabled {
		t.Fatalf("disable %+v %v", v, err)
	}
	if err := a.ResetUserPassword(nu.ID, "saffron-Tundra-19-quiver", "saffron-Tundra-19-quiver"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SetUserDisabled(u.Admin.ID, true); err == nil || err.Error() != "The account must keep at least one active Administrator." {
		t.Fatalf("last admin: %v", err)
	}
	if err := a.DeleteUser(nu.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteUser(nu.ID); err == nil || !strings.Contains(err.Error(), "no longer exists") {
		t.Fatalf("delete twice: %v", err)
	}
	list, _ := a.ListUsers()
	if len(list) != 3 {
		t.Fatalf("users %d", len(list))
	}
	page, err := a.ListAudit(desktop.AuditFilter{Query: "cy@acme.test"})
	if err != nil || page.Total != 5 {
		t.Fatalf("audit for cy: %d %v", page.Total, err)
	}
	if r, err := a.VerifyAudit(); err != nil || !r.OK || r.Checked != 9 {
		t.Fatalf("verify %+v %v", r, err)
	}
}

func TestOpenErrorIsShownSafely(t *testing.T) {
	t.Parallel()
	a := desktop.New(nil, errs.ErrNewerDatabase, logfmt.Discard())
	if _, err := a.State(); err == nil || !strings.Contains(err.Error(), "newer version of Keysmith") {
		t.Fatalf("state: %v", err)
	}
	if _, err := a.SignIn("a@b.co", "x"); err == nil {
		t.Fatal("sign in with no database")
	}
}

// adminOnly is true for every bound method a non-administrator is refused.
// Methods open to every signed-in user are listed here; any new bound method
// is admin-only unless added, so the sweep below covers it automatically.
var openToAll = map[string]bool{
	"State": true, "Setup": true, "SignIn": true, "SignOut": true, "Touch": true,
	"ChangePassword": true, "APISettings": true, "GetSettings": true, "SaveSettings": true,
	"DismissSecret": true,
	// Every user has their own vault; TestVaultIsPerUser covers who may open which.
	"VaultStatus": true, "VaultSetup": true, "VaultUnlock": true, "VaultUnlockWithRecovery": true, "VaultLock": true,
	"VaultList": true, "VaultReveal": true, "VaultCopy": true, "VaultAdd": true, "VaultEdit": true, "VaultDelete": true,
	"VaultSaveCredential": true, "VaultChangePassphrase": true, "VaultNewRecoveryCode": true, "VaultRemoveRecoveryCode": true,
	"VaultExport": true, "VaultImport": true, "VaultRotateKey": true,
	// Where the account lives; forgetting a passphrase shown once.
	"TeamStatus": true, "DismissInvitationPassphrase": true,
	// The clipboard is the user's: these only time the clearing of a copy.
	"ExtendClipboard": true, "KeepClipboard": true,
	// Each user's own vault's recovery code, while its dialog is open.
	"CopyRecoveryCode": true, "RecoverySheet": true, "SaveRecoveryCode": true, "DismissRecoveryCode": true,
}

// firstRunOnly are the first-run screen's methods besides Setup: open to
// whoever sits at a window with no account yet, refused as already set up
// once there is one, signed in or not.
var firstRunOnly = map[string]bool{
	"ChooseInvitation": true, "OpenInvitation": true, "JoinTeam": true, "CreateTeamAccount": true, "CancelJoin": true,
}

// args builds plausible arguments for m, aimed at target.
func args(t *testing.T, m reflect.Method, target int64) []reflect.Value {
	var out []reflect.Value
	for i := 1; i < m.Type.NumIn(); i++ { // 0 is the receiver
		typ := m.Type.In(i)
		v := reflect.New(typ).Elem()
		switch typ.Kind() {
		case reflect.Int64, reflect.Int:
			v.SetInt(target)
		case reflect.String:
			v.SetString("Administrator")
		case reflect.Bool:
			v.SetBool(true)
		case reflect.Struct:
			for j := 0; j < v.NumField(); j++ {
				f := v.Field(j)
				switch f.Kind() {
				case reflect.String:
					f.SetString(map[string]string{"Email": "new@acme.test", "Role": "Administrator", "Theme": "dark"}[typ.Field(j).Name])
					if f.String() == "" {
						f.SetString("saffron-Tundra-19-quiver")
					}
				case reflect.Int:
					f.SetInt(60)
				}
			}
		default:
			t.Fatalf("%s: add a sample for %s", m.Name, typ)
		}
		out = append(out, v)
	}
	return out
}

func callErr(out []reflect.Value) error {
	last := out[len(out)-1]
	if last.IsNil() {
		return nil
	}
	return last.Interface().(error)
}

func TestAuthorizationSweep(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeOf(&desktop.App{})
	for _, who := range []struct{ role, email, password string }{
		{"Basic", "bea@acme.test", testkit.BasicPassword},
		{"Advanced", "avi@acme.test", testkit.AdvancedPassword},
		{"signed out", "", ""},
	} {
		for i := 0; i < typ.NumMethod(); i++ {
			m := typ.Method(i)
			if m.Name == "SignIn" || (who.email != "" && (openToAll[m.Name] || firstRunOnly[m.Name])) {
				continue
			}
			t.Run(who.role+"/"+m.Name, func(t *testing.T) {
				a, c, u, _ := seeded(t)
				if who.email != "" {
					if _, err := a.SignIn(who.email, who.password); err != nil {
						t.Fatal(err)
					}
				}
				before := testkit.Snapshot(t, testkit.DB(t, c.Dir))
				out := m.Func.Call(append([]reflect.Value{reflect.ValueOf(a)}, args(t, m, u.Admin.ID)...))
				err := callErr(out)
				want := msgForbidden
				if who.email == "" {
					want = msgSignedOut
				}
				switch {
				case who.email == "" && m.Name == "State":
					if err != nil || out[0].Interface().(desktop.State).User != nil {
						t.Fatalf("State signed out: %v", err)
					}
				case who.email == "" && firstRunOnly[m.Name]:
					if err == nil || err.Error() != errs.Message(errs.ErrAlreadySetUp) {
						t.Fatalf("%s with an account set up: %v", m.Name, err)
					}
				case who.email == "" && m.Name == "Setup":
					if err == nil || !strings.Contains(err.Error(), "already set up") {
						t.Fatalf("Setup again: %v", err)
					}
				case who.email == "" && m.Name == "SignOut":
					if err != nil {
						t.Fatalf("SignOut: %v", err)
					}
				default:
					if err == nil || err.Error() != want {
						t.Fatalf("%s as %s: err = %v, want %q", m.Name, who.role, err, want)
					}
				}
				if after := testkit.Snapshot(t, testkit.DB(t, c.Dir)); after != before {
					t.Fatalf("%s as %s changed the database", m.Name, who.role)
				}
			})
		}
	}
}

// TestNaughtyStrings throws every string of the Big List of Naughty Strings
// at every text field of the bound API: each is refused with a specific
// message or stored verbatim, and a refusal saves nothing.
func TestNaughtyStrings(t *testing.T) {
	t.Parallel()
	a, c, u, _ := seeded(t)
	if _, err := a.SignIn("ada@acme.test", testkit.AdminPassword); err != nil {
		t.Fatal(err)
	}
	generic := errs.Message(context.Canceled)
	check := func(t *testing.T, field, s string, err error, stored func() string) {
		t.Helper()
		if err != nil {
			if err.Error() == generic || err.Error() == "" {
				t.Fatalf("%s %q: unclear error %q", field, s, err)
			}
			return
		}
		if got := stored(); got != strings.TrimSpace(s) {
			t.Fatalf("%s %q stored as %q", field, s, got)
		}
	}
	users := func() int { return testkit.Count(t, testkit.DB(t, c.Dir), "users") }
	for i, s := range testkit.BLNS(t) {
		email := "naughty" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + "@acme.test"
		for _, f := range []struct {
			field       string
			name, email string
			stored      func(views.UserView) string
		}{
			{"name", s, email, func(v views.UserView) string { return v.Name }},
			{"email", "N", s, func(v views.UserView) string { return v.Email }},
		} {
			n := users()
			v, err := a.AddUser(desktop.NewUserRequest{Name: f.name, Email: f.email, Role: "Basic",
				Password: "saffron-Tundra-19-quiver", Confirm: "saffron-Tundra-19-quiver"})
			check(t, f.field, s, err, func() string { return f.stored(v) })
			if err != nil && users() != n {
				t.Fatalf("refused %s %q saved a user", f.field, s)
			}
			if err == nil {
				a.DeleteUser(v.ID)
			}
		}
		_, err := a.AddUser(desktop.NewUserRequest{Name: "N", Email: "p@acme.test", Role: s, Password: s, Confirm: s})
		if err == nil {
			t.Fatalf("role %q accepted", s)
		}
		if _, err := a.SetUserRole(u.Basic.ID, s); err == nil && strings.TrimSpace(strings.ToLower(s)) != "basic" {
			t.Fatalf("role %q accepted", s)
		}
		if _, err := a.SaveSettings(desktop.Settings{IdleMinutes: 15, ClipboardSeconds: 30, VaultLockMinutes: 5, Theme: s}); err == nil && s != "dark" && s != "light" && s != "system" {
			t.Fatalf("theme %q accepted", s)
		}
		if _, err := a.ListAudit(desktop.AuditFilter{Query: s}); err != nil {
			t.Fatalf("audit query %q: %v", s, err)
		}
		if err := a.ChangePassword(s, s, s); err == nil {
			t.Fatalf("password change with %q accepted", s)
		}
	}
	// Sign-in with naughty emails from a signed-out window.
	a.SignOut()
	for _, s := range testkit.BLNS(t)[:60] {
		if _, err := a.SignIn(s, s); err == nil {
			t.Fatalf("sign in with %q", s)
		}
	}
	if r, err := testkit.VerifyAudit(t, c.Dir); err != nil || !r.OK() {
		t.Fatalf("audit after naughty strings: %+v %v", r, err)
	}
}

func TestNaughtyAccountNames(t *testing.T) {
	t.Parallel()
	for _, s := range testkit.BLNS(t) {
		c := testkit.Open(t, testkit.NewClock())
		a := newApp(t, c)
		st, err := a.Setup(desktop.SetupRequest{Account: s, Name: "Ann", Email: "ann@acme.test",
			Password: testkit.AdminPassword, Confirm: testkit.AdminPassword})
		if err != nil {
			if testkit.Count(t, testkit.DB(t, c.Dir), "account")+testkit.Count(t, testkit.DB(t, c.Dir), "users") != 0 {
				t.Fatalf("refused account %q was half-saved", s)
			}
			continue
		}
		if st.Account != strings.TrimSpace(s) {
			t.Fatalf("account %q stored as %q", s, st.Account)
		}
	}
}

// The first screen does not wait for the whole-database check, but nothing
// that writes runs before it passes: a damaged database is reported at
// sign-in and left as it was.
func TestDeferredCheckRefusesDamagedDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := testkit.OpenDir(t, dir, testkit.NewClock())
	testkit.Seed(t, c)
	testkit.Fill(t, c, 2000)
	c.Close()
	path := filepath.Join(dir, store.FileName)
	db, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(db) / 2; i < len(db); i++ {
		db[i] = 0xA5
	}
	if err := os.WriteFile(path, db, 0o600); err != nil {
		t.Fatal(err)
	}
	p := testkit.CheapParams
	opened, err := core.Open(context.Background(), dir, core.Options{Params: &p, CheckLater: true})
	if err != nil {
		t.Fatalf("open with the check deferred: %v", err)
	}
	defer opened.Close()
	a := desktop.NewOpening(logfmt.Discard())
	desktop.Opened(a, opened, nil)
	if _, err := a.SignIn("ann@acme.test", testkit.AdminPassword); err == nil || !strings.Contains(err.Error(), "cannot be read") {
		t.Fatalf("sign-in on a damaged database: %v", err)
	}
	if _, err := a.State(); err == nil || !strings.Contains(err.Error(), "cannot be read") {
		t.Fatalf("state after the check failed: %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, db) {
		t.Error("the damaged database was written")
	}
}

func TestAuditRetentionAndUnprovenVerify(t *testing.T) {
	t.Parallel()
	a, c, u, _ := seeded(t)
	if _, err := a.SignIn("avi@acme.test", testkit.AdvancedPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SetAuditRetention(90); err == nil || !strings.Contains(err.Error(), "Only account Administrators") {
		t.Fatalf("Advanced sets retention: %v", err)
	}
	if _, err := a.AuditRetention(); err == nil {
		t.Fatal("Advanced reads retention")
	}
	a.SignOut()
	if _, err := a.SignIn(u.Admin.Email, testkit.AdminPassword); err != nil {
		t.Fatal(err)
	}
	if d, err := a.AuditRetention(); err != nil || d != 0 {
		t.Fatalf("default retention %d %v", d, err)
	}
	if _, err := a.SetAuditRetention(10); err == nil || !strings.Contains(err.Error(), "between 30 and 3650") {
		t.Fatalf("10 days: %v", err)
	}
	if d, err := a.SetAuditRetention(365); err != nil || d != 365 {
		t.Fatalf("365 days: %d %v", d, err)
	}
	if r, err := a.VerifyAudit(); err != nil || !r.OK || r.Status != "intact" {
		t.Fatalf("verify: %+v %v", r, err)
	}
	os.Remove(filepath.Join(c.Dir, audit.HeadFileName))
	if r, err := a.VerifyAudit(); err != nil || r.OK || r.Status != "unproven" || !strings.Contains(r.Problem, "head file") {
		t.Fatalf("verify without the head file: %+v %v", r, err)
	}
	testkit.DB(t, c.Dir).Exec(`DROP TRIGGER audit_no_delete`)
	testkit.DB(t, c.Dir).Exec(`DELETE FROM audit WHERE seq > 3`)
	if r, err := a.VerifyAudit(); err != nil || r.OK || r.Status != "tampered" {
		t.Fatalf("verify after removing rows: %+v %v", r, err)
	}
}
