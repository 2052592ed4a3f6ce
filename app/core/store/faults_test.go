package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"keysmith/app/core/errs"
)

// A one-byte file is not a database, but SQLite treats it as an empty one and
// Open silently replaces it with a new Keysmith database.
func TestOneByteFileIsOverwritten(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	os.Mkdir(dir, 0o700)
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, []byte{'x'}, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), dir)
	if err == nil {
		s.Close()
	}
	if !errors.Is(err, errs.ErrCorruptDatabase) {
		t.Errorf("Open of a 1-byte file: err = %v, want ErrCorruptDatabase", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "x" {
		t.Errorf("1-byte file replaced by %d bytes", len(b))
	}
}

// The package promises a 0600 database file, but an existing file (restored
// from a backup with cp, say) keeps its looser mode.
func TestExistingDatabaseNotTightened(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	path := filepath.Join(dir, FileName)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if m := mode(t, path); m != 0o600 {
		t.Errorf("existing database mode = %v after Open, want 0600", m)
	}
}

// A SQLite database that is not Keysmith's (user_version 0, other tables) is
// switched to WAL and migrated into, instead of being refused untouched.
func TestForeignDatabaseModified(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	os.Mkdir(dir, 0o700)
	path := filepath.Join(dir, FileName)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE users (x); INSERT INTO users VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	b, _ := os.ReadFile(path)
	before := sha256.Sum256(b)
	s, err := Open(context.Background(), dir)
	if err == nil {
		s.Close()
	}
	if !errors.Is(err, errs.ErrCorruptDatabase) {
		t.Errorf("foreign database: err = %v, want ErrCorruptDatabase", err)
	}
	if fileSum(t, path) != before {
		t.Error("foreign database was modified by a refused Open")
	}
}
