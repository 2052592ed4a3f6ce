package core

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"keysmith/app/core/audit"
	"keysmith/app/core/errs"
	"keysmith/app/core/store"
	"keysmith/app/core/team"
)

// MigratedFileName is the name the local database file takes once its
// account has moved to a team database and the move was verified: kept as
// it was at that moment (a backup, which still needs keysmith.key), under
// a name Keysmith never opens, so it is not mistaken for the live account.
const MigratedFileName = store.FileName + ".migrated"

// MigrateProgress tells how far Migrate's copy is: rows of one table
// copied so far, and when the table is done.
type MigrateProgress = store.CopyProgress

// TableCount is how many rows one table holds.
type TableCount = store.TableCount

// Migrated is what Migrate did.
type Migrated struct {
	Database string       // the team database's address, without its password
	Tables   []TableCount // rows copied, per table, in the order copied
	Rows     int64        // rows copied in all
	Entries  int          // audit entries verified in the team database, team.migrate included
	Kept     string       // the local database's new path (MigratedFileName in the data directory)
}

// Migrate moves the account from this computer's SQLite database to the
// empty PostgreSQL database at address (Administrators only; audited as
// team.migrate in the team database), then makes this data directory use
// it, as init --database would have: its team settings record the address
// and password (sealed with the key; a password inside address wins, and
// KEYSMITH_DATABASE_PASSWORD or _FILE still override it when Keysmith
// opens the account, see team.Config.URL).
//
// Guarantees:
//   - Nothing is held or connected to before the caller is found an
//     Administrator, the address passes team.CheckDatabaseURL and the
//     target is found empty.
//   - The local database is only read, inside one transaction that keeps
//     other writers out (store.Hold), so the copy is of one moment and
//     nothing written locally during it is lost.
//   - The copy commits only when every table reads back equal and the
//     audit chain, copied, verifies with this directory's key and audit
//     head (the team.migrate entry is appended then, in the same
//     transaction); after the commit the account is opened there as any
//     machine would and its chain verified again. Only then are the team
//     settings written.
//   - Any failure before that leaves this computer exactly as it was, and
//     the team database as it was unless the copy had committed (the
//     error says so).
//   - Once the settings are written, the local database file (and its
//     -wal and -shm files) is renamed to MigratedFileName, and c becomes
//     the account in the team database. c must not be in use elsewhere
//     meanwhile; another process that has the local database open (the
//     window, keysmith serve) keeps writing to the renamed file until it
//     restarts.
func (c *Core) Migrate(ctx context.Context, actorID int64, address, password string, progress func(MigrateProgress)) (Migrated, error) {
	if _, err := c.Accounts.RequireAdmin(ctx, nil, actorID); err != nil {
		return Migrated{}, err
	}
	if c.database != "" {
		return Migrated{}, errs.Invalidf("to", "This account already lives in the team database %s.", c.Team())
	}
	if err := c.Check(ctx); err != nil { // what Options.CheckLater deferred, if anything
		return Migrated{}, err
	}
	clean, inURL, err := team.CheckDatabaseURL(address)
	if err != nil {
		return Migrated{}, err
	}
	if inURL != "" {
		password = inURL
	}
	kept := filepath.Join(c.Dir, MigratedFileName)
	for _, f := range []string{kept, kept + "-wal"} {
		if taken(f) {
			return Migrated{}, errs.Invalidf("dir", "%s is in the data directory, from an earlier move; move it elsewhere first.", filepath.Base(f))
		}
	}
	cfg, err := team.NewConfig(c.key, clean, password)
	if err != nil {
		return Migrated{}, err
	}
	url, err := cfg.URL(c.key, c.getenv)
	if err != nil {
		return Migrated{}, err
	}
	if empty, err := store.Empty(ctx, url); err != nil {
		return Migrated{}, migrateProblem(clean, fmt.Errorf("%w: %w", store.ErrUnreachable, err))
	} else if !empty {
		return Migrated{}, migrateProblem(clean, store.ErrNotEmpty)
	}
	out := Migrated{Database: clean, Kept: kept}
	var moved *Core
	committed := false
	err = store.Hold(ctx, c.store.DB, func(src *sql.Tx) error {
		by, err := c.Accounts.RequireAdmin(ctx, src, actorID)
		if err != nil {
			return err
		}
		out.Tables, err = store.CopyToPostgres(ctx, src, url, store.CopyOptions{Progress: progress,
			Finish: func(ctx context.Context, tx *sql.Tx, copied []TableCount) error {
				for _, t := range copied {
					out.Rows += t.Rows
				}
				if err := c.verifiedChain(c.audit.VerifyTx(ctx, tx)); err != nil {
					return err
				}
				return c.audit.Append(ctx, tx, audit.Event{ActorID: by.ID, Actor: by.Label(), Action: "team.migrate", Target: clean,
					Detail: fmt.Sprintf("moved from a computer's SQLite database: %d rows in %d tables, verified equal", out.Rows, len(copied))})
			}})
		if err != nil {
			return migrateProblem(clean, err)
		}
		committed = true
		// Open it as every machine will, and verify it there again.
		opt := c.opt
		opt.Database, opt.CheckLater = url, false
		if moved, err = Open(ctx, c.Dir, opt); err != nil {
			return err
		}
		res, err := moved.audit.Verify(ctx, moved.store.DB)
		if err := c.verifiedChain(res, err); err != nil {
			return err
		}
		out.Entries = res.Checked
		if err := cfg.Save(c.Dir); err != nil {
			return fmt.Errorf("%w: %w", errs.Invalidf("dir", "this data directory's team settings could not be written (%s).", errs.SystemText(err)), err)
		}
		return nil
	})
	if err != nil {
		if moved != nil {
			// Its store only: Close would save the audit head, which must
			// keep following this computer's log.
			moved.store.Close()
		}
		if committed {
			var inv *errs.Invalid
			reason := "it could not be opened and checked there."
			if errors.As(err, &inv) {
				reason = inv.Message
			}
			return Migrated{}, fmt.Errorf("%w: %w", errs.Invalidf("to", "The account was copied to %s, but this computer keeps using its own database: %s Nothing changed here; empty the team database (drop and create it again) before moving again.", clean, reason), err)
		}
		return Migrated{}, err
	}
	// This machine now uses the team database; the local file steps aside.
	// (The audit head follows the team database's log from now on: moved
	// saves it.)
	c.store.Close()
	*c = *moved
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Rename(filepath.Join(c.Dir, store.FileName+suffix), kept+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			out.Kept = ""
			return out, fmt.Errorf("%w: %w", errs.Invalidf("dir", "The account moved to %s and this computer now uses it, but the local database could not be renamed to %s (%s); rename or delete %s yourself.", clean, MigratedFileName, errs.SystemText(err), store.FileName), err)
		}
	}
	return out, nil
}

// getenv reads the environment as Options.Getenv says.
func (c *Core) getenv(name string) string {
	if c.opt.Getenv != nil {
		return c.opt.Getenv(name)
	}
	return os.Getenv(name)
}

// verifiedChain turns the audit verdict of a copy into Migrate's answer:
// nil when the chain verifies (or its only doubt is an anchor made again,
// as archive accepts).
func (c *Core) verifiedChain(res audit.Result, err error) error {
	if err != nil {
		return err
	}
	if !res.OK() && res.Rebuilt == 0 {
		return errs.Invalidf("audit", "The audit log does not verify, so the account was not moved: %s%s Run keysmith audit verify.", res.Problem, res.Unproven)
	}
	return nil
}

// migrateProblem says why a move to the database clean failed before it
// committed: nothing changed, here or there.
func migrateProblem(clean string, err error) error {
	var inv *errs.Invalid
	switch {
	case errors.As(err, &inv), errors.Is(err, errs.ErrForbidden):
		return err
	case errors.Is(err, store.ErrNotEmpty):
		inv = &errs.Invalid{Field: "to", Message: fmt.Sprintf("The database %s is not empty: Keysmith moves an account only into a new, empty database (createdb). Nothing was changed.", clean)}
	case errors.Is(err, store.ErrUnreachable):
		inv = &errs.Invalid{Field: "to", Message: fmt.Sprintf("Cannot connect to the database %s: it is not running, the address is wrong, or it refused the user or the password (%s). Nothing was changed.", clean, team.EnvDatabasePassword)}
	case errors.Is(err, store.ErrDenied):
		inv = &errs.Invalid{Field: "to", Message: fmt.Sprintf("The database user may not create tables in %s: make it the database's owner. Nothing was changed.", clean)}
	default:
		inv = &errs.Invalid{Field: "to", Message: fmt.Sprintf("The move to %s stopped before it completed (the connection failed, or the database refused a row) and was undone. Nothing was changed, here or there.", clean)}
	}
	return fmt.Errorf("%w: %w", inv, err)
}
