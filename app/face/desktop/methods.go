package desktop

import (
	"keysmith/app/core/accounts"
	"keysmith/app/core/audit"
	"keysmith/app/core/errs"
	"keysmith/app/face/views"
)

// PlatformMessage is the API Settings notice for Advanced and Basic users.
const PlatformMessage = "Only account Administrators can create and manage API keys. " +
	"Users with Basic and Advanced permissions cannot configure these settings; " +
	"please contact your account administrator for assistance."

// State tells the window which screen to show.
func (a *App) State() (State, error) {
	<-a.readable
	err := a.openErr
	select {
	case <-a.ready:
		err = a.checkErr
	default: // still checking: reading is safe
	}
	if err != nil {
		return State{}, a.fail("state", err)
	}
	ctx := a.ctx()
	acc, err := a.core.Accounts.Account(ctx)
	if err == errs.ErrNotSetUp {
		return State{NeedsSetup: true, Settings: Settings{IdleMinutes: 15, ClipboardSeconds: 30, VaultLockMinutes: 5, Theme: "system"}}, nil
	}
	if err != nil {
		return State{}, a.fail("state", err)
	}
	st := State{Account: acc.Name, Settings: Settings{IdleMinutes: acc.IdleMinutes, ClipboardSeconds: acc.ClipboardSeconds, VaultLockMinutes: 5, Theme: "system"}}
	a.checkIdle(ctx)
	a.mu.Lock()
	id := a.userID
	a.mu.Unlock()
	if id == 0 {
		return st, nil
	}
	u, err := a.core.Accounts.Actor(ctx, id)
	if err != nil {
		a.fail("state", err)
		return st, nil
	}
	v := views.User(u, id)
	st.User, st.Settings.Theme, st.Settings.VaultLockMinutes = &v, u.Theme, u.VaultLockMinutes
	return st, nil
}

// Setup creates the account and its first Administrator, and signs them in.
func (a *App) Setup(req SetupRequest) (State, error) {
	a.await()
	if a.checkErr != nil {
		return State{}, a.fail("setup", a.checkErr)
	}
	if req.Password != req.Confirm {
		return State{}, a.fail("setup", errs.Invalidf("confirm", "Password and confirmation do not match."))
	}
	u, err := a.core.Accounts.Setup(a.ctx(), req.Account, accounts.NewUser{
		Name: req.Name, Email: req.Email, Password: req.Password})
	if err != nil {
		return State{}, a.fail("setup", err)
	}
	a.signIn(u)
	return a.State()
}

// SignIn signs a user in.
func (a *App) SignIn(email, password string) (State, error) {
	a.await()
	if a.checkErr != nil {
		return State{}, a.fail("sign-in", a.checkErr)
	}
	a.signOut(a.ctx(), "another sign-in")
	u, err := a.core.Accounts.SignIn(a.ctx(), email, password, "window")
	if err != nil {
		return State{}, a.fail("sign-in", err)
	}
	a.signIn(u)
	return a.State()
}

// SignOut ends the session.
func (a *App) SignOut() error {
	a.signOut(a.ctx(), "signed out")
	return nil
}

// Touch records user activity, postponing the idle sign-out.
func (a *App) Touch() error {
	_, err := a.session(a.ctx())
	return a.fail("touch", err)
}

// ChangePassword changes the signed-in user's own password.
func (a *App) ChangePassword(current, next, confirm string) error {
	id, err := a.session(a.ctx())
	if err != nil {
		return a.fail("change-password", err)
	}
	if next != confirm {
		return a.fail("change-password", errs.Invalidf("confirm", "New password and confirmation do not match."))
	}
	return a.fail("change-password", a.core.Accounts.ChangePassword(a.ctx(), id, current, next))
}

// ListUsers lists the account's users (Administrators only).
func (a *App) ListUsers() ([]views.UserView, error) {
	id, err := a.session(a.ctx())
	if err != nil {
		return nil, a.fail("list-users", err)
	}
	us, err := a.core.Accounts.ListUsers(a.ctx(), id)
	if err != nil {
		return nil, a.fail("list-users", err)
	}
	out := make([]views.UserView, 0, len(us))
	for _, u := range us {
		out = append(out, views.User(u, id))
	}
	return out, nil
}

// AddUser adds a user (Administrators only).
func (a *App) AddUser(req NewUserRequest) (views.UserView, error) {
	return a.userChange("add-user", func(id int64) (accounts.User, error) {
		if req.Password != req.Confirm {
			return accounts.User{}, errs.Invalidf("confirm", "Password and confirmation do not match.")
		}
		return a.core.Accounts.AddUser(a.ctx(), id, accounts.NewUser{
			Name: req.Name, Email: req.Email, Role: accounts.Role(req.Role), Password: req.Password})
	})
}

// SetUserRole changes a user's role (Administrators only).
func (a *App) SetUserRole(userID int64, role string) (views.UserView, error) {
	return a.userChange("set-role", func(id int64) (accounts.User, error) {
		return a.core.Accounts.SetRole(a.ctx(), id, userID, accounts.Role(role))
	})
}

// SetUserDisabled disables or enables a user (Administrators only).
func (a *App) SetUserDisabled(userID int64, disabled bool) (views.UserView, error) {
	return a.userChange("set-disabled", func(id int64) (accounts.User, error) {
		return a.core.Accounts.SetDisabled(a.ctx(), id, userID, disabled)
	})
}

func (a *App) userChange(op string, fn func(actor int64) (accounts.User, error)) (views.UserView, error) {
	id, err := a.session(a.ctx())
	if err != nil {
		return views.UserView{}, a.fail(op, err)
	}
	u, err := fn(id)
	if err != nil {
		return views.UserView{}, a.fail(op, err)
	}
	return views.User(u, id), nil
}

// ResetUserPassword sets another user's password (Administrators only).
func (a *App) ResetUserPassword(userID int64, password, confirm string) error {
	id, err := a.session(a.ctx())
	if err != nil {
		return a.fail("reset-password", err)
	}
	if password != confirm {
		return a.fail("reset-password", errs.Invalidf("confirm", "Password and confirmation do not match."))
	}
	return a.fail("reset-password", a.core.Accounts.ResetPassword(a.ctx(), id, userID, password))
}

// DeleteUser removes a user (Administrators only).
func (a *App) DeleteUser(userID int64) error {
	id, err := a.session(a.ctx())
	if err != nil {
		return a.fail("delete-user", err)
	}
	return a.fail("delete-user", a.core.Accounts.DeleteUser(a.ctx(), id, userID))
}

// APISettings is the API Settings page's permission gate.
func (a *App) APISettings() (APISettingsView, error) {
	id, err := a.session(a.ctx())
	if err != nil {
		return APISettingsView{}, a.fail("api-settings", err)
	}
	me, err := a.core.Accounts.Actor(a.ctx(), id)
	if err != nil {
		return APISettingsView{}, a.fail("api-settings", err)
	}
	admins, err := a.core.Accounts.Administrators(a.ctx(), id)
	if err != nil {
		return APISettingsView{}, a.fail("api-settings", err)
	}
	v := APISettingsView{CanManage: me.Role == accounts.Administrator, Administrators: []Contact{}}
	if !v.CanManage {
		v.Message = PlatformMessage
	}
	for _, u := range admins {
		v.Administrators = append(v.Administrators, Contact{Name: u.Name, Email: u.Email})
	}
	return v, nil
}

// GetSettings returns the General settings in force for the signed-in user.
func (a *App) GetSettings() (Settings, error) {
	if _, err := a.session(a.ctx()); err != nil {
		return Settings{}, a.fail("get-settings", err)
	}
	st, err := a.State()
	return st.Settings, err
}

// SaveSettings saves the theme and, for Administrators, the idle minutes.
func (a *App) SaveSettings(s Settings) (State, error) {
	id, err := a.session(a.ctx())
	if err != nil {
		return State{}, a.fail("save-settings", err)
	}
	if err := a.core.Accounts.SetPreferences(a.ctx(), id, accounts.Preferences{
		Theme: s.Theme, IdleMinutes: s.IdleMinutes, ClipboardSeconds: s.ClipboardSeconds, VaultLockMinutes: s.VaultLockMinutes}); err != nil {
		return State{}, a.fail("save-settings", err)
	}
	return a.State()
}

// ListAudit returns a page of the audit log (Administrators only).
func (a *App) ListAudit(f AuditFilter) (views.AuditPage, error) {
	id, err := a.session(a.ctx())
	if err != nil {
		return views.AuditPage{}, a.fail("list-audit", err)
	}
	es, total, err := a.core.ListAudit(a.ctx(), id, audit.Filter{Query: f.Query, Target: f.Target, Limit: f.Limit, Offset: f.Offset})
	if err != nil {
		return views.AuditPage{}, a.fail("list-audit", err)
	}
	return views.Audit(es, total), nil
}

// VerifyAudit checks the audit chain (Administrators only).
func (a *App) VerifyAudit() (views.AuditVerifyResult, error) {
	id, err := a.session(a.ctx())
	if err != nil {
		return views.AuditVerifyResult{}, a.fail("verify-audit", err)
	}
	r, err := a.core.VerifyAudit(a.ctx(), id)
	if err != nil {
		return views.AuditVerifyResult{}, a.fail("verify-audit", err)
	}
	return views.Verify(r), nil
}

// AuditRetention returns how many days audit entries are kept, 0 for
// forever (Administrators only).
func (a *App) AuditRetention() (int, error) {
	id, err := a.session(a.ctx())
	if err == nil {
		_, err = a.core.Accounts.RequireAdmin(a.ctx(), nil, id)
	}
	var days int
	if err == nil {
		days, err = a.core.AuditKeepDays(a.ctx())
	}
	return days, a.fail("audit-retention", err)
}

// SetAuditRetention sets how many days audit entries are kept: 0 for
// forever, otherwise 30 to 3650 (Administrators only; audited).
func (a *App) SetAuditRetention(days int) (int, error) {
	id, err := a.session(a.ctx())
	if err == nil {
		err = a.core.SetAuditKeepDays(a.ctx(), id, days)
	}
	if err != nil {
		return 0, a.fail("set-audit-retention", err)
	}
	return a.AuditRetention()
}
