// Package accounts holds the account, its users and their roles.
//
// Guarantees:
//   - Every change is authorized here, whichever face asks: the acting user
//     is reloaded from the database on each call, so a disabled, deleted or
//     demoted user loses their rights at once.
//   - Only Administrators manage users and account-wide settings; the last
//     active Administrator can be neither demoted, disabled nor deleted.
//   - Passwords are stored as peppered argon2id PHC strings (Pepper: keyed
//     from keysmith.key and bound to the user) and checked in constant time;
//     new passwords must pass CheckPassword.
//   - Sign-in answers an unknown email exactly like a wrong password (same
//     error, same work, same throttling), and repeated failures for one
//     email slow further tries.
//   - Each change and its audit event commit in one transaction.
package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"keysmith/app/core/audit"
	"keysmith/app/core/errs"
	"keysmith/app/core/input"
	"keysmith/app/core/store"
)

// Role is a user's role on the platform.
type Role string

// The platform's roles.
const (
	Administrator Role = "Administrator"
	Advanced      Role = "Advanced"
	Basic         Role = "Basic"
)

// ParseRole accepts a role name in any case ("admin" for Administrator).
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "administrator", "admin":
		return Administrator, nil
	case "advanced":
		return Advanced, nil
	case "basic":
		return Basic, nil
	}
	return "", errs.Invalidf("role", "Role must be Administrator, Advanced or Basic.")
}

// User is a user of the account. It never holds the password hash.
type User struct {
	ID        int64
	Name      string
	Email     string
	Role      Role
	Disabled  bool
	Theme     string
	CreatedAt time.Time
	// VaultLockMinutes is how long the user's unlocked vault may sit idle.
	VaultLockMinutes int
}

// Label is how the user appears in the audit log.
func (u User) Label() string { return u.Name + " <" + u.Email + ">" }

// Account is the business account of this data directory.
type Account struct {
	Name             string
	IdleMinutes      int
	ClipboardSeconds int
}

// Throttling: the first FreeFailures failures cost nothing; after that each
// failure doubles the wait before the next try, up to MaxDelay.
const (
	FreeFailures = 5
	MaxDelay     = 15 * time.Minute
)

// Service manages the account and its users.
type Service struct {
	db     *sql.DB
	log    *audit.Log
	clock  func() time.Time
	params Params
	pepper Pepper
	// unknown is the hash checked for unknown emails, so they cost one
	// argon2id run like known ones; building it costs nothing.
	unknown string
}

// New returns a Service. params sets the argon2id cost of new hashes; pepper
// keys them to the key file.
func New(db *sql.DB, log *audit.Log, clock func() time.Time, params Params, pepper Pepper) (*Service, error) {
	if !pepper.valid() {
		return nil, fmt.Errorf("accounts: password pepper not set")
	}
	return &Service{db: db, log: log, clock: clock, params: params, pepper: pepper, unknown: placeholderHash(params)}, nil
}

func (s *Service) now() string { return s.clock().UTC().Format(time.RFC3339Nano) }

func (s *Service) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return store.Tx(ctx, s.db, fn)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const userCols = `id, name, email, role, disabled, theme, created_at, vault_lock_minutes`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var created string
	if err := row.Scan(&u.ID, &u.Name, &u.Email, &u.Role, &u.Disabled, &u.Theme, &created, &u.VaultLockMinutes); err != nil {
		return User{}, err
	}
	u.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	return u, nil
}

func userByID(ctx context.Context, q querier, id int64) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, errs.ErrNotFound
	}
	return u, err
}

// actor loads the acting user; a missing or disabled user is signed out.
func actor(ctx context.Context, q querier, id int64) (User, error) {
	u, err := userByID(ctx, q, id)
	if errors.Is(err, errs.ErrNotFound) || (err == nil && u.Disabled) {
		return User{}, errs.ErrSignedOut
	}
	return u, err
}

func admin(ctx context.Context, q querier, id int64) (User, error) {
	u, err := actor(ctx, q, id)
	if err != nil {
		return User{}, err
	}
	if u.Role != Administrator {
		return User{}, errs.ErrForbidden
	}
	return u, nil
}

// Actor returns the active user with id, or errs.ErrSignedOut.
func (s *Service) Actor(ctx context.Context, id int64) (User, error) {
	return actor(ctx, s.db, id)
}

// RequireAdminTx is RequireAdmin for other core services, run on q (a
// database or the transaction the change happens in).
func RequireAdminTx(ctx context.Context, q querier, id int64) (User, error) {
	return admin(ctx, q, id)
}

// RequireAdmin returns the acting user if they are an active Administrator:
// errs.ErrSignedOut if they are not active, errs.ErrForbidden otherwise.
func (s *Service) RequireAdmin(ctx context.Context, q querier, id int64) (User, error) {
	if q == nil {
		q = s.db
	}
	return admin(ctx, q, id)
}

// Account returns the account, or errs.ErrNotSetUp.
func (s *Service) Account(ctx context.Context) (Account, error) {
	var a Account
	err := s.db.QueryRowContext(ctx, `SELECT name, idle_minutes, clipboard_seconds FROM account WHERE id = 1`).Scan(&a.Name, &a.IdleMinutes, &a.ClipboardSeconds)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, errs.ErrNotSetUp
	}
	return a, err
}

// NewUser is what it takes to add a user.
type NewUser struct {
	Name     string
	Email    string
	Role     Role
	Password string
}

// Setup creates the account and its first Administrator. It fails with
// errs.ErrAlreadySetUp once an account exists.
func (s *Service) Setup(ctx context.Context, accountName string, nu NewUser) (User, error) {
	if _, err := s.Account(ctx); err == nil {
		return User{}, errs.ErrAlreadySetUp
	}
	accountName, err := input.Text("account", "Business name", accountName, input.MaxName)
	if err != nil {
		return User{}, err
	}
	nu.Role = Administrator
	hash, nu, err := s.prepareUser(nu, accountName)
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM account`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errs.ErrAlreadySetUp
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO account (id, name, created_at) VALUES (1, ?, ?)`, accountName, s.now()); err != nil {
			return err
		}
		if u, err = s.insertUser(ctx, tx, nu, hash); err != nil {
			return err
		}
		return s.log.Append(ctx, tx, audit.Event{ActorID: u.ID, Actor: u.Label(), Action: "account.create",
			Target: u.Email, Detail: "account " + accountName + " created with its first Administrator"})
	})
	return u, err
}

// prepareUser validates nu and hashes its password.
func (s *Service) prepareUser(nu NewUser, extra ...string) (string, NewUser, error) {
	var err error
	if nu.Name, err = input.Text("name", "Name", nu.Name, input.MaxName); err != nil {
		return "", nu, err
	}
	if nu.Email, err = input.Email("email", nu.Email); err != nil {
		return "", nu, err
	}
	if nu.Role, err = ParseRole(string(nu.Role)); err != nil {
		return "", nu, err
	}
	if err := CheckPassword("password", nu.Password, append(extra, nu.Name, nu.Email)...); err != nil {
		return "", nu, err
	}
	hash, err := s.pepper.Hash(nu.Password, UserOwner(input.EmailKey(nu.Email)), s.params)
	return hash, nu, err
}

func (s *Service) insertUser(ctx context.Context, tx *sql.Tx, nu NewUser, hash string) (User, error) {
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE email_key = ?`, input.EmailKey(nu.Email)).Scan(&exists); err != nil {
		return User{}, err
	}
	if exists > 0 {
		return User{}, errs.Invalidf("email", "A user with this email already exists.")
	}
	now := s.now()
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO users (name, email, email_key, role, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, nu.Name, nu.Email, input.EmailKey(nu.Email), nu.Role, hash, now, now).Scan(&id)
	if err != nil {
		return User{}, fmt.Errorf("insert user: %w", err)
	}
	return userByID(ctx, tx, id)
}

// SignIn checks email and password. Unknown email, wrong password and a
// malformed email all return errs.ErrBadCredentials after the same work; a
// throttled email returns *errs.Throttle without checking anything. via
// ("window", "cli") is recorded in the audit log.
func (s *Service) SignIn(ctx context.Context, email, password, via string) (User, error) {
	key := input.EmailKey(email)
	if len(key) > input.MaxEmail {
		key = strings.ToValidUTF8(key[:input.MaxEmail], "")
	}
	if wait, err := s.throttled(ctx, key); err != nil {
		return User{}, err
	} else if wait > 0 {
		return User{}, &errs.Throttle{Seconds: int(math.Ceil(wait.Seconds()))}
	}

	var hash string
	u, err := scanUserHash(s.db.QueryRowContext(ctx, `SELECT `+userCols+`, password_hash FROM users WHERE email_key = ?`, key), &hash)
	known := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return User{}, err
	}
	if !known {
		hash = s.unknown
	}
	ok, rehash, err := s.pepper.Verify(password, hash, UserOwner(key), s.params)
	if err != nil {
		return User{}, err
	}
	if !known || !ok {
		return User{}, s.recordFailure(ctx, key, via)
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sign_in_failures WHERE email_key = ?`, key); err != nil {
			return err
		}
		if u.Disabled {
			return s.log.Append(ctx, tx, audit.Event{ActorID: u.ID, Actor: u.Label(), Action: "user.sign-in-refused",
				Target: u.Email, Detail: "disabled user, via " + via})
		}
		if rehash {
			if h, err := s.pepper.Hash(password, UserOwner(key), s.params); err == nil {
				if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, h, u.ID); err != nil {
					return err
				}
			}
		}
		return s.log.Append(ctx, tx, audit.Event{ActorID: u.ID, Actor: u.Label(), Action: "user.sign-in",
			Target: u.Email, Detail: "via " + via})
	})
	if err != nil {
		return User{}, err
	}
	if u.Disabled {
		return User{}, errs.ErrDisabled
	}
	return u, nil
}

func scanUserHash(row *sql.Row, hash *string) (User, error) {
	var u User
	var created string
	if err := row.Scan(&u.ID, &u.Name, &u.Email, &u.Role, &u.Disabled, &u.Theme, &created, &u.VaultLockMinutes, hash); err != nil {
		return User{}, err
	}
	u.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	return u, nil
}

// Backoff is how long to wait after n consecutive failures of which the
// first free cost nothing: a second after the next one, doubling with each
// further one, up to limit.
func Backoff(n, free int, limit time.Duration) time.Duration {
	switch shift := n - free; {
	case shift < 0:
		return 0
	case shift < 32: // time.Second<<31 still fits a Duration
		return min(time.Second<<shift, limit)
	}
	return limit
}

func (s *Service) throttled(ctx context.Context, key string) (time.Duration, error) {
	var n int
	var last string
	err := s.db.QueryRowContext(ctx, `SELECT failures, last_at FROM sign_in_failures WHERE email_key = ?`, key).Scan(&n, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	at, _ := time.Parse(time.RFC3339Nano, last)
	wait := at.Add(Backoff(n, FreeFailures, MaxDelay)).Sub(s.clock())
	return max(wait, 0), nil
}

func (s *Service) recordFailure(ctx context.Context, key, via string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sign_in_failures (email_key, failures, last_at) VALUES (?, 1, ?)
			ON CONFLICT (email_key) DO UPDATE SET failures = sign_in_failures.failures + 1, last_at = excluded.last_at`, key, s.now())
		if err != nil {
			return err
		}
		return s.log.Append(ctx, tx, audit.Event{Actor: key, Action: "user.sign-in-failed", Target: key,
			Detail: "wrong email or password, via " + via})
	})
	if err != nil {
		return err
	}
	return errs.ErrBadCredentials
}

// SignOut records that actorID signed out; reason is e.g. "idle".
func (s *Service) SignOut(ctx context.Context, actorID int64, reason string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		u, err := userByID(ctx, tx, actorID)
		if err != nil {
			return err
		}
		return s.log.Append(ctx, tx, audit.Event{ActorID: u.ID, Actor: u.Label(), Action: "user.sign-out",
			Target: u.Email, Detail: reason})
	})
}
