package desktop

// The types below cross the Wails bridge. They never carry a password hash,
// a secret or an internal error: only what the signed-in user may see.

// State is what the window needs to decide which screen to show.
type State struct {
	// NeedsSetup is true until the account and its first Administrator exist.
	NeedsSetup bool `json:"needsSetup"`
	// Account is the business name, empty before setup.
	Account string `json:"account"`
	// User is the signed-in user, nil when signed out.
	User *UserView `json:"user"`
	// Settings holds the General settings in force.
	Settings Settings `json:"settings"`
}

// UserView is a user as shown in the Users page.
type UserView struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	Role      string `json:"role"` // "Administrator", "Advanced" or "Basic"
	Disabled  bool   `json:"disabled"`
	CreatedAt string `json:"createdAt"` // RFC 3339, UTC
	IsSelf    bool   `json:"isSelf"`
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

// AuditEntry is one audit row.
type AuditEntry struct {
	Seq    int64  `json:"seq"`
	At     string `json:"at"` // RFC 3339, UTC
	Actor  string `json:"actor"`
	Action string `json:"action"`
	Target string `json:"target"`
	Detail string `json:"detail"`
}

// AuditPage is one page of the audit log, newest first.
type AuditPage struct {
	Entries []AuditEntry `json:"entries"`
	Total   int          `json:"total"`
}

// AuditVerifyResult is the outcome of checking the hash chain.
type AuditVerifyResult struct {
	OK      bool   `json:"ok"`
	Status  string `json:"status"` // "intact", "unproven" (an anchor is missing) or "tampered"
	Checked int    `json:"checked"`
	Start   int64  `json:"start"`   // first entry in the database; earlier ones are archived
	BadSeq  int64  `json:"badSeq"`  // first row that fails, 0 when none does
	Problem string `json:"problem"` // one sentence, empty when intact
}

// CredentialView is an API credential as listed. It never carries a secret.
type CredentialView struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`      // "basic", "hmac" or "legacy"
	TypeLabel string `json:"typeLabel"` // "Basic", "HMAC" or "Legacy"
	Name      string `json:"name"`      // label, or the legacy username
	Key       string `json:"key"`       // API key, or the legacy username
	Status    string `json:"status"`    // "active", "disabled" or "expired"
	CreatedAt string `json:"createdAt"` // RFC 3339, UTC
	CreatedBy string `json:"createdBy"`
	// LastUsedAt is RFC 3339, or empty for never.
	LastUsedAt string `json:"lastUsedAt"`
	// LastUsedFrom is the client address of the last accepted request.
	LastUsedFrom string `json:"lastUsedFrom"`
	// ExpiresAt is RFC 3339, or empty for never.
	ExpiresAt string `json:"expiresAt"`
	// PreviousUntil is when the secret replaced by the last roll stops
	// working (RFC 3339), or empty.
	PreviousUntil string `json:"previousUntil"`
}

// CredentialFilter narrows a credential list.
type CredentialFilter struct {
	Type   string `json:"type"`   // "basic", "hmac", "legacy" or "" for all
	Query  string `json:"query"`  // matched against name and key
	Limit  int    `json:"limit"`  // 1..1000, default 100
	Offset int    `json:"offset"` // rows to skip, newest first
}

// CredentialPage is one page of credentials, newest first.
type CredentialPage struct {
	Items []CredentialView `json:"items"`
	Total int              `json:"total"`
}

// CreateKeyRequest issues a Basic or HMAC credential.
type CreateKeyRequest struct {
	Type    string `json:"type"`    // "basic" or "hmac"
	Name    string `json:"name"`    // descriptive name, 1..100 characters
	Expires string `json:"expires"` // "never", "30d", "90d", "365d" or "YYYY-MM-DD"
}

// NewSecret is a credential with the secret shown this once.
type NewSecret struct {
	Credential CredentialView `json:"credential"`
	Secret     string         `json:"secret"`
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
