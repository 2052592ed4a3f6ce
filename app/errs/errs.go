// Package errs holds the error vocabulary shared by the core and its faces.
//
// Core services return either a sentinel from this package (wrapped with
// context by fmt.Errorf and %w) or a *Invalid carrying a message that is safe to
// show. Message turns any error into one sentence for a user: sentinels and
// *Invalid map to their fixed text; anything else becomes a generic sentence,
// so raw SQL, file paths and secrets never reach a window or a terminal.
package errs

import (
	"errors"
	"fmt"
	"io/fs"
)

// Sentinel errors of the core.
var (
	ErrForbidden       = errors.New("forbidden")
	ErrNotFound        = errors.New("not found")
	ErrSignedOut       = errors.New("signed out")
	ErrBadCredentials  = errors.New("bad credentials")
	ErrThrottled       = errors.New("throttled")
	ErrAlreadySetUp    = errors.New("account already set up")
	ErrNotSetUp        = errors.New("account not set up")
	ErrLastAdmin       = errors.New("last active administrator")
	ErrDisabled        = errors.New("user disabled")
	ErrNewerDatabase   = errors.New("database written by a newer keysmith")
	ErrCorruptDatabase = errors.New("database unreadable")
	ErrKeyMissing      = errors.New("key file missing beside an existing database")
	ErrKeyDamaged      = errors.New("key file damaged")
	ErrKeyMismatch     = errors.New("key file does not belong to the database")
	ErrKeyExposed      = errors.New("key file readable or writable by other users")
	ErrTruncated       = errors.New("database empty where an account was")
	ErrUnauthenticated = errors.New("message authentication failed")
	ErrNoVault         = errors.New("no vault")
	ErrVaultExists     = errors.New("vault already set up")
	ErrWrongPassphrase = errors.New("wrong passphrase")
	ErrLocked          = errors.New("vault locked")
	ErrNewerVault      = errors.New("vault or export written by a newer keysmith")
	ErrBadExport       = errors.New("export file unreadable")
	ErrVaultTampered   = errors.New("vault contents changed outside keysmith")
)

// Invalid is a rejected input. Its Message is a complete sentence that names
// the field and the rule, and never echoes a password or secret.
type Invalid struct {
	Field   string
	Message string
}

func (e *Invalid) Error() string { return e.Message }

// Invalidf returns an *Invalid for field with a formatted message.
func Invalidf(field, format string, args ...any) error {
	return &Invalid{Field: field, Message: fmt.Sprintf(format, args...)}
}

var messages = []struct {
	err error
	msg string
}{
	{ErrForbidden, "Only account Administrators can do that."},
	{ErrNotFound, "That item no longer exists; it may have been deleted."},
	{ErrSignedOut, "You are signed out. Sign in again."},
	{ErrBadCredentials, "The email or password is incorrect."},
	{ErrAlreadySetUp, "This Keysmith account is already set up; sign in instead."},
	{ErrNotSetUp, "No account exists yet; create it first (keysmith init, or open the window)."},
	{ErrDisabled, "This user is disabled; contact your account administrator."},
	{ErrLastAdmin, "The account must keep at least one active Administrator."},
	{ErrNewerDatabase, "This data was written by a newer version of Keysmith; update Keysmith to open it. Nothing was changed."},
	{ErrCorruptDatabase, "The Keysmith database cannot be read (it may be damaged or not a Keysmith database). Nothing was changed; restore it from a backup or choose another data directory."},
	{ErrKeyMissing, "The key file keysmith.key is missing beside the database; restore it from your backup. Nothing was changed."},
	{ErrKeyDamaged, "The key file keysmith.key is damaged; restore it from your backup. Nothing was changed."},
	{ErrKeyExposed, "The key file keysmith.key can be read or changed by other users of this computer, so Keysmith will not use it. Make it private to you (chmod 600 keysmith.key in the data directory) and consider the secrets it protects exposed if others could read it. Nothing was changed."},
	{ErrKeyMismatch, "The key file keysmith.key does not belong to this database; put back the key file that was beside it (from the same backup as the database). Nothing was changed."},
	{ErrTruncated, "The Keysmith database is missing or empty, but this data directory held an account (its audit head file records entries): the database was deleted, truncated or replaced. Nothing was changed; restore it from a backup, or, to start over, move the whole data directory away."},
	{ErrVaultTampered, "The vault's contents were changed outside Keysmith: an item was altered, removed, added back or restored to an older version. Nothing was shown or changed; restore the database from a backup you trust."},
	{ErrUnauthenticated, "Stored data failed its integrity check."},
	{ErrNoVault, "You have no vault yet; set one up first."},
	{ErrVaultExists, "Your vault is already set up."},
	{ErrWrongPassphrase, "The passphrase or recovery code is wrong."},
	{ErrLocked, "The vault is locked. Unlock it first."},
	{ErrNewerVault, "This was written by a newer version of Keysmith; update Keysmith to open it."},
	{ErrBadExport, "The file is not a readable Keysmith vault export (it may be damaged); nothing was imported."},
}

// Message returns the one-sentence, user-safe text for err.
func Message(err error) string {
	if err == nil {
		return ""
	}
	var inv *Invalid
	if errors.As(err, &inv) {
		return inv.Message
	}
	var th *Throttle
	if errors.As(err, &th) {
		return th.Error()
	}
	for _, m := range messages {
		if errors.Is(err, m.err) {
			return m.msg
		}
	}
	return "Something went wrong; nothing was changed. Try again, and see the log if it persists."
}

// Throttle is returned when sign-in attempts for an email are slowed down.
type Throttle struct {
	Seconds int
}

func (t *Throttle) Error() string {
	if t.Seconds == 1 {
		return "Too many failed sign-in attempts. Try again in 1 second."
	}
	return fmt.Sprintf("Too many failed sign-in attempts. Try again in %d seconds.", t.Seconds)
}

// Unwrap makes errors.Is(err, ErrThrottled) true.
func (t *Throttle) Unwrap() error { return ErrThrottled }

// SystemText is a file or I/O error's reason without the path Go puts in
// front ("no such file or directory", "is a directory"), fit to show.
func SystemText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return err.Error()
}
