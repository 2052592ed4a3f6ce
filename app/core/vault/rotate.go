package vault

import (
	"context"
	"database/sql"
	"fmt"

	"keysmith/app/core/audit"
	"keysmith/app/core/store"
)

// RotateKey replaces the vault's data key with a new random one, in one
// transaction: every item is re-sealed under it, it is sealed to each key
// slot (so the passphrase and recovery code keep working), the manifest is
// rewritten, and the rotation is audited. A failure changes nothing. It
// returns the number of items re-sealed.
func (v *Session) RotateKey(ctx context.Context, actorID int64) (int, error) {
	k, err := v.changeKeys(ctx, actorID)
	if err != nil {
		return 0, err
	}
	defer k.wipe()
	oldKey, oldItemKey, auth := k.data, k.item, k.auth
	newKey := random(32)
	newItemKey := itemKey(newKey, v.uid)
	var n int
	var counter int64
	err = store.Tx(ctx, v.s.db, func(tx *sql.Tx) error {
		u, err := v.s.acc.Actor(ctx, actorID)
		if err != nil {
			return err
		}
		_, m, err := v.check(ctx, tx, oldKey)
		if err != nil {
			return err
		}
		slots, err := v.slots(ctx, tx)
		if err != nil {
			return err
		}
		for _, sl := range slots {
			if sl.legacy() {
				return errLegacySlot(sl.kind)
			}
		}
		if n, err = v.resealItems(ctx, tx, newItemKey, func(r row) ([]byte, error) {
			return open(oldItemKey, r.sealed, itemAD(v.uid, r.id, r.kind, r.revision))
		}); err != nil {
			return err
		}
		for _, sl := range slots {
			sealedKey, err := sealDataKey(sl.public, auth, newKey, sealedKeyAD(v.uid, sl.kind, sl.public))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE vault_slots SET sealed_key = ? WHERE vault_id = ? AND kind = ?`, sealedKey, v.vaultID, sl.kind); err != nil {
				return err
			}
		}
		counter = m.counter + 1
		if err := writeManifest(ctx, tx, v.vaultID, v.uid, newKey, auth, counter); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE vaults SET updated_at = ? WHERE id = ?`, v.s.now(), v.vaultID); err != nil {
			return err
		}
		return v.s.log.Append(ctx, tx, audit.Event{ActorID: u.ID, Actor: u.Label(), Action: "vault.rotate-key", Target: u.Email,
			Detail: fmt.Sprintf("%d item(s) re-sealed under a new vault key", n)})
	})
	if err != nil {
		clear(newKey)
		clear(newItemKey)
		return 0, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.itemKey == nil { // locked meanwhile
		clear(newKey)
		clear(newItemKey)
		return n, nil
	}
	clear(v.dataKey)
	clear(v.itemKey)
	v.dataKey, v.itemKey = newKey, newItemKey
	v.seen = max(v.seen, counter)
	return n, nil
}

// slots returns the vault's key slots.
func (v *Session) slots(ctx context.Context, q queryer) ([]slot, error) {
	rs, err := q.QueryContext(ctx, `SELECT kind, kdf, salt, wrapped, public, sealed_key FROM vault_slots WHERE vault_id = ? ORDER BY kind`, v.vaultID)
	return store.Collect(rs, err, func(rs *sql.Rows, sl *slot) error {
		return rs.Scan(&sl.kind, &sl.kdf, &sl.salt, &sl.wrapped, &sl.public, &sl.sealedKey)
	})
}
