package desktop

import (
	"keysmith/app/core/accounts"
	"keysmith/app/core/errs"
	"keysmith/app/face/views"
)

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

// NewUserRequest adds a user to the account.
type NewUserRequest struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Role     string `json:"role"`
	Password string `json:"password"`
	Confirm  string `json:"confirm"`
}
