// Package store opens Keysmith's database: embedded SQLite in a data
// directory (the default, one desktop) or PostgreSQL (a team).
//
// Guarantees:
//   - Both engines hold one schema, migrated by numbered files written once
//     for both (migrations/, see dialect.go), and the services run the same
//     SQL on both: what the engines spell differently is settled here, in
//     this package (sqlite.go, postgres.go), never in a service. On PostgreSQL the connection itself
//     translates the services' statements: `?` placeholders are numbered
//     ($1, $2, ...) and LIKE ignores case, as SQLite's does; Go booleans
//     are stored as 0/1, as SQLite does.
//   - Migrations are embedded and applied in order, in transactions that also
//     record the schema version, once, however many processes open the
//     database at the same moment: SQLite's write lock, or a PostgreSQL
//     advisory lock held by the migrating transaction.
//   - A database whose schema is newer than this build knows is refused with
//     errs.ErrNewerDatabase before anything is written, on either engine; an
//     unreadable or damaged file, or a database holding another program's
//     tables, is refused with errs.ErrCorruptDatabase and left as it is.
//   - Tx runs a function in one transaction that writers take one at a time,
//     on every machine: SQLite's BEGIN IMMEDIATE, or on PostgreSQL one
//     transaction-scoped advisory lock taken first. A transaction that
//     PostgreSQL aborts as a serialization failure or a deadlock is retried,
//     a bounded number of times.
//   - Changes are announced by topic (credentials, users, settings, audit):
//     Watch tells every watcher, on every machine, within about a second,
//     and tells them everything again after its connection comes back. On
//     PostgreSQL a transaction that writes a topic's table sends the
//     notification itself, in that transaction, so no service has to
//     remember to; a notification carries the topic's name, nothing else.
//   - A PostgreSQL database that cannot be reached (refused or timed-out
//     connections, a server restarting, a connection cut under a
//     statement) fails calls with an error for which errors.Is(err,
//     errs.ErrUnreachable) holds, and a connection attempt gives up after
//     5 seconds unless the URL sets connect_timeout; a statement's own
//     failure never carries it.
//
// SQLite: the data directory is created 0700 and the database file 0600;
// every connection runs with foreign keys on and a busy timeout; the
// database is in WAL mode.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Engine names a database engine.
type Engine string

// The engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is an open database.
type Store struct {
	DB     *sql.DB
	Engine Engine
	// Target is what Open was given: the data directory or the URL.
	Target string
	// Path is the SQLite database file ("" on PostgreSQL).
	Path string
	// Fresh is true when this Open created the database (on PostgreSQL: its
	// schema).
	Fresh bool

	unchecked bool            // opened by OpenUnchecked, Check not yet passed
	pgConfig  *pgx.ConnConfig // PostgreSQL: how the change feed connects
	feed      feed
}

// IsURL reports whether target names a PostgreSQL database (a postgres://
// or postgresql:// URL) rather than a data directory.
func IsURL(target string) bool {
	return strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://")
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

// Empty reports, without writing, whether target holds no database yet: on
// SQLite a database file missing or of 0 bytes, on PostgreSQL a database
// without a schema version or any table.
func Empty(ctx context.Context, target string) (bool, error) {
	if IsURL(target) {
		return pgEmpty(ctx, target)
	}
	fi, err := os.Stat(filepath.Join(target, FileName))
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	return err == nil && fi.Size() == 0, nil
}

// Open opens and migrates the database named by target: a postgres:// URL,
// or else a data directory holding (or to hold) the SQLite database, whose
// whole file is checked first (PRAGMA quick_check). A database that is
// corrupt, newer than this build or not Keysmith's is refused without a
// write.
func Open(ctx context.Context, target string) (*Store, error) {
	if IsURL(target) {
		return openPostgres(ctx, target)
	}
	return openSQLite(ctx, target, false)
}

// OpenUnchecked is Open without SQLite's whole-file check when the database
// is already up to date (a check reads every page: tens of milliseconds for
// a large database). The caller must call Check before its first write;
// until then the store may be read. A database that needs migrating is
// still checked before it is migrated. On PostgreSQL, which checks its own
// pages, it is Open.
func OpenUnchecked(ctx context.Context, target string) (*Store, error) {
	if IsURL(target) {
		return openPostgres(ctx, target)
	}
	return openSQLite(ctx, target, true)
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

// UserVersion reports the schema version recorded in the database.
func (s *Store) UserVersion(ctx context.Context) (int, error) {
	if s.Engine == Postgres {
		return pgVersion(ctx, s.DB)
	}
	var v int
	err := s.DB.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// LatestVersion is the schema version this build migrates to.
func LatestVersion() int { return len(migrations(SQLite)) }

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns e's migrations, numbered 1..n, in e's SQL (dialect).
func migrations(e Engine) []migration {
	dir := "migrations"
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		panic(err) // embedded at build time
	}
	var out []migration
	for _, en := range entries {
		num, _, ok := strings.Cut(en.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			panic("bad migration name " + en.Name())
		}
		body, err := migrationFiles.ReadFile(dir + "/" + en.Name())
		if err != nil {
			panic(err)
		}
		out = append(out, migration{v, en.Name(), dialect(e, en.Name(), string(body))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			panic("migrations must be numbered 1..n without gaps")
		}
	}
	return out
}

// Tx runs fn in one write transaction (see the package doc), committing
// only if fn succeeds.
func (s *Store) Tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return Tx(ctx, s.DB, fn)
}

// Tx runs fn in one write transaction on db, a database opened by Open,
// committing only if fn succeeds. On PostgreSQL fn may run again after a
// serialization failure: it must leave nothing behind but its writes to tx
// and what it sets for its caller.
func Tx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	if isPostgres(db) {
		return pgTx(ctx, db, fn)
	}
	return once(ctx, db, "", fn)
}

// once runs fn in one transaction on db, after the statement first (if
// any), committing only if both succeed.
func once(ctx context.Context, db *sql.DB, first string, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if first != "" {
		if _, err := tx.ExecContext(ctx, first); err != nil {
			tx.Rollback()
			return fmt.Errorf("begin: %w", err)
		}
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

// EngineOf reports the engine of db, a database opened by Open.
func EngineOf(db *sql.DB) Engine {
	if isPostgres(db) {
		return Postgres
	}
	return SQLite
}

// Tables lists the tables of Keysmith's schema on db, by name (neither
// SQLite's own nor the PostgreSQL schema_version, nor SQLite's search
// index).
func Tables(ctx context.Context, db *sql.DB) ([]string, error) {
	return tables(ctx, db, EngineOf(db))
}

// querier runs queries: a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

func tables(ctx context.Context, q querier, e Engine) ([]string, error) {
	// Ordinary tables only: not audit_search (virtual) nor the tables FTS5
	// keeps its index in (shadow), which are derived from audit.
	query := `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if e == Postgres {
		query = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_version' ORDER BY tablename`
	}
	return texts(ctx, q, query)
}

// texts returns the one text column of every row of query.
func texts(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	return Collect(rows, err, func(rs *sql.Rows, v *string) error { return rs.Scan(v) })
}

// IsUnique reports whether err is a row refused for a duplicate key
// (a UNIQUE or PRIMARY KEY constraint), on either engine.
func IsUnique(err error) bool {
	var le *sqlite.Error
	if errors.As(err, &le) {
		return le.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || le.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// Close ends every Watch and closes the database (after checkpointing
// SQLite's WAL into the database file).
func (s *Store) Close() error {
	s.feed.close()
	if s.Engine == SQLite {
		s.DB.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	}
	return s.DB.Close()
}
