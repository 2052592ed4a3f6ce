package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"keysmith/app/core"
	"keysmith/app/face/desktop"
	"keysmith/app/face/logfmt"
	"keysmith/app/testkit"
)

type memBoard struct {
	mu   sync.Mutex
	text string
}

func (b *memBoard) SetText(s string) error { b.mu.Lock(); b.text = s; b.mu.Unlock(); return nil }
func (b *memBoard) Text() (string, error)  { b.mu.Lock(); defer b.mu.Unlock(); return b.text, nil }

// window is the desktop facade on a data directory the command line also
// uses, with its log and the events it emits captured.
type window struct {
	*desktop.App
	core         *core.Core
	ctx          context.Context
	cancel       context.CancelFunc
	logs, events testkit.SyncBuffer
}

// openWindow opens the data directory dir as the window does.
func openWindow(t *testing.T, dir string, opt core.Options) *window {
	t.Helper()
	c, err := core.Open(context.Background(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	w := &window{core: c}
	w.App = desktop.New(c, nil, logfmt.New(&w.logs, nil))
	w.ctx, w.cancel = context.WithCancel(context.Background())
	desktop.Attach(w.ctx, w.App, desktop.Window{
		Emit:      func(name string, data ...any) { fmt.Fprintln(&w.events, name, data) },
		Clipboard: &memBoard{},
		After:     func(time.Duration, func()) {},
	})
	return w
}

// close signs out, detaches the window and closes its database.
func (w *window) close() {
	w.SignOut()
	desktop.Detach(w.ctx, w.App)
	w.cancel()
	w.core.Close()
}

// dataFiles adds each file of the data directory dir to files, under its
// name after prefix, and returns how many it read.
func dataFiles(t *testing.T, dir, prefix string, files map[string][]byte) int {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range names {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		files[prefix+filepath.Base(f)] = b
	}
	return len(names)
}

// TestSecretsLeakNowhere creates credentials of every type through the
// window's API and the command line, then searches the database, its WAL
// and every other file in the data directory, the logs and the emitted
// events for each secret: there must be no hit.
func TestSecretsLeakNowhere(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	var secrets []string

	// The command line.
	for _, typ := range []string{"basic", "hmac"} {
		key, secret := h.newKey(typ, "cli "+typ)
		if len(secret) != 30 {
			t.Fatalf("keys create printed the secret %.4s…", secret)
		}
		var rolled struct{ Secret string }
		h.run("", "keys", "roll", "--key", key, "--grace", "1h", "--json").decode(&rolled)
		secrets = append(secrets, secret, rolled.Secret)
	}
	if r := h.run("CliLegacyPass9\n", "legacy", "create", "--username", "clilegacy"); r.code != 0 {
		t.Fatalf("legacy create: %+v", r)
	}
	if r := h.run("CliLegacyPass10\n", "legacy", "set-password", "--username", "clilegacy"); r.code != 0 {
		t.Fatalf("legacy set-password: %+v", r)
	}
	secrets = append(secrets, "CliLegacyPass9", "CliLegacyPass10")
	stderr := ""
	for _, args := range [][]string{{"keys", "list", "--json"}, {"legacy", "list"}, {"audit", "list", "--json", "--limit", "500"}} {
		r := h.run("", args...)
		stderr += r.stderr
		for _, s := range secrets {
			if strings.Contains(r.stdout, s) {
				t.Fatalf("%v printed a secret", args)
			}
		}
	}

	// The window's API, on the same data directory, with its log and events
	// captured.
	a := openWindow(t, h.dir, core.Options{Params: &testkit.CheapParams})
	if _, err := a.SignIn("ada@acme.test", testkit.AdminPassword); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"basic", "hmac"} {
		ns, err := a.CreateKey(desktop.CreateKeyRequest{Type: typ, Name: "window " + typ})
		if err != nil {
			t.Fatal(err)
		}
		a.CopyCredential(ns.Credential.ID, "both")
		a.DismissSecret(ns.Credential.ID)
		secrets = append(secrets, ns.Secret)
		rolled, _ := a.RollCredential(ns.Credential.ID, "0")
		secrets = append(secrets, rolled.Secret)
		a.DismissSecret(ns.Credential.ID)
	}
	if _, err := a.CreateLegacy(desktop.CreateLegacyRequest{Username: "winlegacy", Password: "WinLegacy77", Confirm: "WinLegacy77"}); err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, "WinLegacy77")
	// Failures are logged: make some, including ones that carry a secret in.
	a.CreateLegacy(desktop.CreateLegacyRequest{Username: "winlegacy", Password: "WinLegacy78", Confirm: "WinLegacy78"})
	a.CreateLegacy(desktop.CreateLegacyRequest{Username: "Bad User", Password: "WinLegacy79", Confirm: "WinLegacy79"})
	a.SetLegacyPassword(999, "WinLegacy80", "WinLegacy80")
	secrets = append(secrets, "WinLegacy78", "WinLegacy79", "WinLegacy80")
	// The WAL is read while the window still has the database open.
	haystacks := map[string][]byte{}
	dataFiles(t, h.dir, "open ", haystacks)
	if len(haystacks["open keysmith.db-wal"]) == 0 {
		t.Fatal("no WAL content to search while open")
	}
	a.close()

	haystacks["window log"], haystacks["events"], haystacks["cli stderr"] = []byte(a.logs.String()), []byte(a.events.String()), []byte(stderr)
	if n := dataFiles(t, h.dir, "", haystacks); n < 3 {
		t.Fatalf("data dir holds only %d files", n)
	}
	for _, s := range secrets {
		for name, hay := range haystacks {
			if bytes.Contains(hay, []byte(s)) {
				t.Errorf("secret %.4s… found in %s", s, name)
			}
		}
	}
	if !strings.Contains(a.logs.String(), "request failed") {
		t.Fatal("the window log recorded no failure: the leak check of logs saw nothing")
	}
}

// TestVaultSecretsLeakNowhere stores marked secrets in vaults through the
// command line and the window's API, makes the code paths log and emit, and
// searches the data directory (database, WAL while open), the logs, the
// events and the CLI's output for them.
func TestVaultSecretsLeakNowhere(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	const phrase = "orchid-Velvet-quarry-81-lantern"
	marks := []string{"MARKED-cli-secret-7f3a", "MARKED-cli-notes-91bc", "MARKED-window-secret-22de", "MARKED-window-title-5a0e"}
	h.env[EnvVaultPassphrase] = phrase
	var printed bytes.Buffer
	for _, r := range []result{
		h.run("", "vault", "init", "--recovery"),
		h.run(marks[0]+"\n", "vault", "add", "--title", "CLI item", "--notes", marks[1]),
		h.run("", "vault", "list", "--json"),
		h.run("", "vault", "get", "--id", "1"),
		h.run("", "vault", "get", "--id", "99"),
	} {
		printed.WriteString(r.stdout + r.stderr)
	}

	p, k := testkit.CheapParams, testkit.FastVaultKDF
	a := openWindow(t, h.dir, core.Options{Params: &p, VaultKDF: &k})
	a.SignIn("bea@acme.test", testkit.BasicPassword)
	a.VaultSetup("bea-Meadow-55-violin-pond", "bea-Meadow-55-violin-pond", true)
	s, err := a.VaultAdd(desktop.VaultItemInput{Title: marks[3], Secret: marks[2]})
	if err != nil {
		t.Fatal(err)
	}
	a.VaultCopy(s.ID, "secret")
	a.VaultReveal(s.ID + 100)                                                   // logged failure
	a.VaultEdit(s.ID+100, desktop.VaultItemInput{Title: "x", Secret: marks[2]}) // logged failure carrying the secret in
	a.VaultUnlock("wrong-" + marks[2])
	files := map[string][]byte{}
	dataFiles(t, h.dir, "open ", files)
	a.VaultLock()
	a.close()
	dataFiles(t, h.dir, "", files)
	logs, events := a.logs.String(), a.events.String()
	files["window log"], files["events"], files["cli output"] = []byte(logs), []byte(events), printed.Bytes()
	if !strings.Contains(events, "vault-locked") || !strings.Contains(logs, "request failed") {
		t.Fatalf("nothing logged or emitted to search:\n%s\n%s", logs, events)
	}
	for _, m := range marks {
		for name, b := range files {
			if m == marks[1] && name == "cli output" {
				continue // vault get shows notes (not secrets) by design
			}
			if bytes.Contains(b, []byte(m)) {
				t.Errorf("%s found in %s", m, name)
			}
		}
	}
}
