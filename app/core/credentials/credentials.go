// Package credentials issues and manages the account's API credentials:
// Basic and HMAC key/secret pairs and Legacy username/password pairs.
//
// Guarantees:
//   - Only active Administrators may create, list or change credentials; the
//     acting user is re-checked inside every transaction.
//   - Keys (20) and secrets (30) are letters and digits from crypto/rand
//     without modulo bias; keys are unique.
//   - A secret is returned once, by Create or Roll, and never again: at rest
//     a Basic secret is an HMAC-SHA256 digest under a local pepper, an HMAC
//     secret is sealed with XChaCha20-Poly1305 under a local key (associated
//     data: credential id, type, generation), a Legacy password is a
//     peppered argon2id hash bound to its username (accounts.Pepper).
//     The keys come from the key file beside the database, never from it.
//   - Every change and its audit event (naming the key, never the secret)
//     commit in one transaction.
//   - Each credential's security state (id, type, key, name, disabled,
//     expiry, generation, and every stored secret generation with its
//     retirement and digest, ciphertext or hash) carries a MAC under a key
//     derived from the key file, recomputed in the transaction of every
//     change. The MAC also covers the seq of the audit event that produced
//     the state, and the state is trusted only while no later
//     state-changing event (stateActions) targets the credential's key: a
//     deleted row put back, or a row restored to an older state, is refused
//     like an edited one. The verifier refuses a credential whose state does
//     not verify (ErrStateTampered); listings show it as tampered, and it
//     can only be deleted. Last use is not security state: the verifier
//     records it without the key.
//   - A database from before state MACs gets them once, at the first open
//     with its key file: rows are sealed as found (they were trusted until
//     then) and the audit log records it (credentials.state-sealed); from
//     then on a row without a MAC is tampered.
package credentials

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"keysmith/app/core/accounts"
	"keysmith/app/core/audit"
	"keysmith/app/core/errs"
	"keysmith/app/core/input"
	"keysmith/app/core/keyfile"
	"keysmith/app/core/store"
)

// Type is a kind of credential.
type Type string

// The credential types.
const (
	Basic  Type = "basic"
	HMAC   Type = "hmac"
	Legacy Type = "legacy"
)

// ParseType accepts "basic", "hmac" or "legacy" in any case.
func ParseType(s string) (Type, error) {
	switch t := Type(strings.ToLower(strings.TrimSpace(s))); t {
	case Basic, HMAC, Legacy:
		return t, nil
	}
	return "", errs.Invalidf("type", "Type must be basic, hmac or legacy.")
}

// Label is how the type is named on screen.
func (t Type) Label() string {
	switch t {
	case Basic:
		return "Basic"
	case HMAC:
		return "HMAC"
	}
	return "Legacy"
}

// MaxName is the longest label of a Basic or HMAC credential.
const MaxName = 100

// Status of a credential.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
	StatusExpired  = "expired"
	StatusTampered = "tampered"
)

// Credential is a credential as listed. It never holds a secret.
type Credential struct {
	ID           int64
	Type         Type
	Name         string // label (Basic, HMAC) or username (Legacy)
	Key          string // API key (Basic, HMAC) or username (Legacy)
	Disabled     bool
	ExpiresAt    *time.Time
	CreatedAt    time.Time
	CreatedBy    string
	LastUsedAt   *time.Time
	LastUsedFrom string // client address of the last accepted request
	// PreviousUntil is when the secret replaced by the last roll stops
	// working; nil when no previous secret is still valid.
	PreviousUntil *time.Time
	// Tampered: the stored state does not verify (see the package doc). A
	// tampered credential authenticates nothing and can only be deleted.
	Tampered bool

	state stateFields
}

// Status is active, disabled, expired or tampered at now. Expired counts as
// disabled; tampered overrides the rest, which cannot be trusted.
func (c Credential) Status(now time.Time) string {
	switch {
	case c.Tampered:
		return StatusTampered
	case c.Disabled:
		return StatusDisabled
	case c.ExpiresAt != nil && !now.Before(*c.ExpiresAt):
		return StatusExpired
	}
	return StatusActive
}

// Service manages credentials.
type Service struct {
	db     *sql.DB
	log    *audit.Log
	clock  func() time.Time
	params accounts.Params
	pepper accounts.Pepper // keys Legacy password hashes
	guard  guardOnce       // bounds Legacy password checks (guard.go)
	seal   sealer
	fpKey  []byte // keys Fingerprint
	// stateKey keys the state MAC of every credential row.
	stateKey []byte
}

// New returns a Service whose secrets are protected by keys derived from key.
func New(db *sql.DB, log *audit.Log, key *keyfile.Key, clock func() time.Time, params accounts.Params) *Service {
	return &Service{db: db, log: log, clock: clock, params: params, pepper: accounts.PepperFrom(key), seal: sealer{
		pepper: key.Derive("basic secret pepper v1"),
		aead:   key.Derive("hmac secret seal v1"),
		rand:   rand.Reader,
	}, fpKey: key.Derive("log fingerprint v1"), stateKey: key.Derive("credential state v1")}
}

// Fingerprint is what logs keep of a claimed key that names no credential,
// since it may be a secret sent in the wrong place: "unknown-" and 8 hex
// digits of an HMAC-SHA256 keyed from the key file. Repeated attempts with
// the same value look alike; without the key file a log cannot be used to
// test guesses of it.
func (s *Service) Fingerprint(claimed string) string {
	m := hmac.New(sha256.New, s.fpKey)
	io.WriteString(m, claimed)
	return "unknown-" + hex.EncodeToString(m.Sum(nil)[:4])
}

// WithRandom replaces the random source (tests only).
func (s *Service) WithRandom(r io.Reader) { s.seal.rand = r }

func (s *Service) now() time.Time { return s.clock().UTC() }

// timeFormat has a fixed width, so stored times compare correctly as text.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

func stamp(t time.Time) string { return t.UTC().Format(timeFormat) }

// change runs fn for an active Administrator in one transaction, appends
// the audit event it returns and seals the state of the credential id it
// returns (0: none, it was deleted) under that event's seq; then, if out is
// set, reads the credential into it.
func (s *Service) change(ctx context.Context, actorID int64, out *Credential, fn func(tx *sql.Tx, by accounts.User) (audit.Event, int64, error)) error {
	return store.Tx(ctx, s.db, func(tx *sql.Tx) error {
		by, err := accounts.RequireAdminTx(ctx, tx, actorID)
		if err != nil {
			return err
		}
		if err := s.sealExisting(ctx, tx); err != nil {
			return err
		}
		ev, id, err := fn(tx, by)
		if err != nil {
			return err
		}
		if !slices.Contains(stateActions, ev.Action) {
			return fmt.Errorf("credential change %q is not a state action", ev.Action)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE credential_revision SET n = n + 1 WHERE id = 1`); err != nil {
			return err
		}
		ev.ActorID, ev.Actor = by.ID, by.Label()
		if err := s.log.Append(ctx, tx, ev); err != nil {
			return err
		}
		if id == 0 {
			return nil
		}
		seq, err := lastSeq(ctx, tx)
		if err == nil {
			err = s.sealState(ctx, tx, id, seq)
		}
		if err == nil && out != nil {
			*out, err = s.get(ctx, tx, id)
		}
		return err
	})
}

// update changes one existing credential: fn sees it as it was (inside the
// transaction) and returns the audit event; update returns it as it is after.
// update changes one existing credential whose state verifies: fn sees it
// as it was (inside the transaction) and returns the audit event; update
// returns it as it is after.
func (s *Service) update(ctx context.Context, actorID, id int64, fn func(tx *sql.Tx, old Credential) (audit.Event, error)) (Credential, error) {
	var c Credential
	err := s.change(ctx, actorID, &c, func(tx *sql.Tx, by accounts.User) (audit.Event, int64, error) {
		old, err := s.get(ctx, tx, id)
		if err != nil {
			return audit.Event{}, 0, err
		}
		if old.Tampered {
			return audit.Event{}, 0, TamperedError(old)
		}
		ev, err := fn(tx, old)
		if err != nil {
			return audit.Event{}, 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE credentials SET updated_at = ? WHERE id = ?`, stamp(s.now()), id); err != nil {
			return audit.Event{}, 0, err
		}
		return ev, id, nil
	})
	return c, err
}

// TamperedError is the message for a change refused because c's stored
// state does not verify.
func TamperedError(c Credential) error {
	return errs.Invalidf("key", "The stored state of %s does not verify: it was changed outside Keysmith, so it cannot be used or changed. Delete it and issue a new credential.", c.Key)
}

// CheckName validates a Basic or HMAC label.
func CheckName(name string) (string, error) {
	return input.Text("name", "Name", name, MaxName)
}

// CheckExpiry refuses an expiry that is not in the future.
func (s *Service) CheckExpiry(exp *time.Time) error {
	if exp != nil && !exp.After(s.now()) {
		return errs.Invalidf("expires", "Expiry must be in the future.")
	}
	if exp != nil && exp.After(s.now().AddDate(10, 0, 0)) {
		return errs.Invalidf("expires", "Expiry must be within 10 years.")
	}
	return nil
}

// Create issues a Basic or HMAC credential and returns it with its secret,
// the only time the secret is available.
func (s *Service) Create(ctx context.Context, actorID int64, typ Type, name string, expires *time.Time) (Credential, string, error) {
	if typ != Basic && typ != HMAC {
		return Credential{}, "", errs.Invalidf("type", "Create issues basic or hmac credentials; use the legacy commands for usernames.")
	}
	name, err := CheckName(name)
	if err != nil {
		return Credential{}, "", err
	}
	if err := s.CheckExpiry(expires); err != nil {
		return Credential{}, "", err
	}
	secret, err := Random(s.seal.rand, SecretLen)
	if err != nil {
		return Credential{}, "", err
	}
	var c Credential
	err = s.change(ctx, actorID, &c, func(tx *sql.Tx, by accounts.User) (audit.Event, int64, error) {
		key, err := s.uniqueKey(ctx, tx)
		if err != nil {
			return audit.Event{}, 0, err
		}
		id, err := s.insert(ctx, tx, typ, name, key, expires, by)
		if err != nil {
			return audit.Event{}, 0, err
		}
		if err := s.storeSecret(ctx, tx, id, typ, 1, secret, nil); err != nil {
			return audit.Event{}, 0, err
		}
		return audit.Event{Action: "credential.create", Target: key,
			Detail: fmt.Sprintf("%s key %q%s", typ.Label(), name, expiryDetail(expires))}, id, nil
	})
	if err != nil {
		return Credential{}, "", err
	}
	return c, secret, nil
}

func expiryDetail(exp *time.Time) string {
	if exp == nil {
		return ", never expires"
	}
	return ", expires " + exp.UTC().Format(time.RFC3339)
}

func (s *Service) uniqueKey(ctx context.Context, tx *sql.Tx) (string, error) {
	for range 8 {
		key, err := Random(s.seal.rand, KeyLen)
		if err != nil {
			return "", err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM credentials WHERE key = ?`, key).Scan(&n); err != nil {
			return "", err
		}
		if n == 0 {
			return key, nil
		}
	}
	return "", errors.New("could not draw a unique key")
}

func (s *Service) insert(ctx context.Context, tx *sql.Tx, typ Type, name, key string, expires *time.Time, by accounts.User) (int64, error) {
	now := stamp(s.now())
	var exp any
	if expires != nil {
		exp = stamp(*expires)
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO credentials (type, name, key, expires_at, created_at, created_by, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, typ, name, key, exp, now, by.Label(), now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert credential: %w", err)
	}
	return id, nil
}

// storeSecret stores generation gen of a credential's secret in its at-rest
// form. retires is nil for the current secret.
func (s *Service) storeSecret(ctx context.Context, tx *sql.Tx, id int64, typ Type, gen int64, secret string, phc *string) error {
	var digest, sealed any
	var phcVal any
	switch typ {
	case Basic:
		digest = s.seal.digest(id, secret)
	case HMAC:
		b, err := s.seal.seal(id, typ, gen, secret)
		if err != nil {
			return err
		}
		sealed = b
	case Legacy:
		phcVal = *phc
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO credential_secrets (credential_id, generation, digest, sealed, phc, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, id, gen, digest, sealed, phcVal, stamp(s.now()))
	if err != nil {
		return fmt.Errorf("store secret: %w", err)
	}
	return nil
}

const credCols = `c.id, c.type, c.name, c.key, c.disabled, c.expires_at, c.created_at, c.created_by, c.last_used_at, COALESCE(c.last_used_from, ''),
	(SELECT MAX(retires_at) FROM credential_secrets s WHERE s.credential_id = c.id AND s.retires_at IS NOT NULL),
	c.generation, c.state_seq, c.state_mac`

type scanner interface{ Scan(...any) error }

func scan(row scanner, now time.Time) (Credential, error) {
	var c Credential
	var exp, last, prev sql.NullString
	var created string
	if err := row.Scan(&c.ID, &c.Type, &c.Name, &c.Key, &c.Disabled, &exp, &created, &c.CreatedBy, &last, &c.LastUsedFrom, &prev,
		&c.state.generation, &c.state.seq, &c.state.mac); err != nil {
		return Credential{}, err
	}
	c.state.expires = exp
	c.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	c.ExpiresAt = optTime(exp)
	c.LastUsedAt = optTime(last)
	if p := optTime(prev); p != nil && p.After(now) {
		c.PreviousUntil = p
	}
	return c, nil
}

func optTime(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s.String)
	if err != nil {
		return nil
	}
	return &t
}

// get reads credential id and checks its state.
func (s *Service) get(ctx context.Context, q reader, id int64) (Credential, error) {
	c, err := scan(q.QueryRowContext(ctx, `SELECT `+credCols+` FROM credentials c WHERE c.id = ?`, id), s.now())
	if errors.Is(err, sql.ErrNoRows) {
		return Credential{}, fmt.Errorf("credential %w", errs.ErrNotFound)
	}
	if err != nil {
		return Credential{}, err
	}
	return c, s.verify(ctx, q, &c)
}

// Get returns one credential (Administrators only).
func (s *Service) Get(ctx context.Context, actorID, id int64) (Credential, error) {
	if _, err := accounts.RequireAdminTx(ctx, s.db, actorID); err != nil {
		return Credential{}, err
	}
	return s.get(ctx, s.db, id)
}

// ByKey finds a credential by its key or legacy username (Administrators
// only).
func (s *Service) ByKey(ctx context.Context, actorID int64, key string) (Credential, error) {
	if _, err := accounts.RequireAdminTx(ctx, s.db, actorID); err != nil {
		return Credential{}, err
	}
	c, err := scan(s.db.QueryRowContext(ctx, `SELECT `+credCols+` FROM credentials c WHERE c.key = ?`, strings.TrimSpace(key)), s.now())
	if errors.Is(err, sql.ErrNoRows) {
		return Credential{}, fmt.Errorf("credential %w", errs.ErrNotFound)
	}
	if err != nil {
		return Credential{}, err
	}
	return c, s.verify(ctx, s.db, &c)
}

// Filter narrows List.
type Filter struct {
	Type   Type   // empty: every type
	Query  string // matched against name and key
	Limit  int    // 1..1000, default 100
	Offset int
}

// List returns credentials newest first and how many match (Administrators
// only).
func (s *Service) List(ctx context.Context, actorID int64, f Filter) ([]Credential, int, error) {
	if _, err := accounts.RequireAdminTx(ctx, s.db, actorID); err != nil {
		return nil, 0, err
	}
	switch {
	case f.Limit <= 0:
		f.Limit = 100
	case f.Limit > 1000:
		f.Limit = 1000
	}
	f.Offset = max(f.Offset, 0)
	where, args := []string{"1=1"}, []any{}
	if f.Type != "" {
		where, args = append(where, "c.type = ?"), append(args, f.Type)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
		where = append(where, `(c.name LIKE ? ESCAPE '\' OR c.key LIKE ? ESCAPE '\')`)
		args = append(args, like, like)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM credentials c WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+credCols+` FROM credentials c WHERE `+cond+
		` ORDER BY c.created_at DESC, c.id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	now := s.now()
	out := []Credential{}
	for rows.Next() {
		c, err := scan(rows, now)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	if err := s.verifyPage(ctx, s.db, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// Rename changes the label of a Basic or HMAC credential.
func (s *Service) Rename(ctx context.Context, actorID, id int64, name string) (Credential, error) {
	name, err := CheckName(name)
	if err != nil {
		return Credential{}, err
	}
	return s.update(ctx, actorID, id, func(tx *sql.Tx, old Credential) (audit.Event, error) {
		if old.Type == Legacy {
			return audit.Event{}, errs.Invalidf("name", "A legacy username cannot change; delete the credential and create a new one.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE credentials SET name = ? WHERE id = ?`, name, id); err != nil {
			return audit.Event{}, err
		}
		return audit.Event{Action: "credential.rename", Target: old.Key, Detail: fmt.Sprintf("%q → %q", old.Name, name)}, nil
	})
}

// SetDisabled disables or enables a credential.
func (s *Service) SetDisabled(ctx context.Context, actorID, id int64, disabled bool) (Credential, error) {
	return s.update(ctx, actorID, id, func(tx *sql.Tx, old Credential) (audit.Event, error) {
		if _, err := tx.ExecContext(ctx, `UPDATE credentials SET disabled = ? WHERE id = ?`, disabled, id); err != nil {
			return audit.Event{}, err
		}
		action := "credential.enable"
		if disabled {
			action = "credential.disable"
		}
		return audit.Event{Action: action, Target: old.Key, Detail: old.Type.Label() + " " + old.Name}, nil
	})
}

// Delete removes a credential and every secret it had; the one change a
// tampered credential allows.
func (s *Service) Delete(ctx context.Context, actorID, id int64) error {
	return s.change(ctx, actorID, nil, func(tx *sql.Tx, by accounts.User) (audit.Event, int64, error) {
		old, err := s.get(ctx, tx, id)
		if err != nil {
			return audit.Event{}, 0, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM credentials WHERE id = ?`, id); err != nil {
			return audit.Event{}, 0, err
		}
		return audit.Event{Action: "credential.delete", Target: old.Key, Detail: old.Type.Label() + " " + old.Name}, 0, nil
	})
}

// Grace periods offered when rolling a secret.
var Graces = []time.Duration{0, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

// Roll gives a Basic or HMAC credential a new secret, returned once. Earlier
// secrets keep working for grace (one of Graces) at most, including one still
// in the grace period of an earlier roll; 0 retires them all at once.
func (s *Service) Roll(ctx context.Context, actorID, id int64, grace time.Duration) (Credential, string, error) {
	okGrace := false
	for _, g := range Graces {
		okGrace = okGrace || g == grace
	}
	if !okGrace {
		return Credential{}, "", errs.Invalidf("grace", "Grace period must be none, 1 hour, 24 hours or 7 days.")
	}
	secret, err := Random(s.seal.rand, SecretLen)
	if err != nil {
		return Credential{}, "", err
	}
	c, err := s.update(ctx, actorID, id, func(tx *sql.Tx, old Credential) (audit.Event, error) {
		if old.Type == Legacy {
			return audit.Event{}, errs.Invalidf("type", "Legacy credentials change their password instead of rolling.")
		}
		now := s.now()
		if old.ExpiresAt != nil && !now.Before(*old.ExpiresAt) { // disabled or not
			return audit.Event{}, errs.Invalidf("expires", "%s expired on %s UTC, so a new secret would not work either; create a new key instead.",
				old.Key, old.ExpiresAt.UTC().Format("2006-01-02 15:04"))
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM credential_secrets WHERE credential_id = ? AND retires_at IS NOT NULL AND retires_at <= ?`, id, stamp(now)); err != nil {
			return audit.Event{}, err
		}
		// Every earlier secret, the current one and any still in the grace
		// period of an earlier roll, stops working by now+grace at the latest.
		var err error
		if grace == 0 {
			_, err = tx.ExecContext(ctx, `DELETE FROM credential_secrets WHERE credential_id = ?`, id)
		} else {
			until := stamp(now.Add(grace))
			_, err = tx.ExecContext(ctx, `UPDATE credential_secrets SET retires_at = ? WHERE credential_id = ? AND (retires_at IS NULL OR retires_at > ?)`, until, id, until)
		}
		if err != nil {
			return audit.Event{}, err
		}
		// Generations only grow, so a sealed secret is bound to exactly one.
		var gen int64
		if err := tx.QueryRowContext(ctx, `UPDATE credentials SET generation = generation + 1 WHERE id = ? RETURNING generation`, id).Scan(&gen); err != nil {
			return audit.Event{}, err
		}
		if err := s.storeSecret(ctx, tx, id, old.Type, gen, secret, nil); err != nil {
			return audit.Event{}, err
		}
		return audit.Event{Action: "credential.roll", Target: old.Key, Detail: "new secret; " + graceText(grace)}, nil
	})
	if err != nil {
		return Credential{}, "", err
	}
	return c, secret, nil
}

// graceText says, for the audit log, how long earlier secrets still work.
func graceText(g time.Duration) string {
	switch g {
	case 0:
		return "earlier secrets stopped working at once"
	case time.Hour:
		return "earlier secrets work for 1 hour at most"
	case 24 * time.Hour:
		return "earlier secrets work for 24 hours at most"
	}
	return "earlier secrets work for 7 days at most"
}
