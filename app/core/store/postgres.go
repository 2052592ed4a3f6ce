package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"keysmith/app/core/errs"
)

// PostgreSQL advisory lock keys (one 64-bit space per database): "keysmith"
// in ASCII, then one more.
const (
	migrateLock int64 = 0x6b65_7973_6d69_7468
	writeLock   int64 = migrateLock + 1
)

// txAttempts bounds how often Tx runs a transaction that PostgreSQL keeps
// aborting as a serialization failure or deadlock.
const txAttempts = 8

// pgDB returns a handle (no connection yet) on the database at rawURL.
func pgDB(rawURL string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		// The URL may hold a password: name the problem, not the URL.
		return nil, errors.New("open database: the PostgreSQL URL cannot be parsed")
	}
	return sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)}), nil
}

func openPostgres(ctx context.Context, rawURL string) (*Store, error) {
	db, err := pgDB(rawURL)
	if err != nil {
		return nil, err
	}
	s := &Store{DB: db, Engine: Postgres, Target: rawURL}
	if err := s.preparePostgres(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func pgEmpty(ctx context.Context, rawURL string) (bool, error) {
	db, err := pgDB(rawURL)
	if err != nil {
		return false, err
	}
	defer db.Close()
	version, others, err := pgState(ctx, db)
	if err != nil {
		return false, fmt.Errorf("open database: %w", err)
	}
	return version == 0 && others == 0, nil
}

// pgVersion reads the schema version: 0 without a schema_version table.
func pgVersion(ctx context.Context, q queryRower) (int, error) {
	// From the catalog tables, not to_regclass: its cache of names may still
	// miss a table another process created while this one waited on a lock.
	var exists bool
	if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_tables
		WHERE schemaname = current_schema() AND tablename = 'schema_version')`).Scan(&exists); err != nil || !exists {
		return 0, err
	}
	var v int
	err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	return v, err
}

type queryRower interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// pgState reads the schema version and how many other tables the current
// schema holds.
func pgState(ctx context.Context, q queryRower) (version, others int, err error) {
	if version, err = pgVersion(ctx, q); err != nil {
		return 0, 0, err
	}
	err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_version'`).Scan(&others)
	return version, others, err
}

func checkState(version, others, latest int) error {
	if version > latest {
		return fmt.Errorf("%w: schema %d, this build knows %d", errs.ErrNewerDatabase, version, latest)
	}
	if version == 0 && others > 0 {
		return fmt.Errorf("%w: not a Keysmith database (%d tables)", errs.ErrCorruptDatabase, others)
	}
	return nil
}

// preparePostgres refuses a newer or foreign database without a write, then
// migrates: every pending migration in one transaction holding an advisory
// lock, so that processes opening the database at once wait for the first
// and find the work done.
func (s *Store) preparePostgres(ctx context.Context) error {
	ms := migrations(Postgres)
	version, others, err := pgState(ctx, s.DB)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	if version > len(ms) {
		return checkState(version, others, len(ms))
	}
	if version == len(ms) {
		return nil
	}
	// Not yet migrated, or foreign: look again under the lock. (Unlocked, the
	// version and the tables may come from either side of another process's
	// migration.)
	err = once(ctx, s.DB, "", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, migrateLock); err != nil {
			return err
		}
		// Another process may have migrated while this one waited.
		version, others, err := pgState(ctx, tx)
		if err != nil {
			return err
		}
		if err := checkState(version, others, len(ms)); err != nil {
			return err
		}
		s.Fresh = version == 0
		return pgMigrate(ctx, tx, version, ms)
	})
	if err != nil && !errors.Is(err, errs.ErrNewerDatabase) && !errors.Is(err, errs.ErrCorruptDatabase) {
		return fmt.Errorf("migrate database: %w", err)
	}
	return err
}

// pgMigrate applies ms from schema version on in tx and records the new
// version; from version 0 it first makes the schema_version table. The
// caller holds migrateLock.
func pgMigrate(ctx context.Context, tx *sql.Tx, version int, ms []migration) error {
	if version == 0 {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE schema_version (version BIGINT NOT NULL)`); err != nil {
			return err
		}
	}
	for _, m := range ms[version:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migrate to schema %d: %w", m.version, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM schema_version`); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, len(ms))
	return err
}

// pgTx is Tx on PostgreSQL: the transaction first takes the write lock, so
// writers queue in the database whichever machine they run on, and each
// sees everything committed before it, as with SQLite's BEGIN IMMEDIATE. A
// serialization failure or deadlock (from statements outside Tx) is retried.
func pgTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	lock := fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", writeLock)
	for attempt := 1; ; attempt++ {
		err := once(ctx, db, lock, fn)
		if err == nil || attempt == txAttempts || !retryable(err) {
			return err
		}
		// Back off a random 1..2^attempt ms, so retries spread out.
		d := time.Duration(1+rand.IntN(1<<attempt)) * time.Millisecond
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(d):
		}
	}
}

// retryable reports whether err is PostgreSQL aborting a transaction that
// may succeed if run again: a serialization failure or a deadlock.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// isPostgres reports whether db was opened on PostgreSQL by this package.
func isPostgres(db *sql.DB) bool {
	_, ok := db.Driver().(pgDriver)
	return ok
}

// pgConnector makes the connections of a PostgreSQL store: pgx's, through
// pgConn.
type pgConnector struct{ inner driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{conn.(*stdlib.Conn)}, nil
}

func (pgConnector) Driver() driver.Driver { return pgDriver{} }

// pgDriver marks a PostgreSQL store's *sql.DB; connections come from
// pgConnector only.
type pgDriver struct{}

func (pgDriver) Open(string) (driver.Conn, error) {
	return nil, errors.New("store: open PostgreSQL with store.Open")
}

// pgConn is a pgx connection that speaks the services' SQL: it translates
// their statements (pgSQL) and stores Go booleans as 0/1.
type pgConn struct{ *stdlib.Conn }

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(pgSQL(query))
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, pgSQL(query))
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, pgSQL(query), args)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, pgSQL(query), args)
}

func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	if b, ok := nv.Value.(bool); ok {
		nv.Value = int64(0)
		if b {
			nv.Value = int64(1)
		}
	}
	return c.Conn.CheckNamedValue(nv)
}

// pgSQL turns the services' SQL into PostgreSQL's, the two places where
// the same text means something else:
//   - `?` placeholders are numbered: $1, $2, ...
//   - LIKE becomes ILIKE: SQLite's LIKE ignores case (of ASCII letters),
//     PostgreSQL's does not.
//
// Text inside a string literal, a quoted identifier, a comment or a
// dollar-quoted body is left as it is.
func pgSQL(query string) string {
	if !strings.Contains(query, "?") && !containsFold(query, "like") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); {
		c := query[i]
		end := i + 1
		switch {
		case c == '\'' || c == '"':
			end = skipQuoted(query, i, c)
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			if j := strings.IndexByte(query[i:], '\n'); j >= 0 {
				end = i + j + 1
			} else {
				end = len(query)
			}
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			if j := strings.Index(query[i+2:], "*/"); j >= 0 {
				end = i + 2 + j + 2
			} else {
				end = len(query)
			}
		case c == '$':
			if tag, ok := dollarTag(query[i:]); ok {
				if j := strings.Index(query[i+len(tag):], tag); j >= 0 {
					end = i + len(tag) + j + len(tag)
				} else {
					end = len(query)
				}
			}
		case c == '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
			i++
			continue
		case isWordChar(c):
			for end < len(query) && isWordChar(query[end]) {
				end++
			}
			if strings.EqualFold(query[i:end], "like") {
				b.WriteString("ILIKE")
				i = end
				continue
			}
		}
		b.WriteString(query[i:end])
		i = end
	}
	return b.String()
}

func isWordChar(c byte) bool {
	return c == '_' || c == '$' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= 0x80
}

func containsFold(s, word string) bool {
	return strings.Contains(strings.ToLower(s), word)
}

// skipQuoted returns the index after the quoted run starting at i (a doubled
// quote stays inside).
func skipQuoted(s string, i int, q byte) int {
	for j := i + 1; j < len(s); j++ {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

// dollarTag returns the opening tag of a dollar-quoted string at the start
// of s ($$ or $name$), if there is one.
func dollarTag(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '$':
			return s[:j+1], true
		case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || j > 1 && '0' <= c && c <= '9':
		default:
			return "", false
		}
	}
	return "", false
}
