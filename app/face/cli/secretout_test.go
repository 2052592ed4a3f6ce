package cli

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestSecretRefusedWithoutOutput: a command that makes a one-time secret
// refuses, before making it, when standard output is /dev/null (also what a
// closed standard output becomes) or a pipe nothing reads; nothing changes.
func TestSecretRefusedWithoutOutput(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("pipes and /dev/null checked on Unix")
	}
	h := seeded(t)
	key, _ := h.newKey("hmac", "Kept")
	h.env[EnvVaultPassphrase] = "Quiet-harbour-lamp-1987"
	if r := h.run("", "vault", "init"); r.code != 0 {
		t.Fatal(r)
	}

	outputs := []struct {
		name string
		open func(t *testing.T) *os.File
		why  string
	}{
		{"/dev/null", func(t *testing.T) *os.File {
			f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			return f
		}, "is closed or is /dev/null"},
		{"pipe without reader", func(t *testing.T) *os.File {
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			pr.Close()
			t.Cleanup(func() { pw.Close() })
			return pw
		}, "is a pipe that nothing reads"},
	}
	commands := [][]string{
		{"keys", "create", "--type", "basic", "--name", "Lost"},
		{"keys", "create", "--type", "hmac", "--name", "Lost", "--json"},
		{"keys", "roll", "--key", key, "--grace", "0"},
		{"vault", "recovery", "--new"},
	}
	before := h.snapshot()
	for _, o := range outputs {
		for _, args := range commands {
			t.Run(o.name+"/"+strings.Join(args[:2], " "), func(t *testing.T) {
				r := h.runTo(o.open(t), "", args...)
				if r.code != 1 || !strings.Contains(r.stderr, "Standard output "+o.why+", so a new secret would be lost; nothing was changed") {
					t.Fatalf("%+v", r)
				}
			})
		}
	}
	if after := h.snapshot(); stripSignIns(after) != stripSignIns(before) {
		t.Fatalf("the database changed:\nbefore %s\nafter %s", before, after)
	}
	// A readable pipe is fine.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	go func() {
		b := make([]byte, 4096)
		n, _ := pr.Read(b)
		done <- string(b[:n])
	}()
	r := h.runTo(pw, "", "keys", "create", "--type", "basic", "--name", "Piped")
	pw.Close()
	if out := <-done; r.code != 0 || !strings.Contains(out, "API Secret:") {
		t.Fatalf("create into a read pipe: %+v, read %q", r, out)
	}
}
