package vault

import (
	"context"
	"database/sql"
)

// Test hooks: reach keys and sealing that the package keeps private.

// DataKeyOf returns a copy of an unlocked session's data key.
func DataKeyOf(v *Session) []byte {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]byte(nil), v.dataKey...)
}

// OpenItemWith reports whether dataKey opens an item row.
func OpenItemWith(dataKey, uid []byte, id int64, kind string, revision int64, sealed []byte) bool {
	_, err := open(itemKey(dataKey, uid), sealed, itemAD(uid, id, kind, revision))
	return err == nil
}

// SealToSlot seals dataKey to a slot's public key under auth, as RotateKey
// does with the vault's authentication key.
func SealToSlot(uid []byte, kind string, public, auth, dataKey []byte) ([]byte, error) {
	return sealDataKey(public, auth, dataKey, sealedKeyAD(uid, kind, public))
}

// DropAuth forgets only the slot authentication key, as a Lock landing
// between a method's key checks would.
func DropAuth(v *Session) {
	v.mu.Lock()
	defer v.mu.Unlock()
	clear(v.auth)
	v.auth = nil
}

// AddMany adds items in one change (one transaction, one manifest write),
// for benchmarks that need large vaults quickly.
func AddMany(ctx context.Context, v *Session, actorID int64, items []Item) error {
	return v.change(ctx, actorID, func(tx *sql.Tx, key []byte) error {
		for _, it := range items {
			if err := checkItem(&it); err != nil {
				return err
			}
			if _, err := v.insert(ctx, tx, key, it); err != nil {
				return err
			}
		}
		return nil
	})
}

// BeforeAttach runs fn (once) between the next unlock's reading of its key
// slot and its transaction.
func BeforeAttach(fn func()) {
	testHookBeforeAttach = func() {
		testHookBeforeAttach = nil
		fn()
	}
}

// SetImportWorkFactor lowers the scrypt work an import accepts.
func SetImportWorkFactor(s *Service, n int) { s.importWork = n }
