package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"

	"keysmith/app/audit"
	"keysmith/app/errs"
	"keysmith/app/keyfile"
	"keysmith/app/store"
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
//   - The MAC's message also says whether the password hashes are peppered
//     (see accounts.Pepper). checkKey reports wrap = true only for a
//     database written before the pepper: its key_check row has the older
//     message, or it had no key_check yet (schema below 4). After wrapping,
//     the caller records the newer message (markPeppered); a row deleted
//     from a newer database is re-created without wrapping anything, so
//     nobody can have an unpeppered hash wrapped by deleting it.
func checkKey(ctx context.Context, st *store.Store, key *keyfile.Key, log *audit.Log, headPath string, empty bool) (wrap bool, err error) {
	if empty && audit.HeadRecorded(headPath) {
		return false, errs.ErrTruncated
	}
	older, current := keyCheckMAC(key, false), keyCheckMAC(key, true)
	for inserted := false; ; inserted = true {
		var got []byte
		err := st.DB.QueryRowContext(ctx, `SELECT mac FROM key_check WHERE id = 1`).Scan(&got)
		if err == nil {
			switch {
			case hmac.Equal(got, current):
				return false, nil
			case hmac.Equal(got, older):
				return true, nil
			}
			return false, errs.ErrKeyMismatch
		}
		if !errors.Is(err, sql.ErrNoRows) || inserted {
			return false, fmt.Errorf("%w: key check: %v", errs.ErrCorruptDatabase, err)
		}
		ok, err := log.FirstEntryKeyed(ctx, st.DB)
		if err != nil {
			return false, fmt.Errorf("%w: key check: %v", errs.ErrCorruptDatabase, err)
		}
		if !ok {
			return false, errs.ErrKeyMismatch
		}
		want := current
		if !st.Fresh && st.FoundVersion < 4 {
			want = older // written before key_check and the pepper: wrap, then mark
		}
		// Another process opening the same database may insert first; the
		// next pass compares with whatever row won.
		if _, err := st.DB.ExecContext(ctx, `INSERT OR IGNORE INTO key_check (id, mac) VALUES (1, ?)`, want); err != nil {
			return false, fmt.Errorf("record key check: %w", err)
		}
	}
}

// keyCheckMAC is the key_check MAC under key, for a database whose password
// hashes are peppered or not yet.
func keyCheckMAC(key *keyfile.Key, peppered bool) []byte {
	m := hmac.New(sha256.New, key.Derive("key check v1"))
	m.Write([]byte("keysmith key check"))
	if peppered {
		m.Write([]byte(", password hashes peppered"))
	}
	return m.Sum(nil)
}

// markPeppered records that every password hash of the database is
// peppered; from then on an unpeppered hash is never wrapped.
func markPeppered(ctx context.Context, st *store.Store, key *keyfile.Key) error {
	_, err := st.DB.ExecContext(ctx, `UPDATE key_check SET mac = ? WHERE id = 1 AND mac = ?`, keyCheckMAC(key, true), keyCheckMAC(key, false))
	return err
}
