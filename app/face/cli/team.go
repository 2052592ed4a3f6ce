package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/agefile"
	"keysmith/app/core/errs"
	"keysmith/app/core/team"
)

// EnvInvitePassphrase holds the passphrase of an invitation: the one to
// seal it to (team invite; a strong one is drawn when unset) or to open it
// with (team join; asked on a terminal when unset).
const EnvInvitePassphrase = "KEYSMITH_INVITE_PASSPHRASE"

// teamCommands: several machines on one account, in a team database.
func teamCommands() []command {
	passwordNote := "The database password comes from " + team.EnvDatabasePassword + " (or the file " + team.EnvDatabasePasswordFile + "\nnames), never from the command line; Keysmith keeps it sealed with the data directory's key."
	return []command{
		{name: "team status", summary: "show where the account lives (signed-in users)", usage: "[--json]",
			help: "Shows whether the account lives on this computer (SQLite) or in a team database, and its address.",
			run:  (*run).teamStatus},
		{name: "team invite", summary: "invite another machine to the team database (Administrators)",
			usage: "--out FILE [--with-password] [--json]",
			help: "Writes an invitation to FILE (0600): the team database's address and the account key,\n" +
				"sealed in the age format to a one-time passphrase (" + EnvInvitePassphrase + ", or a strong one\n" +
				"Keysmith draws and prints once). --with-password includes the database password. Keysmith\n" +
				"refuses it after 7 days and after one join, but the file and passphrase together hold the\n" +
				"account key: send them apart and delete the file once used. Audited as team.invite.",
			run: (*run).teamInvite},
		{name: "team join", summary: "set up this data directory from an invitation", usage: "[--yes] FILE",
			help: "Opens the invitation FILE with its passphrase (" + EnvInvitePassphrase + " or a prompt) and sets up\n" +
				"the data directory (--data-dir, new or empty) as a machine of that account, once you have\n" +
				"checked who it is from and which database it names: on a terminal Keysmith asks, otherwise\n" +
				"--yes confirms. " + passwordNote + "\nAudited as team.join.",
			run: (*run).teamJoin},
	}
}

func (r *run) teamStatus(args []string) error {
	o := options("team status")
	asJSON := o.json()
	c, _, err := r.signedIn(o, args)
	if err != nil {
		return err
	}
	where := c.Team()
	return r.output(*asJSON, map[string]any{"team": where != "", "database": where}, func(w io.Writer) {
		if where == "" {
			fmt.Fprintln(w, "The account lives on this computer (SQLite).")
			return
		}
		fmt.Fprintf(w, "The account lives in the team database %s.\n", where)
	})
}

func (r *run) teamInvite(args []string) error {
	o := options("team invite")
	out := o.need("out", "invitation file to write")
	withPassword := o.Bool("with-password", false, "include the database password")
	asJSON := o.json()
	c, id, err := r.signedIn(o, args)
	if err != nil {
		return err
	}
	pass := r.env.Getenv(EnvInvitePassphrase)
	drawn := pass == ""
	if drawn {
		if err := r.checkSecretOutput(); err != nil {
			return err
		}
		pass = team.NewPassphrase()
	}
	data, inv, err := c.Invite(context.Background(), id, pass, *withPassword)
	if err != nil {
		return err
	}
	if err := agefile.Write(*out, data, team.FileKind); err != nil {
		return err
	}
	shown := map[string]any{"out": *out, "id": inv.ID, "expires": inv.Expires.Format(time.RFC3339)}
	if drawn {
		shown["passphrase"] = pass
	}
	err = r.output(*asJSON, shown, func(w io.Writer) {
		fmt.Fprintf(w, "Wrote the invitation to %s; Keysmith accepts it until %s, for one machine.\n", *out, inv.Expires.Format(time.DateOnly))
		fmt.Fprintln(w, "The file and its passphrase together hold the account key: send them apart, and delete the file once used.")
		if drawn {
			fmt.Fprintf(w, "\nPassphrase (shown once; give it to the person who joins, apart from the file):\n\n    %s\n", pass)
		}
	})
	if err != nil && drawn {
		os.Remove(*out)
		return errs.Invalidf("output", "The invitation's passphrase could not be written to standard output, so the file %s was removed. Invite again.", *out)
	}
	return err
}

func (r *run) teamJoin(args []string) error {
	o := options("team join")
	yes := o.Bool("yes", false, "join without asking")
	file := o.operand("FILE")
	if err := r.parse(o, args); err != nil {
		return err
	}
	dir, err := core.DataDir(r.dataDir)
	if err != nil {
		return err
	}
	if err := core.Joinable(dir); err != nil {
		return err
	}
	data, err := agefile.Read(*file, team.MaxInvitationFile, team.FileKind)
	if err != nil {
		return err
	}
	pass, err := r.secretInput(EnvInvitePassphrase, "Invitation passphrase")
	if err != nil {
		return err
	}
	inv, err := team.Open(data, pass, time.Now())
	if err != nil {
		return err
	}
	defer clear(inv.Key)
	what := fmt.Sprintf("the invitation from %s to the account %s in the team database %s", printable(inv.By), printable(inv.Account), printable(inv.Database))
	if !*yes {
		if !r.env.Terminal {
			return usagef("team join needs --yes without a terminal; check first: this is %s", what)
		}
		fmt.Fprintf(r.env.Stderr, "This is %s.\nJoin it? Type yes: ", what)
		line, _ := r.stdin.ReadString('\n')
		if strings.TrimSpace(line) != "yes" {
			return errs.Invalidf("yes", "Nothing was joined.")
		}
	}
	host, _ := os.Hostname()
	opt := r.env.Options
	opt.Getenv = r.env.Getenv
	c, err := core.Join(context.Background(), dir, inv, r.env.Getenv(team.EnvDatabasePassword), host, opt)
	if err != nil {
		return err
	}
	r.core = c
	fmt.Fprintf(r.env.Stdout, "Joined the account %s in the team database %s.\n", printable(inv.Account), c.Team())
	return nil
}
