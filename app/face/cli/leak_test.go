package cli

import (
	"bytes"
	"context"
	"encoding/json"
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
		r := h.run("", "keys", "create", "--type", typ, "--name", "cli "+typ, "--json")
		var out struct{ Key, Secret string }
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil || len(out.Secret) != 30 {
			t.Fatalf("keys create: %+v", r)
		}
		secrets = append(secrets, out.Secret)
		r = h.run("", "keys", "roll", "--key", out.Key, "--grace", "1h", "--json")
		json.Unmarshal([]byte(r.stdout), &out)
		secrets = append(secrets, out.Secret)
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
	var logs bytes.Buffer
	opened, err := core.Open(context.Background(), h.dir, core.Options{Params: &testkit.CheapParams})
	if err != nil {
		t.Fatal(err)
	}
	a := desktop.New(opened, nil, logfmt.New(&logs, nil))
	var events bytes.Buffer
	var mu sync.Mutex
	ctx, cancel := context.WithCancel(context.Background())
	desktop.Attach(ctx, a, desktop.Window{
		Emit: func(name string, data ...any) {
			mu.Lock()
			fmt.Fprintln(&events, name, data)
			mu.Unlock()
		},
		Clipboard: &memBoard{},
		After:     func(time.Duration, func()) {},
	})
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
	open, _ := filepath.Glob(filepath.Join(h.dir, "*"))
	for _, f := range open {
		b, _ := os.ReadFile(f)
		haystacks["open "+filepath.Base(f)] = b
	}
	if len(haystacks["open keysmith.db-wal"]) == 0 {
		t.Fatal("no WAL content to search while open")
	}
	a.SignOut()
	desktop.Detach(ctx, a)
	cancel()
	opened.Close()

	haystacks["window log"], haystacks["events"], haystacks["cli stderr"] = logs.Bytes(), events.Bytes(), []byte(stderr)
	files, _ := filepath.Glob(filepath.Join(h.dir, "*"))
	if len(files) < 3 {
		t.Fatalf("data dir holds only %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		haystacks[filepath.Base(f)] = b
	}
	for _, s := range secrets {
		for name, hay := range haystacks {
			if bytes.Contains(hay, []byte(s)) {
				t.Errorf("secret %.4s… found in %s", s, name)
			}
		}
	}
	if !strings.Contains(logs.String(), "request failed") {
		t.Fatal("the window log recorded no failure: the leak check of logs saw nothing")
	}
}
