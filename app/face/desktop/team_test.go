package desktop_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/errs"
	"keysmith/app/core/team"
	"keysmith/app/face/desktop"
	"keysmith/app/face/logfmt"
	"keysmith/app/testkit"
	"keysmith/app/testkit/pgtest"
)

// win is a window's facade as the tests drive it: its file dialog answers
// with path ("" as if cancelled) and counts how often it was shown.
type win struct {
	*desktop.App
	dir   string
	log   *testkit.SyncBuffer
	rec   *recorder
	board *fakeBoard
	mu    sync.Mutex
	path  string
	shown int
}

func (w *win) answer(path string) { w.mu.Lock(); w.path = path; w.mu.Unlock() }

func (w *win) dialogs() int { w.mu.Lock(); defer w.mu.Unlock(); return w.shown }

func (w *win) choose(desktop.FileDialog) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.shown++
	return w.path, nil
}

// firstRun opens dir (a new one when "") as the window does: on this
// computer unless dir holds team settings, its whole check after the first
// screen, attached to a fake file dialog, clipboard and event recorder.
func firstRun(t *testing.T, dir string, clock *testkit.Clock) *win {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	p := testkit.CheapParams
	opt := core.Options{Params: &p, Clock: clock.Now}
	w := &win{dir: dir, log: &testkit.SyncBuffer{}, rec: &recorder{}, board: &fakeBoard{}}
	w.App = desktop.NewOpening(logfmt.New(w.log, nil))
	desktop.ReopenWith(w.App, opt)
	ctx, cancel := context.WithCancel(context.Background())
	desktop.Attach(ctx, w.App, desktop.Window{Emit: w.rec.emit, Clipboard: w.board, After: w.board.after, ChooseFile: w.choose})
	opt.CheckLater = true
	c, err := core.Open(context.Background(), dir, opt)
	desktop.Opened(w.App, c, err)
	t.Cleanup(func() {
		desktop.Detach(ctx, w.App)
		cancel()
		desktop.CloseCore(w.App) // whichever core it has by then
	})
	return w
}

// problem is a bound method's refusal as the window receives it.
func problem(t *testing.T, err error) errs.Problem {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	p, ok := desktop.FormatError(err).(errs.Problem)
	if !ok {
		t.Fatalf("%v crosses as %T", err, desktop.FormatError(err))
	}
	return p
}

// teamWindow is a window on a seeded account in a new team database
// (created at address, which may carry a password), signed in as its
// Administrator.
func teamWindow(t *testing.T, clock *testkit.Clock, address string) *win {
	t.Helper()
	dir := t.TempDir()
	p := testkit.CheapParams
	c, err := core.OpenTeam(context.Background(), dir, address, "", core.Options{Params: &p, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Seed(t, c)
	c.Close()
	w := firstRun(t, dir, clock)
	if _, err := w.SignIn("ada@acme.test", testkit.AdminPassword); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestInviteAndJoinThroughTheWindow: an Administrator invites from
// Settings > Team, the passphrase shown once; a new machine's first-run
// screen chooses the file, opens it, shows whom it is from and which
// database it names, joins, and signs in against the team database. The
// passphrase and the database password reach no log and no event.
func TestInviteAndJoinThroughTheWindow(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	const dbPassword = "db-Pa55word-never-shown"
	address := strings.Replace(pgtest.DB(t), "postgres://keysmith@", "postgres://keysmith:"+dbPassword+"@", 1)
	a := teamWindow(t, clock, address)
	cred, err := a.CreateKey(desktop.CreateKeyRequest{Type: "basic", Name: "Orders", Expires: "never"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := a.TeamStatus()
	if err != nil || !st.Team || st.Where.Host != "127.0.0.1" || st.Where.Database == "" || st.Where.User != "keysmith" || st.DataDir != a.dir {
		t.Fatalf("team status %+v %v", st, err)
	}
	if b, _ := json.Marshal(st); strings.Contains(string(b), dbPassword) {
		t.Fatalf("the team status shows the database password: %s", b)
	}

	// Cancelled: nothing is issued.
	if res, err := a.InviteMachine(true); err != nil || res.Saved || res.Passphrase != "" || a.dialogs() != 1 {
		t.Fatalf("cancelled invite: %+v %v", res, err)
	}
	out := filepath.Join(t.TempDir(), "acme.age")
	a.answer(out)
	res, err := a.InviteMachine(true)
	if err != nil || !res.Saved || res.Path != out || len(res.Passphrase) != 35 || !res.WithPassword {
		t.Fatalf("invite: %+v %v", res, err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("invitation file: %v %v", fi, err)
	}
	if _, err := a.InviteMachine(true); problem(t, err).Field != "path" {
		t.Fatalf("an invitation over an existing file: %v", err)
	}
	if _, err := a.CopyInvitationPassphrase(); err != nil {
		t.Fatal(err)
	}
	if text, _ := a.board.Text(); text != res.Passphrase {
		t.Fatal("the passphrase was not copied")
	}
	a.board.fire() // no timer runs while the dialog is open
	if text, _ := a.board.Text(); text != res.Passphrase {
		t.Fatal("the passphrase was cleared while its dialog was open")
	}
	if err := a.DismissInvitationPassphrase(); err != nil {
		t.Fatal(err)
	}
	a.board.fire()
	if text, _ := a.board.Text(); text != "" {
		t.Fatal("the copied passphrase was not cleared after its dialog closed")
	}
	if _, err := a.CopyInvitationPassphrase(); problem(t, err).Field != "passphrase" {
		t.Fatalf("copy after the dialog closed: %v", err)
	}

	// The new machine.
	b := firstRun(t, "", clock)
	if s, err := b.State(); err != nil || !s.NeedsSetup || s.Team != "" {
		t.Fatalf("first run: %+v %v", s, err)
	}
	before := testkit.Listing(t, b.dir, true)
	if _, err := b.OpenInvitation(res.Passphrase); problem(t, err).Field != "path" {
		t.Fatalf("open before choosing: %v", err)
	}
	if f, err := b.ChooseInvitation(); err != nil || f.Chosen {
		t.Fatalf("cancelled choice: %+v %v", f, err)
	}
	b.answer(out)
	if f, err := b.ChooseInvitation(); err != nil || !f.Chosen || f.Name != "acme.age" {
		t.Fatalf("choose: %+v %v", f, err)
	}
	if _, err := b.JoinTeam(""); problem(t, err).Field != "passphrase" {
		t.Fatalf("join before opening: %v", err)
	}
	if _, err := b.OpenInvitation("WRONG-WRONG-WRONG-WRONG-WRONG-WRONG"); problem(t, err).Field != "passphrase" {
		t.Fatalf("wrong passphrase: %v", err)
	}
	inv, err := b.OpenInvitation(res.Passphrase)
	if err != nil || inv.Account != "Acme" || !strings.Contains(inv.By, "Ada Admin") || inv.Where != st.Where || !inv.HasPassword {
		t.Fatalf("the invitation shows %+v %v", inv, err)
	}
	if after := testkit.Listing(t, b.dir, true); after != before {
		t.Fatal("opening the invitation changed the data directory")
	}
	s, err := b.JoinTeam("")
	if err != nil || s.NeedsSetup || s.User != nil || s.Account != "Acme" || s.Team == "" || strings.Contains(s.Team, dbPassword) {
		t.Fatalf("join: %+v %v", s, err)
	}
	if _, err := b.SignIn("ada@acme.test", testkit.AdminPassword); err != nil {
		t.Fatalf("sign in on the machine that joined: %v", err)
	}
	page, err := b.ListCredentials(desktop.CredentialFilter{Type: "basic"})
	if err != nil || page.Total != 1 || page.Items[0].Key != cred.Credential.Key {
		t.Fatalf("the machine that joined does not see the key: %+v %v", page, err)
	}
	if bs, err := b.TeamStatus(); err != nil || bs.Where != st.Where {
		t.Fatalf("team status after joining: %+v %v", bs, err)
	}
	b.SignOut()
	b.SignIn("ada@acme.test", testkit.AdminPassword) // the database password from the team settings again
	for name, w := range map[string]*win{"inviting": a, "joining": b} {
		if logs, events := w.log.String(), w.rec.all(); strings.Contains(logs+events, res.Passphrase) || strings.Contains(logs+events, dbPassword) {
			t.Fatalf("the %s window logged or sent a secret:\n%s\n%s", name, logs, events)
		}
	}
}

// TestJoinRefusals: each way joining fails reaches the window with its own
// code and field, and leaves the data directory as it was, ready to try
// again or to create an account on this computer.
func TestJoinRefusals(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	a := teamWindow(t, clock, pgtest.DB(t))
	invite := func(t *testing.T) (string, string) {
		out := filepath.Join(t.TempDir(), "acme.age")
		a.answer(out)
		res, err := a.InviteMachine(false)
		if err != nil {
			t.Fatal(err)
		}
		a.DismissInvitationPassphrase()
		return out, res.Passphrase
	}
	used, usedPass := invite(t)
	if w := firstRun(t, "", clock); true {
		w.answer(used)
		w.ChooseInvitation()
		w.OpenInvitation(usedPass)
		if _, err := w.JoinTeam(""); err != nil {
			t.Fatal(err)
		}
	}
	unreachable := filepath.Join(t.TempDir(), "unreachable.age")
	key := make([]byte, 32)
	rand.Read(key)
	inv, _ := team.New("Acme", "Ada Admin <ada@acme.test>", "postgres://keysmith@127.0.0.1:1/keysmith", "", key, clock.Now())
	data, _ := team.Seal(inv, "CORRECT-HORSE-BATTERY-STAPLE-77")
	os.WriteFile(unreachable, data, 0o600)
	garbage := filepath.Join(t.TempDir(), "notes.age")
	os.WriteFile(garbage, []byte("age-encryption.org/v1\nnot really\n"), 0o600)

	for _, tt := range []struct {
		name       string
		file, pass func(t *testing.T) string
		later      time.Duration
		code       string
		field      string
		step       string
	}{
		{"no such file", func(*testing.T) string { return filepath.Join(t.TempDir(), "none.age") }, nil, 0, errs.CodeInvalid, "path", "choose"},
		{"a folder", func(*testing.T) string { return t.TempDir() }, nil, 0, errs.CodeInvalid, "path", "choose"},
		{"not an invitation", func(*testing.T) string { return garbage }, func(*testing.T) string { return "anything-at-all-123" }, 0, errs.CodeInvalid, "invitation", "open"},
		{"wrong passphrase", func(*testing.T) string { return used }, func(*testing.T) string { return "WRONG-WRONG-WRONG-WRONG" }, 0, errs.CodeInvalid, "passphrase", "open"},
		{"expired", nil, nil, team.InvitationLifetime + time.Minute, errs.CodeInvalid, "invitation", "open"},
		{"used", func(*testing.T) string { return used }, func(*testing.T) string { return usedPass }, 0, errs.CodeInvalid, "invitation", "join"},
		{"unreachable database", func(*testing.T) string { return unreachable }, func(*testing.T) string { return "CORRECT-HORSE-BATTERY-STAPLE-77" }, 0, "unreachable", "", "join"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := testkit.NewClock()
			w := firstRun(t, "", c)
			file, pass := tt.file, tt.pass
			if file == nil { // a fresh invitation, opened later
				f, p := invite(t)
				file, pass = func(*testing.T) string { return f }, func(*testing.T) string { return p }
			}
			before := testkit.Listing(t, w.dir, true)
			w.answer(file(t))
			c.Advance(tt.later)
			var err error
			if _, err = w.ChooseInvitation(); err == nil && tt.step != "choose" {
				if _, err = w.OpenInvitation(pass(t)); err == nil && tt.step != "open" {
					_, err = w.JoinTeam("")
				}
			}
			if p := problem(t, err); p.Code != tt.code || p.Field != tt.field {
				t.Fatalf("%s: %+v, want %s/%s at %s", tt.name, p, tt.code, tt.field, tt.step)
			}
			if after := testkit.Listing(t, w.dir, true); after != before {
				t.Fatalf("the refused join changed the data directory:\n%s\nwas\n%s", after, before)
			}
			if s, err := w.State(); err != nil || !s.NeedsSetup || s.Team != "" {
				t.Fatalf("after the refusal: %+v %v", s, err)
			}
			if err := w.CancelJoin(); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Setup(desktop.SetupRequest{Account: "Solo", Name: "Sam", Email: "sam@solo.test",
				Password: testkit.AdminPassword, Confirm: testkit.AdminPassword}); err != nil {
				t.Fatalf("an account on this computer after the refusal: %v", err)
			}
			if _, err := w.ChooseInvitation(); problem(t, err).Code != "already-set-up" {
				t.Fatalf("choosing an invitation with an account: %v", err)
			}
		})
	}
}

// TestInviteNeedsATeamAdministrator: on this computer, or as another role,
// no dialog is shown and nothing is written.
func TestInviteNeedsATeamAdministrator(t *testing.T) {
	t.Parallel()
	local := firstRun(t, "", testkit.NewClock())
	if _, err := local.Setup(desktop.SetupRequest{Account: "Solo", Name: "Sam", Email: "sam@solo.test",
		Password: testkit.AdminPassword, Confirm: testkit.AdminPassword}); err != nil {
		t.Fatal(err)
	}
	if st, err := local.TeamStatus(); err != nil || st.Team || st.Where != (desktop.Where{}) {
		t.Fatalf("team status on this computer: %+v %v", st, err)
	}
	local.answer(filepath.Join(t.TempDir(), "x.age"))
	if _, err := local.InviteMachine(false); problem(t, err).Field != "team" || local.dialogs() != 0 {
		t.Fatalf("invite from this computer: %v (%d dialogs)", err, local.dialogs())
	}
	tw := teamWindow(t, testkit.NewClock(), pgtest.DB(t))
	if _, err := tw.AddUser(desktop.NewUserRequest{Name: "Bo", Email: "bo@acme.test", Role: "Basic", Password: testkit.BasicPassword, Confirm: testkit.BasicPassword}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.SignIn("bo@acme.test", testkit.BasicPassword); err != nil {
		t.Fatal(err)
	}
	tw.answer(filepath.Join(t.TempDir(), "x.age"))
	if _, err := tw.InviteMachine(true); problem(t, err).Code != "forbidden" || tw.dialogs() != 0 {
		t.Fatalf("a Basic user invites: %v (%d dialogs)", err, tw.dialogs())
	}
	if st, err := tw.TeamStatus(); err != nil || !st.Team {
		t.Fatalf("a Basic user's team status: %+v %v", st, err)
	}
}

// TestCreateTeamAccountFromFirstRun: the first-run screen keeps the new
// account in a team database instead; a bad address changes nothing.
func TestCreateTeamAccountFromFirstRun(t *testing.T) {
	t.Parallel()
	w := firstRun(t, "", testkit.NewClock())
	before := testkit.Listing(t, w.dir, true)
	if _, err := w.CreateTeamAccount("postgres://keysmith@db.example.com/keysmith", ""); problem(t, err).Field != "database" {
		t.Fatalf("an address without TLS checks: %v", err)
	}
	if _, err := w.CreateTeamAccount("postgres://keysmith@127.0.0.1:1/keysmith", "pw"); problem(t, err).Code != "unreachable" {
		t.Fatalf("an unreachable database: %v", err)
	}
	if after := testkit.Listing(t, w.dir, true); after != before {
		t.Fatalf("a refused address changed the data directory:\n%s\nwas\n%s", after, before)
	}
	s, err := w.CreateTeamAccount(pgtest.DB(t), "")
	if err != nil || !s.NeedsSetup || s.Team == "" {
		t.Fatalf("create in a team database: %+v %v", s, err)
	}
	s, err = w.Setup(desktop.SetupRequest{Account: "Acme", Name: "Ada Admin", Email: "ada@acme.test",
		Password: testkit.AdminPassword, Confirm: testkit.AdminPassword})
	if err != nil || s.User == nil || s.Team == "" {
		t.Fatalf("setup in the team database: %+v %v", s, err)
	}
	if _, err := os.Stat(filepath.Join(w.dir, team.ConfigFile)); err != nil {
		t.Fatalf("no team settings: %v", err)
	}
}
