// Package core wires Keysmith's core: one database, one key file, one set of
// services shared by every face (the window, the command line and the
// loopback verifier). Faces hold no rules of their own.
package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"keysmith/app/core/accounts"
	"keysmith/app/core/audit"
	"keysmith/app/core/credentials"
	"keysmith/app/core/errs"
	"keysmith/app/core/keyfile"
	"keysmith/app/core/store"
	"keysmith/app/core/vault"
	"keysmith/app/core/verifiers"
)

// EnvDataDir names the environment variable that overrides the data directory.
const EnvDataDir = "KEYSMITH_DATA_DIR"

// DataDir resolves the data directory: flag, then KEYSMITH_DATA_DIR, then the
// OS user config directory + "Keysmith".
func DataDir(flag string) (string, error) {
	dir := flag
	if dir == "" {
		dir = os.Getenv(EnvDataDir)
	}
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("find the user config directory: %w", err)
		}
		dir = filepath.Join(base, "Keysmith")
	}
	return filepath.Abs(dir)
}

// Core is the open application.
//
// Faces reach the database only through the services below and Core's
// own methods: the store and the audit log stay inside the core.
type Core struct {
	Dir         string
	Accounts    *accounts.Service
	Credentials *credentials.Service
	Vault       *vault.Service
	Verifiers   *verifiers.Service
	Clock       func() time.Time

	store     *store.Store
	audit     *audit.Log
	key       *keyfile.Key
	upgrading bool   // the one-time upgrades have not all run yet (upgrade.go)
	database  string // the team database's URL, with its password; "" for SQLite
	opt       Options
}

// Options adjust Open for tests; the zero value is what builds use.
type Options struct {
	Clock  func() time.Time
	Params *accounts.Params // argon2id cost; nil means accounts.DefaultParams
	// VaultKDF is the vault passphrase KDF for new key slots; nil means
	// vault.DefaultKDF. Stored parameters must still lie within the vault's
	// bounds to unlock.
	VaultKDF *vault.KDF
	// CheckLater skips the whole-database check of an up-to-date database
	// at open (see store.OpenUnchecked); Check must pass before any write.
	CheckLater bool
	// Database is a postgres:// URL to keep the account in instead of the
	// SQLite database in the data directory, which still holds the key
	// file and the audit head. When empty, the data directory's team
	// settings (team.ConfigFile) name it, if there are any.
	Database string
	// Getenv reads the environment (os.Getenv when nil): a server may give
	// the team database's password there (team.EnvDatabasePassword).
	Getenv func(string) string
}

// Open opens the data directory, creating the database and key file on
// first use. An existing database without its key file is refused.
func Open(ctx context.Context, dir string, opt Options) (*Core, error) {
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	params := accounts.DefaultParams
	if opt.Params != nil {
		params = *opt.Params
	}
	if opt.Database == "" {
		var err error
		if opt.Database, err = teamDatabase(dir, opt.Getenv); err != nil {
			return nil, err
		}
	}
	headPath := filepath.Join(dir, audit.HeadFileName)
	target := opt.Database
	if target == "" {
		target = dir
	} else if !store.IsURL(target) {
		return nil, errors.New("open database: not a postgres:// URL")
	} else if err := store.EnsureDir(dir); err != nil {
		return nil, err
	}
	// A database that is gone or emptied while the audit head records
	// entries is refused before anything (a new schema, a new key file)
	// is written where it was, for whoever restores it.
	if audit.HeadRecorded(headPath) {
		if empty, err := store.Empty(ctx, target); err != nil {
			return nil, err
		} else if empty {
			return nil, errs.ErrTruncated
		}
	}
	openStore := store.Open
	if opt.CheckLater {
		openStore = store.OpenUnchecked
	}
	st, err := openStore(ctx, target)
	if err != nil {
		return nil, err
	}
	empty := st.Fresh || isEmpty(ctx, st)
	key, err := keyfile.Load(dir, empty)
	if err != nil {
		st.DB.Close()
		return nil, err
	}
	log := audit.New(key.Derive(audit.KeyLabel), opt.Clock)
	log.AnchorHead(headPath)
	if err := checkKey(ctx, st, key, log, headPath, empty); err != nil {
		st.DB.Close()
		return nil, err
	}
	level, err := upgraded(dir, key)
	if err != nil {
		st.DB.Close()
		return nil, err
	}
	upgrading := level < upgradeLevel
	log.Upgrading(upgrading)
	if empty {
		// A new log gets its head file (at entry 0) before its first entry.
		if err := log.SaveHead(ctx, st.DB); err != nil {
			st.DB.Close()
			return nil, err
		}
	}
	acc, err := accounts.New(st.DB, log, opt.Clock, params, accounts.PepperFrom(key))
	if err != nil {
		st.DB.Close()
		return nil, err
	}
	creds := credentials.New(st.DB, log, key, opt.Clock, params)
	if upgrading && !empty { // hashes from before the pepper: wrapped once, before any is used
		if err := errors.Join(acc.WrapHashes(ctx), creds.WrapLegacyHashes(ctx)); err != nil {
			st.DB.Close()
			return nil, fmt.Errorf("pepper password hashes: %w", err)
		}
	}
	kdf := vault.DefaultKDF
	if opt.VaultKDF != nil {
		kdf = *opt.VaultKDF
	}
	vaults := vault.New(st.DB, acc, log, opt.Clock, kdf)
	vers := verifiers.New(st.DB, acc, opt.Clock, key.Derive("replay digest v1"), st.SharedByMachines())
	c := &Core{Dir: dir, store: st, audit: log, Accounts: acc, Credentials: creds, Vault: vaults, Verifiers: vers, Clock: opt.Clock,
		key: key, upgrading: upgrading, database: opt.Database, opt: opt}
	// After the wrap above, so rows from before both are sealed as wrapped.
	if !opt.CheckLater { // else Check does it, before any write
		if err := c.finishUpgrade(ctx); err != nil {
			st.DB.Close()
			return nil, err
		}
	}
	return c, nil
}

// isEmpty reports whether the database holds no account and no audit row yet,
// so a key file may still be created for it.
func isEmpty(ctx context.Context, st *store.Store) bool {
	var n int
	err := st.DB.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM account) + (SELECT COUNT(*) FROM audit)`).Scan(&n)
	return err == nil && n == 0
}

// Check runs the whole-database check deferred by Options.CheckLater (at
// most once; nil at once otherwise), then seals the state of credentials
// stored before state MACs existed (once per database, see
// credentials.Service.SealExisting).
func (c *Core) Check(ctx context.Context) error {
	if err := c.store.Check(ctx); err != nil {
		return err
	}
	return c.finishUpgrade(ctx)
}

// SaveHead records the audit log's newest entry in the head file beside the
// database (see audit.Log.SaveHead). Close does it; long-running faces (the
// window, keysmith serve) also do it every HeadEvery, so the file lags the
// log by at most that while they run.
func (c *Core) SaveHead(ctx context.Context) error { return c.audit.SaveHead(ctx, c.store.DB) }

// HeadEvery is how often a long-running face saves the audit head.
const HeadEvery = 10 * time.Second

// KeepHeadSaved saves the audit head every HeadEvery until ctx ends, telling
// warn of a failure; the window and keysmith serve run it while they are up.
func (c *Core) KeepHeadSaved(ctx context.Context, warn func(error)) {
	t := time.NewTicker(HeadEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := c.SaveHead(ctx); err != nil && ctx.Err() == nil {
				warn(err)
			}
		case <-ctx.Done():
			return
		}
	}
}

// Close saves the audit head and closes the database, once the verifiers'
// background work has ended.
func (c *Core) Close() error {
	c.Verifiers.Close()
	err := c.audit.SaveHead(context.Background(), c.store.DB)
	return errors.Join(err, c.store.Close())
}

// ListAudit returns a page of the audit log, newest first (Administrators
// only).
func (c *Core) ListAudit(ctx context.Context, actorID int64, f audit.Filter) ([]audit.Entry, int, error) {
	if _, err := c.Accounts.RequireAdmin(ctx, nil, actorID); err != nil {
		return nil, 0, err
	}
	return c.audit.List(ctx, c.store.DB, f)
}

// VerifyAudit checks the whole audit chain (Administrators only).
func (c *Core) VerifyAudit(ctx context.Context, actorID int64) (audit.Result, error) {
	if _, err := c.Accounts.RequireAdmin(ctx, nil, actorID); err != nil {
		return audit.Result{}, err
	}
	return c.audit.Verify(ctx, c.store.DB)
}
