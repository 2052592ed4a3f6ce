package core_test

import (
	"context"
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
