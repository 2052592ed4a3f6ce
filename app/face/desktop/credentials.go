package desktop

import (
	"time"

	"keysmith/app/core/accounts"
	"keysmith/app/core/credentials"
	"keysmith/app/core/errs"
	"keysmith/app/face/views"
)

// admin returns the signed-in user's id if they are an Administrator, so a
// refused caller learns nothing from input validation.
func (a *App) admin() (int64, error) {
	id, err := a.session(a.ctx())
	if err != nil {
		return 0, err
	}
	if _, err := a.core.Accounts.RequireAdmin(a.ctx(), nil, id); err != nil {
		return 0, err
	}
	return id, nil
}

// credChange runs fn for a signed-in Administrator and views its result.
func (a *App) credChange(op string, fn func(actor int64) (credentials.Credential, error)) (views.CredentialView, error) {
	id, err := a.admin()
	if err != nil {
		return views.CredentialView{}, a.fail(op, err)
	}
	c, err := fn(id)
	if err != nil {
		return views.CredentialView{}, a.fail(op, err)
	}
	return views.Credential(c, a.clock()), nil
}

// ListCredentials returns a page of credentials (Administrators only).
func (a *App) ListCredentials(f CredentialFilter) (views.CredentialPage, error) {
	id, err := a.admin()
	if err != nil {
		return views.CredentialPage{}, a.fail("list-credentials", err)
	}
	var typ credentials.Type
	if f.Type != "" {
		if typ, err = credentials.ParseType(f.Type); err != nil {
			return views.CredentialPage{}, a.fail("list-credentials", err)
		}
	}
	cs, total, err := a.core.Credentials.List(a.ctx(), id, credentials.Filter{Type: typ, Query: f.Query, Limit: f.Limit, Offset: f.Offset})
	if err != nil {
		return views.CredentialPage{}, a.fail("list-credentials", err)
	}
	page := views.CredentialPage{Items: make([]views.CredentialView, 0, len(cs)), Total: total}
	now := a.clock()
	for _, c := range cs {
		page.Items = append(page.Items, views.Credential(c, now))
	}
	return page, nil
}

// CreateKey issues a Basic or HMAC credential (Administrators only). The
// secret is in the result this once; the window can copy it through
// CopyCredential until DismissSecret.
func (a *App) CreateKey(req CreateKeyRequest) (NewSecret, error) {
	id, err := a.admin()
	if err != nil {
		return NewSecret{}, a.fail("create-key", err)
	}
	typ, err := credentials.ParseType(req.Type)
	if err != nil {
		return NewSecret{}, a.fail("create-key", err)
	}
	exp, err := credentials.ParseExpiry(req.Expires, a.clock())
	if err != nil {
		return NewSecret{}, a.fail("create-key", err)
	}
	c, secret, err := a.core.Credentials.Create(a.ctx(), id, typ, req.Name, exp)
	if err != nil {
		return NewSecret{}, a.fail("create-key", err)
	}
	a.clip.hold(c.ID, c.Key, secret)
	return NewSecret{Credential: views.Credential(c, a.clock()), Secret: secret}, nil
}

// RollCredential gives a Basic or HMAC credential a new secret, shown once;
// the old secret works for grace ("0", "1h", "24h" or "7d").
func (a *App) RollCredential(credID int64, grace string) (NewSecret, error) {
	id, err := a.admin()
	if err != nil {
		return NewSecret{}, a.fail("roll", err)
	}
	g, err := credentials.ParseGrace(grace)
	if err != nil {
		return NewSecret{}, a.fail("roll", err)
	}
	c, secret, err := a.core.Credentials.Roll(a.ctx(), id, credID, g)
	if err != nil {
		return NewSecret{}, a.fail("roll", err)
	}
	a.clip.hold(c.ID, c.Key, secret)
	return NewSecret{Credential: views.Credential(c, a.clock()), Secret: secret}, nil
}

// CreateLegacy issues a Legacy credential (Administrators only).
func (a *App) CreateLegacy(req CreateLegacyRequest) (views.CredentialView, error) {
	return a.credChange("create-legacy", func(actor int64) (credentials.Credential, error) {
		if req.Password != req.Confirm {
			return credentials.Credential{}, errs.Invalidf("confirm", "Password and confirmation do not match.")
		}
		exp, err := credentials.ParseExpiry(req.Expires, a.clock())
		if err != nil {
			return credentials.Credential{}, err
		}
		return a.core.Credentials.CreateLegacy(a.ctx(), actor, req.Username, req.Password, exp)
	})
}

// LegacyPasswordWarning says, live as an Administrator types, whether a
// Legacy password that meets the platform's rules is easy to guess ("" when
// it is not, or when it breaks a rule: saving then says which). It is a
// warning; saving is not refused for it.
func (a *App) LegacyPasswordWarning(username, password string) (string, error) {
	if _, err := a.admin(); err != nil {
		return "", a.fail("legacy-password-warning", err)
	}
	return credentials.LegacyPasswordWarning(username, password), nil
}

// SetLegacyPassword changes a Legacy credential's password.
func (a *App) SetLegacyPassword(credID int64, password, confirm string) (views.CredentialView, error) {
	return a.credChange("set-legacy-password", func(actor int64) (credentials.Credential, error) {
		if password != confirm {
			return credentials.Credential{}, errs.Invalidf("confirm", "Password and confirmation do not match.")
		}
		return a.core.Credentials.SetLegacyPassword(a.ctx(), actor, credID, password)
	})
}

// RenameCredential changes a Basic or HMAC credential's name.
func (a *App) RenameCredential(credID int64, name string) (views.CredentialView, error) {
	return a.credChange("rename", func(actor int64) (credentials.Credential, error) {
		return a.core.Credentials.Rename(a.ctx(), actor, credID, name)
	})
}

// SetCredentialDisabled disables or enables a credential.
func (a *App) SetCredentialDisabled(credID int64, disabled bool) (views.CredentialView, error) {
	return a.credChange("set-credential-disabled", func(actor int64) (credentials.Credential, error) {
		return a.core.Credentials.SetDisabled(a.ctx(), actor, credID, disabled)
	})
}

// DeleteCredential deletes a credential once typedName matches its name.
func (a *App) DeleteCredential(credID int64, typedName string) error {
	id, err := a.admin()
	if err != nil {
		return a.fail("delete-credential", err)
	}
	c, err := a.core.Credentials.Get(a.ctx(), id, credID)
	if err != nil {
		return a.fail("delete-credential", err)
	}
	if typedName != c.Name {
		return a.fail("delete-credential", errs.Invalidf("confirm", "Type the credential's name exactly to confirm the deletion."))
	}
	a.clip.drop(credID)
	return a.fail("delete-credential", a.core.Credentials.Delete(a.ctx(), id, credID))
}

// CopyCredential copies part of a credential through Go: "key", or, while
// its confirmation is open, "secret" or "both" (key and secret on two
// lines). Keysmith clears the clipboard if it still holds what was
// copied: a key after the account's delay; a secret OneTimeClear after
// its confirmation closes (nothing clears it while it is open), which
// ExtendClipboard and KeepClipboard change.
func (a *App) CopyCredential(credID int64, part string) (CopyResult, error) {
	id, err := a.admin()
	if err != nil {
		return CopyResult{}, a.fail("copy", err)
	}
	acc, err := a.core.Accounts.Account(a.ctx())
	if err != nil {
		return CopyResult{}, a.fail("copy", err)
	}
	var text string
	switch part {
	case "key":
		c, err := a.core.Credentials.Get(a.ctx(), id, credID)
		if err != nil {
			return CopyResult{}, a.fail("copy", err)
		}
		text = c.Key
	case "secret", "both":
		key, secret, ok := a.clip.held(credID)
		if !ok {
			return CopyResult{}, a.fail("copy", errs.Invalidf("secret", "The secret is no longer available; it is shown only once. Roll the key to get a new secret."))
		}
		text = secret
		if part == "both" {
			text = "API Key: " + key + "\nAPI Secret: " + secret
		}
	default:
		return CopyResult{}, a.fail("copy", errs.Invalidf("part", "Copy key, secret or both."))
	}
	if part != "key" {
		if err := a.clip.copyHeld(text, credID); err != nil {
			return CopyResult{}, a.fail("copy", err)
		}
		return CopyResult{Held: true}, nil
	}
	if err := a.clip.copy(text, time.Duration(acc.ClipboardSeconds)*time.Second); err != nil {
		return CopyResult{}, a.fail("copy", err)
	}
	return CopyResult{ClearAfterSeconds: acc.ClipboardSeconds}, nil
}

// ExtendClipboard keeps the copy of a secret shown once on the clipboard
// for OneTimeClear more from now (its confirmation closed, the countdown
// runs).
func (a *App) ExtendClipboard() (CopyResult, error) {
	if _, err := a.session(a.ctx()); err != nil {
		return CopyResult{}, a.fail("extend-clipboard", err)
	}
	if !a.clip.extend() {
		return CopyResult{}, a.fail("extend-clipboard", errClipboardGone)
	}
	return CopyResult{ClearAfterSeconds: int(OneTimeClear / time.Second)}, nil
}

// KeepClipboard calls off the clearing of the copy of a secret shown once:
// it stays on the clipboard until the user replaces it.
func (a *App) KeepClipboard() error {
	if _, err := a.session(a.ctx()); err != nil {
		return a.fail("keep-clipboard", err)
	}
	if !a.clip.keep() {
		return a.fail("keep-clipboard", errClipboardGone)
	}
	return nil
}

// errClipboardGone: the copy to extend or keep is no longer Keysmith's to
// clear (cleared already, or replaced by the user).
var errClipboardGone = errs.Invalidf("clipboard", "The copied secret is no longer on the clipboard.")

// DismissSecret forgets the secret of a closed confirmation: from now on it
// exists only where the user copied or saved it.
func (a *App) DismissSecret(credID int64) error {
	a.clip.drop(credID) // whoever asks: forgetting is always safe
	_, err := a.session(a.ctx())
	return a.fail("dismiss-secret", err)
}

// PlatformMessage is the API Settings notice for Advanced and Basic users.
const PlatformMessage = "Only account Administrators can create and manage API keys. " +
	"Users with Basic and Advanced permissions cannot configure these settings; " +
	"please contact your account administrator for assistance."

// APISettings is the API Settings page's permission gate.
func (a *App) APISettings() (APISettingsView, error) {
	return asUser(a, "api-settings", func(id int64) (APISettingsView, error) {
		me, err := a.core.Accounts.Actor(a.ctx(), id)
		if err != nil {
			return APISettingsView{}, err
		}
		admins, err := a.core.Accounts.Administrators(a.ctx(), id)
		if err != nil {
			return APISettingsView{}, err
		}
		v := APISettingsView{CanManage: me.Role == accounts.Administrator, Administrators: []Contact{}}
		if !v.CanManage {
			v.Message = PlatformMessage
		}
		for _, u := range admins {
			v.Administrators = append(v.Administrators, Contact{Name: u.Name, Email: u.Email})
		}
		return v, nil
	})
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
	ClearAfterSeconds int `json:"clearAfterSeconds"` // 0 while Held
	// Held: a secret shown once, kept on the clipboard while its
	// confirmation is open, then for OneTimeClear.
	Held bool `json:"held"`
}
