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
	ErrVerifierStopped = errors.New("verification endpoint not running")
	// ErrUnreachable: the team database cannot be reached (a network cut, a
	// server restarting); the store marks such failures with it.
	ErrUnreachable = errors.New("database unreachable")
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
	err  error
	code string
	msg  string
}{
	{ErrForbidden, "forbidden", "Only account Administrators can do that."},
	{ErrNotFound, "not-found", "That item no longer exists; it may have been deleted."},
	{ErrSignedOut, "signed-out", "You are signed out. Sign in again."},
	{ErrBadCredentials, "bad-credentials", "The email or password is incorrect."},
	{ErrAlreadySetUp, "already-set-up", "This Keysmith account is already set up; sign in instead."},
	{ErrNotSetUp, "not-set-up", "No account exists yet; create it first (keysmith init, or open the window)."},
	{ErrDisabled, "user-disabled", "This user is disabled; contact your account administrator."},
	{ErrLastAdmin, "last-admin", "The account must keep at least one active Administrator."},
	{ErrNewerDatabase, "newer-database", "This data was written by a newer version of Keysmith; update Keysmith to open it. Nothing was changed."},
	{ErrCorruptDatabase, "corrupt-database", "The Keysmith database cannot be read (it may be damaged or not a Keysmith database). Nothing was changed; restore it from a backup or choose another data directory."},
	{ErrKeyMissing, "key-missing", "The key file keysmith.key is missing beside the database; restore it from your backup. Nothing was changed."},
	{ErrKeyDamaged, "key-damaged", "The key file keysmith.key is damaged; restore it from your backup. Nothing was changed."},
	{ErrKeyExposed, "key-exposed", "The key file keysmith.key can be read or changed by other users of this computer, so Keysmith will not use it. Make it private to you (chmod 600 keysmith.key in the data directory) and consider the secrets it protects exposed if others could read it. Nothing was changed."},
	{ErrKeyMismatch, "key-mismatch", "The key file keysmith.key does not belong to this database; put back the key file that was beside it (from the same backup as the database). Nothing was changed."},
	{ErrTruncated, "truncated", "The Keysmith database is missing or empty, but this data directory held an account (its audit head file records entries): the database was deleted, truncated or replaced. Nothing was changed; restore it from a backup, or, to start over, move the whole data directory away."},
	{ErrVaultTampered, "vault-tampered", "The vault's contents were changed outside Keysmith: an item was altered, removed, added back or restored to an older version. Nothing was shown or changed; restore the database from a backup you trust."},
	{ErrUnauthenticated, "unauthenticated", "Stored data failed its integrity check."},
	{ErrNoVault, "no-vault", "You have no vault yet; set one up first."},
	{ErrVaultExists, "vault-exists", "Your vault is already set up."},
	{ErrWrongPassphrase, "wrong-passphrase", "The passphrase or recovery code is wrong."},
	{ErrLocked, "vault-locked", "The vault is locked. Unlock it first."},
	{ErrNewerVault, "newer-vault", "This was written by a newer version of Keysmith; update Keysmith to open it."},
	{ErrVerifierStopped, "verifier-stopped", "Start the verification endpoint first (Settings > Verification)."},
	{ErrUnreachable, "unreachable", "Cannot reach the team database (a network or server problem). Try again once it is back; a change sent as the connection dropped may or may not have been saved, so check first."},
	{ErrBadExport, "bad-export", "The file is not a readable Keysmith vault export (it may be damaged); nothing was imported."},
}

// Codes a face may decide on besides the sentinels': a rejected input
// (with the field it concerns), slowed-down sign-in, and anything else.
const (
	CodeInvalid   = "invalid"
	CodeThrottled = "throttled"
	CodeInternal  = "internal"
)

// Problem is what a face shows for an error: a stable code to decide on, the
// field it concerns (for CodeInvalid, when there is one) and one user-safe
// sentence. Faces decide on Code and Field only, never on Message.
type Problem struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// ProblemOf returns err's Problem.
func ProblemOf(err error) Problem {
	if err == nil {
		return Problem{}
	}
	var inv *Invalid
	if errors.As(err, &inv) {
		return Problem{Code: CodeInvalid, Field: inv.Field, Message: inv.Message}
	}
	var th *Throttle
	if errors.As(err, &th) {
		return Problem{Code: CodeThrottled, Message: th.Error()}
	}
	for _, m := range messages {
		if errors.Is(err, m.err) {
			return Problem{Code: m.code, Message: m.msg}
		}
	}
	return Problem{Code: CodeInternal, Message: "Something went wrong; nothing was changed. Try again, and see the log if it persists."}
}

// Message returns the one-sentence, user-safe text for err.
func Message(err error) string { return ProblemOf(err).Message }

// Codes lists every code ProblemOf can return, in a fixed order.
func Codes() []string {
	out := []string{CodeInvalid, CodeThrottled, CodeInternal}
	for _, m := range messages {
		out = append(out, m.code)
	}
	return out
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
