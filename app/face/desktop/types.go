package desktop

import "keysmith/app/face/views"

// The types below cross the Wails bridge. They never carry a password hash,
// a secret or an internal error: only what the signed-in user may see.

// State is what the window needs to decide which screen to show.
type State struct {
	// NeedsSetup is true until the account and its first Administrator exist.
	NeedsSetup bool `json:"needsSetup"`
	// Account is the business name, empty before setup.
	Account string `json:"account"`
	// User is the signed-in user, nil when signed out.
	User *views.UserView `json:"user"`
	// Settings holds the General settings in force.
	Settings Settings `json:"settings"`
}

// SetupRequest creates the account and its first Administrator.
type SetupRequest struct {
	Account  string `json:"account"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Password string `json:"password"`
	Confirm  string `json:"confirm"`
}

// NewUserRequest adds a user to the account.
type NewUserRequest struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Role     string `json:"role"`
	Password string `json:"password"`
	Confirm  string `json:"confirm"`
}

// Contact is an Administrator a non-administrator can ask for help.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// APISettingsView is the API Settings page's permission gate.
type APISettingsView struct {
	// CanManage is true for Administrators only.
	CanManage bool `json:"canManage"`
	// Message is the platform's notice shown to Advanced and Basic users.
	Message string `json:"message"`
	// Administrators lists the active Administrators' names and emails.
	Administrators []Contact `json:"administrators"`
}

// Settings are the Settings > General values.
type Settings struct {
	// IdleMinutes is the account-wide automatic sign-out delay (1..240).
	IdleMinutes int `json:"idleMinutes"`
	// ClipboardSeconds is the account-wide delay before Keysmith clears a
	// secret it copied (5..600).
	ClipboardSeconds int `json:"clipboardSeconds"`
	// VaultLockMinutes is the signed-in user's vault auto-lock (1..60).
	VaultLockMinutes int `json:"vaultLockMinutes"`
	// Theme is the signed-in user's choice: "system", "light" or "dark".
	Theme string `json:"theme"`
}

// AuditFilter narrows the audit log; zero values mean "everything".
type AuditFilter struct {
	Query  string `json:"query"`  // matched against actor, action, target and detail
	Target string `json:"target"` // exact target, e.g. one credential's key
	Limit  int    `json:"limit"`  // 1..500, default 100
	Offset int    `json:"offset"` // rows to skip, newest first
}

// CredentialFilter narrows a credential list.
type CredentialFilter struct {
	Type   string `json:"type"`   // "basic", "hmac", "legacy" or "" for all
	Query  string `json:"query"`  // matched against name and key
	Limit  int    `json:"limit"`  // 1..1000, default 100
	Offset int    `json:"offset"` // rows to skip, newest first
}

// CreateKeyRequest issues a Basic or HMAC credential.
type CreateKeyRequest struct {
	Type    string `json:"type"`    // "basic" or "hmac"
	Name    string `json:"name"`    // descriptive name, 1..100 characters
	Expires string `json:"expires"` // "never", "30d", "90d", "365d" or "YYYY-MM-DD"
}

// NewSecret is a credential with the secret shown this once.
type NewSecret struct {
	Credential views.CredentialView `json:"credential"`
	Secret     string               `json:"secret"`
}

// CreateLegacyRequest issues a Legacy credential.
type CreateLegacyRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Confirm  string `json:"confirm"`
	Expires  string `json:"expires"`
}

// CopyResult tells the window when Keysmith will clear what it copied.
type CopyResult struct {
	ClearAfterSeconds int `json:"clearAfterSeconds"`
}
