package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"keysmith/app/core/audit"
	"keysmith/app/core/errs"
	"keysmith/app/core/input"
)

// ListUsers returns every user, Administrators only.
func (s *Service) ListUsers(ctx context.Context, actorID int64) ([]User, error) {
	if _, err := admin(ctx, s.db, actorID); err != nil {
		return nil, err
	}
	return s.users(ctx, `SELECT `+userCols+` FROM users ORDER BY lower(name), id`)
}

// Administrators returns the active Administrators, for any signed-in user:
// they are whom Advanced and Basic users contact.
func (s *Service) Administrators(ctx context.Context, actorID int64) ([]User, error) {
	if _, err := actor(ctx, s.db, actorID); err != nil {
		return nil, err
	}
	return s.users(ctx, `SELECT `+userCols+` FROM users WHERE role = 'Administrator' AND disabled = 0 ORDER BY lower(name), id`)
}

func (s *Service) users(ctx context.Context, query string) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UserByEmail finds a user by email, Administrators only.
func (s *Service) UserByEmail(ctx context.Context, actorID int64, email string) (User, error) {
	if _, err := admin(ctx, s.db, actorID); err != nil {
		return User{}, err
	}
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email_key = ?`, input.EmailKey(email)))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %w", errs.ErrNotFound)
	}
	return u, err
}

// AddUser adds a user, Administrators only.
func (s *Service) AddUser(ctx context.Context, actorID int64, nu NewUser) (User, error) {
	if _, err := admin(ctx, s.db, actorID); err != nil {
		return User{}, err
	}
	hash, nu, err := s.prepareUser(nu)
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.change(ctx, actorID, func(tx *sql.Tx, by User) (audit.Event, error) {
		var err error
		if u, err = s.insertUser(ctx, tx, nu, hash); err != nil {
			return audit.Event{}, err
		}
		return audit.Event{Action: "user.add", Target: u.Email, Detail: "name " + u.Name + ", role " + string(u.Role)}, nil
	})
	return u, err
}

// change runs fn as an Administrator's change in one transaction with its
// audit event. The actor is re-checked inside the transaction.
func (s *Service) change(ctx context.Context, actorID int64, fn func(tx *sql.Tx, by User) (audit.Event, error)) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		by, err := admin(ctx, tx, actorID)
		if err != nil {
			return err
		}
		ev, err := fn(tx, by)
		if err != nil {
			return err
		}
		ev.ActorID, ev.Actor = by.ID, by.Label()
		return s.log.Append(ctx, tx, ev)
	})
}

// keepsAnAdmin fails with errs.ErrLastAdmin when target is an active
// Administrator and no other active Administrator exists.
func keepsAnAdmin(ctx context.Context, tx *sql.Tx, target User) error {
	if target.Role != Administrator || target.Disabled {
		return nil
	}
	var others int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = 'Administrator' AND disabled = 0 AND id != ?`, target.ID).Scan(&others)
	if err != nil {
		return err
	}
	if others == 0 {
		return errs.ErrLastAdmin
	}
	return nil
}

// SetRole changes a user's role, Administrators only.
func (s *Service) SetRole(ctx context.Context, actorID, id int64, role Role) (User, error) {
	role, err := ParseRole(string(role))
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.change(ctx, actorID, func(tx *sql.Tx, by User) (audit.Event, error) {
		t, err := userByID(ctx, tx, id)
		if err != nil {
			return audit.Event{}, err
		}
		if role != Administrator {
			if err := keepsAnAdmin(ctx, tx, t); err != nil {
				return audit.Event{}, err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = ?, updated_at = ? WHERE id = ?`, role, s.now(), id); err != nil {
			return audit.Event{}, err
		}
		if u, err = userByID(ctx, tx, id); err != nil {
			return audit.Event{}, err
		}
		return audit.Event{Action: "user.role", Target: t.Email, Detail: string(t.Role) + " → " + string(role)}, nil
	})
	return u, err
}

// SetDisabled disables or enables a user, Administrators only. Nobody can
// disable themselves.
func (s *Service) SetDisabled(ctx context.Context, actorID, id int64, disabled bool) (User, error) {
	var u User
	err := s.change(ctx, actorID, func(tx *sql.Tx, by User) (audit.Event, error) {
		t, err := userByID(ctx, tx, id)
		if err != nil {
			return audit.Event{}, err
		}
		if disabled {
			if err := keepsAnAdmin(ctx, tx, t); err != nil {
				return audit.Event{}, err
			}
			if t.ID == by.ID {
				return audit.Event{}, errs.Invalidf("user", "You cannot disable yourself; ask another Administrator.")
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?`, disabled, s.now(), id); err != nil {
			return audit.Event{}, err
		}
		if u, err = userByID(ctx, tx, id); err != nil {
			return audit.Event{}, err
		}
		action := "user.enable"
		if disabled {
			action = "user.disable"
			// A disabled user's failed-attempt history no longer matters.
		}
		return audit.Event{Action: action, Target: t.Email}, nil
	})
	return u, err
}

// ResetPassword sets another user's password, Administrators only, and lifts
// any sign-in throttling on that user.
func (s *Service) ResetPassword(ctx context.Context, actorID, id int64, password string) error {
	if _, err := admin(ctx, s.db, actorID); err != nil {
		return err
	}
	t, err := userByID(ctx, s.db, id)
	if err != nil {
		return err
	}
	if err := CheckPassword("password", password, t.Name, t.Email); err != nil {
		return err
	}
	hash, err := s.pepper.Hash(password, UserOwner(input.EmailKey(t.Email)), s.params)
	if err != nil {
		return err
	}
	return s.change(ctx, actorID, func(tx *sql.Tx, by User) (audit.Event, error) {
		if err := setHash(ctx, tx, id, hash, s.now()); err != nil {
			return audit.Event{}, err
		}
		return audit.Event{Action: "user.reset-password", Target: t.Email}, nil
	})
}

func setHash(ctx context.Context, tx *sql.Tx, id int64, hash, now string) error {
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, now, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.ErrNotFound
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM sign_in_failures WHERE email_key = (SELECT email_key FROM users WHERE id = ?)`, id)
	return err
}

// DeleteUser removes a user, Administrators only. Nobody can delete
// themselves.
func (s *Service) DeleteUser(ctx context.Context, actorID, id int64) error {
	return s.change(ctx, actorID, func(tx *sql.Tx, by User) (audit.Event, error) {
		t, err := userByID(ctx, tx, id)
		if err != nil {
			return audit.Event{}, err
		}
		if err := keepsAnAdmin(ctx, tx, t); err != nil {
			return audit.Event{}, err
		}
		if t.ID == by.ID {
			return audit.Event{}, errs.Invalidf("user", "You cannot delete yourself; ask another Administrator.")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id); err != nil {
			return audit.Event{}, err
		}
		return audit.Event{Action: "user.delete", Target: t.Email, Detail: "name " + t.Name + ", role " + string(t.Role)}, nil
	})
}

// IsOwnPassword reports whether secret is the acting user's sign-in
// password (one password hash check).
func (s *Service) IsOwnPassword(ctx context.Context, actorID int64, secret string) (bool, error) {
	u, err := actor(ctx, s.db, actorID)
	if err != nil {
		return false, err
	}
	var hash string
	if err := s.db.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, u.ID).Scan(&hash); err != nil {
		return false, err
	}
	ok, _, err := s.pepper.Verify(secret, hash, UserOwner(input.EmailKey(u.Email)), s.params)
	return ok, err
}

// ChangePassword changes the acting user's own password after checking the
// current one. Any active user may do this.
func (s *Service) ChangePassword(ctx context.Context, actorID int64, current, next string) error {
	u, err := actor(ctx, s.db, actorID)
	if err != nil {
		return err
	}
	var hash string
	if err := s.db.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, u.ID).Scan(&hash); err != nil {
		return err
	}
	ok, _, err := s.pepper.Verify(current, hash, UserOwner(input.EmailKey(u.Email)), s.params)
	if err != nil {
		return err
	}
	if !ok {
		return errs.Invalidf("current", "Current password is incorrect.")
	}
	if current == next {
		return errs.Invalidf("password", "New password must differ from the current one.")
	}
	if err := CheckPassword("password", next, u.Name, u.Email); err != nil {
		return err
	}
	newHash, err := s.pepper.Hash(next, UserOwner(input.EmailKey(u.Email)), s.params)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := actor(ctx, tx, actorID); err != nil {
			return err
		}
		if err := setHash(ctx, tx, u.ID, newHash, s.now()); err != nil {
			return err
		}
		return s.log.Append(ctx, tx, audit.Event{ActorID: u.ID, Actor: u.Label(), Action: "user.password-change", Target: u.Email})
	})
}

// Themes a user may choose.
var Themes = []string{"system", "light", "dark"}

// Preferences are the Settings > General values.
type Preferences struct {
	Theme            string // the acting user's own: system, light or dark
	IdleMinutes      int    // account-wide, 1..240, Administrators only
	ClipboardSeconds int    // account-wide, 5..600, Administrators only
	VaultLockMinutes int    // the acting user's own, 1..60; 0 keeps it
}

// SetPreferences saves the acting user's theme and, for Administrators, the
// account-wide idle sign-out and clipboard clearing delays. A
// non-administrator passing a different account-wide value gets
// errs.ErrForbidden and nothing is saved.
func (s *Service) SetPreferences(ctx context.Context, actorID int64, p Preferences) error {
	okTheme := false
	for _, t := range Themes {
		okTheme = okTheme || t == p.Theme
	}
	if !okTheme {
		return errs.Invalidf("theme", "Theme must be system, light or dark.")
	}
	if p.IdleMinutes < 1 || p.IdleMinutes > 240 {
		return errs.Invalidf("idleMinutes", "Idle sign-out must be between 1 and 240 minutes.")
	}
	if p.ClipboardSeconds < 5 || p.ClipboardSeconds > 600 {
		return errs.Invalidf("clipboardSeconds", "Clipboard clearing must be between 5 and 600 seconds.")
	}
	if p.VaultLockMinutes != 0 && (p.VaultLockMinutes < 1 || p.VaultLockMinutes > 60) {
		return errs.Invalidf("vaultLockMinutes", "Vault auto-lock must be between 1 and 60 minutes.")
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		u, err := actor(ctx, tx, actorID)
		if err != nil {
			return err
		}
		var idle, clip int
		if err := tx.QueryRowContext(ctx, `SELECT idle_minutes, clipboard_seconds FROM account WHERE id = 1`).Scan(&idle, &clip); err != nil {
			return err
		}
		if idle != p.IdleMinutes || clip != p.ClipboardSeconds {
			if u.Role != Administrator {
				return errs.ErrForbidden
			}
			if _, err := tx.ExecContext(ctx, `UPDATE account SET idle_minutes = ?, clipboard_seconds = ? WHERE id = 1`, p.IdleMinutes, p.ClipboardSeconds); err != nil {
				return err
			}
			if err := s.log.Append(ctx, tx, audit.Event{ActorID: u.ID, Actor: u.Label(), Action: "settings.change",
				Target: "account", Detail: fmt.Sprintf("idle sign-out %d → %d minutes, clipboard clearing %d → %d seconds",
					idle, p.IdleMinutes, clip, p.ClipboardSeconds)}); err != nil {
				return err
			}
		}
		if p.VaultLockMinutes == 0 {
			p.VaultLockMinutes = u.VaultLockMinutes
		}
		if u.Theme != p.Theme || u.VaultLockMinutes != p.VaultLockMinutes {
			_, err = tx.ExecContext(ctx, `UPDATE users SET theme = ?, vault_lock_minutes = ? WHERE id = ?`, p.Theme, p.VaultLockMinutes, u.ID)
		}
		return err
	})
}
