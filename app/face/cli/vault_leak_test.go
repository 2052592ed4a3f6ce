package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"keysmith/app/core"
	"keysmith/app/face/desktop"
	"keysmith/app/face/logfmt"
	"keysmith/app/testkit"
)

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
	opened, err := core.Open(context.Background(), h.dir, core.Options{Params: &p, VaultKDF: &k})
	if err != nil {
		t.Fatal(err)
	}
	var logs, events bytes.Buffer
	var mu sync.Mutex
	a := desktop.New(opened, nil, logfmt.New(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	desktop.Attach(ctx, a, desktop.Window{
		Emit:      func(name string, data ...any) { mu.Lock(); fmt.Fprintln(&events, name, data); mu.Unlock() },
		Clipboard: &memBoard{},
		After:     func(time.Duration, func()) {},
	})
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
	for _, f := range must(filepath.Glob(filepath.Join(h.dir, "*"))) {
		b, _ := os.ReadFile(f)
		files["open "+filepath.Base(f)] = b
	}
	a.VaultLock()
	a.SignOut()
	desktop.Detach(ctx, a)
	opened.Close()
	for _, f := range must(filepath.Glob(filepath.Join(h.dir, "*"))) {
		b, _ := os.ReadFile(f)
		files[filepath.Base(f)] = b
	}
	files["window log"], files["events"], files["cli output"] = logs.Bytes(), events.Bytes(), printed.Bytes()
	if !bytes.Contains(events.Bytes(), []byte("vault-locked")) || !bytes.Contains(logs.Bytes(), []byte("request failed")) {
		t.Fatalf("nothing logged or emitted to search:\n%s\n%s", logs.String(), events.String())
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

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
