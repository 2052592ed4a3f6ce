package desktop

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"keysmith/app/core/agefile"
	"keysmith/app/core/errs"
	"keysmith/app/core/vault"
	"keysmith/app/face/views"
)

// EventVaultLocked tells the window the vault locked: {reason}. The window
// then forgets every decrypted value.
const EventVaultLocked = "vault-locked"

// VaultStatus is the signed-in user's vault state.
type VaultStatus struct {
	Exists      bool `json:"exists"`
	Unlocked    bool `json:"unlocked"`
	HasRecovery bool `json:"hasRecovery"`
	Items       int  `json:"items"`
	LockMinutes int  `json:"lockMinutes"`
}

// VaultSetupResult carries the recovery code, shown once ("" without one).
type VaultSetupResult struct {
	Status       VaultStatus `json:"status"`
	RecoveryCode string      `json:"recoveryCode"`
}

// VaultItem is one item revealed.
type VaultItem struct {
	views.VaultSummary
	Secret    string `json:"secret"`
	Notes     string `json:"notes"`
	CreatedAt string `json:"createdAt"`
}

// VaultItemInput adds or edits an item by hand.
type VaultItemInput struct {
	Title    string `json:"title"`
	Username string `json:"username"`
	Secret   string `json:"secret"`
	URL      string `json:"url"`
	Notes    string `json:"notes"`
}

func summary(it vault.Summary) views.VaultSummary {
	return views.VaultSummary{ID: it.ID, Kind: it.Kind, Title: it.Title, Username: it.Username, URL: it.URL, Type: it.Type,
		UpdatedAt: it.UpdatedAt.UTC().Format(time.RFC3339)}
}

// unlocked returns the signed-in user and their open vault session, and
// counts the call as vault activity.
func (a *App) unlocked() (int64, *vault.Session, error) {
	id, err := a.session(a.ctx())
	if err != nil {
		return 0, nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.vault == nil || a.vault.Locked() {
		return 0, nil, errs.ErrLocked
	}
	a.vaultActive = a.clock()
	return id, a.vault, nil
}

// lockVault forgets the open vault and clears Keysmith's clipboard copy.
func (a *App) lockVault(reason string) {
	a.mu.Lock()
	v := a.vault
	a.vault = nil
	emit := a.emit
	a.mu.Unlock()
	if v != nil {
		v.Lock()
		a.clip.clearIfOurs(-1)
		emit(EventVaultLocked, map[string]any{"reason": reason})
	}
}

func (a *App) openVault(v *vault.Session) {
	releaseKDFMemory()
	a.lockVault("replaced")
	a.mu.Lock()
	a.vault, a.vaultActive = v, a.clock()
	a.mu.Unlock()
}

// checkVaultIdle locks a vault left idle longer than its owner allows.
func (a *App) checkVaultIdle() {
	a.mu.Lock()
	v, last, user := a.vault, a.vaultActive, a.userID
	a.mu.Unlock()
	if v == nil || user == 0 {
		return
	}
	u, err := a.core.Accounts.Actor(a.ctx(), user)
	if err != nil || a.clock().Sub(last) >= time.Duration(u.VaultLockMinutes)*time.Minute {
		a.lockVault("idle")
	}
}

// vaultFail is fail for vault methods: a session that locked itself (its
// key was rotated elsewhere) is dropped and the window told, as on any lock.
func (a *App) vaultFail(op string, err error) error {
	if errors.Is(err, errs.ErrLocked) {
		a.mu.Lock()
		dropped := a.vault != nil && a.vault.Locked()
		if dropped {
			a.vault = nil
		}
		emit := a.emit
		a.mu.Unlock()
		if dropped {
			a.clip.clearIfOurs(-1)
			emit(EventVaultLocked, map[string]any{"reason": "key-changed"})
		}
	}
	return a.fail(op, err)
}

// VaultStatus reports the signed-in user's vault.
func (a *App) VaultStatus() (VaultStatus, error) {
	id, err := a.session(a.ctx())
	if err != nil {
		return VaultStatus{}, a.vaultFail("vault-status", err)
	}
	st, err := a.core.Vault.Status(a.ctx(), id)
	if err != nil {
		return VaultStatus{}, a.vaultFail("vault-status", err)
	}
	lock := 5 // the default, should the user's own setting be unreadable
	if u, err := a.core.Accounts.Actor(a.ctx(), id); err == nil {
		lock = u.VaultLockMinutes
	}
	a.mu.Lock()
	open := a.vault != nil && !a.vault.Locked()
	a.mu.Unlock()
	return VaultStatus{Exists: st.Exists, Unlocked: open, HasRecovery: st.HasRecovery, Items: st.Items, LockMinutes: lock}, nil
}

// VaultSetup creates the signed-in user's vault and unlocks it.
func (a *App) VaultSetup(passphrase, confirm string, withRecovery bool) (VaultSetupResult, error) {
	id, err := a.session(a.ctx())
	if err != nil {
		return VaultSetupResult{}, a.vaultFail("vault-setup", err)
	}
	if passphrase != confirm {
		return VaultSetupResult{}, a.vaultFail("vault-setup", errs.Invalidf("confirm", "Passphrase and confirmation do not match."))
	}
	v, code, err := a.core.Vault.Setup(a.ctx(), id, passphrase, withRecovery)
	if err != nil {
		return VaultSetupResult{}, a.vaultFail("vault-setup", err)
	}
	a.openVault(v)
	if code != "" {
		a.clip.hold(recoveryHolder, "", code)
	}
	st, err := a.VaultStatus()
	return VaultSetupResult{Status: st, RecoveryCode: code}, err
}

// VaultUnlock opens the vault with the passphrase.
func (a *App) VaultUnlock(passphrase string) (VaultStatus, error) {
	return a.unlock(passphrase, false)
}

// VaultUnlockWithRecovery opens the vault with the recovery code.
func (a *App) VaultUnlockWithRecovery(code string) (VaultStatus, error) {
	return a.unlock(code, true)
}

func (a *App) unlock(secret string, recovery bool) (VaultStatus, error) {
	id, err := a.session(a.ctx())
	if err != nil {
		return VaultStatus{}, a.vaultFail("vault-unlock", err)
	}
	v, err := a.core.Vault.Unlock(a.ctx(), id, secret, recovery)
	if err != nil {
		return VaultStatus{}, a.vaultFail("vault-unlock", err)
	}
	a.openVault(v)
	return a.VaultStatus()
}

// VaultLock locks the vault now.
func (a *App) VaultLock() (VaultStatus, error) {
	if _, err := a.session(a.ctx()); err != nil {
		return VaultStatus{}, a.vaultFail("vault-lock", err)
	}
	a.lockVault("manual")
	return a.VaultStatus()
}

// VaultList lists items matching query, without secrets.
func (a *App) VaultList(query string) ([]views.VaultSummary, error) {
	id, v, err := a.unlocked()
	if err != nil {
		return nil, a.vaultFail("vault-list", err)
	}
	items, err := v.List(a.ctx(), id, query)
	if err != nil {
		return nil, a.vaultFail("vault-list", err)
	}
	out := make([]views.VaultSummary, 0, len(items))
	for _, it := range items {
		out = append(out, summary(it))
	}
	return out, nil
}

// inVault runs fn in the signed-in user's open vault; a failure of either
// is reported as op.
func (a *App) inVault(op string, fn func(id int64, v *vault.Session) error) error {
	id, v, err := a.unlocked()
	if err == nil {
		err = fn(id, v)
	}
	return a.vaultFail(op, err)
}

// openItem is one item of the signed-in user's open vault, with its
// secret; a failure is reported as op.
func (a *App) openItem(op string, itemID int64) (vault.Item, error) {
	id, v, err := a.unlocked()
	var it vault.Item
	if err == nil {
		it, err = v.Get(a.ctx(), id, itemID)
	}
	if err != nil {
		return vault.Item{}, a.vaultFail(op, err)
	}
	return it, nil
}

// VaultReveal returns one item with its secret, on explicit request.
func (a *App) VaultReveal(itemID int64) (VaultItem, error) {
	it, err := a.openItem("vault-reveal", itemID)
	if err != nil {
		return VaultItem{}, err
	}
	return VaultItem{VaultSummary: summary(vault.Summary{ID: it.ID, Kind: it.Kind, Title: it.Title, Username: it.Username, URL: it.URL, Type: it.Type, UpdatedAt: it.UpdatedAt}),
		Secret: it.Secret, Notes: it.Notes, CreatedAt: it.CreatedAt.UTC().Format(time.RFC3339)}, nil
}

// VaultCopy copies an item's "secret" or "username" through Go; Keysmith
// clears it after the configured delay, on lock and on quit.
func (a *App) VaultCopy(itemID int64, field string) (CopyResult, error) {
	it, err := a.openItem("vault-copy", itemID)
	if err != nil {
		return CopyResult{}, err
	}
	text := it.Secret
	switch field {
	case "secret":
	case "username":
		text = it.Username
	default:
		return CopyResult{}, a.vaultFail("vault-copy", errs.Invalidf("field", "Copy the secret or the username."))
	}
	acc, err := a.core.Accounts.Account(a.ctx())
	if err != nil {
		return CopyResult{}, a.vaultFail("vault-copy", err)
	}
	if err := a.clip.copy(text, time.Duration(acc.ClipboardSeconds)*time.Second); err != nil {
		return CopyResult{}, a.vaultFail("vault-copy", err)
	}
	return CopyResult{ClearAfterSeconds: acc.ClipboardSeconds}, nil
}

func (in VaultItemInput) item(kind string) vault.Item {
	return vault.Item{Kind: kind, Title: in.Title, Username: in.Username, Secret: in.Secret, URL: in.URL, Notes: in.Notes}
}

// VaultAdd adds an item by hand.
func (a *App) VaultAdd(in VaultItemInput) (views.VaultSummary, error) {
	return a.vaultChange("vault-add", func(id int64, v *vault.Session) (int64, error) {
		return v.Add(a.ctx(), id, in.item(vault.KindLogin))
	})
}

// VaultEdit replaces an item's fields.
func (a *App) VaultEdit(itemID int64, in VaultItemInput) (views.VaultSummary, error) {
	return a.vaultChange("vault-edit", func(id int64, v *vault.Session) (int64, error) {
		return itemID, v.Edit(a.ctx(), id, itemID, in.item(""))
	})
}

// VaultSaveCredential saves the credential whose confirmation is open (its
// key, secret, type, name and creation time) to the vault.
func (a *App) VaultSaveCredential(credID int64) (views.VaultSummary, error) {
	return a.vaultChange("vault-save-credential", func(id int64, v *vault.Session) (int64, error) {
		c, err := a.core.Credentials.Get(a.ctx(), id, credID)
		if err != nil {
			return 0, err
		}
		_, secret, ok := a.clip.held(credID)
		if !ok {
			return 0, errs.Invalidf("secret", "The secret is no longer available; it is shown only once.")
		}
		return v.Add(a.ctx(), id, vault.Item{Kind: vault.KindCredential, Title: c.Type.Label() + " key: " + c.Name,
			Username: c.Key, Secret: secret, Type: string(c.Type), CreatedAt: c.CreatedAt})
	})
}

func (a *App) vaultChange(op string, fn func(actor int64, v *vault.Session) (int64, error)) (views.VaultSummary, error) {
	id, v, err := a.unlocked()
	if err != nil {
		return views.VaultSummary{}, a.fail(op, err)
	}
	itemID, err := fn(id, v)
	if err != nil {
		return views.VaultSummary{}, a.fail(op, err)
	}
	it, err := v.Get(a.ctx(), id, itemID)
	if err != nil {
		return views.VaultSummary{}, a.fail(op, err)
	}
	return summary(vault.Summary{ID: it.ID, Kind: it.Kind, Title: it.Title, Username: it.Username, URL: it.URL, Type: it.Type, UpdatedAt: it.UpdatedAt}), nil
}

// VaultDelete deletes an item.
func (a *App) VaultDelete(itemID int64) error {
	return a.inVault("vault-delete", func(id int64, v *vault.Session) error {
		return v.Delete(a.ctx(), id, itemID)
	})
}

// VaultChangePassphrase rewraps the vault's key under a new passphrase after
// checking the current one.
func (a *App) VaultChangePassphrase(current, next, confirm string) error {
	return a.inVault("vault-passphrase", func(id int64, v *vault.Session) error {
		if next != confirm {
			return errs.Invalidf("confirm", "New passphrase and confirmation do not match.")
		}
		if _, err := a.core.Vault.Unlock(a.ctx(), id, current, false); err != nil {
			return err
		}
		if vault.NormalizePassphrase(next) == vault.NormalizePassphrase(current) {
			return errs.Invalidf("password", "New passphrase must differ from the current one.")
		}
		return v.ChangePassphrase(a.ctx(), id, next)
	})
}

// VaultNewRecoveryCode replaces the recovery code; the new one is shown once.
func (a *App) VaultNewRecoveryCode() (string, error) {
	id, v, err := a.unlocked()
	if err != nil {
		return "", a.vaultFail("vault-recovery", err)
	}
	code, err := v.NewRecoveryCode(a.ctx(), id)
	if err == nil {
		a.clip.hold(recoveryHolder, "", code)
	}
	return code, a.vaultFail("vault-recovery", err)
}

// The recovery code just shown, while its dialog is open: copied (kept on
// the clipboard as a credential's secret), saved to a file, or printed
// from its sheet; DismissRecoveryCode forgets it.

// CopyRecoveryCode copies the recovery code just shown, while its dialog
// is open; it stays on the clipboard while the dialog is open, then
// OneTimeClear (CopyCredential).
func (a *App) CopyRecoveryCode() (CopyResult, error) {
	if _, err := a.session(a.ctx()); err != nil {
		return CopyResult{}, a.fail("copy-recovery", err)
	}
	_, code, ok := a.clip.held(recoveryHolder)
	if !ok {
		return CopyResult{}, a.fail("copy-recovery", errRecoveryGone)
	}
	if err := a.clip.copyHeld(code, recoveryHolder); err != nil {
		return CopyResult{}, a.fail("copy-recovery", err)
	}
	return CopyResult{Held: true}, nil
}

// RecoverySheet is the printable page of the recovery code just shown:
// whose vault it opens, when it was made, and how to use it.
func (a *App) RecoverySheet() (string, error) {
	sheet, err := a.recoverySheet()
	return sheet, a.fail("recovery-sheet", err)
}

// SaveRecoveryCode writes the recovery sheet (RecoverySheet) to a file the
// user chooses in the system's Save dialog: 0600, never over an existing
// file.
func (a *App) SaveRecoveryCode() (ExportResult, error) {
	sheet, err := a.recoverySheet()
	if err != nil {
		return ExportResult{}, a.fail("save-recovery", err)
	}
	path, err := a.chooseFile(FileDialog{Save: true, Title: "Save the recovery code", Dir: documents(),
		DefaultName: "keysmith-recovery-code-" + a.clock().Format("2006-01-02") + ".txt",
		Filter:      "*.txt", FilterName: "Text files (*.txt)"})
	if err != nil || path == "" {
		return ExportResult{}, a.fail("save-recovery", err)
	}
	if !filepath.IsAbs(path) {
		return ExportResult{}, a.fail("save-recovery", errs.Invalidf("path", "Choose a full path for the file."))
	}
	if err := agefile.Write(path, []byte(sheet), recoverySheetFile); err != nil {
		return ExportResult{}, a.fail("save-recovery", err)
	}
	return ExportResult{Saved: true, Path: path}, nil
}

// DismissRecoveryCode forgets the recovery code just shown: its dialog
// closed.
func (a *App) DismissRecoveryCode() error {
	a.clip.drop(recoveryHolder) // whoever asks: forgetting is always safe
	_, err := a.session(a.ctx())
	return a.fail("dismiss-recovery", err)
}

// recoverySheetFile names a saved recovery sheet in messages about its file.
var recoverySheetFile = agefile.Kind{Noun: "recovery sheet", Example: "keysmith-recovery-code.txt"}

var errRecoveryGone = errs.Invalidf("recovery", "The recovery code is no longer available; it is shown only once. Make a new one.")

// recoverySheet is the text of the recovery sheet of the signed-in user's
// held recovery code.
func (a *App) recoverySheet() (string, error) {
	id, err := a.session(a.ctx())
	if err != nil {
		return "", err
	}
	_, code, ok := a.clip.held(recoveryHolder)
	if !ok {
		return "", errRecoveryGone
	}
	acc, err := a.core.Accounts.Account(a.ctx())
	if err != nil {
		return "", err
	}
	u, err := a.core.Accounts.Actor(a.ctx(), id)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`Keysmith vault recovery code

Account:   %s
User:      %s <%s>
Made on:   %s

Recovery code:   %s

What it opens: the Keysmith vault of %s on this account, if the vault
passphrase is forgotten. Anyone holding this code and signed in as this
user can read every secret in the vault: keep it apart from the computer
and from the passphrase (in a safe, or another password manager).

How to use it: in Keysmith, open Vault, choose "Use recovery code instead"
and type the code (capitals, small letters and dashes do not matter), then
choose a new passphrase under "Change passphrase". From the command line:
KEYSMITH_VAULT_RECOVERY holds the code instead of the passphrase.

A new recovery code replaces this one; it stops working then.
`, acc.Name, u.Name, u.Email, a.clock().Format("2 January 2006 15:04 MST"), code, u.Name), nil
}

// VaultRemoveRecoveryCode removes the recovery code.
func (a *App) VaultRemoveRecoveryCode() error {
	return a.inVault("vault-recovery", func(id int64, v *vault.Session) error {
		return v.RemoveRecoveryCode(a.ctx(), id)
	})
}

// VaultRotateKey replaces the vault's data key with a new random one and
// re-encrypts every item under it, in one step; the passphrase and recovery
// code keep working. It returns the number of items re-encrypted.
func (a *App) VaultRotateKey() (int, error) {
	id, v, err := a.unlocked()
	if err != nil {
		return 0, a.vaultFail("vault-rotate-key", err)
	}
	n, err := v.RotateKey(a.ctx(), id)
	return n, a.vaultFail("vault-rotate-key", err)
}

// ExportResult is where a vault export was written.
type ExportResult struct {
	// Saved is false when the user closed the Save dialog without a file.
	Saved bool   `json:"saved"`
	Path  string `json:"path"`
}

// VaultExport writes every item to a file the user chooses in the system's
// Save dialog (in their documents folder, named for today), encrypted in
// the age format to its own passphrase (the `age` command opens it). The
// passphrase is checked before the dialog opens; an existing file is never
// overwritten.
func (a *App) VaultExport(passphrase, confirm string) (ExportResult, error) {
	var out ExportResult
	err := a.inVault("vault-export", func(id int64, v *vault.Session) error {
		if passphrase != confirm {
			return errs.Invalidf("confirm", "Export passphrase and confirmation do not match.")
		}
		if err := vault.CheckPassphrase(passphrase); err != nil {
			return err
		}
		path, err := a.chooseFile(FileDialog{Save: true, Title: "Export the vault", Dir: documents(),
			DefaultName: "keysmith-vault-" + a.clock().Format("2006-01-02") + ".age",
			Filter:      "*.age", FilterName: "Encrypted exports (*.age)"})
		if err != nil || path == "" {
			return err
		}
		if !filepath.IsAbs(path) {
			return errs.Invalidf("path", "Choose a full path for the export file.")
		}
		data, err := v.Export(a.ctx(), id, passphrase)
		if err != nil {
			return err
		}
		if err := vault.WriteFile(path, data); err != nil {
			return err
		}
		out = ExportResult{Saved: true, Path: path}
		return nil
	})
	return out, err
}

// ImportResult is what an import added; Chosen is false when the user
// closed the Open dialog without a file.
type ImportResult struct {
	Chosen  bool `json:"chosen"`
	Added   int  `json:"added"`
	Skipped int  `json:"skipped"`
}

// VaultImport merges an export file, chosen in the system's Open dialog,
// into the vault.
func (a *App) VaultImport(passphrase string) (ImportResult, error) {
	id, v, err := a.unlocked()
	if err != nil {
		return ImportResult{}, a.vaultFail("vault-import", err)
	}
	path, err := a.chooseFile(FileDialog{Title: "Import a vault export", Dir: documents(),
		Filter: "*.age", FilterName: "Encrypted exports (*.age)"})
	if err != nil || path == "" {
		return ImportResult{}, a.vaultFail("vault-import", err)
	}
	data, err := vault.ReadExport(path)
	if err != nil {
		return ImportResult{}, a.vaultFail("vault-import", err)
	}
	rep, err := v.Import(a.ctx(), id, data, passphrase)
	if err != nil {
		return ImportResult{}, a.vaultFail("vault-import", err)
	}
	return ImportResult{Chosen: true, Added: rep.Added, Skipped: rep.Skipped}, nil
}

// documents is the folder file dialogs open in: the user's Documents
// folder when there is one, else their home folder ("" when neither is
// known: the dialog's own choice).
func documents() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	if fi, err := os.Stat(filepath.Join(home, "Documents")); err == nil && fi.IsDir() {
		return filepath.Join(home, "Documents")
	}
	return home
}
