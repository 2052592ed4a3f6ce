package core

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"

	"keysmith/app/core/audit"
	"keysmith/app/core/errs"
	"keysmith/app/core/keyfile"
	"keysmith/app/core/store"
)

// checkKey makes sure key belongs to the database before anything is read
// or written with it, and that the database is the one this directory held:
//   - key_check holds a MAC of a fixed message under a key derived from the
//     key file; any other key file is errs.ErrKeyMismatch.
//   - A database without that row (new, or written before key_check
//     existed) gets it, once its oldest audit entry, if any, shows it was
//     written under key.
//   - An empty database in a directory whose audit head file records
//     entries was replaced: errs.ErrTruncated. (Open refuses a missing or
//     0-byte one before SQLite writes a new schema where it was.)
func checkKey(ctx context.Context, st *store.Store, key *keyfile.Key, log *audit.Log, headPath string, empty bool) error {
	if empty && audit.HeadRecorded(headPath) {
		return errs.ErrTruncated
	}
	m := hmac.New(sha256.New, key.Derive("key check v1"))
	m.Write([]byte("keysmith key check"))
	want := m.Sum(nil)
	for inserted := false; ; inserted = true {
		var got []byte
		err := st.DB.QueryRowContext(ctx, `SELECT mac FROM key_check WHERE id = 1`).Scan(&got)
		if err == nil {
			if !hmac.Equal(got, want) {
				return errs.ErrKeyMismatch
			}
			return nil
		}
		if errors.Is(err, errs.ErrUnreachable) {
			return fmt.Errorf("key check: %w", err) // not damage: the database went away
		}
		if !errors.Is(err, sql.ErrNoRows) || inserted {
			return fmt.Errorf("%w: key check: %v", errs.ErrCorruptDatabase, err)
		}
		ok, err := log.FirstEntryKeyed(ctx, st.DB)
		if errors.Is(err, errs.ErrUnreachable) {
			return fmt.Errorf("key check: %w", err)
		}
		if err != nil {
			return fmt.Errorf("%w: key check: %v", errs.ErrCorruptDatabase, err)
		}
		if !ok {
			return errs.ErrKeyMismatch
		}
		// Another process opening the same database may insert first; the
		// next pass compares with whatever row won.
		if _, err := st.DB.ExecContext(ctx, `INSERT INTO key_check (id, mac) VALUES (1, ?) ON CONFLICT (id) DO NOTHING`, want); err != nil {
			return fmt.Errorf("record key check: %w", err)
		}
	}
}
