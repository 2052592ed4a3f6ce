package credentials

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"keysmith/app/core/accounts"
	"keysmith/app/core/audit"
	"keysmith/app/core/errs"
	"keysmith/third_party/zxcvbn"
)

// The platform's Legacy rules.
const (
	MinUsername       = 5
	MaxUsername       = 50
	MinLegacyPassword = 6
	MaxLegacyPassword = 50
)

// CheckUsername applies the platform's username rules and names every rule
// u breaks, in one message.
func CheckUsername(u string) error {
	if u == "" {
		return errs.Invalidf("username", "Username is required.")
	}
	other := func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || unicode.IsSpace(r) || unicode.IsUpper(r))
	}
	return broken("username", []rule{
		{strings.ContainsFunc(u, unicode.IsSpace), "Username cannot contain spaces."},
		{strings.ContainsFunc(u, unicode.IsUpper), "Username must be lowercase."},
		{strings.ContainsFunc(u, other), "Username can only contain lowercase letters a–z and digits 0–9, no special characters."},
		{len(u) < MinUsername, fmt.Sprintf("Username must be at least %d characters.", MinUsername)},
		{len(u) > MaxUsername, fmt.Sprintf("Username must be at most %d characters.", MaxUsername)},
	})
}

// CheckLegacyPassword applies the platform's password rules and names every
// rule p breaks, in one message. Messages never quote the password.
func CheckLegacyPassword(p string) error {
	if p == "" {
		return errs.Invalidf("password", "Password is required.")
	}
	return broken("password", []rule{
		{strings.ContainsFunc(p, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') }),
			"Password can only contain letters A–Z, a–z and digits 0–9."},
		{len(p) < MinLegacyPassword, fmt.Sprintf("Password must be at least %d characters.", MinLegacyPassword)},
		{len(p) > MaxLegacyPassword, fmt.Sprintf("Password must be at most %d characters.", MaxLegacyPassword)},
		{!strings.ContainsFunc(p, unicode.IsUpper), "Password must include at least one upper-case letter."},
	})
}

// rule is one of the platform's rules: whether it is broken, and its sentence.
type rule struct {
	broken   bool
	sentence string
}

// broken is the refusal of field naming every broken rule, or nil.
func broken(field string, rules []rule) error {
	var out []string
	for _, r := range rules {
		if r.broken {
			out = append(out, r.sentence)
		}
	}
	if out == nil {
		return nil
	}
	return errs.Invalidf(field, "%s", strings.Join(out, " "))
}

// WeakLegacyScore is the zxcvbn score below which a Legacy password that
// meets the platform's rules is reported weak (below 2: fewer than about
// 10^6 guesses, found quickly from a copy of its hash).
const WeakLegacyScore = 2

// LegacyPasswordWarning is a warning for a Legacy password that meets the
// platform's rules but is easy to guess (a zxcvbn score below
// WeakLegacyScore, counting the username as a guessable word), or "". The
// platform's rules cap what a Legacy password can be, so a weak one is
// warned about, not refused. Only passwords within the platform's length
// are scored, which bounds the cost. The warning never quotes the password.
func LegacyPasswordWarning(username, password string) string {
	if CheckLegacyPassword(password) != nil {
		return ""
	}
	if zxcvbn.PasswordStrength(password, []string{strings.ToLower(username)}).Score >= WeakLegacyScore {
		return ""
	}
	return "This password is easy to guess. It meets the platform's rules, but a longer mix of unrelated words and digits (up to 50 characters) is much harder to crack."
}

// CreateLegacy issues a Legacy credential with the username and password the
// Administrator chose. The username is also its key and cannot change.
func (s *Service) CreateLegacy(ctx context.Context, actorID int64, username, password string, expires *time.Time) (Credential, error) {
	if err := CheckUsername(username); err != nil {
		return Credential{}, err
	}
	if err := CheckLegacyPassword(password); err != nil {
		return Credential{}, err
	}
	if err := s.CheckExpiry(expires); err != nil {
		return Credential{}, err
	}
	if _, err := accounts.RequireAdminTx(ctx, s.db, actorID); err != nil {
		return Credential{}, err // before the slow hash
	}
	phc, err := s.pepper.Hash(password, accounts.LegacyOwner(username), s.params)
	if err != nil {
		return Credential{}, err
	}
	var c Credential
	err = s.change(ctx, actorID, &c, func(tx *sql.Tx, by accounts.User) (audit.Event, int64, error) {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM credentials WHERE key = ?`, username).Scan(&n); err != nil {
			return audit.Event{}, 0, err
		}
		if n > 0 {
			return audit.Event{}, 0, errs.Invalidf("username", "That username is already taken; choose another.")
		}
		id, err := s.insert(ctx, tx, Legacy, username, username, expires, by)
		if err != nil {
			return audit.Event{}, 0, err
		}
		if err := s.storeSecret(ctx, tx, id, Legacy, 1, "", &phc); err != nil {
			return audit.Event{}, 0, err
		}
		return audit.Event{Action: "credential.create", Target: username, Detail: "Legacy username" + expiryDetail(expires)}, id, nil
	})
	return c, err
}

// SetLegacyPassword replaces a Legacy credential's password.
func (s *Service) SetLegacyPassword(ctx context.Context, actorID, id int64, password string) (Credential, error) {
	if err := CheckLegacyPassword(password); err != nil {
		return Credential{}, err
	}
	if _, err := accounts.RequireAdminTx(ctx, s.db, actorID); err != nil {
		return Credential{}, err
	}
	var username string
	if err := s.db.QueryRowContext(ctx, `SELECT key FROM credentials WHERE id = ?`, id).Scan(&username); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Credential{}, err
	}
	phc, err := s.pepper.Hash(password, accounts.LegacyOwner(username), s.params)
	if err != nil {
		return Credential{}, err
	}
	return s.update(ctx, actorID, id, func(tx *sql.Tx, old Credential) (audit.Event, error) {
		if old.Type != Legacy {
			return audit.Event{}, errs.Invalidf("type", "Only legacy credentials have a password; roll a Basic or HMAC key instead.")
		}
		if old.Key != username { // replaced since it was read: the hash names another owner
			return audit.Event{}, errs.ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `UPDATE credential_secrets SET phc = ?, created_at = ? WHERE credential_id = ? AND retires_at IS NULL`,
			phc, stamp(s.now()), id); err != nil {
			return audit.Event{}, err
		}
		return audit.Event{Action: "credential.password-change", Target: old.Key, Detail: "Legacy password changed"}, nil
	})
}

// WrapLegacyHashes peppers every Legacy password hash still stored
// unpeppered (databases from before the pepper). Running it again changes
// nothing.
func (s *Service) WrapLegacyHashes(ctx context.Context) error {
	return accounts.WrapAll(ctx, s.db, s.pepper, accounts.LegacyOwner,
		`SELECT cs.id, c.key, cs.phc FROM credential_secrets cs JOIN credentials c ON c.id = cs.credential_id
			WHERE cs.phc IS NOT NULL AND cs.phc NOT LIKE '%,k=1$%'`,
		`UPDATE credential_secrets SET phc = ? WHERE id = ? AND phc = ?`,
		`UPDATE credential_revision SET n = n + 1 WHERE id = 1`)
}
