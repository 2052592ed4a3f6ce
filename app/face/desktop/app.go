// Package desktop is the window's face: the one struct bound to the web view.
//
// Each bound method is a domain verb that calls the core and maps its errors
// to one user-safe sentence (errs.Message). The facade keeps only the window's
// session (who is signed in, when they were last active); every rule about
// who may do what lives in the core, which re-checks the signed-in user on
// every call. Nothing returned or emitted here carries a password, a
// password hash, an internal error or a secret other than the one-time
// secret of a key just created or rolled (NewSecret), the passphrase of an
// invitation just written (InviteResult) and a vault item the user asked
// to see.
//
// Files follow the window's screens: session.go (setup, sign-in, the
// screen to show), team.go (joining a team from the first-run screen,
// Settings > Team and invitations), users.go, credentials.go (API
// Settings), verifier.go (Settings > Verification and the live check),
// vault.go, audit.go, settings.go, clipboard.go; feed.go tells the window
// what changed and whether the database answers (events carry topics and
// states, no data).
//
// The live check (TestCredential) lets net/http write its request and read
// the answer (Request.Write, ReadResponse) on a connection it dials itself,
// not through an http.Client: one request to one loopback address needs no
// connection pool, proxy settings or redirects, and this way has none to
// get wrong. It is also smaller: measured with make build (Go 1.26, on
// 6e328e3), an http.Client with its Transport made build/bin/keysmith
// 631,328 bytes larger (16,180,192 to 16,811,520; it links the pool, SOCKS
// and the HTTP/2 client), while Request.Write and ReadResponse were linked
// already.
package desktop

import (
	"context"
	"errors"
	"runtime/debug"
	"sync"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/accounts"
	"keysmith/app/core/errs"
	"keysmith/app/core/vault"
	"keysmith/app/face/logfmt"
)

// Emitter sends an event to the web view; the window wires it to Wails.
type Emitter func(name string, data ...any)

// Event names the web view listens to.
const (
	EventNavigate     = "navigate"      // data: route name
	EventSessionEnded = "session-ended" // data: {reason}
)

// App is the facade bound to the window.
//
// core, openErr and checkErr are set once by Opened, and again only when
// the data directory, holding no account yet, joins a team or creates its
// account in a team database (team.go): that writes them under mu, and
// what may run before anyone signs in (State, Setup, SignIn, session)
// reads them under mu (current).
type App struct {
	core     *core.Core
	openErr  error
	readable chan struct{} // closed once core and openErr are set: State may answer
	ready    chan struct{} // closed once the database is checked too; checkErr is set
	checkErr error
	reopen   core.Options // how team.go opens the data directory again
	joining  joining      // the first-run join under way (team.go)

	log   *logfmt.Logger
	clock func() time.Time

	clip   *clipKeeper
	ep     *endpoint
	health *health

	mu          sync.Mutex
	emit        Emitter
	choose      ChooseFile
	onSession   func(role string) // Window.Session
	headCtx     context.Context   // the audit head is saved while it lasts
	stopHead    func()            // stops saving the current core's head; nil when not saving
	userID      int64
	lastActive  time.Time
	vault       *vault.Session
	vaultActive time.Time
	stop        chan struct{}
}

// New returns the facade over core. openErr, when not nil, is the reason
// the core could not be opened: every method then returns its message.
func New(c *core.Core, openErr error, log *logfmt.Logger) *App {
	a := NewOpening(log)
	Opened(a, c, openErr)
	return a
}

// NewOpening returns the facade before the core is open, so the window can
// start while the database opens; every method waits for Opened.
func NewOpening(log *logfmt.Logger) *App {
	a := &App{log: log, clock: time.Now, emit: func(string, ...any) {}, readable: make(chan struct{}), ready: make(chan struct{})}
	a.clip = newClipKeeper(func() time.Time { return a.clock() })
	a.ep = &endpoint{}
	a.health = &health{send: a.send}
	return a
}

// Opened hands the facade the opened core, or the reason it could not open,
// then runs the core's deferred whole-database check: State answers as soon
// as the core is open (the first screen does not wait for the check), every
// other method waits for the check and fails with its error.
// (A function, not a method, so the window never binds it.)
func Opened(a *App, c *core.Core, openErr error) {
	a.core, a.openErr = c, openErr
	if c != nil {
		a.clock = c.Clock
	}
	close(a.readable)
	err := openErr
	if err == nil {
		err = c.Check(context.Background())
	}
	if err != nil && openErr == nil {
		a.log.Error("database check failed", "err", err.Error())
	}
	a.checkErr = err
	close(a.ready)
}

// await blocks until the core is open and checked.
func (a *App) await() { <-a.ready }

// current returns the core and the error that keeps it from use, once
// the core is open and checked.
func (a *App) current() (*core.Core, error) {
	a.await()
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.core, a.checkErr
}

// ReopenWith sets the options the facade opens its data directory with
// again (joining a team from the first-run screen); the zero value, what
// the window uses, is what builds use. The clock stays the facade's.
func ReopenWith(a *App, opt core.Options) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reopen = opt
}

// Lifecycle functions are not methods, so the window does not bind them.

// Window is what the facade needs from the window.
type Window struct {
	Emit      Emitter   // Wails' runtime.EventsEmit
	Clipboard Clipboard // Wails' runtime clipboard
	// After runs f once after d; nil means time.AfterFunc.
	After func(d time.Duration, f func())
	// ChooseFile asks the user for a file in the system's dialog.
	ChooseFile ChooseFile
	// Session is told who is signed in whenever that changes: the role
	// ("Administrator", "Advanced", "Basic"), or "" once nobody is (the
	// window's menu offers what the role may open). Nil for none.
	Session func(role string)
}

// ChooseFile shows the system's dialog to open or to save a file, and
// returns the path chosen, or "" when the user cancelled.
type ChooseFile func(FileDialog) (string, error)

// FileDialog is what a file dialog shows.
type FileDialog struct {
	Save        bool   // a dialog to save a new file, else to open one
	Title       string // the dialog's title
	DefaultName string // the file name a save dialog proposes
	Dir         string // the folder it opens in ("": the dialog's choice)
	Filter      string // a pattern of file names ("*.age"), shown with all files
	FilterName  string // what the pattern shows ("Keysmith invitations")
}

var errNoClipboard = errors.New("no clipboard attached")

// Attach wires the facade to the window and starts watching for idle
// sessions until ctx ends or Detach is called.
func Attach(ctx context.Context, a *App, w Window) {
	stop := make(chan struct{})
	hctx, endHead := context.WithCancel(ctx)
	a.mu.Lock()
	a.emit = w.Emit
	a.choose = w.ChooseFile
	a.onSession = w.Session
	a.stop = stop
	a.headCtx = hctx
	a.mu.Unlock()
	a.clip.mu.Lock()
	a.clip.board, a.clip.emit = w.Clipboard, w.Emit
	if w.After != nil {
		a.clip.after = w.After
	}
	a.clip.mu.Unlock()
	go func() {
		a.await()
		a.mu.Lock()
		defer a.mu.Unlock()
		a.keepHead()
	}()
	go func() {
		defer endHead()
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				a.checkIdle(ctx)
				a.checkVaultIdle()
			case <-stop:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
}

// keepHead saves the current core's audit head every core.HeadEvery and
// forwards its change feed to the window (feed.go) while the window is
// attached, until stopHead; a.mu must be held.
func (a *App) keepHead() {
	if a.headCtx == nil || a.stopHead != nil || a.checkErr != nil || a.core == nil {
		return
	}
	ctx, cancel := context.WithCancel(a.headCtx)
	var running sync.WaitGroup
	running.Add(2)
	go func(c *core.Core) {
		defer running.Done()
		c.KeepHeadSaved(ctx, func(err error) { a.log.Warn("audit head not saved", "err", err.Error()) })
	}(a.core)
	go func(c *core.Core) {
		defer running.Done()
		a.follow(ctx, c)
	}(a.core)
	a.stopHead = func() { cancel(); running.Wait() }
}

// Close closes the facade's core, whichever it has now (the one opened
// at start, or one a join or a later open put in its place), once its
// audit head saving has stopped. (A function, not a method: never bound.)
func Close(a *App) error {
	a.mu.Lock()
	c, stop := a.core, a.stopHead
	a.stopHead = nil
	a.mu.Unlock()
	if stop != nil {
		stop()
	}
	if c == nil {
		return nil
	}
	return c.Close()
}

// Detach ends the idle watcher and signs out.
func Detach(ctx context.Context, a *App) {
	a.mu.Lock()
	if a.stop != nil {
		close(a.stop)
		a.stop = nil
	}
	a.mu.Unlock()
	a.ep.stop()
	a.signOut(ctx, "quit")
}

// fail turns err into the error a bound method returns: the user-safe
// sentence, with the full error only in the local log.
func (a *App) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	p := errs.ProblemOf(err)
	var inv *errs.Invalid
	if !errors.As(err, &inv) {
		a.log.Warn("request failed", "op", op, "err", err.Error())
	}
	if errors.Is(err, errs.ErrSignedOut) {
		a.forgetUser()
	}
	a.health.noteFailure(err)
	return &Failure{p}
}

// Failure is how every bound method fails: its Problem crosses the bridge
// as data (see FormatError), so the window decides on its code and field,
// never on its sentence.
type Failure struct{ errs.Problem }

func (f *Failure) Error() string { return f.Message }

// FormatError is the window's Wails ErrorFormatter: a bound method's
// rejection carries {code, field, message}. An error that did not come
// through fail (none should) crosses as its user-safe Problem.
func FormatError(err error) any {
	var f *Failure
	if errors.As(err, &f) {
		return f.Problem
	}
	return errs.ProblemOf(err)
}

// asUser returns what fn returns for the signed-in user; a failure of
// either the session or fn is reported as op.
func asUser[T any](a *App, op string, fn func(id int64) (T, error)) (T, error) {
	id, err := a.session(a.ctx())
	var v T
	if err == nil {
		v, err = fn(id)
	}
	if err != nil {
		var zero T
		return zero, a.fail(op, err)
	}
	return v, nil
}

// actAs runs fn for the signed-in user; a failure of either the session or
// fn is reported as op.
func (a *App) actAs(op string, fn func(id int64) error) error {
	id, err := a.session(a.ctx())
	if err == nil {
		err = fn(id)
	}
	return a.fail(op, err)
}

// session returns the signed-in user's id, ending the session if it has been
// idle longer than the account allows. Any call counts as activity.
func (a *App) session(ctx context.Context) (int64, error) {
	if _, err := a.current(); err != nil {
		return 0, err
	}
	if a.checkIdle(ctx) {
		return 0, errs.ErrSignedOut
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.userID == 0 {
		return 0, errs.ErrSignedOut
	}
	a.lastActive = a.clock()
	return a.userID, nil
}

// checkIdle signs out an idle session and reports whether it did.
func (a *App) checkIdle(ctx context.Context) bool {
	a.await()
	a.mu.Lock()
	id, last := a.userID, a.lastActive
	a.mu.Unlock()
	if id == 0 || a.core == nil {
		return false
	}
	acc, err := a.core.Accounts.Account(ctx)
	if err != nil {
		return false
	}
	if a.clock().Sub(last) < time.Duration(acc.IdleMinutes)*time.Minute {
		return false
	}
	a.signOut(ctx, "idle")
	a.mu.Lock()
	emit := a.emit
	a.mu.Unlock()
	emit(EventSessionEnded, map[string]any{"reason": "idle", "minutes": acc.IdleMinutes})
	return true
}

func (a *App) signOut(ctx context.Context, reason string) {
	a.await()
	a.lockVault("sign-out")
	a.clip.forget()
	id := a.forgetUser()
	if id != 0 && a.core != nil {
		if err := a.core.Accounts.SignOut(ctx, id, reason); err != nil {
			a.log.Warn("record sign-out", "err", err.Error())
		}
	}
}

func (a *App) signIn(u accounts.User) {
	releaseKDFMemory()
	a.mu.Lock()
	a.userID = u.ID
	a.lastActive = a.clock()
	a.mu.Unlock()
	a.sessionChanged(string(u.Role))
}

// forgetUser ends the session in this window (nobody is signed in) and
// returns who was, 0 for nobody; the window hears of it when someone was.
func (a *App) forgetUser() int64 {
	a.mu.Lock()
	id := a.userID
	a.userID = 0
	a.mu.Unlock()
	if id != 0 {
		a.sessionChanged("")
	}
	return id
}

// sessionChanged tells the window who is signed in now (role, "" for
// nobody); a.mu must not be held.
func (a *App) sessionChanged(role string) {
	a.mu.Lock()
	tell := a.onSession
	a.mu.Unlock()
	if tell != nil {
		tell(role)
	}
}

// releaseKDFMemory hands the memory of a password or passphrase hash
// (19 to 64 MiB of argon2id work area) back to the system soon after, instead
// of keeping it for minutes in an idle window.
func releaseKDFMemory() {
	go func() {
		time.Sleep(100 * time.Millisecond)
		debug.FreeOSMemory()
	}()
}

// ctx is the context bound methods run under.
func (a *App) ctx() context.Context { return context.Background() }
