package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"keysmith/app/core/accounts"
	"keysmith/app/core/errs"
	"keysmith/app/face/views"
)

// userCommands: the account, its users and your password.
func userCommands() []command {
	return []command{
		{name: "init", summary: "create the account and its first Administrator",
			usage: "--account NAME --name NAME --email EMAIL [--json] < password",
			help:  "Creates the account and its first Administrator. The password is read from standard\ninput (one line), or asked twice on a terminal.",
			run:   (*run).initAccount},
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
	v, asJSON, err := r.parseRequired("init", args, "account", "name", "email")
	if err != nil {
		return err
	}
	c, err := r.open(true)
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
	u, err := c.Accounts.Setup(context.Background(), v["account"], accounts.NewUser{Name: v["name"], Email: v["email"], Password: pw})
	if err != nil {
		return err
	}
	acc, _ := c.Accounts.Account(context.Background())
	return r.output(asJSON, map[string]any{"account": acc.Name, "user": views.User(u, u.ID)}, func(w io.Writer) {
		fmt.Fprintf(w, "Created account %s with Administrator %s <%s>.\n", acc.Name, u.Name, u.Email)
	})
}

func (r *run) usersList(args []string) error {
	const name = "users list"
	asJSON, err := r.jsonOnly(name, args)
	if err != nil {
		return err
	}
	c, id, err := r.signIn()
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
	return r.output(asJSON, list, func(w io.Writer) {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tEMAIL\tROLE\tSTATUS")
		for _, v := range list {
			status := "active"
			if v.Disabled {
				status = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", printable(v.Name), printable(v.Email), v.Role, status)
		}
		tw.Flush()
	})
}

func (r *run) usersAdd(args []string) error {
	v, asJSON, err := r.parseRequired("users add", args, "name", "email", "role")
	if err != nil {
		return err
	}
	role, err := accounts.ParseRole(v["role"])
	if err != nil {
		return asUsage(err)
	}
	c, id, err := r.signIn()
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
	u, err := c.Accounts.AddUser(context.Background(), id, accounts.NewUser{Name: v["name"], Email: v["email"], Role: role, Password: pw})
	if err != nil {
		return err
	}
	return r.printUser(asJSON, u, id, "Added")
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

// target finds the user named by --email.
func (r *run) target(name string, args []string, extra func(fs *flag.FlagSet) func() error) (accounts.User, int64, bool, error) {
	email, id, asJSON, err := r.targetFlags(name, "email", args, extra)
	if err != nil {
		return accounts.User{}, 0, false, err
	}
	u, err := r.core.Accounts.UserByEmail(context.Background(), id, email)
	return u, id, asJSON, notFound(err, "No user has the email %s (users list shows them).", printable(email))
}

func (r *run) usersSetRole(args []string) error {
	const name = "users set-role"
	var role accounts.Role
	u, id, asJSON, err := r.target(name, args, func(fs *flag.FlagSet) func() error {
		text := fs.String("role", "", "new role")
		return func() (err error) {
			if err = required(name, map[string]string{"role": *text}); err == nil {
				role, err = accounts.ParseRole(*text)
			}
			return asUsage(err)
		}
	})
	if err != nil {
		return err
	}
	u, err = r.core.Accounts.SetRole(context.Background(), id, u.ID, role)
	if err != nil {
		return err
	}
	return r.printUser(asJSON, u, id, "Updated")
}

func (r *run) usersSetDisabled(name string, args []string, disabled bool) error {
	u, id, asJSON, err := r.target(name, args, nil)
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
	u, id, _, err := r.target("users reset-password", args, nil)
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
	const name = "users delete"
	u, id, _, err := r.target(name, args, confirmYes(name))
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
	const name = "passwd"
	if err := r.parse(name, newFlags(name), args); err != nil {
		return err
	}
	c, id, err := r.signIn()
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
