package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
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

func openSQLite(ctx context.Context, dir string, deferCheck bool) (*Store, error) {
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
	s := &Store{DB: db, Engine: SQLite, Target: dir, Path: path, Fresh: fresh}
	if err := s.prepareSQLite(ctx, deferCheck); err != nil {
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

func (s *Store) prepareSQLite(ctx context.Context, deferCheck bool) error {
	// One statement, so both come from the same moment: another process
	// may be migrating this database right now.
	var version, objects int
	if err := s.DB.QueryRowContext(ctx, `SELECT (SELECT user_version FROM pragma_user_version), (SELECT COUNT(*) FROM sqlite_master)`).Scan(&version, &objects); err != nil {
		return fmt.Errorf("%w: %v", errs.ErrCorruptDatabase, err)
	}
	latest := len(migrations(SQLite))
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
	return s.migrateSQLite(ctx, version)
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

func (s *Store) migrateSQLite(ctx context.Context, from int) error {
	for _, m := range migrations(SQLite)[from:] {
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

// sqlitePoll is how often the SQLite change feed looks at the database's
// data version.
const sqlitePoll = 500 * time.Millisecond

// sqliteDigests are queries whose answers change with each topic's data
// (by topics' order): the change feed compares their digests when the data
// version moved. Each reads a row or a handful (users, the account).
var sqliteDigests = [len(topics)]string{
	`SELECT n FROM credential_revision WHERE id = 1`,
	`SELECT id, name, email, role, disabled, updated_at FROM users ORDER BY id`,
	`SELECT * FROM account`,
	`SELECT COALESCE(MAX(seq), 0), COUNT(*) FROM audit`,
}

// sqliteFeed is the SQLite source of the change feed: every sqlitePoll it
// reads PRAGMA data_version on a connection of its own (which moves when
// any other connection, of this process or another, commits), and when it
// moved, compares each topic's digest with the last one.
func (s *Store) sqliteFeed(ctx context.Context, publish func(topicSet, error)) {
	var conn *sql.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	version := int64(-1)
	var last [len(topics)][sha256.Size]byte
	t := time.NewTicker(sqlitePoll)
	defer t.Stop()
	for {
		err := func() error {
			if conn == nil {
				var err error
				if conn, err = s.DB.Conn(ctx); err != nil {
					return err
				}
			}
			var v int64
			if err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil || v == version {
				return err
			}
			var changed topicSet
			for i, q := range sqliteDigests {
				d, err := rowsDigest(ctx, conn, q)
				if err != nil {
					return err
				}
				if d != last[i] || version < 0 {
					changed |= 1 << i
				}
				last[i] = d
			}
			version = v
			publish(changed, nil)
			return nil
		}()
		if err != nil && conn != nil { // try a fresh connection next time
			conn.Close()
			conn = nil
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// rowsDigest is a SHA-256 over every value of every row of query.
func rowsDigest(ctx context.Context, conn *sql.Conn, query string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		return sum, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return sum, err
	}
	h := sha256.New()
	vals, dest := Values(len(cols))
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return sum, err
		}
		for _, v := range vals {
			fmt.Fprintf(h, "%#v;", v) // Go syntax: quoted strings, so rows cannot run together
		}
		h.Write([]byte{'\n'})
	}
	if err := rows.Err(); err != nil {
		return sum, err
	}
	h.Sum(sum[:0])
	return sum, nil
}
