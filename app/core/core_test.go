package core_test

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"keysmith/app/core"
	"keysmith/app/core/errs"
	"keysmith/app/core/keyfile"
	"keysmith/app/core/store"
	"keysmith/app/testkit"
	"keysmith/app/testkit/pgtest"
)

// used returns a data directory holding a seeded account with some audit
// entries, closed, and its key file's bytes.
func used(t *testing.T) (dir string, key []byte) {
	dir = t.TempDir()
	c := testkit.OpenDir(t, dir, testkit.NewClock())
	testkit.Seed(t, c)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(dir, keyfile.FileName))
	if err != nil {
		t.Fatal(err)
	}
	return dir, key
}

func open(dir string) (*core.Core, error) {
	p := testkit.CheapParams
	return core.Open(context.Background(), dir, core.Options{Params: &p, Database: testkit.DatabaseOf(dir)})
}

func auditRows(t *testing.T, dir string) int {
	t.Helper()
	c, err := open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var n int
	testkit.DB(t, c.Dir).QueryRow(`SELECT COUNT(*) FROM audit`).Scan(&n)
	if res, err := testkit.VerifyAudit(t, c.Dir); err != nil || !res.OK() {
		t.Fatalf("audit chain: %+v %v", res, err)
	}
	return n
}

// TestWrongKeyFileRefused: a key file from elsewhere is refused before
// anything is read or written with it, also for a database written before
// the key check existed; putting the right key back opens it unharmed.
func TestWrongKeyFileRefused(t *testing.T) {
	t.Parallel()
	for _, before := range []bool{false, true} {
		dir, key := used(t)
		if before { // as a database from before key_check: no row yet
			c, _ := open(dir)
			testkit.DB(t, c.Dir).Exec(`DELETE FROM key_check`)
			c.Close()
		}
		rows := auditRows(t, dir)
		if before {
			c, _ := open(dir)
			testkit.DB(t, c.Dir).Exec(`DELETE FROM key_check`)
			c.Close()
		}
		other := make([]byte, 32)
		rand.Read(other)
		path := filepath.Join(dir, keyfile.FileName)
		os.WriteFile(path, other, 0o600)
		for range 2 {
			if _, err := open(dir); !errors.Is(err, errs.ErrKeyMismatch) {
				t.Fatalf("before key_check %v: open with another key file: %v", before, err)
			}
		}
		os.WriteFile(path, key, 0o600)
		if n := auditRows(t, dir); n != rows {
			t.Fatalf("audit rows %d, want %d", n, rows)
		}
	}
}

// TestTruncatedDatabaseRefused: an emptied database beside an audit head
// that records entries is refused, and the empty file is left as it is.
func TestTruncatedDatabaseRefused(t *testing.T) {
	t.Parallel()
	testkit.SQLiteOnly(t)
	dir, _ := used(t)
	db := filepath.Join(dir, store.FileName)
	os.Truncate(db, 0)
	for range 2 {
		if _, err := open(dir); !errors.Is(err, errs.ErrTruncated) {
			t.Fatalf("open a truncated database: %v", err)
		}
	}
	if fi, _ := os.Stat(db); fi.Size() != 0 {
		t.Fatalf("the truncated database was written: %d bytes", fi.Size())
	}
	// Deleted, with its key file too: refused before a new database or key
	// file is written.
	os.Remove(db)
	os.Remove(filepath.Join(dir, keyfile.FileName))
	if _, err := open(dir); !errors.Is(err, errs.ErrTruncated) {
		t.Fatalf("open a deleted database: %v", err)
	}
	for _, f := range []string{store.FileName, keyfile.FileName} {
		if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s written while refusing: %v", f, err)
		}
	}
	// Replaced by a new, empty database (made elsewhere): refused the same way.
	other := t.TempDir()
	c, err := open(other)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	os.Rename(filepath.Join(other, store.FileName), db)
	os.Rename(filepath.Join(other, keyfile.FileName), filepath.Join(dir, keyfile.FileName))
	if _, err := open(dir); !errors.Is(err, errs.ErrTruncated) {
		t.Fatalf("open a replaced database: %v", err)
	}
}

// TestEmptiedPostgresDatabaseRefused: the PostgreSQL twin of
// TestTruncatedDatabaseRefused. A database emptied (its schema dropped) or
// replaced by an empty one, beside an audit head that records entries, is
// refused before a schema or a key file is written.
func TestEmptiedPostgresDatabaseRefused(t *testing.T) {
	ctx := context.Background()
	url, dir := pgtest.DB(t), t.TempDir()
	opt := testkit.Options(t, dir, testkit.NewClock())
	opt.Database = url
	c, err := core.Open(ctx, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Seed(t, c)
	c.Close()

	raw, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.DB.Exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	for _, target := range []string{url, pgtest.DB(t)} { // emptied, then replaced
		opt.Database = target
		for range 2 {
			if _, err := core.Open(ctx, dir, opt); !errors.Is(err, errs.ErrTruncated) {
				t.Fatalf("open an empty database where an account was: %v", err)
			}
		}
		if empty, err := store.Empty(ctx, target); err != nil || !empty {
			t.Fatalf("the refused database was written: empty %v, %v", empty, err)
		}
	}
	// Its key file gone too: still refused, and no key file is made.
	os.Remove(filepath.Join(dir, keyfile.FileName))
	if _, err := core.Open(ctx, dir, opt); !errors.Is(err, errs.ErrTruncated) {
		t.Fatalf("open without key file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, keyfile.FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("key file written while refusing: %v", err)
	}
}

// TestFreshDirectoryOpens: a new data directory, and a new database in it
// beside no audit head, open as before.
func TestFreshDirectoryOpens(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for range 2 {
		c, err := open(dir)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
}
