package desktop

import (
	"keysmith/app/core/accounts"
	"keysmith/app/core/errs"
	"keysmith/app/face/views"
)

// State tells the window which screen to show.
func (a *App) State() (State, error) {
	<-a.readable
	a.mu.Lock()
	c, err := a.core, a.openErr
	select {
	case <-a.ready:
		err = a.checkErr
	default: // still checking: reading is safe
	}
	a.mu.Unlock()
	if err != nil {
		return State{}, a.fail("state", err)
	}
	ctx := a.ctx()
	acc, err := c.Accounts.Account(ctx)
	if err == errs.ErrNotSetUp {
		return State{NeedsSetup: true, Team: c.Team(), Settings: Settings{IdleMinutes: 15, ClipboardSeconds: 30, VaultLockMinutes: 5, Theme: "system"}}, nil
	}
	if err != nil {
		return State{}, a.fail("state", err)
	}
	st := State{Account: acc.Name, Team: c.Team(), Settings: Settings{IdleMinutes: acc.IdleMinutes, ClipboardSeconds: acc.ClipboardSeconds, VaultLockMinutes: 5, Theme: "system"}}
	a.checkIdle(ctx)
	a.mu.Lock()
	id := a.userID
	a.mu.Unlock()
	if id == 0 {
		return st, nil
	}
	u, err := c.Accounts.Actor(ctx, id)
	if err != nil {
		a.fail("state", err)
		return st, nil
	}
	v := views.User(u, id)
	st.User, st.Settings.Theme, st.Settings.VaultLockMinutes = &v, u.Theme, u.VaultLockMinutes
	return st, nil
}

// Setup creates the account and its first Administrator, and signs them in.
// It waits for a join under way (team.go), which may put another core in
// place.
func (a *App) Setup(req SetupRequest) (State, error) {
	a.joining.mu.Lock()
	defer a.joining.mu.Unlock()
	c, err := a.current()
	if err != nil {
		return State{}, a.fail("setup", err)
	}
	if req.Password != req.Confirm {
		return State{}, a.fail("setup", errs.Invalidf("confirm", "Password and confirmation do not match."))
	}
	u, err := c.Accounts.Setup(a.ctx(), req.Account, accounts.NewUser{
		Name: req.Name, Email: req.Email, Password: req.Password})
	if err != nil {
		return State{}, a.fail("setup", err)
	}
	a.signIn(u)
	return a.State()
}

// SignIn signs a user in, on the core in place once any join under way
// has ended.
func (a *App) SignIn(email, password string) (State, error) {
	a.joining.mu.Lock()
	defer a.joining.mu.Unlock()
	c, err := a.current()
	if err != nil {
		return State{}, a.fail("sign-in", err)
	}
	a.signOut(a.ctx(), "another sign-in")
	u, err := c.Accounts.SignIn(a.ctx(), email, password, "window")
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
	return a.actAs("change-password", func(id int64) error {
		if next != confirm {
			return errs.Invalidf("confirm", "New password and confirmation do not match.")
		}
		return a.core.Accounts.ChangePassword(a.ctx(), id, current, next)
	})
}

// State is what the window needs to decide which screen to show.
type State struct {
	// NeedsSetup is true until the account and its first Administrator exist.
	NeedsSetup bool `json:"needsSetup"`
	// Account is the business name, empty before setup.
	Account string `json:"account"`
	// Team is the address of the team database the account lives in,
	// without its password; "" when it lives on this computer.
	Team string `json:"team"`
	// User is the signed-in user, nil when signed out.
	User *views.UserView `json:"user"`
	// Settings holds the General settings in force.
	Settings Settings `json:"settings"`
}

// SetupRequest creates the account and its first Administrator.
type SetupRequest struct {
	Account  string `json:"account"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Password string `json:"password"`
	Confirm  string `json:"confirm"`
}
