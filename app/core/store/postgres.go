package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
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

// connectTimeout bounds a connection attempt when the URL sets none, so a
// database that cannot be reached fails a call in seconds, not after the
// system's TCP timeout.
const connectTimeout = 5 * time.Second

// pgDB returns a handle (no connection yet) on the database at rawURL, and
// the configuration its connections use.
func pgDB(rawURL string) (*sql.DB, *pgx.ConnConfig, error) {
	if err := checkRootCert(rawURL); err != nil {
		return nil, nil, err
	}
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		// The URL may hold a password: name the problem, not the URL.
		return nil, nil, errors.New("open database: the PostgreSQL URL cannot be parsed")
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	return sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)}), cfg, nil
}

// maxRootCert bounds the sslrootcert file the driver reads whole.
const maxRootCert = 1 << 20

// checkRootCert refuses an sslrootcert that is not a regular file of at
// most maxRootCert bytes before the driver reads it whole: an address may
// come from an invitation, and /dev/zero is a path too.
func checkRootCert(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil // the driver's parse says what is wrong
	}
	path := u.Query().Get("sslrootcert")
	if path == "" || path == "system" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return errs.Invalidf("database", "Cannot read the certificate authority file %s that the database address names (sslrootcert): %s.", path, errs.SystemText(err))
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxRootCert {
		return errs.Invalidf("database", "The certificate authority file %s that the database address names (sslrootcert) is not a regular file of at most 1 MiB.", path)
	}
	return nil
}

func openPostgres(ctx context.Context, rawURL string) (*Store, error) {
	db, cfg, err := pgDB(rawURL)
	if err != nil {
		return nil, err
	}
	s := &Store{DB: db, Engine: Postgres, Target: rawURL, pgConfig: cfg}
	if err := s.preparePostgres(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func pgEmpty(ctx context.Context, rawURL string) (bool, error) {
	db, _, err := pgDB(rawURL)
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
		return nil, reach(err)
	}
	return &pgConn{Conn: conn.(*stdlib.Conn)}, nil
}

func (pgConnector) Driver() driver.Driver { return pgDriver{} }

// pgDriver marks a PostgreSQL store's *sql.DB; connections come from
// pgConnector only.
type pgDriver struct{}

func (pgDriver) Open(string) (driver.Conn, error) {
	return nil, errors.New("store: open PostgreSQL with store.Open")
}

// pgConn is a pgx connection that speaks the services' SQL: it translates
// their statements (pgSQL), stores Go booleans as 0/1, announces the
// topics a transaction writes (pg_notify in that transaction, just before
// its commit; right after a statement outside a transaction) and marks a
// lost database as errs.ErrUnreachable.
type pgConn struct {
	*stdlib.Conn
	tx *pgTxn // the open transaction, if any
}

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.Conn.PrepareContext(ctx, pgSQL(query))
	if err != nil {
		return nil, reach(err)
	}
	return &pgStmt{Stmt: st.(*stdlib.Stmt), c: c, writes: writtenTopics(query)}, nil
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	res, err := c.Conn.ExecContext(ctx, pgSQL(query), args)
	if err != nil {
		return nil, reach(err)
	}
	return res, c.wrote(ctx, writtenTopics(query))
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.Conn.QueryContext(ctx, pgSQL(query), args)
	if err != nil {
		return nil, reach(err)
	}
	return c.wroteRows(ctx, rows, writtenTopics(query)), nil
}

func (c *pgConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.Conn.BeginTx(ctx, opts)
	if err != nil {
		return nil, reach(err)
	}
	c.tx = &pgTxn{Tx: tx, c: c, ctx: ctx}
	return c.tx, nil
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

// wrote records that a statement wrote the topics in set: the open
// transaction announces them when it commits; outside one they are
// announced now.
func (c *pgConn) wrote(ctx context.Context, set topicSet) error {
	if set == 0 {
		return nil
	}
	if c.tx != nil {
		c.tx.writes |= set
		return nil
	}
	return c.announce(ctx, set)
}

// wroteRows is wrote for a query that returns rows: outside a transaction
// the connection is busy until they are closed, so the topics are
// announced then.
func (c *pgConn) wroteRows(ctx context.Context, rows driver.Rows, set topicSet) driver.Rows {
	if set == 0 || c.tx != nil {
		c.wrote(ctx, set)
		return rows
	}
	return &pgRows{Rows: rows.(*stdlib.Rows), close: func() error { return c.announce(ctx, set) }}
}

// notifyChannel is the channel every change is announced on.
const notifyChannel = "keysmith"

// announce sends one notification per topic in set.
func (c *pgConn) announce(ctx context.Context, set topicSet) error {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, t := range set.list() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "pg_notify('%s', '%s')", notifyChannel, t) // constants, no quotes inside
	}
	_, err := c.Conn.ExecContext(ctx, b.String(), nil)
	return reach(err)
}

// pgTxn is a transaction on a pgConn: it announces what it wrote just
// before it commits, so the notifications are sent if and only if the
// changes are.
type pgTxn struct {
	driver.Tx
	c      *pgConn
	ctx    context.Context
	writes topicSet
}

func (t *pgTxn) Commit() error {
	t.c.tx = nil
	if t.writes != 0 {
		if err := t.c.announce(t.ctx, t.writes); err != nil {
			t.Tx.Rollback()
			return err
		}
	}
	return reach(t.Tx.Commit())
}

func (t *pgTxn) Rollback() error {
	t.c.tx = nil
	return reach(t.Tx.Rollback())
}

// pgStmt is a prepared statement on a pgConn; it announces what it writes
// as the connection's statements do.
type pgStmt struct {
	*stdlib.Stmt
	c      *pgConn
	writes topicSet
}

func (s *pgStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	res, err := s.Stmt.ExecContext(ctx, args)
	if err != nil {
		return nil, reach(err)
	}
	return res, s.c.wrote(ctx, s.writes)
}

func (s *pgStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := s.Stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, reach(err)
	}
	return s.c.wroteRows(ctx, rows, s.writes), nil
}

// pgRows are the rows of a writing query outside a transaction: closing
// them announces what it wrote.
type pgRows struct {
	*stdlib.Rows
	close func() error
}

func (r *pgRows) Close() error {
	err := r.Rows.Close()
	if r.close != nil {
		err = errors.Join(err, r.close())
		r.close = nil
	}
	return err
}

// reach marks err as errs.ErrUnreachable when it says the database cannot
// be reached (see unreachable); other errors are returned as they are.
func reach(err error) error {
	if unreachable(err) {
		return &unreachableError{err}
	}
	return err
}

// unreachableError is a driver error that means the database cannot be
// reached: errors.Is finds errs.ErrUnreachable and the error it wraps.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string   { return e.err.Error() }
func (e *unreachableError) Unwrap() []error { return []error{errs.ErrUnreachable, e.err} }

// unreachable reports whether err is a failure to reach the database or a
// connection lost: no network route or a refused or timed-out connection,
// the server shutting down, starting up or ending the session, a
// connection closed under a statement. A refused sign-in, a statement's
// own error and database/sql's request to retry on another connection
// (driver.ErrBadConn) are not.
func unreachable(err error) bool {
	if err == nil || errors.Is(err, driver.ErrBadConn) || errors.Is(err, errs.ErrUnreachable) || errors.Is(err, context.Canceled) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exception; 57P01..57P03: the server is shutting
		// down, crashed or is not yet accepting connections.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) || pgconn.SafeToRetry(err)
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
	lexSQL(query, func(kind token, text string) {
		switch {
		case kind == tokParam:
			n++
			fmt.Fprintf(&b, "$%d", n)
		case kind == tokWord && strings.EqualFold(text, "like"):
			b.WriteString("ILIKE")
		default:
			b.WriteString(text)
		}
	})
	return b.String()
}

// token is the kind of a piece of SQL that lexSQL finds.
type token int

const (
	tokOther token = iota // a quoted string or name, a comment, a dollar-quoted body, a space or a sign
	tokWord               // a keyword or a bare name, schema-qualified names in one piece (public.users)
	tokParam              // a ? placeholder
)

// lexSQL calls fn with each piece of query, in order: the pieces put end to
// end are query.
func lexSQL(query string, fn func(kind token, text string)) {
	for i := 0; i < len(query); {
		c := query[i]
		end := i + 1
		kind := tokOther
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
			kind = tokParam
		case isWordChar(c):
			kind = tokWord
			for end < len(query) && isWordChar(query[end]) {
				end++
			}
		}
		fn(kind, query[i:end])
		i = end
	}
}

func isWordChar(c byte) bool {
	return c == '_' || c == '$' || c == '.' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= 0x80
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

// The PostgreSQL change feed's timing: an idle listener checks its
// connection every feedPing and gives it feedPingTimeout to answer; a lost
// connection is tried again after feedRetryMin, doubling up to
// feedRetryMax.
const (
	feedPing        = 5 * time.Second
	feedPingTimeout = 3 * time.Second
	feedRetryMin    = 100 * time.Millisecond
	feedRetryMax    = 5 * time.Second
)

// pgFeed is the PostgreSQL source of the change feed: LISTEN on a
// connection of its own, reconnecting with growing pauses; every
// (re)connection reports every topic.
func (s *Store) pgFeed(ctx context.Context, publish func(topicSet, error)) {
	pause := feedRetryMin
	for {
		err := s.pgListen(ctx, func() { pause = feedRetryMin; publish(allTopics, nil) }, func(t topicSet) { publish(t, nil) })
		if ctx.Err() != nil {
			return
		}
		if !errors.Is(err, errs.ErrUnreachable) {
			err = fmt.Errorf("%w: %w", errs.ErrUnreachable, err) // the feed cannot go on: to its watchers, the same
		}
		publish(0, err)
		// Wait a random 1..2 pauses, so machines that lost the database
		// together do not come back in step.
		d := pause + rand.N(pause)
		pause = min(2*pause, feedRetryMax)
		select {
		case <-ctx.Done():
			return
		case <-time.After(d):
		}
	}
}

// pgListen connects, listens, calls connected, then calls got with each
// notification's topic until the connection fails (its error is returned)
// or ctx ends.
func (s *Store) pgListen(ctx context.Context, connected func(), got func(topicSet)) error {
	conn, err := pgx.ConnectConfig(ctx, s.pgConfig)
	if err != nil {
		return reach(err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return reach(err)
	}
	connected()
	for {
		wctx, cancel := context.WithTimeout(ctx, feedPing)
		n, err := conn.WaitForNotification(wctx)
		idle := wctx.Err() != nil
		cancel()
		switch {
		case err == nil:
			if t := topicNamed(n.Payload); t != 0 {
				got(t)
			}
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case !idle:
			return reach(err)
		}
		// Nothing for a while: make sure the connection still answers (a
		// network cut shows no error until something is sent).
		pctx, cancel := context.WithTimeout(ctx, feedPingTimeout)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return reach(err)
		}
	}
}
