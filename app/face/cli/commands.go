package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/accounts"
	"keysmith/app/core/audit"
	"keysmith/app/core/errs"
	"keysmith/app/face/views"
)

// commands is every command, in the order help lists them. The table is
// put together here, in one place: each group's commands sit beside their
// code (userCommands, keyCommands, serveCommands, vaultCommands), and a group
// missing below is missing from the CLI, whatever the file names.
var commands []command

func init() {
	commands = slices.Concat(userCommands(), keyCommands(), serveCommands(), vaultCommands())
}

// userCommands: the account, its users, your password and the audit log.
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
		{name: "audit list", summary: "show the audit log (Administrators)", usage: "[--query TEXT] [--limit N] [--offset N] [--json]",
			help: "Shows audit entries, newest first. --query matches actor, action, target or detail.",
			run:  (*run).auditList},
		{name: "audit verify", summary: "check the audit log's hash chain (Administrators)", usage: "[--archive FILE] [--json]",
			help: "Recomputes the hash chain and checks both anchors of its newest entry. Exit status 1\nwhen a row was edited, removed or inserted, or when completeness cannot be proven\n(an anchor is missing). --archive checks an archive file instead: its entries\nchain into its sealed checkpoint.",
			run:  (*run).auditVerify},
		{name: "audit archive", summary: "move old audit entries to a file (Administrators)", usage: "--out FILE [--before YYYY-MM-DD] [--json]",
			help: "Verifies the log, writes the entries older than --before (default: older than the\nretention period) to FILE (JSON lines, 0600; it must not exist) and removes them from\nthe database, leaving a sealed checkpoint as the log's new start (audited as\naudit.archive). Check the file later with 'keysmith audit verify --archive FILE'.",
			run:  (*run).auditArchive},
		{name: "audit retention", summary: "show or set how long audit entries are kept (Administrators)", usage: "[--days N] [--json]",
			help: "Shows the audit retention; --days sets it: 0 keeps entries forever, otherwise 30 to\n3650 days. Entries older than that are archived by 'keysmith audit archive'.",
			run:  (*run).auditRetention},
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

// printable makes text safe for a terminal: control characters (which could
// drive the terminal) are shown as Go escapes.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' || r == '\u202e' {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
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

// targetFlags parses the flag `by` that names what a command acts on, the
// flags extra adds and --json, runs the check extra returns, and signs in.
func (r *run) targetFlags(name, by string, args []string, extra func(fs *flag.FlagSet) func() error) (value string, actor int64, asJSON bool, err error) {
	fs := newFlags(name)
	v := fs.String(by, "", "the "+by+" of what to act on")
	j := fs.Bool("json", false, "print JSON")
	check := func() error { return nil }
	if extra != nil {
		check = extra(fs)
	}
	if err := r.parse(name, fs, args); err != nil {
		return "", 0, false, err
	}
	if err := required(name, map[string]string{by: *v}); err != nil {
		return "", 0, false, err
	}
	if err := check(); err != nil {
		return "", 0, false, err
	}
	_, actor, err = r.signIn()
	return *v, actor, *j, err
}

// confirmYes adds the --yes flag a deletion needs.
func confirmYes(name string) func(fs *flag.FlagSet) func() error {
	return func(fs *flag.FlagSet) func() error {
		yes := fs.Bool("yes", false, "confirm the deletion")
		return func() error {
			if !*yes {
				return usagef("%s needs --yes to confirm", name)
			}
			return nil
		}
	}
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

// notFound turns errs.ErrNotFound for something the user named into a
// message naming it; other errors pass unchanged.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, errs.ErrNotFound) {
		return errs.Invalidf("not-found", format, args...)
	}
	return err
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

func (r *run) auditList(args []string) error {
	const name = "audit list"
	fs := newFlags(name)
	query := fs.String("query", "", "filter text")
	limit := fs.Int("limit", 50, "entries to show (1..500)")
	offset := fs.Int("offset", 0, "entries to skip")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := r.parse(name, fs, args); err != nil {
		return err
	}
	if *limit < 1 || *limit > 500 || *offset < 0 {
		return usagef("--limit must be 1..500 and --offset 0 or more")
	}
	c, id, err := r.signIn()
	if err != nil {
		return err
	}
	es, total, err := c.ListAudit(context.Background(), id, audit.Filter{Query: *query, Limit: *limit, Offset: *offset})
	if err != nil {
		return err
	}
	page := views.Audit(es, total)
	return r.output(*asJSON, page, func(w io.Writer) {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tACTION\tTARGET\tDETAIL")
		for _, e := range page.Entries {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.At, printable(e.Actor), e.Action, printable(e.Target), printable(e.Detail))
		}
		tw.Flush()
		fmt.Fprintf(w, "%d of %d entries.\n", len(page.Entries), total)
	})
}

func (r *run) auditVerify(args []string) error {
	const name = "audit verify"
	fs := newFlags(name)
	archive := fs.String("archive", "", "archive file to check")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := r.parse(name, fs, args); err != nil {
		return err
	}
	c, id, err := r.signIn()
	if err != nil {
		return err
	}
	if *archive != "" {
		return r.auditVerifyArchive(c, id, *archive, *asJSON)
	}
	res, err := c.VerifyAudit(context.Background(), id)
	if err != nil {
		return err
	}
	if err := r.output(*asJSON, views.Verify(res), func(w io.Writer) {
		if res.OK() {
			fmt.Fprintf(w, "Audit chain intact: %d entries checked", res.Checked)
			if res.Start > 1 {
				fmt.Fprintf(w, " (entries before %d are archived)", res.Start)
			}
			fmt.Fprintln(w, ".")
		}
	}); err != nil {
		return err
	}
	switch {
	case res.Tampered():
		return errs.Invalidf("audit", "Audit chain broken: %s", res.Problem)
	case !res.OK():
		return errs.Invalidf("audit", "Audit log completeness cannot be proven: %s No entry was found altered (%d checked).", res.Unproven, res.Checked)
	}
	return nil
}

func (r *run) auditVerifyArchive(c *core.Core, id int64, path string, asJSON bool) error {
	res, err := c.VerifyAuditArchive(context.Background(), id, path)
	if err != nil {
		return err
	}
	v := map[string]any{"ok": res.OK(), "checked": res.Checked, "first": res.First, "last": res.Last,
		"checkpoint": fmt.Sprintf("%x", res.Checkpoint), "badSeq": res.BadSeq, "problem": res.Problem}
	if err := r.output(asJSON, v, func(w io.Writer) {
		if res.OK() {
			fmt.Fprintf(w, "Audit archive intact: entries %d to %d (%d) chain into checkpoint MAC %x.\n", res.First, res.Last, res.Checked, res.Checkpoint)
		}
	}); err != nil {
		return err
	}
	if !res.OK() {
		return errs.Invalidf("archive", "Audit archive broken: %s", res.Problem)
	}
	return nil
}

func (r *run) auditArchive(args []string) error {
	const name = "audit archive"
	fs := newFlags(name)
	out := fs.String("out", "", "archive file to create")
	beforeText := fs.String("before", "", "archive entries older than this date (UTC)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := r.parse(name, fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required; run 'keysmith %s --help'", name)
	}
	var before time.Time
	if *beforeText != "" {
		var err error
		if before, err = time.Parse(time.DateOnly, *beforeText); err != nil {
			return usagef("--before must be a date like 2026-01-31")
		}
	}
	c, id, err := r.signIn()
	if err != nil {
		return err
	}
	got, err := c.ArchiveAudit(context.Background(), id, before, *out)
	if err != nil {
		return err
	}
	return r.output(*asJSON, map[string]any{"archived": got.Count, "first": got.First, "last": got.Last, "out": *out}, func(w io.Writer) {
		if got.Count == 0 {
			fmt.Fprintln(w, "No audit entries are old enough to archive; no file was written.")
			return
		}
		fmt.Fprintf(w, "Archived audit entries %d to %d (%d) to %s.\n", got.First, got.Last, got.Count, *out)
	})
}

func (r *run) auditRetention(args []string) error {
	const name = "audit retention"
	fs := newFlags(name)
	days := fs.Int("days", -1, "days to keep audit entries (0: forever)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := r.parse(name, fs, args); err != nil {
		return err
	}
	c, id, err := r.signIn()
	if err != nil {
		return err
	}
	if *days >= 0 {
		if err := c.SetAuditKeepDays(context.Background(), id, *days); err != nil {
			return asUsage(err)
		}
	} else if _, err := c.Accounts.RequireAdmin(context.Background(), nil, id); err != nil {
		return err
	}
	n, err := c.AuditKeepDays(context.Background())
	if err != nil {
		return err
	}
	return r.output(*asJSON, map[string]any{"auditKeepDays": n}, func(w io.Writer) {
		if n == 0 {
			fmt.Fprintln(w, "Audit entries are kept forever.")
			return
		}
		fmt.Fprintf(w, "Audit entries older than %d days may be archived ('keysmith audit archive').\n", n)
	})
}
