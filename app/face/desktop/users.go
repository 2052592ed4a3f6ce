package desktop

import (
	"keysmith/app/core/accounts"
	"keysmith/app/core/errs"
	"keysmith/app/face/views"
)

// ListUsers lists the account's users (Administrators only).
func (a *App) ListUsers() ([]views.UserView, error) {
	return asUser(a, "list-users", func(id int64) ([]views.UserView, error) {
		us, err := a.core.Accounts.ListUsers(a.ctx(), id)
		if err != nil {
			return nil, err
		}
		out := make([]views.UserView, 0, len(us))
		for _, u := range us {
			out = append(out, views.User(u, id))
		}
		return out, nil
	})
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
	return asUser(a, op, func(id int64) (views.UserView, error) {
		u, err := fn(id)
		if err != nil {
			return views.UserView{}, err
		}
		return views.User(u, id), nil
	})
}

// ResetUserPassword sets another user's password (Administrators only).
func (a *App) ResetUserPassword(userID int64, password, confirm string) error {
	return a.actAs("reset-password", func(id int64) error {
		if password != confirm {
			return errs.Invalidf("confirm", "Password and confirmation do not match.")
		}
		return a.core.Accounts.ResetPassword(a.ctx(), id, userID, password)
	})
}

// DeleteUser removes a user (Administrators only).
func (a *App) DeleteUser(userID int64) error {
	return a.actAs("delete-user", func(id int64) error {
		return a.core.Accounts.DeleteUser(a.ctx(), id, userID)
	})
}

// NewUserRequest adds a user to the account.
type NewUserRequest struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Role     string `json:"role"`
	Password string `json:"password"`
	Confirm  string `json:"confirm"`
}
