package desktop

import "keysmith/app/core/accounts"

// GetSettings returns the General settings in force for the signed-in user.
func (a *App) GetSettings() (Settings, error) {
	if _, err := a.session(a.ctx()); err != nil {
		return Settings{}, a.fail("get-settings", err)
	}
	st, err := a.State()
	return st.Settings, err
}

// SaveSettings saves the theme and, for Administrators, the idle minutes.
func (a *App) SaveSettings(s Settings) (State, error) {
	id, err := a.session(a.ctx())
	if err != nil {
		return State{}, a.fail("save-settings", err)
	}
	if err := a.core.Accounts.SetPreferences(a.ctx(), id, accounts.Preferences{
		Theme: s.Theme, IdleMinutes: s.IdleMinutes, ClipboardSeconds: s.ClipboardSeconds, VaultLockMinutes: s.VaultLockMinutes}); err != nil {
		return State{}, a.fail("save-settings", err)
	}
	return a.State()
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
