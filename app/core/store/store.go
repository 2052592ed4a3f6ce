// Package store opens Keysmith's embedded SQLite database.
//
// Guarantees:
//   - The data directory is created 0700 and the database file 0600.
//   - Every connection runs with foreign keys on and a busy timeout; the
//     database is in WAL mode; write transactions begin IMMEDIATE, so two
//     processes changing the same rows serialize instead of failing midway.
//   - Migrations are embedded and applied in order, each in one transaction
//     that also records the schema version.
//   - A database whose schema is newer than this build knows is refused with
//     errs.ErrNewerDatabase before anything is written; an unreadable or
//     damaged file is refused with errs.ErrCorruptDatabase and left as it is.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"keysmith/app/core/errs"
)

// FileName is the database's name inside the data directory.
const FileName = "keysmith.db"

// busyTimeout is how long a statement waits for another process's lock.
const busyTimeout = 10 * time.Second

// minDatabaseSize is SQLite's smallest page: no real database is shorter.
const minDatabaseSize = 512

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is an open database.
type Store struct {
	DB   *sql.DB
	Path string
	// Fresh is true when this Open created the database.
	Fresh bool

	unchecked bool // opened by OpenUnchecked, Check not yet passed
}

// EnsureDir creates dir with mode 0700 if needed and tightens an existing
// directory to 0700.
func EnsureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("protect data directory: %w", err)
	}
	return nil
}

// Open opens (creating if needed) the database in dir, checks the whole
// file (PRAGMA quick_check) and migrates it. A database that is corrupt,
// newer than this build or not Keysmith's is refused without a write.
func Open(ctx context.Context, dir string) (*Store, error) {
	return openStore(ctx, dir, false)
}

// OpenUnchecked is Open without the whole-file check when the database is
// already up to date (a check reads every page: tens of milliseconds for a
// large database). The caller must call Check before its first write; until
// then the store may be read. A database that needs migrating is still
// checked before it is migrated.
func OpenUnchecked(ctx context.Context, dir string) (*Store, error) {
	return openStore(ctx, dir, true)
}

// Check runs the whole-file check that OpenUnchecked skipped, once; it
// returns nil at once after Open.
func (s *Store) Check(ctx context.Context) error {
	if !s.unchecked {
		return nil
	}
	if err := s.quickCheck(ctx); err != nil {
		return err
	}
	s.unchecked = false
	return nil
}

func openStore(ctx context.Context, dir string, deferCheck bool) (*Store, error) {
	if err := EnsureDir(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, FileName)
	fresh := false
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		fresh = true
		f.Close()
	case errors.Is(err, fs.ErrExist):
		if err := checkReadable(path); err != nil {
			return nil, err
		}
		// A restored copy may carry wider permissions; the database is 0600.
		for _, f := range []string{path, path + "-wal", path + "-shm"} {
			if err := os.Chmod(f, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("protect database: %w", err)
			}
		}
	default:
		return nil, fmt.Errorf("create database: %w", err)
	}

	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=busy_timeout(" + strconv.Itoa(int(busyTimeout/time.Millisecond)) + ")&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	s := &Store{DB: db, Path: path, Fresh: fresh}
	if err := s.prepare(ctx, deferCheck); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// checkReadable refuses a file that is not a regular, readable file.
func checkReadable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%w: %v", errs.ErrCorruptDatabase, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: not a regular file", errs.ErrCorruptDatabase)
	}
	// SQLite treats a file shorter than its header as a new, empty database
	// and would overwrite it; an empty file is a database not yet written.
	if fi.Size() > 0 && fi.Size() < minDatabaseSize {
		return fmt.Errorf("%w: %d bytes is too short", errs.ErrCorruptDatabase, fi.Size())
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %v", errs.ErrCorruptDatabase, err)
	}
	return f.Close()
}

func (s *Store) prepare(ctx context.Context, deferCheck bool) error {
	// One statement, so both come from the same moment: another process
	// may be migrating this database right now.
	var version, objects int
	if err := s.DB.QueryRowContext(ctx, `SELECT (SELECT user_version FROM pragma_user_version), (SELECT COUNT(*) FROM sqlite_master)`).Scan(&version, &objects); err != nil {
		return fmt.Errorf("%w: %v", errs.ErrCorruptDatabase, err)
	}
	latest := len(migrations())
	if version > latest {
		return fmt.Errorf("%w: schema %d, this build knows %d", errs.ErrNewerDatabase, version, latest)
	}
	if version == 0 && objects > 0 {
		// Unversioned: it must be empty, not another program's database.
		return fmt.Errorf("%w: not a Keysmith database (%d objects)", errs.ErrCorruptDatabase, objects)
	}
	if deferCheck && version == latest {
		s.unchecked = true
	} else if err := s.quickCheck(ctx); err != nil {
		return err
	}
	if err := s.useWAL(ctx); err != nil {
		return fmt.Errorf("%w: %v", errs.ErrCorruptDatabase, err)
	}
	return s.migrate(ctx, version)
}

// useWAL puts the database in WAL mode. Switching needs the database to
// itself, and SQLite answers SQLITE_BUSY at once, without waiting, while
// another process opening it at the same moment reads: so wait here, up
// to the busy timeout.
func (s *Store) useWAL(ctx context.Context) error {
	for deadline := time.Now().Add(busyTimeout); ; {
		var mode string
		err := s.DB.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Store) quickCheck(ctx context.Context) error {
	var check string
	if err := s.DB.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil || check != "ok" {
		return fmt.Errorf("%w: quick_check %q %v", errs.ErrCorruptDatabase, check, err)
	}
	return nil
}

// UserVersion reports the schema version recorded in the database.
func (s *Store) UserVersion(ctx context.Context) (int, error) {
	var v int
	err := s.DB.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// LatestVersion is the schema version this build migrates to.
func LatestVersion() int { return len(migrations()) }

type migration struct {
	version int
	sql     string
}

func migrations() []migration {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		panic(err) // embedded at build time
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			panic("bad migration name " + e.Name())
		}
		body, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			panic(err)
		}
		out = append(out, migration{v, string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			panic("migrations must be numbered 1..n without gaps")
		}
	}
	return out
}

func (s *Store) migrate(ctx context.Context, from int) error {
	for _, m := range migrations()[from:] {
		err := s.Tx(ctx, func(tx *sql.Tx) error {
			// Another process may have applied it since this one looked:
			// the IMMEDIATE transaction holds the write lock, so look again.
			var now int
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&now); err != nil {
				return err
			}
			if now >= m.version {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version))
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate to schema %d: %w", m.version, err)
		}
	}
	return nil
}

// Tx runs fn in one IMMEDIATE transaction, committing only if fn succeeds.
func (s *Store) Tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return Tx(ctx, s.DB, fn)
}

// Tx runs fn in one transaction on db, committing only if fn succeeds.
func Tx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Close checkpoints the WAL and closes the database.
func (s *Store) Close() error {
	s.DB.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return s.DB.Close()
}
