package desktop_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"keysmith/app/face/desktop"
	"keysmith/app/testkit"
)

// fakeBoard is a clipboard and file dialogs; timers are collected and
// fired by the test, and every file dialog answers file.
type fakeBoard struct {
	mu      sync.Mutex
	text    string
	timers  []func()
	delays  []time.Duration // of every timer started
	file    string
	dialogs []desktop.FileDialog // every file dialog shown
}

func (b *fakeBoard) choose(d desktop.FileDialog) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dialogs = append(b.dialogs, d)
	return b.file, nil
}

// answer makes the file dialogs answer path ("": as if cancelled).
func (b *fakeBoard) answer(path string) { b.mu.Lock(); b.file = path; b.mu.Unlock() }

func (b *fakeBoard) SetText(s string) error { b.mu.Lock(); b.text = s; b.mu.Unlock(); return nil }
func (b *fakeBoard) Text() (string, error)  { b.mu.Lock(); defer b.mu.Unlock(); return b.text, nil }
func (b *fakeBoard) after(d time.Duration, f func()) {
	b.mu.Lock()
	b.timers = append(b.timers, f)
	b.delays = append(b.delays, d)
	b.mu.Unlock()
}
func (b *fakeBoard) fire() {
	b.mu.Lock()
	ts := b.timers
	b.timers = nil
	b.mu.Unlock()
	for _, f := range ts {
		f()
	}
}

// recorder keeps the events the window was sent.
type recorder struct {
	mu    sync.Mutex
	log   []string // each event's name and data
	names []string // but the change feed's
}

func (r *recorder) emit(name string, data ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, fmt.Sprint(name, data))
	if name != desktop.EventChanged && name != desktop.EventDatabase {
		r.names = append(r.names, name)
	}
}

// all is every event with its data, one a line.
func (r *recorder) all() string { r.mu.Lock(); defer r.mu.Unlock(); return strings.Join(r.log, "\n") }

// sent is the names of the events, comma-separated, but the change feed's
// (which come and go with the database).
func (r *recorder) sent() string { r.mu.Lock(); defer r.mu.Unlock(); return strings.Join(r.names, ",") }

func attached(t *testing.T) (*desktop.App, *fakeBoard, *recorder) {
	a, _, _, _ := seeded(t)
	board, rec := &fakeBoard{}, &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	desktop.Attach(ctx, a, desktop.Window{Emit: rec.emit, Clipboard: board, After: board.after, ChooseFile: board.choose})
	if _, err := a.SignIn("ada@acme.test", testkit.AdminPassword); err != nil {
		t.Fatal(err)
	}
	return a, board, rec
}

func TestCreateCopyAndClearClipboard(t *testing.T) {
	t.Parallel()
	a, board, rec := attached(t)
	ns, err := a.CreateKey(desktop.CreateKeyRequest{Type: "basic", Name: "Website", Expires: "never"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ns.Credential.Key) != 20 || len(ns.Secret) != 30 || ns.Credential.Status != "active" || ns.Credential.LastUsedAt != "" {
		t.Fatalf("created %+v", ns)
	}
	res, err := a.CopyCredential(ns.Credential.ID, "both")
	if err != nil || !res.Held || res.ClearAfterSeconds != 0 {
		t.Fatalf("copy both: %+v %v", res, err)
	}
	both := "API Key: " + ns.Credential.Key + "\nAPI Secret: " + ns.Secret
	if got, _ := board.Text(); got != both {
		t.Fatalf("clipboard holds %q", got)
	}
	board.fire() // no timer runs while the confirmation is open
	if got, _ := board.Text(); got != both {
		t.Fatalf("the secret was cleared while its confirmation was open: %q", got)
	}
	// If the user copied something else meanwhile, it is left alone.
	a.CopyCredential(ns.Credential.ID, "secret")
	board.SetText("the user's own text")
	// After the confirmation closes, the secret is gone for good.
	if err := a.DismissSecret(ns.Credential.ID); err != nil {
		t.Fatal(err)
	}
	board.fire()
	if got, _ := board.Text(); got != "the user's own text" {
		t.Fatalf("Keysmith cleared someone else's clipboard: %q", got)
	}
	if _, err := a.CopyCredential(ns.Credential.ID, "secret"); err == nil || !strings.Contains(err.Error(), "shown only once") {
		t.Fatalf("secret copy after dismiss: %v", err)
	}
	if res, err := a.CopyCredential(ns.Credential.ID, "key"); err != nil || res.Held || res.ClearAfterSeconds != 30 {
		t.Fatalf("the key stays copyable, cleared as any copy: %+v %v", res, err)
	}
	if got, _ := board.Text(); got != ns.Credential.Key {
		t.Fatalf("clipboard %q", got)
	}
	board.fire()
	if got, _ := board.Text(); got != "" {
		t.Fatalf("the key's copy was not cleared: %q", got)
	}
	page, _ := a.ListCredentials(desktop.CredentialFilter{Type: "basic"})
	if page.Total != 1 || page.Items[0].Key != ns.Credential.Key {
		t.Fatalf("list %+v", page)
	}
	if strings.Contains(rec.all(), ns.Secret) {
		t.Fatal("an event carried the secret")
	}
	if !strings.Contains(rec.all(), "clearAfterSeconds") || !strings.Contains(rec.all(), "cleared") {
		t.Fatalf("clipboard events missing: %s", rec.all())
	}
}

// A secret shown once stays on the clipboard while its confirmation is
// open; once it closes, OneTimeClear, which the user may extend or call
// off; and it is cleared only if still there.
func TestOneTimeSecretCopyOutlivesItsConfirmation(t *testing.T) {
	t.Parallel()
	a, board, rec := attached(t)
	if _, err := a.ExtendClipboard(); problem(t, err).Field != "clipboard" {
		t.Fatalf("extend with nothing copied: %v", err)
	}
	ns, _ := a.CreateKey(desktop.CreateKeyRequest{Type: "basic", Name: "Shop"})
	if _, err := a.CopyCredential(ns.Credential.ID, "secret"); err != nil {
		t.Fatal(err)
	}
	if len(board.delays) != 0 {
		t.Fatalf("timers started while the confirmation is open: %v", board.delays)
	}
	if _, err := a.ExtendClipboard(); problem(t, err).Field != "clipboard" {
		t.Fatalf("extend while the confirmation is open: %v", err)
	}
	a.DismissSecret(ns.Credential.ID)
	if len(board.delays) != 1 || board.delays[0] != desktop.OneTimeClear {
		t.Fatalf("after the confirmation closed, timers %v; want one of %v", board.delays, desktop.OneTimeClear)
	}
	res, err := a.ExtendClipboard()
	if err != nil || res.ClearAfterSeconds != int(desktop.OneTimeClear/time.Second) {
		t.Fatalf("extend: %+v %v", res, err)
	}
	first := board.timers[0]
	first() // the countdown Extend replaced
	if got, _ := board.Text(); got != ns.Secret {
		t.Fatalf("an extended copy was cleared by its first countdown: %q", got)
	}
	board.fire()
	if got, _ := board.Text(); got != "" {
		t.Fatalf("not cleared at the end of the extension: %q", got)
	}

	// Keep: no countdown and no sign-out clears it.
	ns, _ = a.CreateKey(desktop.CreateKeyRequest{Type: "hmac", Name: "Kept"})
	a.CopyCredential(ns.Credential.ID, "secret")
	a.DismissSecret(ns.Credential.ID)
	if err := a.KeepClipboard(); err != nil {
		t.Fatal(err)
	}
	board.fire()
	a.SignOut()
	if got, _ := board.Text(); got != ns.Secret {
		t.Fatalf("a kept copy was cleared: %q", got)
	}
	for _, news := range []string{"held:true", "extendable:true", "kept:true", "clearAfterSeconds:300"} {
		if !strings.Contains(rec.all(), news) {
			t.Errorf("no %s event: %s", news, rec.all())
		}
	}
	if strings.Contains(rec.all(), ns.Secret) {
		t.Fatal("an event carried the secret")
	}
}

func TestSignOutForgetsSecretsAndClearsClipboard(t *testing.T) {
	t.Parallel()
	a, board, _ := attached(t)
	ns, _ := a.CreateKey(desktop.CreateKeyRequest{Type: "hmac", Name: "Signer"})
	a.CopyCredential(ns.Credential.ID, "secret")
	a.SignOut()
	if got, _ := board.Text(); got != "" {
		t.Fatalf("clipboard kept the secret after sign-out: %q", got)
	}
	a.SignIn("ada@acme.test", testkit.AdminPassword)
	if _, err := a.CopyCredential(ns.Credential.ID, "secret"); err == nil {
		t.Fatal("secret survived sign-out")
	}
}

func TestCredentialFacadeFlows(t *testing.T) {
	t.Parallel()
	a, _, _ := attached(t)
	ns, _ := a.CreateKey(desktop.CreateKeyRequest{Type: "hmac", Name: "Old name", Expires: "30d"})
	if ns.Credential.ExpiresAt == "" || ns.Credential.TypeLabel != "HMAC" {
		t.Fatalf("%+v", ns.Credential)
	}
	if _, err := a.CreateKey(desktop.CreateKeyRequest{Type: "basic", Name: "x", Expires: "soon"}); err == nil || !strings.Contains(err.Error(), "Expiry must be") {
		t.Fatalf("bad expiry: %v", err)
	}
	v, err := a.RenameCredential(ns.Credential.ID, "New name")
	if err != nil || v.Name != "New name" {
		t.Fatalf("rename %+v %v", v, err)
	}
	v, _ = a.SetCredentialDisabled(ns.Credential.ID, true)
	if v.Status != "disabled" {
		t.Fatalf("status %s", v.Status)
	}
	rolled, err := a.RollCredential(ns.Credential.ID, "24h")
	if err != nil || rolled.Secret == ns.Secret || rolled.Credential.PreviousUntil == "" {
		t.Fatalf("roll %+v %v", rolled, err)
	}
	if err := a.DeleteCredential(ns.Credential.ID, "new name"); err == nil || !strings.Contains(err.Error(), "exactly") {
		t.Fatalf("delete with a wrong typed name: %v", err)
	}
	if err := a.DeleteCredential(ns.Credential.ID, "New name"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateLegacy(desktop.CreateLegacyRequest{Username: "legacyuser", Password: "Passw0rd", Confirm: "Passw0rd1"}); err == nil || !strings.Contains(err.Error(), "do not match") {
		t.Fatalf("legacy mismatch: %v", err)
	}
	leg, err := a.CreateLegacy(desktop.CreateLegacyRequest{Username: "legacyuser", Password: "Passw0rd", Confirm: "Passw0rd"})
	if err != nil || leg.Key != "legacyuser" {
		t.Fatalf("legacy %+v %v", leg, err)
	}
	if _, err := a.SetLegacyPassword(leg.ID, "N3wPassword", "N3wPassword"); err != nil {
		t.Fatal(err)
	}
	page, _ := a.ListAudit(desktop.AuditFilter{Target: ns.Credential.Key})
	if page.Total != 5 {
		t.Fatalf("audit for one credential: %d entries, want create, rename, disable, roll, delete", page.Total)
	}
}

// TestLegacyPasswordWarning: the window hears, as the Administrator types,
// that a Legacy password meeting the platform's rules is easy to guess,
// without the warning quoting it.
func TestLegacyPasswordWarning(t *testing.T) {
	t.Parallel()
	a, _, _ := attached(t)
	for _, tc := range []struct {
		password string
		weak     bool
	}{
		{"Passw0rd", true},
		{"Legacyuser1", true},
		{"Tq7mZr4WbX9pLk2v", false},
		{"short", false}, // breaks a rule: saving says which
	} {
		w, err := a.LegacyPasswordWarning("legacyuser", tc.password)
		if err != nil || (w != "") != tc.weak || strings.Contains(w, tc.password) {
			t.Errorf("%q: %q, %v; want weak %v", tc.password, w, err, tc.weak)
		}
	}
}

// The window is told who is signed in whenever that changes, so that its
// menu offers only what the role may open.
func TestSessionChangesReachTheWindow(t *testing.T) {
	t.Parallel()
	a, _, _, _ := seeded(t)
	var mu sync.Mutex
	var told []string
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	desktop.Attach(ctx, a, desktop.Window{Emit: func(string, ...any) {}, Session: func(role string) {
		mu.Lock()
		told = append(told, role)
		mu.Unlock()
	}})
	if _, err := a.SignIn("bea@acme.test", testkit.BasicPassword); err != nil {
		t.Fatal(err)
	}
	a.SignOut()
	if _, err := a.SignIn("ada@acme.test", testkit.AdminPassword); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(told, ","); got != "Basic,,Administrator" {
		t.Fatalf("told %q, want Basic, nobody, Administrator", got)
	}
}
