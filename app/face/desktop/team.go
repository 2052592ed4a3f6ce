package desktop

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/agefile"
	"keysmith/app/core/errs"
	"keysmith/app/core/team"
)

// Team mode in the window: on the first-run screen, joining a team with an
// invitation (ChooseInvitation, OpenInvitation, JoinTeam) or creating the
// account in a team database (CreateTeamAccount), each in place of the
// empty database the window opened on this computer; in Settings > Team,
// where the account lives (TeamStatus) and, for Administrators, inviting
// another machine (InviteMachine).
//
// The invitation's path is chosen in the system's file dialog and never
// crosses to the web view; the opened invitation (which holds the account
// key) stays in Go until the join ends. The passphrase of an invitation
// written here crosses once, in InviteMachine's answer, and is held for
// copying until DismissInvitationPassphrase; neither it nor a database
// password is logged or sent in an event.

// joinTimeout bounds how long joining waits for the team database.
const joinTimeout = 30 * time.Second

// joining is a first-run join under way; mu is held for each step, so a
// second window call waits for the first.
type joining struct {
	mu   sync.Mutex
	data []byte           // the invitation file, as read
	inv  *team.Invitation // the invitation, once opened
}

// reset forgets the file and the opened invitation; j.mu must be held.
func (j *joining) reset() {
	if j.inv != nil {
		clear(j.inv.Key)
	}
	j.data, j.inv = nil, nil
}

// firstRun returns the core of a data directory that holds no account yet,
// or why the first-run screen's team actions are refused.
func (a *App) firstRun() (*core.Core, error) {
	c, err := a.current()
	if err != nil {
		return nil, err
	}
	if _, err := c.Accounts.Account(a.ctx()); err == nil {
		return nil, errs.ErrAlreadySetUp
	} else if !errors.Is(err, errs.ErrNotSetUp) {
		return nil, err
	}
	return c, nil
}

// chooseFile asks the window's file dialog.
func (a *App) chooseFile(d FileDialog) (string, error) {
	a.mu.Lock()
	choose := a.choose
	a.mu.Unlock()
	if choose == nil {
		return "", errors.New("no file dialog attached")
	}
	return choose(d)
}

// InvitationFile is the invitation file chosen on the first-run screen.
type InvitationFile struct {
	// Chosen is false when the user closed the dialog without a file.
	Chosen bool `json:"chosen"`
	// Name is the file's name, without its folder.
	Name string `json:"name"`
}

// ChooseInvitation asks for the invitation file in the system's dialog
// and reads it (first-run screen). A new choice replaces an earlier one.
func (a *App) ChooseInvitation() (InvitationFile, error) {
	if _, err := a.firstRun(); err != nil {
		return InvitationFile{}, a.fail("choose-invitation", err)
	}
	a.joining.mu.Lock()
	defer a.joining.mu.Unlock()
	path, err := a.chooseFile(FileDialog{Title: "Choose the invitation file", Dir: documents(), Filter: "*.age", FilterName: "Keysmith invitations (*.age)"})
	if err != nil || path == "" {
		return InvitationFile{}, a.fail("choose-invitation", err)
	}
	data, err := agefile.Read(path, team.MaxInvitationFile, team.FileKind)
	if err != nil {
		return InvitationFile{}, a.fail("choose-invitation", err)
	}
	a.joining.reset()
	a.joining.data = data
	return InvitationFile{Chosen: true, Name: filepath.Base(path)}, nil
}

// InvitationView is what the first-run screen shows of an opened
// invitation before the user confirms: whom it is from and which database
// it names. Never the database password or the account key.
type InvitationView struct {
	Account string `json:"account"` // the account's name
	By      string `json:"by"`      // who issued it
	Where   Where  `json:"where"`
	Expires string `json:"expires"` // RFC 3339
	// HasPassword is true when the invitation carries the database password.
	HasPassword bool `json:"hasPassword"`
}

// Where is a team database's address as the window shows it; never its
// password.
type Where struct {
	Host     string `json:"host"` // a host name or address, or a Unix socket directory
	Port     string `json:"port"` // "" for PostgreSQL's default (5432)
	Database string `json:"database"`
	User     string `json:"user"`
	// SSLMode is the address's sslmode ("" for the default, prefer).
	SSLMode string `json:"sslMode"`
}

func where(address string) (Where, error) {
	w, err := team.Describe(address)
	return Where{Host: w.Host, Port: w.Port, Database: w.Database, User: w.User, SSLMode: w.SSLMode}, err
}

// OpenInvitation opens the chosen invitation file with its passphrase
// (first-run screen) and shows what it is, for the user to confirm.
func (a *App) OpenInvitation(passphrase string) (InvitationView, error) {
	if _, err := a.firstRun(); err != nil {
		return InvitationView{}, a.fail("open-invitation", err)
	}
	a.joining.mu.Lock()
	defer a.joining.mu.Unlock()
	if a.joining.data == nil {
		return InvitationView{}, a.fail("open-invitation", errs.Invalidf("path", "Choose the invitation file first."))
	}
	if passphrase == "" {
		return InvitationView{}, a.fail("open-invitation", errs.Invalidf("passphrase", "Enter the invitation's passphrase."))
	}
	inv, err := team.Open(a.joining.data, passphrase, a.clock())
	releaseKDFMemory()
	if err != nil {
		return InvitationView{}, a.fail("open-invitation", err)
	}
	w, err := where(inv.Database)
	if err != nil {
		clear(inv.Key)
		return InvitationView{}, a.fail("open-invitation", err)
	}
	if a.joining.inv != nil {
		clear(a.joining.inv.Key)
	}
	a.joining.inv = &inv
	return InvitationView{Account: inv.Account, By: inv.By, Where: w, Expires: inv.Expires.Format(time.RFC3339),
		HasPassword: inv.Password != ""}, nil
}

// JoinTeam sets this data directory up as a machine of the account the
// opened invitation names, in place of the empty database the window
// opened here (first-run screen). password, when given, is the database
// password (sealed into this machine's team settings by the core); it wins
// over the invitation's. Afterwards the window signs in against the team
// database. When joining fails the data directory is as it was, and the
// invitation stays open for another try.
func (a *App) JoinTeam(password string) (State, error) {
	return a.replaceCore("join-team", func(c *core.Core, ctx context.Context, opt core.Options) (*core.Core, error) {
		if a.joining.inv == nil {
			return c, errs.Invalidf("passphrase", "Open the invitation with its passphrase first.")
		}
		host, _ := os.Hostname()
		next, err := c.JoinInstead(ctx, *a.joining.inv, password, host, opt)
		if err == nil {
			a.joining.reset()
		}
		return next, err
	})
}

// CreateTeamAccount keeps this data directory's account in the team
// database at address, in place of the empty database the window opened
// here (first-run screen); the window then creates the account there.
// password is the database password, when address does not hold it (the
// core takes it out and seals it into this machine's team settings).
func (a *App) CreateTeamAccount(address, password string) (State, error) {
	return a.replaceCore("create-team-account", func(c *core.Core, ctx context.Context, opt core.Options) (*core.Core, error) {
		return c.OpenTeamInstead(ctx, address, password, opt)
	})
}

// CancelJoin forgets the chosen invitation file and the opened invitation.
func (a *App) CancelJoin() error {
	a.joining.mu.Lock()
	a.joining.reset() // whoever asks: forgetting is always safe
	a.joining.mu.Unlock()
	_, err := a.firstRun()
	return a.fail("cancel-join", err)
}

// replaceCore runs replace, which opens the data directory in place of c
// (its account not set up yet), and makes the core it returns the
// facade's, with the audit head saved for it from then on.
func (a *App) replaceCore(op string, replace func(c *core.Core, ctx context.Context, opt core.Options) (*core.Core, error)) (State, error) {
	a.joining.mu.Lock()
	defer a.joining.mu.Unlock()
	c, err := a.firstRun()
	if err != nil {
		return State{}, a.fail(op, err)
	}
	a.mu.Lock()
	opt, stop := a.reopen, a.stopHead
	a.stopHead = nil
	a.mu.Unlock()
	if stop != nil {
		stop() // c's head is saved no more: replace closes it
	}
	if opt.Clock == nil {
		opt.Clock = a.clock
	}
	ctx, cancel := context.WithTimeout(a.ctx(), joinTimeout)
	next, err := replace(c, ctx, opt)
	cancel()
	a.mu.Lock()
	// Nobody is signed in to the core put in place.
	a.core, a.userID = next, 0
	if next == nil { // the data directory could not be opened again
		a.openErr, a.checkErr = err, err
	}
	a.keepHead()
	a.mu.Unlock()
	a.sessionChanged("")
	if err != nil {
		return State{}, a.fail(op, err)
	}
	return a.State()
}

// TeamView is Settings > Team: where the account lives. Never a password.
type TeamView struct {
	// Team is false when the account lives on this computer (SQLite).
	Team bool `json:"team"`
	// Where is the team database's address (zero on this computer).
	Where Where `json:"where"`
	// DataDir is this machine's data directory.
	DataDir string `json:"dataDir"`
}

// TeamStatus tells where the account lives (every signed-in user).
func (a *App) TeamStatus() (TeamView, error) {
	if _, err := a.session(a.ctx()); err != nil {
		return TeamView{}, a.fail("team-status", err)
	}
	v := TeamView{DataDir: a.core.Dir}
	if address := a.core.Team(); address != "" {
		w, err := where(address)
		if err != nil {
			return TeamView{}, a.fail("team-status", err)
		}
		v.Team, v.Where = true, w
	}
	return v, nil
}

// InviteResult is an invitation written by InviteMachine.
type InviteResult struct {
	// Saved is false when the user closed the dialog without a file: then
	// nothing was issued.
	Saved bool `json:"saved"`
	// Path is where the invitation file was written.
	Path string `json:"path"`
	// Passphrase opens the file: shown this once.
	Passphrase string `json:"passphrase"`
	// Expires is when Keysmith stops accepting it (RFC 3339).
	Expires string `json:"expires"`
	// WithPassword is true when the file carries the database password.
	WithPassword bool `json:"withPassword"`
}

// InviteMachine asks where to save an invitation for another desktop or
// server, then writes it there (never over an existing file), sealed to a
// passphrase Keysmith draws and returns this once (Administrators of an
// account in a team database; audited as team.invite). withPassword puts
// the database password in it.
func (a *App) InviteMachine(withPassword bool) (InviteResult, error) {
	id, err := a.session(a.ctx())
	if err == nil {
		err = a.core.CheckInvite(a.ctx(), id)
	}
	if err != nil {
		return InviteResult{}, a.fail("invite", err)
	}
	path, err := a.chooseFile(FileDialog{Save: true, Title: "Save the invitation", Dir: documents(), DefaultName: team.FileKind.Example,
		Filter: "*.age", FilterName: "Keysmith invitations (*.age)"})
	if err != nil || path == "" {
		return InviteResult{}, a.fail("invite", err)
	}
	if !filepath.IsAbs(path) {
		return InviteResult{}, a.fail("invite", errs.Invalidf("path", "Choose a full path for the invitation file."))
	}
	pass := team.NewPassphrase()
	data, inv, err := a.core.Invite(a.ctx(), id, pass, withPassword)
	if err == nil {
		err = agefile.Write(path, data, team.FileKind)
	}
	if err != nil {
		return InviteResult{}, a.fail("invite", err)
	}
	a.clip.hold(passphraseHolder, "", pass)
	return InviteResult{Saved: true, Path: path, Passphrase: pass, Expires: inv.Expires.Format(time.RFC3339), WithPassword: withPassword}, nil
}

// CopyInvitationPassphrase copies the passphrase of the invitation just
// written, while its dialog is open; as a credential's secret, it stays
// there while the dialog is open, then OneTimeClear (CopyCredential).
func (a *App) CopyInvitationPassphrase() (CopyResult, error) {
	id, err := a.session(a.ctx())
	if err == nil {
		err = a.core.CheckInvite(a.ctx(), id)
	}
	if err != nil {
		return CopyResult{}, a.fail("copy-passphrase", err)
	}
	_, pass, ok := a.clip.held(passphraseHolder)
	if !ok {
		return CopyResult{}, a.fail("copy-passphrase", errs.Invalidf("passphrase", "The passphrase is no longer available; it is shown only once. Invite again."))
	}
	if err := a.clip.copyHeld(pass, passphraseHolder); err != nil {
		return CopyResult{}, a.fail("copy-passphrase", err)
	}
	return CopyResult{Held: true}, nil
}

// DismissInvitationPassphrase forgets the passphrase of the invitation
// just written: its dialog closed.
func (a *App) DismissInvitationPassphrase() error {
	a.clip.drop(passphraseHolder) // whoever asks: forgetting is always safe
	_, err := a.session(a.ctx())
	return a.fail("dismiss-passphrase", err)
}
