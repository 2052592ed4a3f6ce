package desktop_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/accounts"
	"keysmith/app/core/credentials"
	"keysmith/app/core/errs"
	"keysmith/app/face/desktop"
	"keysmith/app/face/logfmt"
	"keysmith/app/testkit"
	"keysmith/app/testkit/pgtest"
)

// within bounds every wait: the promise is about a second, the margin is
// for a loaded machine under the race detector.
const within = 15 * time.Second

// watched attaches a window to c, recording its events, and signs the
// Administrator in.
func watched(t *testing.T, c *core.Core) (*desktop.App, *recorder) {
	t.Helper()
	a, rec := desktop.New(c, nil, logfmt.Discard()), &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	desktop.Attach(ctx, a, desktop.Window{Emit: rec.emit, Clipboard: &fakeBoard{}})
	if _, err := a.SignIn("ada@acme.test", testkit.AdminPassword); err != nil {
		t.Fatal(err)
	}
	return a, rec
}

// mark is how many events rec holds now.
func (r *recorder) mark() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.log) }

// await waits for the events in want, in order, among those after mark,
// and returns the mark after the last.
func (r *recorder) await(t *testing.T, mark int, want ...string) int {
	t.Helper()
	for end := time.Now().Add(within); ; time.Sleep(10 * time.Millisecond) {
		r.mu.Lock()
		log := r.log[mark:]
		i, at := 0, mark
		for j, e := range log {
			if i < len(want) && e == want[i] {
				i, at = i+1, mark+j+1
			}
		}
		r.mu.Unlock()
		if i == len(want) {
			return at
		}
		if time.Now().After(end) {
			t.Fatalf("events %q not seen within %v after event %d; events:\n%s", want, within, mark, r.all())
		}
	}
}

func changed(topic string) string { return fmt.Sprint(desktop.EventChanged, []any{topic}) }

// A window is told, by topic and nothing else, of changes made on another
// machine, so its open lists reload.
func TestWindowToldOfChangesElsewhere(t *testing.T) {
	t.Parallel()
	a, b, u, _ := testkit.Machines(t)
	_, rec := watched(t, b)
	ctx := context.Background()
	m := rec.await(t, 0, changed("credentials"))
	if _, _, err := a.Credentials.Create(ctx, u.Admin.ID, credentials.Basic, "From A", nil); err != nil {
		t.Fatal(err)
	}
	m = rec.await(t, m, changed("credentials"))
	if _, err := a.Accounts.AddUser(ctx, u.Admin.ID, accounts.NewUser{Name: "Cy", Email: "cy@acme.test", Role: accounts.Basic, Password: testkit.BasicPassword}); err != nil {
		t.Fatal(err)
	}
	rec.await(t, m, changed("users"))
	rec.await(t, m, changed("audit"))
	for _, e := range strings.Split(rec.all(), "\n") {
		if name, _, _ := strings.Cut(e, " "); name == desktop.EventChanged {
			if !strings.Contains(e, "[credentials]") && !strings.Contains(e, "[users]") && !strings.Contains(e, "[settings]") && !strings.Contains(e, "[audit]") {
				t.Errorf("a change event carries more than a topic: %q", e)
			}
		}
	}
}

// With the team database down, the window is told once and calls fail with
// the code "unreachable"; when it is back, the window is told, then told
// every topic changed, and calls work again: nothing is restarted.
func TestWindowWhileDatabaseDown(t *testing.T) {
	srv := pgtest.Own(t)
	ctx := context.Background()
	c, err := core.Open(ctx, t.TempDir(), core.Options{Params: &testkit.CheapParams, Database: srv.DB(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	testkit.Seed(t, c)
	a, rec := watched(t, c)
	m := rec.await(t, 0, changed("credentials"))
	down := fmt.Sprint(desktop.EventDatabase, []any{map[string]any{"reachable": false}})
	up := fmt.Sprint(desktop.EventDatabase, []any{map[string]any{"reachable": true}})

	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	m = rec.await(t, m, down)
	_, err = a.ListCredentials(desktop.CredentialFilter{})
	var f *desktop.Failure
	if !errors.As(err, &f) || f.Code != "unreachable" || f.Message != errs.Message(errs.ErrUnreachable) {
		t.Errorf("a call with the database down: %#v, want code unreachable", err)
	}
	if n := strings.Count(rec.all(), down); n != 1 {
		t.Errorf("told %d times that the database is down, want once", n)
	}

	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	rec.await(t, m, up, changed("credentials"))
	if _, err := a.ListCredentials(desktop.CredentialFilter{}); err != nil {
		t.Errorf("a call after the database is back: %v", err)
	}
}

// A window started while its team database is down says so, and opens
// the account by itself once the database is back: no restart.
func TestWindowStartsWhileDatabaseDown(t *testing.T) {
	srv := pgtest.Own(t)
	ctx := context.Background()
	dir, url := t.TempDir(), srv.DB(t)
	open := func(ctx context.Context) (*core.Core, error) {
		return core.Open(ctx, dir, core.Options{Params: &testkit.CheapParams, Database: url})
	}
	c, err := open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Seed(t, c)
	c.Close()
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	_, err = open(ctx)
	if !errors.Is(err, errs.ErrUnreachable) {
		t.Fatalf("open with the database down: %v, want unreachable", err)
	}
	a, rec := desktop.NewOpening(logfmt.Discard()), &recorder{}
	wctx, cancel := context.WithCancel(ctx)
	t.Cleanup(func() { cancel(); desktop.Close(a) })
	desktop.Attach(wctx, a, desktop.Window{Emit: rec.emit, Clipboard: &fakeBoard{}})
	desktop.Opened(a, nil, err)
	go desktop.OpenLater(wctx, a, open)
	var f *desktop.Failure
	if _, err := a.State(); !errors.As(err, &f) || f.Code != "unreachable" {
		t.Fatalf("the first screen with the database down: %#v, want code unreachable", err)
	}
	down := fmt.Sprint(desktop.EventDatabase, []any{map[string]any{"reachable": false}})
	up := fmt.Sprint(desktop.EventDatabase, []any{map[string]any{"reachable": true}})
	m := rec.await(t, 0, down)

	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	rec.await(t, m, up, changed("credentials"))
	if st, err := a.State(); err != nil || st.Account != "Acme" {
		t.Fatalf("the first screen once the database is back: %+v %v", st, err)
	}
	if _, err := a.SignIn("ada@acme.test", testkit.AdminPassword); err != nil {
		t.Fatalf("sign in once the database is back: %v", err)
	}
}
