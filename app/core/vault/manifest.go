package vault

import (
	"bytes"
	"context"
	"crypto/hmac"
	"database/sql"
	"errors"

	"keysmith/app/core/errs"
	"keysmith/app/core/store"
)

// manifest is a vault's stored manifest row.
type manifest struct {
	counter int64
	keyID   []byte
	auth    []byte // the slot authentication key, sealed under the data key
	mac     []byte
}

type queryer interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

func loadManifest(ctx context.Context, q queryer, vaultID int64) (*manifest, error) {
	var m manifest
	err := q.QueryRowContext(ctx, `SELECT counter, key_id, auth, mac FROM vault_manifest WHERE vault_id = ?`, vaultID).
		Scan(&m.counter, &m.keyID, &m.auth, &m.mac)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// listItems returns every item's id, revision and nonce, sorted by id.
func listItems(ctx context.Context, q queryer, vaultID int64) ([]idRev, error) {
	rs, err := q.QueryContext(ctx, `SELECT id, revision, substr(sealed, 1, 24) FROM vault_items WHERE vault_id = ? ORDER BY id`, vaultID)
	return store.Collect(rs, err, func(rs *sql.Rows, r *idRev) error {
		return rs.Scan(&r.id, &r.rev, &r.nonce)
	})
}

// writeManifest stores the manifest binding the vault's items as they are in
// tx, at counter.
func writeManifest(ctx context.Context, tx *sql.Tx, vaultID int64, uid, dataKey, auth []byte, counter int64) error {
	items, err := listItems(ctx, tx, vaultID)
	if err != nil {
		return err
	}
	ak := subKey(dataKey, uid, "keysmith vault auth v1")
	defer clear(ak)
	sealedAuth, err := seal(ak, auth, authAD(uid))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO vault_manifest (vault_id, counter, key_id, auth, mac) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (vault_id) DO UPDATE SET counter = excluded.counter, key_id = excluded.key_id, auth = excluded.auth, mac = excluded.mac`,
		vaultID, counter, keyID(dataKey, uid), sealedAuth, manifestMAC(dataKey, uid, counter, items))
	return err
}

// openAuth returns the authentication key a manifest holds.
func (m *manifest) openAuth(dataKey, uid []byte) ([]byte, error) {
	ak := subKey(dataKey, uid, "keysmith vault auth v1")
	defer clear(ak)
	auth, err := open(ak, m.auth, authAD(uid))
	if err != nil || len(auth) != 32 {
		return nil, tampered("the manifest's authentication key does not open")
	}
	return auth, nil
}

// check verifies, inside q's transaction, that the vault's items are
// exactly the set its manifest binds, at a counter no older than this
// session has seen. It returns the items and the manifest. A manifest made
// under another data key means the key was rotated elsewhere: the session
// locks itself.
func (v *Session) check(ctx context.Context, q queryer, dataKey []byte) ([]idRev, *manifest, error) {
	m, err := loadManifest(ctx, q, v.vaultID)
	if err != nil {
		return nil, nil, err
	}
	if m == nil {
		return nil, nil, tampered("the manifest is missing")
	}
	if !hmac.Equal(m.keyID, keyID(dataKey, v.uid)) {
		v.Lock()
		return nil, nil, ErrLocked
	}
	items, err := listItems(ctx, q, v.vaultID)
	if err != nil {
		return nil, nil, err
	}
	if !hmac.Equal(m.mac, manifestMAC(dataKey, v.uid, m.counter, items)) {
		return nil, nil, tampered("the items differ from the manifest")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if m.counter < v.seen {
		return nil, nil, tampered("the manifest is older than one already seen")
	}
	v.seen = m.counter
	return items, m, nil
}

// read runs fn on the verified items inside one transaction.
func (v *Session) read(ctx context.Context, actorID int64, fn func(tx *sql.Tx, key []byte, items []idRev) error) error {
	dataKey, key, err := v.keys(ctx, actorID)
	if err != nil {
		return err
	}
	defer clear(dataKey)
	return store.Tx(ctx, v.s.db, func(tx *sql.Tx) error {
		items, _, err := v.check(ctx, tx, dataKey)
		if err != nil {
			return err
		}
		return fn(tx, key, items)
	})
}

// change runs fn inside one transaction after checking the manifest, then
// rewrites the manifest over the items as fn left them, with the counter
// one higher. Only what fn wrote differs from what was checked.
func (v *Session) change(ctx context.Context, actorID int64, fn func(tx *sql.Tx, key []byte) error) error {
	k, err := v.changeKeys(ctx, actorID)
	if err != nil {
		return err
	}
	defer k.wipe()
	dataKey, key, auth := k.data, k.item, k.auth
	var next int64
	err = store.Tx(ctx, v.s.db, func(tx *sql.Tx) error {
		_, m, err := v.check(ctx, tx, dataKey)
		if err != nil {
			return err
		}
		if err := fn(tx, key); err != nil {
			return err
		}
		next = m.counter + 1
		return writeManifest(ctx, tx, v.vaultID, v.uid, dataKey, auth, next)
	})
	if err == nil {
		v.saw(next)
	}
	return err
}

func (v *Session) saw(counter int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seen = max(v.seen, counter)
}

// errSlotChanged means the slot an unlock opened was rewritten before its
// transaction began; Unlock then starts over.
var errSlotChanged = errors.New("key slot changed during unlock")

// attach completes Unlock in one transaction: it checks the manifest (or,
// for a vault made before manifests, authenticates every item and writes
// one) and moves a slot of the first format, opened with kek, to the
// second format.
func (v *Session) attach(ctx context.Context, sl *slot, kek []byte) error {
	dataKey, key := v.dataKey, v.itemKey
	var counter int64
	err := store.Tx(ctx, v.s.db, func(tx *sql.Tx) error {
		var now slot
		err := tx.QueryRowContext(ctx, `SELECT kdf, salt, wrapped, public, sealed_key FROM vault_slots WHERE vault_id = ? AND kind = ?`, v.vaultID, sl.kind).
			Scan(&now.kdf, &now.salt, &now.wrapped, &now.public, &now.sealedKey)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err != nil || now.kdf != sl.kdf || !bytes.Equal(now.salt, sl.salt) || !bytes.Equal(now.wrapped, sl.wrapped) ||
			!bytes.Equal(now.public, sl.public) || !bytes.Equal(now.sealedKey, sl.sealedKey) {
			return errSlotChanged
		}
		m, err := loadManifest(ctx, tx, v.vaultID)
		if err != nil {
			return err
		}
		if m == nil {
			if !sl.legacy() {
				return tampered("the manifest is missing")
			}
			if err := v.firstManifest(ctx, tx, key); err != nil {
				return err
			}
			v.auth, counter = random(32), 1
			if err := writeManifest(ctx, tx, v.vaultID, v.uid, dataKey, v.auth, counter); err != nil {
				return err
			}
		} else {
			if !hmac.Equal(m.keyID, keyID(dataKey, v.uid)) {
				return tampered("a key slot holds a data key other than the vault's")
			}
			auth, err := m.openAuth(dataKey, v.uid)
			if err != nil {
				return err
			}
			if v.auth != nil && !hmac.Equal(auth, v.auth) {
				return tampered("a key slot's authentication key differs from the vault's")
			}
			v.auth = auth
			if _, _, err := v.check(ctx, tx, dataKey); err != nil {
				return err
			}
			counter = m.counter
		}
		if !sl.legacy() {
			return nil
		}
		next, err := slotFromKEK(v.uid, sl.kind, sl.kdf, sl.salt, kek, v.auth, dataKey)
		if err != nil {
			return err
		}
		return insertSlot(ctx, tx, v.vaultID, next)
	})
	if err != nil {
		return err
	}
	v.saw(counter)
	return nil
}

// firstManifest authenticates every item of a vault made before manifests
// and re-seals it under itemAD (same key and revision); it refuses a vault
// whose other key slot is already of the second format, whose passphrase
// slot is gone, or one of whose items is already re-sealed: its manifest
// was removed, not never made.
func (v *Session) firstManifest(ctx context.Context, tx *sql.Tx, key []byte) error {
	var newer, passphrase int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(public IS NOT NULL OR sealed_key IS NOT NULL OR NULL), COUNT(kind = 'passphrase' OR NULL)
		FROM vault_slots WHERE vault_id = ?`, v.vaultID).Scan(&newer, &passphrase); err != nil {
		return err
	}
	if newer > 0 || passphrase == 0 {
		return tampered("the manifest is missing")
	}
	_, err := v.resealItems(ctx, tx, key, func(r row) ([]byte, error) {
		pt, err := open(key, r.sealed, legacyItemAD(v.uid, r.id, r.kind, r.revision))
		if err != nil {
			return nil, tampered("an item does not open as one of a vault without a manifest")
		}
		it, err := decodeItem(pt)
		if err == nil && it.Kind != r.kind {
			err = tampered("an item's kind differs from its sealed kind")
		}
		if err != nil {
			clear(pt)
			return nil, err
		}
		return pt, nil
	})
	return err
}

// resealItems seals every item of the vault again under key, bound to its
// id, kind and revision (itemAD); open gives an item's plaintext, which
// resealItems wipes once sealed. It returns the number of items.
func (v *Session) resealItems(ctx context.Context, tx *sql.Tx, key []byte, open func(row) ([]byte, error)) (int, error) {
	rs, err := v.rows(ctx, tx, "")
	if err != nil {
		return 0, err
	}
	for _, r := range rs {
		pt, err := open(r)
		if err != nil {
			return 0, err
		}
		sealed, err := seal(key, pt, itemAD(v.uid, r.id, r.kind, r.revision))
		clear(pt)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE vault_items SET sealed = ? WHERE id = ? AND vault_id = ?`, sealed, r.id, v.vaultID); err != nil {
			return 0, err
		}
	}
	return len(rs), nil
}

// errLegacySlot refuses a key rotation while a slot still wraps the data key
// itself: rotating would lock that passphrase or recovery code out.
func errLegacySlot(kind string) error {
	what := map[string]string{"passphrase": "vault passphrase", "recovery": "recovery code"}[kind]
	return errs.Invalidf("slot", "Your %s was set by an earlier version of Keysmith, which cannot carry it over to a new vault key. Unlock the vault once with it (or set a new one), then rotate the key.", what)
}
