package core

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"keysmith/app/core/audit"
	"keysmith/app/core/errs"
	"keysmith/app/core/keyfile"
	"keysmith/app/core/store"
	"keysmith/app/core/team"
)

// teamDatabase returns the URL the team settings of dir name, with the
// database password from the environment or the settings; "" when dir has
// no team settings.
func teamDatabase(dir string, getenv func(string) string) (string, error) {
	cfg, ok, err := team.LoadConfig(dir)
	if err != nil || !ok {
		return "", err
	}
	key, err := keyfile.Load(dir, false)
	if err != nil {
		return "", err
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	return cfg.URL(key, getenv)
}

// Team returns the address of the team database the account lives in,
// without its password; "" when it lives in this computer's SQLite file.
func (c *Core) Team() string {
	if c.database == "" {
		return ""
	}
	clean, _, _ := team.CheckDatabaseURL(c.database)
	return clean
}

// Invite issues an invitation for another machine to join the account,
// sealed to passphrase (Administrators only; audited as team.invite with
// the invitation's id and expiry). withPassword puts the database password
// in it; otherwise the machine that joins gives its own.
func (c *Core) Invite(ctx context.Context, actorID int64, passphrase string, withPassword bool) ([]byte, team.Invitation, error) {
	var data []byte
	var inv team.Invitation
	err := store.Tx(ctx, c.store.DB, func(tx *sql.Tx) error {
		by, err := c.Accounts.RequireAdmin(ctx, tx, actorID)
		if err != nil {
			return err
		}
		if err := c.teamOnly(); err != nil {
			return err
		}
		acc, err := c.Accounts.Account(ctx)
		if err != nil {
			return err
		}
		clean, password, err := team.CheckDatabaseURL(c.database)
		if err != nil {
			return err
		}
		if !withPassword {
			password = ""
		}
		raw := c.key.Export()
		defer clear(raw)
		if inv, err = team.New(acc.Name, by.Label(), clean, password, raw, c.Clock()); err != nil {
			return err
		}
		defer clear(inv.Key)
		if data, err = team.Seal(inv, passphrase); err != nil {
			return err
		}
		return c.audit.Append(ctx, tx, audit.Event{ActorID: by.ID, Actor: by.Label(), Action: "team.invite", Target: inv.ID,
			Detail: fmt.Sprintf("expires %s; database password included: %v", inv.Expires.Format(time.RFC3339), withPassword)})
	})
	return data, inv, err
}

// CheckInvite says why actorID may not invite a machine now, or nil: what
// Invite checks first (an Administrator, of an account in a team
// database), without writing. A face asks it before the user chooses where
// the invitation goes.
func (c *Core) CheckInvite(ctx context.Context, actorID int64) error {
	if _, err := c.Accounts.RequireAdmin(ctx, nil, actorID); err != nil {
		return err
	}
	return c.teamOnly()
}

// teamOnly refuses an account that lives on this computer only.
func (c *Core) teamOnly() error {
	if c.database == "" {
		return errs.Invalidf("team", "This account lives on this computer only; create or move it to a team database before inviting other machines.")
	}
	return nil
}

// OpenTeam opens the account on the team database at address (creating
// the account's schema and, for a new account, its key file in dir) and
// records the address in dir's team settings, with password sealed, so
// that every later open of dir uses it. A password inside address is taken
// out of it. It refuses a dir that holds an account on this computer, or
// the settings of another team database, and a database that holds an
// account whose key dir does not have (join that one with an invitation).
// A database it cannot reach or that refuses it fails as team.Explain says.
func OpenTeam(ctx context.Context, dir, address, password string, opt Options) (*Core, error) {
	clean, inURL, err := team.CheckDatabaseURL(address)
	if err != nil {
		return nil, err
	}
	if inURL != "" {
		password = inURL
	}
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err == nil {
		return nil, errs.Invalidf("dir", "This data directory already holds an account on this computer; choose another data directory for the team database.")
	}
	if cfg, ok, err := team.LoadConfig(dir); err != nil {
		return nil, err
	} else if ok && cfg.Database != clean {
		return nil, errs.Invalidf("dir", "This data directory is set up for another team database (%s).", cfg.Database)
	}
	if err := store.EnsureDir(dir); err != nil {
		return nil, err
	}
	// The key and the settings come first, and stay when opening fails for
	// another reason than the database holding another account: a new
	// database may already record this key (its key check), so a second
	// attempt must use the same one.
	var keep bool
	return undoing(dir, func() (*Core, error) {
		key, err := keyfile.Load(dir, true)
		if err != nil {
			return nil, err
		}
		if err := team.SaveConfig(dir, key, clean, password); err != nil {
			return nil, err
		}
		opt.Database = ""
		c, err := Open(ctx, dir, opt)
		err = team.Explain(err)
		if errors.Is(err, errs.ErrKeyMismatch) {
			return nil, errs.Invalidf("database", "This team database already holds an account; join it with an invitation from one of its Administrators (keysmith team join).")
		}
		keep = err != nil // it failed for another reason: a retry uses this key
		return c, err
	}, func() bool { return !keep })
}

// machineFiles are the files a data directory of a team machine holds.
var machineFiles = []string{keyfile.FileName, markerName, team.ConfigFile, audit.HeadFileName}

// undoing runs fn, and when it fails and undo agrees removes those of
// machineFiles that fn created in dir; nothing else there is touched.
func undoing(dir string, fn func() (*Core, error), undo func() bool) (*Core, error) {
	var created []string
	for _, name := range machineFiles {
		if !taken(filepath.Join(dir, name)) {
			created = append(created, name)
		}
	}
	c, err := fn()
	if err != nil && undo() {
		for _, name := range created {
			os.Remove(filepath.Join(dir, name))
		}
	}
	return c, err
}

// taken reports whether anything is at path, a link or a file it cannot
// stat included: only a path that does not exist is free to create.
func taken(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// Joinable says why dir cannot join a team, or nil: it must hold no
// account on this computer and no team settings.
func Joinable(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err == nil {
		return errs.Invalidf("dir", "This data directory already holds an account on this computer; join from a new, empty data directory.")
	}
	if _, ok, err := team.LoadConfig(dir); ok || err != nil {
		return errs.Invalidf("dir", "This data directory is already set up for a team database; join from a new, empty data directory.")
	}
	return nil
}

// Join sets up the data directory dir as a machine of the account inv
// carries: it writes the account key, the upgrade marker (the account is
// as up to date as the machine that invited: nothing is to be upgraded
// from what the shared database holds), its own audit head at the newest
// entry (audit.Log.AdoptHead) and the team settings (the database
// password sealed with the key; password, when given, wins over the
// invitation's), opens the account there and records the join (audited as
// team.join with the invitation's id and host). An invitation is used once:
// a second join with it is refused. When the join fails, the files it wrote
// in dir are removed again; a database it cannot reach or that refuses it
// fails as team.Explain says.
func Join(ctx context.Context, dir string, inv team.Invitation, password, host string, opt Options) (*Core, error) {
	if err := Joinable(dir); err != nil {
		return nil, err
	}
	if err := store.EnsureDir(dir); err != nil {
		return nil, err
	}
	always := func() bool { return true }
	return undoing(dir, func() (*Core, error) { return join(ctx, dir, inv, password, host, opt) }, always)
}

func join(ctx context.Context, dir string, inv team.Invitation, password, host string, opt Options) (*Core, error) {
	key, err := keyfile.Install(dir, inv.Key)
	if err != nil {
		return nil, err
	}
	if err := markUpgraded(dir, key, upgradeLevel); err != nil {
		return nil, err
	}
	if password == "" {
		password = inv.Password
	}
	if err := team.SaveConfig(dir, key, inv.Database, password); err != nil {
		return nil, err
	}
	opt.Database = ""
	c, err := Open(ctx, dir, opt)
	if err != nil {
		return nil, team.Explain(err)
	}
	if err := c.audit.AdoptHead(ctx, c.store.DB); err != nil {
		c.Close()
		return nil, err
	}
	err = store.Tx(ctx, c.store.DB, func(tx *sql.Tx) error {
		var used bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM audit WHERE action = 'team.join' AND target = ?)`, inv.ID).Scan(&used); err != nil {
			return err
		}
		if used {
			return errs.Invalidf("invitation", "This invitation was already used to join; ask an Administrator for a new one.")
		}
		return c.audit.Append(ctx, tx, audit.Event{Actor: "invitation from " + inv.By, Action: "team.join", Target: inv.ID,
			Detail: "machine " + host})
	})
	if err == nil {
		err = c.SaveHead(ctx)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// freshFiles are the files a data directory holds once Open has made the
// database on this computer, before anyone set up an account in it.
var freshFiles = []string{store.FileName, store.FileName + "-wal", store.FileName + "-shm", keyfile.FileName, markerName, audit.HeadFileName}

// JoinInstead is Join for the data directory of c, a core that holds no
// account yet in this computer's SQLite file (a window opened on a new data
// directory made it, empty): the machine joins the team in its place. See
// instead for what happens to c and its files.
func (c *Core) JoinInstead(ctx context.Context, inv team.Invitation, password, host string, opt Options) (*Core, error) {
	return c.instead(ctx, opt, func() (*Core, error) { return Join(ctx, c.Dir, inv, password, host, opt) })
}

// OpenTeamInstead is OpenTeam for the data directory of c, in place of its
// empty database on this computer, as JoinInstead.
func (c *Core) OpenTeamInstead(ctx context.Context, address, password string, opt Options) (*Core, error) {
	return c.instead(ctx, opt, func() (*Core, error) { return OpenTeam(ctx, c.Dir, address, password, opt) })
}

// instead runs open (a Join or an OpenTeam of c.Dir) in place of c, which
// must hold no account and no audit entry, in this computer's SQLite file;
// c is refused unchanged otherwise. It closes c and moves its files
// (freshFiles) into a new folder in the data directory; when open succeeds
// that folder is removed, else what open left is removed (even the key and
// settings OpenTeam keeps for a retry), the files go back and are opened
// again with opt, so that the data directory is as it was. It returns the core to use
// from then on: open's, or on failure the reopened one (nil when reopening
// failed too) with open's error. Nothing else may use c meanwhile.
func (c *Core) instead(ctx context.Context, opt Options, open func() (*Core, error)) (*Core, error) {
	if c.database != "" {
		return c, errs.Invalidf("dir", "This data directory is already set up for a team database; join from a new, empty data directory.")
	}
	switch _, err := c.Accounts.Account(ctx); {
	case err == nil || (errors.Is(err, errs.ErrNotSetUp) && !isEmpty(ctx, c.store)):
		return c, errs.Invalidf("dir", "This data directory already holds an account on this computer; join from a new, empty data directory.")
	case !errors.Is(err, errs.ErrNotSetUp):
		return c, err
	}
	aside, err := os.MkdirTemp(c.Dir, ".keysmith-aside-")
	if err != nil {
		return c, err
	}
	c.Close()
	var moved []string
	putBack := func() error {
		var fails []error
		for _, name := range moved {
			fails = append(fails, os.Rename(filepath.Join(aside, name), filepath.Join(c.Dir, name)))
		}
		if err := errors.Join(fails...); err != nil {
			return err // the files stay where they are, for whoever looks
		}
		return os.Remove(aside)
	}
	reopen := func(cause error) (*Core, error) {
		// What open left (OpenTeam keeps its key and settings for a retry)
		// goes: the data directory is to be as it was.
		for _, name := range append([]string{team.ConfigFile}, freshFiles...) {
			if err := os.Remove(filepath.Join(c.Dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, errors.Join(cause, err)
			}
		}
		if err := putBack(); err != nil {
			return nil, errors.Join(cause, fmt.Errorf("put back the data directory's files from %s: %w", aside, err))
		}
		opt.Database = ""
		again, err := Open(context.WithoutCancel(ctx), c.Dir, opt) // even when ctx ran out joining
		if err != nil {
			return nil, errors.Join(cause, err)
		}
		return again, cause
	}
	for _, name := range freshFiles {
		err := os.Rename(filepath.Join(c.Dir, name), filepath.Join(aside, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return reopen(err)
		}
		moved = append(moved, name)
	}
	joined, err := open()
	if err != nil {
		return reopen(err)
	}
	os.RemoveAll(aside)
	return joined, nil
}

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
