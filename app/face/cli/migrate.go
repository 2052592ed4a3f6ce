package cli

import (
	"context"
	"fmt"
	"io"

	"keysmith/app/core"
	"keysmith/app/core/team"
)

// migrateCommands: moving this computer's account to a team database.
func migrateCommands() []command {
	return []command{
		{name: "migrate", summary: "move this computer's account to a team database (Administrators)",
			usage: "--to postgres://… [--json]",
			help: "Copies the whole account (users, credentials and their secrets, vaults, settings, the audit\n" +
				"log) from this computer's SQLite file into the empty PostgreSQL database at --to, checks\n" +
				"that every row arrived equal and that the audit log verifies there, and only then makes\n" +
				"this data directory use it; the local file is kept, unchanged, as " + core.MigratedFileName + ".\n" +
				"A move that fails changes nothing. Close the window and stop keysmith serve on this data\n" +
				"directory first. The database password comes from " + team.EnvDatabasePassword + " (or the file\n" +
				team.EnvDatabasePasswordFile + " names), never from the command line. Audited as team.migrate.",
			run: (*run).migrate},
	}
}

// databaseAddress checks the address given with --flag: a team database's
// address that holds no password (the command line would expose it).
func databaseAddress(flag, address string) error {
	_, inURL, err := team.CheckDatabaseURL(address)
	if err == nil && inURL != "" {
		err = usagef("the --%s address holds a password, which the command line would expose; give it in %s instead", flag, team.EnvDatabasePassword)
	}
	return asUsage(err)
}

// migrated is what keysmith migrate --json prints.
type migrated struct {
	Database     string          `json:"database"`
	Tables       []migratedTable `json:"tables"`
	Rows         int64           `json:"rows"`
	Verified     bool            `json:"verified"`
	AuditEntries int             `json:"auditEntries"`
	Kept         string          `json:"kept"`
}

type migratedTable struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
}

func (r *run) migrate(args []string) error {
	o := options("migrate")
	to := o.need("to", "the empty team database's postgres:// address")
	asJSON := o.json()
	o.then(func() error { return databaseAddress("to", *to) })
	c, id, err := r.signedIn(o, args)
	if err != nil {
		return err
	}
	started := false
	progress := func(p core.MigrateProgress) {
		switch {
		case *asJSON:
		case !started:
			started = true
			fmt.Fprintln(r.env.Stderr, "Moving the account; this computer's database stays as it is until the copy is verified.")
		case p.Done:
			fmt.Fprintf(r.env.Stderr, "Copied %s: %s\n", p.Table, rows(p.Rows))
		}
	}
	got, err := c.Migrate(context.Background(), id, *to, r.env.Getenv(team.EnvDatabasePassword), progress)
	if err != nil {
		return err
	}
	out := migrated{Database: got.Database, Rows: got.Rows, Verified: true, AuditEntries: got.Entries, Kept: got.Kept}
	for _, t := range got.Tables {
		out.Tables = append(out.Tables, migratedTable{t.Table, t.Rows})
	}
	return r.output(*asJSON, out, func(w io.Writer) {
		fmt.Fprintf(w, "Moved the account to the team database %s:\n\n", got.Database)
		table(w, "TABLE\tROWS", out.Tables, func(t migratedTable) []any { return []any{t.Table, t.Rows} })
		fmt.Fprintf(w, "\nVerified: every row of every table is equal on both sides, and the audit log (%d entries,\n", got.Entries)
		fmt.Fprintln(w, "this move the last) verifies there with this data directory's key.")
		fmt.Fprintln(w, "This data directory now uses the team database; invite other machines with keysmith team invite.")
		fmt.Fprintf(w, "The local database was kept, unchanged and no longer used, as %s\n(a backup that needs keysmith.key; delete it once you no longer want it).\n", got.Kept)
	})
}

func rows(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}
