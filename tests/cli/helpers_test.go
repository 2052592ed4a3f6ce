package clitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"keysmith/app/testkit"
)

// newAccount initializes the account Acme with Ada as its Administrator in
// a new data directory (more: further init options, such as --database)
// and returns the directory and the environment that signs Ada in.
func newAccount(t *testing.T, more ...string) (dir string, auth []string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "data")
	env := []string{"KEYSMITH_DATA_DIR=" + dir}
	init := append([]string{"init", "--account", "Acme", "--name", "Ada", "--email", "ada@acme.test"}, more...)
	if p := runBin(t, env, testkit.AdminPassword+"\n", init...); p.code != 0 {
		t.Fatalf("init: %+v", p)
	}
	return dir, append(env, "KEYSMITH_EMAIL=ada@acme.test", "KEYSMITH_PASSWORD="+testkit.AdminPassword)
}

// decode parses the JSON the command printed into v.
func (p proc) decode(v any) error { return json.Unmarshal([]byte(p.stdout), v) }

// newKey creates a Basic key named name and returns its key and secret.
func newKey(t *testing.T, auth []string, name string) (key, secret string) {
	t.Helper()
	p := runBin(t, auth, "", "keys", "create", "--type", "basic", "--name", name, "--json")
	var k struct{ Key, Secret string }
	if p.code != 0 || p.decode(&k) != nil {
		t.Fatalf("keys create: %+v", p)
	}
	return k.Key, k.Secret
}

// checkEnviron checks, on Linux, that the environment of serve (process
// pid) as another process of the same user reads it still holds Ada's
// email but none of secrets: serve drops them once it has signed in.
func checkEnviron(t *testing.T, pid int, secrets ...string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		return
	}
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil || !bytes.Contains(environ, []byte("KEYSMITH_EMAIL=ada@acme.test")) {
		t.Fatalf("read serve's environment: %v", err)
	}
	for _, secret := range secrets {
		if bytes.Contains(environ, []byte(secret)) {
			t.Fatalf("serve keeps a password in /proc/PID/environ once running: %q", secret)
		}
	}
}
