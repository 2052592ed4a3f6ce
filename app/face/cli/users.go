package cli

import (
	"context"
	"fmt"
	"io"

	"keysmith/app/core/accounts"
	"keysmith/app/core/errs"
	"keysmith/app/core/team"
	"keysmith/app/face/views"
)

// userCommands: the account, its users and your password.
func userCommands() []command {
	return []command{
		{name: "init", summary: "create the account and its first Administrator",
			usage: "--account NAME --name NAME --email EMAIL [--database postgres://…] [--json] < password",
			help: "Creates the account and its first Administrator. The password is read from standard\ninput (one line), or asked twice on a terminal. --database creates the account in a team\n" +
				"database (PostgreSQL) instead of this computer's SQLite file, so that other machines can\njoin it (keysmith team invite); its password comes from " + team.EnvDatabasePassword + ".",
			run: (*run).initAccount},
		{name: "users list", summary: "list users (Administrators)", usage: "[--json]",
			help: "Lists the account's users.", run: (*run).usersList},
		{name: "users add", summary: "add a user (Administrators)",
			usage: "--name NAME --email EMAIL --role Administrator|Advanced|Basic [--json] < password",
			help:  "Adds a user. The initial password is read from standard input (one line),\nor asked twice on a terminal.",
			run:   (*run).usersAdd},
		{name: "users set-role", summary: "change a user's role (Administrators)",
			usage: "--email EMAIL --role Administrator|Advanced|Basic [--json]",
			help:  "Changes a user's role. The last active Administrator cannot be demoted.",
			run:   (*run).usersSetRole},
		{name: "users disable", summary: "disable a user (Administrators)", usage: "--email EMAIL [--json]",
			help: "Disables a user: they can no longer sign in. The last active Administrator\ncannot be disabled.",
			run:  func(r *run, a []string) error { return r.usersSetDisabled("users disable", a, true) }},
		{name: "users enable", summary: "enable a user (Administrators)", usage: "--email EMAIL [--json]",
			help: "Enables a disabled user.",
			run:  func(r *run, a []string) error { return r.usersSetDisabled("users enable", a, false) }},
		{name: "users reset-password", summary: "set a user's password (Administrators)", usage: "--email EMAIL < password",
			help: "Sets another user's password, read from standard input (one line), or asked\ntwice on a terminal.",
			run:  (*run).usersResetPassword},
		{name: "users delete", summary: "delete a user (Administrators)", usage: "--email EMAIL --yes",
			help: "Deletes a user. --yes confirms. The last active Administrator cannot be deleted.",
			run:  (*run).usersDelete},
		{name: "passwd", summary: "change your own password", usage: "< new-password",
			help: "Changes the signed-in user's password (KEYSMITH_PASSWORD holds the current one).\nThe new password is read from standard input (one line), or asked twice on a terminal.",
			run:  (*run).passwd},
	}
}

func (r *run) initAccount(args []string) error {
	o := options("init")
	account, name, email, asJSON := o.need("account", "account name"), o.need("name", "your name"), o.need("email", "your email"), o.json()
	database := o.String("database", "", "a team database's postgres:// address")
	o.then(func() error {
		if *database == "" {
			return nil
		}
		return databaseAddress("database", *database)
	})
	if err := r.parse(o, args); err != nil {
		return err
	}
	c, err := r.openNew(*database)
	if err != nil {
		return err
	}
	if _, err := c.Accounts.Account(context.Background()); err == nil {
		return errs.ErrAlreadySetUp
	}
	pw, err := r.newPassword("Password")
	if err != nil {
		return err
	}
	u, err := c.Accounts.Setup(context.Background(), *account, accounts.NewUser{Name: *name, Email: *email, Password: pw})
	if err != nil {
		return err
	}
	acc, _ := c.Accounts.Account(context.Background())
	return r.output(*asJSON, map[string]any{"account": acc.Name, "user": views.User(u, u.ID)}, func(w io.Writer) {
		fmt.Fprintf(w, "Created account %s with Administrator %s <%s>.\n", acc.Name, u.Name, u.Email)
	})
}

func (r *run) usersList(args []string) error {
	o := options("users list")
	asJSON := o.json()
	c, id, err := r.signedIn(o, args)
	if err != nil {
		return err
	}
	us, err := c.Accounts.ListUsers(context.Background(), id)
	if err != nil {
		return err
	}
	list := make([]views.UserView, 0, len(us))
	for _, u := range us {
		list = append(list, views.User(u, id))
	}
	return r.output(*asJSON, list, func(w io.Writer) {
		table(w, "NAME\tEMAIL\tROLE\tSTATUS", list, func(v views.UserView) []any {
			return []any{printable(v.Name), printable(v.Email), v.Role, map[bool]string{false: "active", true: "disabled"}[v.Disabled]}
		})
	})
}

func (r *run) usersAdd(args []string) error {
	o := options("users add")
	name, email, role, asJSON := o.need("name", "name"), o.need("email", "email"), parseRole(o), o.json()
	c, id, err := r.signedIn(o, args)
	if err != nil {
		return err
	}
	if _, err := c.Accounts.RequireAdmin(context.Background(), nil, id); err != nil {
		return err
	}
	pw, err := r.newPassword("Initial password")
	if err != nil {
		return err
	}
	u, err := c.Accounts.AddUser(context.Background(), id, accounts.NewUser{Name: *name, Email: *email, Role: *role, Password: pw})
	if err != nil {
		return err
	}
	return r.printUser(*asJSON, u, id, "Added")
}

func (r *run) printUser(asJSON bool, u accounts.User, self int64, verb string) error {
	v := views.User(u, self)
	return r.output(asJSON, v, func(w io.Writer) {
		status := ""
		if u.Disabled {
			status = ", disabled"
		}
		fmt.Fprintf(w, "%s %s <%s> (%s%s).\n", verb, printable(u.Name), printable(u.Email), u.Role, status)
	})
}

// parseRole declares the required --role and checks it once parsed.
func parseRole(o *opts) *accounts.Role {
	text := o.need("role", "role")
	role := new(accounts.Role)
	o.then(func() (err error) {
		*role, err = accounts.ParseRole(*text)
		return asUsage(err)
	})
	return role
}

// target parses args into o with --email and --json, signs in and finds
// that user.
func (r *run) target(o *opts, args []string) (u accounts.User, id int64, asJSON bool, err error) {
	email, j := o.need("email", "the email of the user to act on"), o.json()
	if _, id, err = r.signedIn(o, args); err != nil {
		return u, 0, false, err
	}
	u, err = r.core.Accounts.UserByEmail(context.Background(), id, *email)
	return u, id, *j, notFound(err, "No user has the email %s (users list shows them).", printable(*email))
}

func (r *run) usersSetRole(args []string) error {
	o := options("users set-role")
	role := parseRole(o)
	u, id, asJSON, err := r.target(o, args)
	if err != nil {
		return err
	}
	u, err = r.core.Accounts.SetRole(context.Background(), id, u.ID, *role)
	if err != nil {
		return err
	}
	return r.printUser(asJSON, u, id, "Updated")
}

func (r *run) usersSetDisabled(name string, args []string, disabled bool) error {
	u, id, asJSON, err := r.target(options(name), args)
	if err != nil {
		return err
	}
	u, err = r.core.Accounts.SetDisabled(context.Background(), id, u.ID, disabled)
	if err != nil {
		return err
	}
	verb := "Enabled"
	if disabled {
		verb = "Disabled"
	}
	return r.printUser(asJSON, u, id, verb)
}

func (r *run) usersResetPassword(args []string) error {
	u, id, _, err := r.target(options("users reset-password"), args)
	if err != nil {
		return err
	}
	pw, err := r.newPassword("New password")
	if err != nil {
		return err
	}
	if err := r.core.Accounts.ResetPassword(context.Background(), id, u.ID, pw); err != nil {
		return err
	}
	fmt.Fprintf(r.env.Stdout, "Password reset for %s.\n", printable(u.Email))
	return nil
}

func (r *run) usersDelete(args []string) error {
	o := options("users delete")
	o.confirm()
	u, id, _, err := r.target(o, args)
	if err != nil {
		return err
	}
	if err := r.core.Accounts.DeleteUser(context.Background(), id, u.ID); err != nil {
		return err
	}
	fmt.Fprintf(r.env.Stdout, "Deleted %s.\n", printable(u.Email))
	return nil
}

func (r *run) passwd(args []string) error {
	c, id, err := r.signedIn(options("passwd"), args)
	if err != nil {
		return err
	}
	current := r.env.Getenv(EnvPassword)
	if current == "" {
		// signIn asked on the terminal; ask again rather than keep it around.
		if current, err = r.env.ReadSecret("Current password: "); err != nil {
			return errs.Invalidf("current", "No password was entered.")
		}
	}
	pw, err := r.newPassword("New password")
	if err != nil {
		return err
	}
	if err := c.Accounts.ChangePassword(context.Background(), id, current, pw); err != nil {
		return err
	}
	fmt.Fprintln(r.env.Stdout, "Password changed.")
	return nil
}
