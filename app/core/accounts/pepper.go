package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/binary"
	"fmt"

	"golang.org/x/crypto/argon2"

	"keysmith/app/core/keyfile"
	"keysmith/app/core/store"
)

// Pepper keys stored password hashes (sign-in passwords and Legacy
// passwords) to the key file and to the hash's owner.
//
// A stored hash is HMAC-SHA256(pepper, owner, argon2id(password, salt)),
// written as a PHC string with the extra parameter k=1:
//
//	$argon2id$v=19$m=19456,t=2,p=1,k=1$SALT$MAC
//
// Guarantees:
//   - A copy of the database without keysmith.key gives nothing to crack:
//     each guess needs the pepper, which never enters the database.
//   - With write access to the database alone nobody can make a hash that
//     verifies: not for a password of their choosing (that needs the
//     pepper), not by copying another owner's hash (the owner is bound), and
//     not by writing an unpeppered hash (Verify refuses one).
//   - Unpeppered hashes of older databases are wrapped without the password
//     (Wrap), once, when the core opens them with their key file.
type Pepper struct{ key []byte }

// PepperFrom returns the account's Pepper, derived from its key file.
func PepperFrom(key *keyfile.Key) Pepper { return Pepper{key: key.Derive("password pepper v1")} }

// UserOwner is the owner of a sign-in password hash: the user's email key.
func UserOwner(emailKey string) string { return "user:" + emailKey }

// LegacyOwner is the owner of a Legacy password hash: its username.
func LegacyOwner(username string) string { return "legacy:" + username }

func (p Pepper) valid() bool { return len(p.key) >= 32 }

func (p Pepper) mac(owner string, sum []byte) []byte {
	m := hmac.New(sha256.New, p.key)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(owner)))
	m.Write(n[:])
	m.Write([]byte(owner))
	m.Write(sum)
	return m.Sum(nil)
}

// Hash returns the peppered PHC string of password for owner under params,
// with a fresh salt.
func (p Pepper) Hash(password, owner string, params Params) (string, error) {
	if !p.valid() {
		return "", fmt.Errorf("password pepper not set")
	}
	enc, err := HashPassword(password, params)
	if err != nil {
		return "", err
	}
	return p.Wrap(enc, owner)
}

// Verify reports whether password matches owner's peppered hash, in
// constant time, and whether it should be recomputed under want. An
// unpeppered or malformed hash is an error, never a match.
func (p Pepper) Verify(password, encoded, owner string, want Params) (ok, rehash bool, err error) {
	h, err := parsePHC(encoded)
	if err != nil {
		return false, false, err
	}
	if !h.keyed || !p.valid() {
		return false, false, errBadHash
	}
	sum := argon2.IDKey([]byte(password), h.salt, h.params.Time, h.params.MemoryKiB, h.params.Threads, hashLen)
	ok = subtle.ConstantTimeCompare(p.mac(owner, sum), h.sum) == 1
	return ok, h.params.weakerThan(want), nil
}

// Wrap turns an unpeppered hash into owner's peppered hash of the same
// password, without knowing it. A peppered hash is returned unchanged.
func (p Pepper) Wrap(encoded, owner string) (string, error) {
	h, err := parsePHC(encoded)
	if err != nil {
		return "", err
	}
	if h.keyed {
		return encoded, nil
	}
	if !p.valid() {
		return "", fmt.Errorf("password pepper not set")
	}
	if len(h.sum) != hashLen {
		// argon2id's output length is part of what a guess must match; a
		// wrapped hash keeps only the MAC, so fix it at hashLen.
		return "", errBadHash
	}
	h.keyed, h.sum = true, p.mac(owner, h.sum)
	return h.encode(), nil
}

// Peppered reports whether encoded is a well-formed peppered hash.
func Peppered(encoded string) bool {
	h, err := parsePHC(encoded)
	return err == nil && h.keyed
}

// WrapHashes peppers every sign-in password hash still stored unpeppered
// (databases from before the pepper). Running it again changes nothing.
func (s *Service) WrapHashes(ctx context.Context) error {
	return wrapAll(ctx, s.db, s.pepper, UserOwner,
		`SELECT id, email_key, password_hash FROM users WHERE password_hash NOT LIKE '%,k=1$%'`,
		`UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`, "")
}

// WrapAll peppers, in one transaction, the unpeppered hashes that query
// returns as (row id, owner name, hash), writing each with update (new hash,
// row id, old hash) and then running after, if any row changed.
func WrapAll(ctx context.Context, db *sql.DB, p Pepper, owner func(string) string, query, update, after string) error {
	return wrapAll(ctx, db, p, owner, query, update, after)
}

func wrapAll(ctx context.Context, db *sql.DB, p Pepper, owner func(string) string, query, update, after string) error {
	type row struct {
		id        int64
		name, phc string
	}
	var todo []row
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.name, &r.phc); err != nil {
			rows.Close()
			return err
		}
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(todo) == 0 {
		return err
	}
	return store.Tx(ctx, db, func(tx *sql.Tx) error {
		for _, r := range todo {
			h, err := p.Wrap(r.phc, owner(r.name))
			if err != nil {
				return fmt.Errorf("hash of row %d: %w", r.id, err)
			}
			if _, err := tx.ExecContext(ctx, update, h, r.id, r.phc); err != nil {
				return err
			}
		}
		if after != "" {
			_, err := tx.ExecContext(ctx, after)
			return err
		}
		return nil
	})
}
