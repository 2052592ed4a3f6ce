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
