// Package vault is each user's optional encrypted vault of saved secrets.
//
// Guarantees:
//   - Off until the user sets a passphrase (10+ characters, common ones
//     refused, NFC-normalised so the same passphrase typed on any system
//     opens it). Keysmith cannot recover a forgotten passphrase; an optional
//     recovery code (130 bits) opens the vault through its own key slot.
//   - The passphrase goes through argon2id (m=64 MiB, t=3, p=4, 32-byte salt)
//     to a key-encryption key; with XChaCha20-Poly1305 it wraps the slot's
//     X25519 private key and the vault's slot authentication key, and the
//     random 32-byte data key is sealed to the slot's public key under a key
//     that also depends on the authentication key. Associated data binds the
//     vault, the slot kind, its KDF parameters, salt and public key. Stored
//     parameters outside sane bounds are refused before any work. Changing
//     the passphrase rewraps only its slot.
//   - Items (titles and notes included) are sealed under an HKDF-derived key
//     with random 24-byte nonces; associated data binds vault, item id, kind
//     and revision, so no ciphertext can be moved or replayed elsewhere.
//   - A manifest (HMAC-SHA256 under a key derived from the data key, over a
//     counter and every item's id, revision and nonce) is rewritten in the
//     transaction of every change and checked at Unlock, on every read and
//     before every change: an item altered, deleted, added back, swapped or
//     rolled back is ErrTampered, and nothing stale is returned or written.
//     A session also refuses a manifest older than one it has seen.
//   - Not detectable from the database alone: the whole vault (manifest and
//     items, and slots if the key was rotated since) put back together from
//     an older copy, which then reads as that older vault. Likewise, for a
//     vault upgraded from before manifests, its pre-upgrade key slots put
//     back from a copy taken before the upgrade, with the manifest removed:
//     it then opens as a pre-manifest vault, missing whichever items were
//     removed too, until its key is rotated or its passphrase changed.
//   - A vault made before manifests gets one at its first Unlock: each item
//     is authenticated on its own, then re-sealed under the associated data
//     of vaults with a manifest, and the slot used moves to the X25519
//     format. Until the other slot is used once too, someone able to write
//     the database can still delete every item with the manifest and have
//     that slot open an empty vault; RotateKey is refused until then.
//   - RotateKey replaces the data key in one audited transaction: every
//     item re-sealed, the key sealed to every slot (passphrase and recovery
//     code keep working), the manifest rewritten; a failure changes nothing.
//     Sessions still holding the old key lock themselves. The slot
//     authentication key does not change (the slots' secrets would be
//     needed): someone who captured an unlocked session's memory and can
//     write the database could still seal a data key of their own.
//   - Each user reaches only their own vault; every change is one
//     transaction. A Session holds the keys in memory until Lock.
package vault

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"keysmith/app/core/accounts"
	"keysmith/app/core/agefile"
	"keysmith/app/core/audit"
	"keysmith/app/core/errs"
	"keysmith/app/core/input"
	"keysmith/app/core/store"
	"keysmith/third_party/zxcvbn"
)

// Errors of the vault (user-facing sentences in errs.Message).
var (
	ErrNoVault         = errs.ErrNoVault
	ErrExists          = errs.ErrVaultExists
	ErrWrongPassphrase = errs.ErrWrongPassphrase
	ErrLocked          = errs.ErrLocked
	ErrNewerFormat     = errs.ErrNewerVault
	// ErrTampered means the vault's items are not the set its manifest
	// binds: an item was removed, added back, or restored to another
	// revision outside Keysmith. It also matches errs.ErrUnauthenticated.
	ErrTampered = errs.ErrVaultTampered
)

// testHookBeforeAttach, set only by tests, runs between an unlock's reading
// of its key slot and its transaction.
var testHookBeforeAttach func()

// tampered reports a manifest mismatch; what never holds a secret.
func tampered(what string) error {
	return fmt.Errorf("%w: %w: %s", ErrTampered, errs.ErrUnauthenticated, what)
}

// Limits of item fields.
const (
	MaxTitle  = 200
	MaxField  = 2048     // username, URL
	MaxSecret = 64 << 10 // secret and notes
	MinPhrase = 10
	MaxPhrase = 1024
)

// Kinds of item.
const (
	KindCredential = "credential" // saved from a credential confirmation
	KindLogin      = "login"      // added by hand
)

// Item is a vault item in the clear.
type Item struct {
	ID        int64     `json:"-"`
	Kind      string    `json:"kind"`
	Title     string    `json:"title"`
	Username  string    `json:"username"` // or API key
	Secret    string    `json:"secret"`
	URL       string    `json:"url"`
	Notes     string    `json:"notes"`
	Type      string    `json:"type,omitempty"` // basic, hmac or legacy for credentials
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Summary is an item as listed: no secret.
type Summary struct {
	ID        int64
	Kind      string
	Title     string
	Username  string
	URL       string
	Type      string
	UpdatedAt time.Time
}

// Status is what a user may know of their vault without unlocking it.
type Status struct {
	Exists      bool
	HasRecovery bool
	Items       int
}

// Service manages vaults.
type Service struct {
	db    *sql.DB
	acc   *accounts.Service
	log   *audit.Log
	clock func() time.Time
	kdf   KDF
	// importWork is the highest scrypt work factor (log2 N) an export file
	// may ask for on import: age writes 18; each step doubles memory and
	// time, spent before the passphrase is known to be right.
	importWork int
}

// MaxImportWorkFactor bounds the scrypt work an export file may ask of an
// import (2^20: 1 GiB and a few seconds), above the 18 age writes.
const MaxImportWorkFactor = agefile.MaxWorkFactor

// New returns a Service deriving passphrase keys with kdf (DefaultKDF) and
// recording key rotations in log.
func New(db *sql.DB, acc *accounts.Service, log *audit.Log, clock func() time.Time, kdf KDF) *Service {
	return &Service{db: db, acc: acc, log: log, clock: clock, kdf: kdf, importWork: MaxImportWorkFactor}
}

func (s *Service) now() string { return s.clock().UTC().Format(time.RFC3339Nano) }

// NormalizePassphrase is the form a passphrase is used in: Unicode NFC.
func NormalizePassphrase(p string) string { return norm.NFC.String(p) }

// CheckPassphrase enforces the passphrase rules; messages never quote it.
func CheckPassphrase(p string) error {
	p = NormalizePassphrase(p)
	n := utf8.RuneCountInString(p)
	switch {
	case !utf8.ValidString(p):
		return errs.Invalidf("passphrase", "Passphrase contains bytes that are not valid text.")
	case n < MinPhrase:
		return errs.Invalidf("passphrase", "Passphrase must be at least %d characters (it has %d).", MinPhrase, n)
	case n > MaxPhrase:
		return errs.Invalidf("passphrase", "Passphrase must be at most %d characters.", MaxPhrase)
	case input.HasControl(p):
		return errs.Invalidf("passphrase", "Passphrase cannot contain control characters or line breaks.")
	case zxcvbn.PasswordStrength(p, nil).Score < accounts.MinScore:
		return errs.Invalidf("passphrase", "Passphrase is too common or easy to guess; use several unrelated words.")
	}
	return nil
}

// checkPersonal refuses, for the acting user, a passphrase that is their
// sign-in password (its hash sits in the same database, behind a cheaper
// KDF) or that leans on their name or email.
func (s *Service) checkPersonal(ctx context.Context, actorID int64, passphrase string) error {
	u, err := s.acc.Actor(ctx, actorID)
	if err != nil {
		return err
	}
	p := NormalizePassphrase(passphrase)
	if accounts.TooPersonal(p, u.Name, u.Email) {
		return errs.Invalidf("passphrase", "Passphrase is too close to your name or email; use unrelated words.")
	}
	same, err := s.acc.IsOwnPassword(ctx, actorID, p)
	if err == nil && !same && p != passphrase {
		same, err = s.acc.IsOwnPassword(ctx, actorID, passphrase)
	}
	if err != nil {
		return err
	}
	if same {
		return errs.Invalidf("passphrase", "Passphrase must differ from your sign-in password, so that knowing one does not open the other.")
	}
	return nil
}

// Status reports the acting user's vault.
func (s *Service) Status(ctx context.Context, actorID int64) (Status, error) {
	if _, err := s.acc.Actor(ctx, actorID); err != nil {
		return Status{}, err
	}
	var st Status
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT id FROM vaults WHERE user_id = ?`, actorID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return Status{}, err
	}
	st.Exists = true
	var slots int
	s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM vault_slots WHERE vault_id = ? AND kind = 'recovery'`, id).Scan(&slots)
	st.HasRecovery = slots > 0
	s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM vault_items WHERE vault_id = ?`, id).Scan(&st.Items)
	return st, nil
}

// Setup creates the acting user's vault. With recovery it also returns a
// recovery code, shown once.
func (s *Service) Setup(ctx context.Context, actorID int64, passphrase string, recovery bool) (*Session, string, error) {
	if err := CheckPassphrase(passphrase); err != nil {
		return nil, "", err
	}
	if err := s.checkPersonal(ctx, actorID, passphrase); err != nil {
		return nil, "", err
	}
	if st, err := s.Status(ctx, actorID); err != nil {
		return nil, "", err
	} else if st.Exists {
		return nil, "", ErrExists
	}
	uid, dataKey, auth := random(16), random(32), random(32)
	pslot, err := s.makeSlot(uid, "passphrase", s.kdf, []byte(NormalizePassphrase(passphrase)), auth, dataKey)
	if err != nil {
		return nil, "", err
	}
	var code string
	var rslot *slot
	if recovery {
		code = newRecoveryCode()
		if rslot, err = s.makeSlot(uid, "recovery", KDF{Name: "hkdf-sha256"}, []byte(normalizeCode(code)), auth, dataKey); err != nil {
			return nil, "", err
		}
	}
	var vaultID int64
	err = store.Tx(ctx, s.db, func(tx *sql.Tx) error {
		if _, err := s.acc.Actor(ctx, actorID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO vaults (user_id, uid, format, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			actorID, uid, Format, s.now(), s.now()).Scan(&vaultID)
		if err != nil {
			if store.IsUnique(err) {
				return ErrExists
			}
			return err
		}
		for _, sl := range []*slot{pslot, rslot} {
			if sl != nil {
				if err := insertSlot(ctx, tx, vaultID, sl); err != nil {
					return err
				}
			}
		}
		return writeManifest(ctx, tx, vaultID, uid, dataKey, auth, 1)
	})
	if err != nil {
		return nil, "", err
	}
	v := s.session(actorID, vaultID, uid, dataKey, auth)
	v.seen = 1
	return v, code, nil
}

// slot is a key slot as stored; public and sealedKey are nil in slots of
// the first format, whose wrapped value is the data key itself.
type slot struct {
	kind      string
	kdf       string
	salt      []byte
	wrapped   []byte
	public    []byte
	sealedKey []byte
}

func (sl *slot) legacy() bool { return sl.public == nil && sl.sealedKey == nil }

// makeSlot derives a key-encryption key from secret and makes a slot of
// the second format with it.
func (s *Service) makeSlot(uid []byte, kind string, kdf KDF, secret, auth, dataKey []byte) (*slot, error) {
	salt := random(32)
	kek, err := kdf.derive(secret, salt)
	if err != nil {
		return nil, err
	}
	defer clear(kek)
	return slotFromKEK(uid, kind, kdf.String(), salt, kek, auth, dataKey)
}

// slotFromKEK makes a slot of the second format: kek wraps a new X25519
// private key and auth; dataKey is sealed to its public key.
func slotFromKEK(uid []byte, kind, kdf string, salt, kek, auth, dataKey []byte) (*slot, error) {
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	public := priv.PublicKey().Bytes()
	plain := append(priv.Bytes(), auth...)
	defer clear(plain)
	wrapped, err := seal(kek, plain, slotADv2(uid, kind, kdf, salt, public))
	if err != nil {
		return nil, err
	}
	sealedKey, err := sealDataKey(public, auth, dataKey, sealedKeyAD(uid, kind, public))
	if err != nil {
		return nil, err
	}
	return &slot{kind: kind, kdf: kdf, salt: salt, wrapped: wrapped, public: public, sealedKey: sealedKey}, nil
}

func insertSlot(ctx context.Context, tx *sql.Tx, vaultID int64, sl *slot) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO vault_slots (vault_id, kind, kdf, salt, wrapped, public, sealed_key) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (vault_id, kind) DO UPDATE SET kdf = excluded.kdf, salt = excluded.salt, wrapped = excluded.wrapped,
		public = excluded.public, sealed_key = excluded.sealed_key`,
		vaultID, sl.kind, sl.kdf, sl.salt, sl.wrapped, sl.public, sl.sealedKey)
	return err
}

// Unlock opens the acting user's vault with the passphrase, or with the
// recovery code when recovery is true. It checks the vault's manifest
// against its items (ErrTampered if they differ); a vault without one, made
// before manifests, gets one after each item is authenticated.
func (s *Service) Unlock(ctx context.Context, actorID int64, secret string, recovery bool) (*Session, error) {
	v, err := s.unlock(ctx, actorID, secret, recovery)
	if errors.Is(err, errSlotChanged) { // rewritten meanwhile (a rotation elsewhere, say): once more
		v, err = s.unlock(ctx, actorID, secret, recovery)
	}
	return v, err
}

func (s *Service) unlock(ctx context.Context, actorID int64, secret string, recovery bool) (*Session, error) {
	if _, err := s.acc.Actor(ctx, actorID); err != nil {
		return nil, err
	}
	var vaultID int64
	var uid []byte
	var format int
	err := s.db.QueryRowContext(ctx, `SELECT id, uid, format FROM vaults WHERE user_id = ?`, actorID).Scan(&vaultID, &uid, &format)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoVault
	}
	if err != nil {
		return nil, err
	}
	if format != Format {
		return nil, ErrNewerFormat
	}
	kind, material := "passphrase", []byte(NormalizePassphrase(secret))
	if recovery {
		kind, material = "recovery", []byte(normalizeCode(secret))
	}
	sl := slot{kind: kind}
	err = s.db.QueryRowContext(ctx, `SELECT kdf, salt, wrapped, public, sealed_key FROM vault_slots WHERE vault_id = ? AND kind = ?`, vaultID, kind).
		Scan(&sl.kdf, &sl.salt, &sl.wrapped, &sl.public, &sl.sealedKey)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrWrongPassphrase
	}
	if err != nil {
		return nil, err
	}
	kdf, err := parseKDF(sl.kdf)
	if err != nil {
		return nil, err
	}
	if (kind == "passphrase") != (kdf.Name == "argon2id") || len(sl.salt) != 32 {
		return nil, errs.ErrUnauthenticated
	}
	kek, err := kdf.derive(material, sl.salt)
	if err != nil {
		return nil, err
	}
	defer clear(kek)
	var dataKey, auth []byte
	if sl.legacy() {
		dataKey, err = open(kek, sl.wrapped, slotAD(uid, kind, sl.kdf, sl.salt))
		if err != nil {
			return nil, ErrWrongPassphrase // a wrong passphrase and a damaged slot look alike
		}
	} else {
		plain, err := open(kek, sl.wrapped, slotADv2(uid, kind, sl.kdf, sl.salt, sl.public))
		if err != nil {
			return nil, ErrWrongPassphrase
		}
		defer clear(plain)
		if len(plain) != 64 {
			return nil, errs.ErrUnauthenticated
		}
		priv, err := ecdh.X25519().NewPrivateKey(plain[:32])
		if err != nil || !bytes.Equal(priv.PublicKey().Bytes(), sl.public) {
			return nil, errs.ErrUnauthenticated
		}
		auth = append([]byte(nil), plain[32:]...)
		if dataKey, err = openDataKey(plain[:32], auth, sl.public, sl.sealedKey, sealedKeyAD(uid, kind, sl.public)); err != nil {
			return nil, tampered("a key slot holds a data key it was not given")
		}
	}
	if len(dataKey) != 32 {
		return nil, errs.ErrUnauthenticated
	}
	v := s.session(actorID, vaultID, uid, dataKey, auth)
	if testHookBeforeAttach != nil {
		testHookBeforeAttach()
	}
	if err := v.attach(ctx, &sl, kek); err != nil {
		v.Lock()
		return nil, err
	}
	return v, nil
}

// Remove deletes the acting user's vault and every item in it.
func (s *Service) Remove(ctx context.Context, actorID int64) error {
	if _, err := s.acc.Actor(ctx, actorID); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM vaults WHERE user_id = ?`, actorID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoVault
	}
	return nil
}

func checkItem(it *Item) error {
	var err error
	if it.Title, err = input.Text("title", "Title", it.Title, MaxTitle); err != nil {
		return err
	}
	for _, f := range []struct {
		label string
		v     string
		max   int
	}{{"Username", it.Username, MaxField}, {"URL", it.URL, MaxField}, {"Secret", it.Secret, MaxSecret}, {"Notes", it.Notes, MaxSecret}} {
		if len(f.v) > f.max {
			return errs.Invalidf(strings.ToLower(f.label), "%s must be at most %d bytes.", f.label, f.max)
		}
		if !utf8.ValidString(f.v) {
			return errs.Invalidf(strings.ToLower(f.label), "%s contains bytes that are not valid text.", f.label)
		}
		if (f.label == "Username" || f.label == "URL") && input.HasControl(f.v) { // one-line fields
			return errs.Invalidf(strings.ToLower(f.label), "%s cannot contain control characters or line breaks.", f.label)
		}
	}
	if it.Kind != KindCredential && it.Kind != KindLogin {
		return errs.Invalidf("kind", "Item kind must be credential or login.")
	}
	return nil
}

func encodeItem(it Item) ([]byte, error) { return json.Marshal(it) }

func decodeItem(b []byte) (Item, error) {
	var it Item
	if err := json.Unmarshal(b, &it); err != nil {
		return Item{}, fmt.Errorf("%w: item record", errs.ErrUnauthenticated)
	}
	return it, nil
}
