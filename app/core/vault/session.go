package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"sort"
	"strings"
	"sync"

	"keysmith/app/core/errs"
	"keysmith/app/core/store"
)

// Session is an unlocked vault. Its keys live in memory until Lock.
type Session struct {
	s       *Service
	userID  int64
	vaultID int64
	uid     []byte

	mu      sync.Mutex
	dataKey []byte
	itemKey []byte
	auth    []byte // the slot authentication key
	// seen is the highest manifest counter this session has verified or
	// written: an older manifest is a rollback.
	seen int64
	// listed caches decrypted summaries by item id and revision, so listing
	// decrypts only what changed since (in any process).
	listed map[int64]listedItem
}

type listedItem struct {
	revision int64
	nonce    []byte // the sealed item's nonce: an id reused by a new item is a new item
	summary  Summary
}

func (s *Service) session(userID, vaultID int64, uid, dataKey, auth []byte) *Session {
	return &Session{s: s, userID: userID, vaultID: vaultID, uid: uid, dataKey: dataKey, itemKey: itemKey(dataKey, uid), auth: auth}
}

// Lock forgets the keys; every later call answers ErrLocked.
func (v *Session) Lock() {
	v.mu.Lock()
	defer v.mu.Unlock()
	clear(v.dataKey)
	clear(v.itemKey)
	clear(v.auth)
	v.dataKey, v.itemKey, v.auth, v.listed = nil, nil, nil, nil
}

// Locked reports whether Lock was called.
func (v *Session) Locked() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.itemKey == nil
}

// keys returns copies of the keys after checking the session and its owner.
func (v *Session) keys(ctx context.Context, actorID int64) ([]byte, []byte, error) {
	if actorID != v.userID {
		return nil, nil, errs.ErrForbidden
	}
	if _, err := v.s.acc.Actor(ctx, actorID); err != nil {
		return nil, nil, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.itemKey == nil {
		return nil, nil, ErrLocked
	}
	return append([]byte(nil), v.dataKey...), append([]byte(nil), v.itemKey...), nil
}

type row struct {
	id       int64
	kind     string
	revision int64
	sealed   []byte
}

func (v *Session) rows(ctx context.Context, q queryer, where string, args ...any) ([]row, error) {
	rs, err := q.QueryContext(ctx, `SELECT id, kind, revision, sealed FROM vault_items WHERE vault_id = ? `+where+` ORDER BY id`,
		append([]any{v.vaultID}, args...)...)
	return store.Collect(rs, err, func(rs *sql.Rows, r *row) error {
		return rs.Scan(&r.id, &r.kind, &r.revision, &r.sealed)
	})
}

func (v *Session) decrypt(key []byte, r row) (Item, error) {
	pt, err := open(key, r.sealed, itemAD(v.uid, r.id, r.kind, r.revision))
	if err != nil {
		return Item{}, tampered("an item does not open under its id, kind and revision")
	}
	it, err := decodeItem(pt)
	clear(pt)
	if err != nil {
		return Item{}, err
	}
	if it.Kind != r.kind {
		return Item{}, tampered("an item's kind differs from its sealed kind")
	}
	it.ID = r.id
	return it, nil
}

// List returns the items whose title, username, URL or type contain query
// (any case), by title; secrets and notes stay sealed in the result.
func (v *Session) List(ctx context.Context, actorID int64, query string) ([]Summary, error) {
	var all []Summary
	err := v.read(ctx, actorID, func(tx *sql.Tx, key []byte, items []idRev) error {
		var err error
		all, err = v.summaries(ctx, tx, key, items)
		return err
	})
	if err != nil {
		return nil, err
	}
	q := strings.ToLower(strings.TrimSpace(query))
	out := []Summary{}
	for _, it := range all {
		if q != "" && !strings.Contains(strings.ToLower(it.Title+"\x00"+it.Username+"\x00"+it.URL+"\x00"+it.Type), q) {
			continue
		}
		out = append(out, it)
	}
	keys := make([]string, len(out))
	for i := range out {
		keys[i] = strings.ToLower(out[i].Title)
	}
	sort.Sort(byKey{out, keys})
	return out, nil
}

// summaries returns the summaries of current (verified items), decrypting
// only items that are new or changed since the last call.
func (v *Session) summaries(ctx context.Context, q queryer, key []byte, current []idRev) ([]Summary, error) {
	v.mu.Lock()
	cache := v.listed
	v.mu.Unlock()
	fresh := make(map[int64]listedItem, len(current))
	want := make(map[int64]idRev, len(current))
	var stale int
	for _, r := range current {
		want[r.id] = r
		if c, ok := cache[r.id]; ok && c.revision == r.rev && bytes.Equal(c.nonce, r.nonce) {
			fresh[r.id] = c
		} else {
			stale++
		}
	}
	if stale > 0 {
		rows, err := v.rows(ctx, q, "")
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if _, ok := fresh[r.id]; ok {
				continue
			}
			it, err := v.decrypt(key, r)
			if err != nil {
				return nil, err
			}
			fresh[r.id] = listedItem{revision: r.revision, nonce: want[r.id].nonce, summary: Summary{ID: it.ID, Kind: it.Kind, Title: it.Title,
				Username: it.Username, URL: it.URL, Type: it.Type, UpdatedAt: it.UpdatedAt}}
		}
	}
	v.mu.Lock()
	if v.itemKey != nil {
		v.listed = fresh
	}
	v.mu.Unlock()
	out := make([]Summary, 0, len(current))
	for _, r := range current {
		if c, ok := fresh[r.id]; ok {
			out = append(out, c.summary)
		}
	}
	return out, nil
}

// Get reveals one item, secret included.
func (v *Session) Get(ctx context.Context, actorID, id int64) (Item, error) {
	var it Item
	err := v.read(ctx, actorID, func(tx *sql.Tx, key []byte, _ []idRev) error {
		rs, err := v.rows(ctx, tx, "AND id = ?", id)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return errs.ErrNotFound
		}
		it, err = v.decrypt(key, rs[0])
		return err
	})
	return it, err
}

// Add stores a new item and returns its id.
func (v *Session) Add(ctx context.Context, actorID int64, it Item) (int64, error) {
	if err := checkItem(&it); err != nil {
		return 0, err
	}
	var id int64
	err := v.change(ctx, actorID, func(tx *sql.Tx, key []byte) error {
		var err error
		id, err = v.insert(ctx, tx, key, it)
		return err
	})
	return id, err
}

func (v *Session) insert(ctx context.Context, tx *sql.Tx, key []byte, it Item) (int64, error) {
	now := v.s.clock().UTC()
	if it.CreatedAt.IsZero() {
		it.CreatedAt = now
	}
	it.UpdatedAt = now
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO vault_items (vault_id, kind, revision, sealed, created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?) RETURNING id`,
		v.vaultID, it.Kind, []byte{}, v.s.now(), v.s.now()).Scan(&id)
	if err != nil {
		return 0, err
	}
	return id, v.write(ctx, tx, key, id, 1, it)
}

func (v *Session) write(ctx context.Context, tx *sql.Tx, key []byte, id, revision int64, it Item) error {
	pt, err := encodeItem(it)
	if err != nil {
		return err
	}
	sealed, err := seal(key, pt, itemAD(v.uid, id, it.Kind, revision))
	clear(pt)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE vault_items SET sealed = ?, revision = ?, updated_at = ? WHERE id = ? AND vault_id = ?`,
		sealed, revision, v.s.now(), id, v.vaultID)
	return err
}

// Edit replaces an item's fields; its kind and creation time stay.
func (v *Session) Edit(ctx context.Context, actorID, id int64, it Item) error {
	return v.change(ctx, actorID, func(tx *sql.Tx, key []byte) error {
		rs, err := v.rows(ctx, tx, "AND id = ?", id)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return errs.ErrNotFound
		}
		old, err := v.decrypt(key, rs[0])
		if err != nil {
			return err
		}
		it.Kind, it.CreatedAt, it.UpdatedAt = old.Kind, old.CreatedAt, v.s.clock().UTC()
		if err := checkItem(&it); err != nil {
			return err
		}
		return v.write(ctx, tx, key, id, rs[0].revision+1, it)
	})
}

// Delete removes an item.
func (v *Session) Delete(ctx context.Context, actorID, id int64) error {
	return v.change(ctx, actorID, func(tx *sql.Tx, _ []byte) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM vault_items WHERE id = ? AND vault_id = ?`, id, v.vaultID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrNotFound
		}
		return nil
	})
}

// ChangePassphrase rewraps the data key under a new passphrase; items are
// untouched.
func (v *Session) ChangePassphrase(ctx context.Context, actorID int64, next string) error {
	if err := CheckPassphrase(next); err != nil {
		return err
	}
	if err := v.s.checkPersonal(ctx, actorID, next); err != nil {
		return err
	}
	k, err := v.changeKeys(ctx, actorID)
	if err != nil {
		return err
	}
	defer k.wipe()
	sl, err := v.s.makeSlot(v.uid, "passphrase", v.s.kdf, []byte(NormalizePassphrase(next)), k.auth, k.data)
	if err != nil {
		return err
	}
	return v.replaceSlot(ctx, sl, k.data)
}

// changeKeys are copies of an unlocked session's keys for one change that
// writes key material: the data key, the item key and the slot
// authentication key. wipe clears them.
type changeKeys struct{ data, item, auth []byte }

func (k changeKeys) wipe() { clear(k.data); clear(k.item); clear(k.auth) }

// changeKeys returns copies of the session's keys for a change by actorID,
// or ErrLocked once the session is locked.
func (v *Session) changeKeys(ctx context.Context, actorID int64) (changeKeys, error) {
	data, item, err := v.keys(ctx, actorID)
	if err != nil {
		return changeKeys{}, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.auth) != 32 {
		clear(data)
		clear(item)
		return changeKeys{}, ErrLocked
	}
	return changeKeys{data, item, append([]byte(nil), v.auth...)}, nil
}

// replaceSlot stores sl, sealed to dataKey, in the transaction that checks
// the manifest: a key rotated elsewhere since this session unlocked (the
// slot would hold a key that opens nothing) locks the session instead, and
// nothing is written.
func (v *Session) replaceSlot(ctx context.Context, sl *slot, dataKey []byte) error {
	return store.Tx(ctx, v.s.db, func(tx *sql.Tx) error {
		if _, _, err := v.check(ctx, tx, dataKey); err != nil {
			return err
		}
		if err := insertSlot(ctx, tx, v.vaultID, sl); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE vaults SET updated_at = ? WHERE id = ?`, v.s.now(), v.vaultID)
		return err
	})
}

// NewRecoveryCode replaces (or creates) the recovery slot and returns the
// new code, shown once.
func (v *Session) NewRecoveryCode(ctx context.Context, actorID int64) (string, error) {
	k, err := v.changeKeys(ctx, actorID)
	if err != nil {
		return "", err
	}
	defer k.wipe()
	code := newRecoveryCode()
	sl, err := v.s.makeSlot(v.uid, "recovery", KDF{Name: "hkdf-sha256"}, []byte(normalizeCode(code)), k.auth, k.data)
	if err != nil {
		return "", err
	}
	if err := v.replaceSlot(ctx, sl, k.data); err != nil {
		return "", err
	}
	return code, nil
}

// RemoveRecoveryCode deletes the recovery slot.
func (v *Session) RemoveRecoveryCode(ctx context.Context, actorID int64) error {
	if _, _, err := v.keys(ctx, actorID); err != nil {
		return err
	}
	_, err := v.s.db.ExecContext(ctx, `DELETE FROM vault_slots WHERE vault_id = ? AND kind = 'recovery'`, v.vaultID)
	return err
}

var codeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newRecoveryCode is 130 random bits as 26 base32 characters in groups of 4.
func newRecoveryCode() string {
	b := make([]byte, 17)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	s := codeEncoding.EncodeToString(b)[:26]
	var parts []string
	for i := 0; i < len(s); i += 4 {
		parts = append(parts, s[i:min(i+4, len(s))])
	}
	return strings.Join(parts, "-")
}

// normalizeCode accepts a recovery code in any case, with or without
// separators.
func normalizeCode(c string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '2' && r <= '7':
			return r
		}
		return -1
	}, c)
}

// byKey sorts summaries by precomputed lower-case titles.
type byKey struct {
	s    []Summary
	keys []string
}

func (b byKey) Len() int           { return len(b.s) }
func (b byKey) Less(i, j int) bool { return b.keys[i] < b.keys[j] }
func (b byKey) Swap(i, j int) {
	b.s[i], b.s[j] = b.s[j], b.s[i]
	b.keys[i], b.keys[j] = b.keys[j], b.keys[i]
}
