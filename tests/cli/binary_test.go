// Package clitest runs the built keysmith binary as users and scripts do:
// journeys, refusals of damaged data, serve's lifecycle and TLS, standard
// output that cannot take a secret, and SIGKILL during writes. It needs
// KEYSMITH_BIN (make test sets it to build/bin/keysmith) and skips without
// it, so the core's tests run with Go alone.
package clitest

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"keysmith/app/testkit"
)

// binary is the keysmith binary under test, from KEYSMITH_BIN.
func binary(t *testing.T) string { return testkit.Binary(t) }

type proc struct {
	code           int
	stdout, stderr string
}

func runBin(t *testing.T, env []string, stdin string, args ...string) proc {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return proc{code, out.String(), errb.String()}
}

func TestBinaryJourney(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	env := []string{"KEYSMITH_DATA_DIR=" + dir}
	if p := runBin(t, nil, "", "help"); p.code != 0 || !strings.Contains(p.stdout, "keysmith [--data-dir DIR] COMMAND") {
		t.Fatalf("help: %+v", p)
	}
	if p := runBin(t, nil, "", "launch-rockets"); p.code != 2 || !strings.Contains(p.stderr, "unknown command") {
		t.Fatalf("unknown command: %+v", p)
	}
	// No command and no display (runBin passes neither DISPLAY nor
	// WAYLAND_DISPLAY): one sentence, not GTK's panic.
	if p := runBin(t, env, ""); p.code != 1 || !strings.Contains(p.stderr, "the window needs a display") || strings.Count(p.stderr, "\n") != 1 {
		t.Fatalf("window without a display: %+v", p)
	}
	if p := runBin(t, env, testkit.AdminPassword+"\n", "init", "--account", "Acme", "--name", "Ada", "--email", "ada@acme.test"); p.code != 0 {
		t.Fatalf("init: %+v", p)
	}
	for name, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "keysmith.db"): 0o600, filepath.Join(dir, "keysmith.key"): 0o600} {
		fi, err := os.Stat(name)
		if err != nil || fi.Mode().Perm() != want {
			t.Fatalf("%s mode %v (%v), want %v", name, fi.Mode().Perm(), err, want)
		}
	}
	auth := append(env, "KEYSMITH_EMAIL=ada@acme.test", "KEYSMITH_PASSWORD="+testkit.AdminPassword)
	if p := runBin(t, auth, testkit.BasicPassword+"\n", "users", "add", "--name", "Bea", "--email", "bea@acme.test", "--role", "Basic"); p.code != 0 {
		t.Fatalf("users add: %+v", p)
	}
	p := runBin(t, auth, "", "users", "list", "--json")
	var users []struct{ Email, Role string }
	if p.code != 0 || p.decode(&users) != nil || len(users) != 2 || users[1].Role != "Basic" {
		t.Fatalf("users list: %+v", p)
	}
	basic := append(env, "KEYSMITH_EMAIL=bea@acme.test", "KEYSMITH_PASSWORD="+testkit.BasicPassword)
	if p := runBin(t, basic, "", "users", "list"); p.code != 1 || strings.TrimSpace(p.stderr) != "keysmith: Only account Administrators can do that." {
		t.Fatalf("basic user list: %+v", p)
	}
	wrong := append(env, "KEYSMITH_EMAIL=ada@acme.test", "KEYSMITH_PASSWORD=not-the-password")
	if p := runBin(t, wrong, "", "audit", "list"); p.code != 1 || !strings.Contains(p.stderr, "email or password is incorrect") {
		t.Fatalf("wrong password: %+v", p)
	}
	// --data-dir wins over the environment.
	other := filepath.Join(t.TempDir(), "other")
	if p := runBin(t, env, testkit.AdminPassword+"\n", "--data-dir", other, "init", "--account", "Beta", "--name", "Bo", "--email", "bo@beta.test"); p.code != 0 {
		t.Fatalf("init in --data-dir: %+v", p)
	}
	if _, err := os.Stat(filepath.Join(other, "keysmith.db")); err != nil {
		t.Fatalf("--data-dir ignored: %v", err)
	}
	p = runBin(t, auth, "", "audit", "verify")
	if p.code != 0 || !strings.Contains(p.stdout, "Audit chain intact") {
		t.Fatalf("audit verify: %+v", p)
	}
	p = runBin(t, auth, "", "audit", "list", "--json")
	if p.code != 0 || strings.Contains(p.stdout, testkit.AdminPassword) || strings.Contains(p.stdout, testkit.BasicPassword) {
		t.Fatalf("audit list: %+v", p)
	}
}

func TestBinaryRefusesDamagedAndNewerDatabases(t *testing.T) {
	t.Parallel()
	auth := []string{"KEYSMITH_EMAIL=ada@acme.test", "KEYSMITH_PASSWORD=" + testkit.AdminPassword}
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"random bytes", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "keysmith.db"), bytes.Repeat([]byte("not a database "), 500), 0o600)
		}, "cannot be read"},
		{"newer schema", func(t *testing.T, dir string) {
			c := testkit.OpenDir(t, dir, testkit.NewClock())
			testkit.DB(t, c.Dir).Exec(`PRAGMA user_version = 999`)
			c.Close()
		}, "newer version of Keysmith"},
		{"key file missing", func(t *testing.T, dir string) {
			c := testkit.OpenDir(t, dir, testkit.NewClock())
			testkit.Seed(t, c)
			c.Close()
			os.Remove(filepath.Join(dir, "keysmith.key"))
		}, "key file keysmith.key is missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tc.setup(t, dir)
			db := filepath.Join(dir, "keysmith.db")
			before, _ := os.ReadFile(db)
			p := runBin(t, append(auth, "KEYSMITH_DATA_DIR="+dir), "", "users", "list")
			if p.code != 1 || !strings.Contains(p.stderr, tc.want) || strings.Contains(p.stderr, dir) {
				t.Fatalf("got %+v, want exit 1 and %q without the path", p, tc.want)
			}
			after, _ := os.ReadFile(db)
			if sha256.Sum256(before) != sha256.Sum256(after) {
				t.Fatal("the refused database was modified")
			}
		})
	}
}

// served is a running keysmith serve with one Basic key.
type served struct {
	cmd       *exec.Cmd
	logs      *bytes.Buffer
	auth      []string // environment that signs in
	dir       string   // the data directory
	addr      string
	key, secr string
}

// startServe makes an account and a Basic key and starts keysmith serve
// with args on a free loopback port.
func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	s := &served{logs: &bytes.Buffer{}}
	s.dir, s.auth = newAccount(t)
	s.key, s.secr = newKey(t, s.auth, "Served")
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	s.addr = ln.Addr().String()
	ln.Close()
	s.cmd = exec.Command(binary(t), append([]string{"serve", "--listen", s.addr}, args...)...)
	s.cmd.Env = append(s.auth, "PATH="+os.Getenv("PATH"), "HOME="+t.TempDir())
	s.cmd.Stderr = s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cmd.Process.Kill() })
	return s
}

// get sends an authenticated GET with client until serve answers.
func (s *served) get(t *testing.T, client *http.Client, url string) *http.Response {
	t.Helper()
	for i := 0; i < 100; i++ {
		req, _ := http.NewRequest("GET", url, nil)
		req.SetBasicAuth(s.key, s.secr)
		if res, err := client.Do(req); err == nil {
			return res
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("serve did not answer\n%s", s.logs)
	return nil
}

// TestBinaryServeStopsCleanly starts keysmith serve, makes one accepted
// request, sends SIGTERM and expects a clean exit that flushed last use.
func TestBinaryServeStopsCleanly(t *testing.T) {
	s := startServe(t)
	res := s.get(t, http.DefaultClient, "http://"+s.addr+"/v1/messages")
	if res.StatusCode != 200 {
		t.Fatalf("serve did not accept the key: %v", res)
	}
	res.Body.Close()
	// Signed in: the password is gone from the process's environment, as
	// another process of the same user would read it.
	checkEnviron(t, s.cmd.Process.Pid, testkit.AdminPassword)
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM\n%s", err, s.logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10 s of SIGTERM")
	}
	p := runBin(t, s.auth, "", "keys", "list", "--json")
	if !strings.Contains(p.stdout, `"lastUsedFrom": "127.0.0.1"`) {
		t.Fatalf("last use not flushed at shutdown: %s", p.stdout)
	}
	// It registered among the account's verifiers, with the version make
	// stamps in every build and the skew it accepts, and marked itself
	// stopped on its way out.
	var kind, address, version string
	var skew, stopped sql.NullInt64
	if err := testkit.DB(t, s.dir).QueryRow(`SELECT kind, address, version, skew_ms, stopped_at FROM verifiers`).Scan(&kind, &address, &version, &skew, &stopped); err != nil ||
		kind != "serve" || address != s.addr || version == "" || version == "dev" || skew.Int64 != 300_000 || !stopped.Valid {
		t.Fatalf("serve's registration after SIGTERM: %s %s %q skew %v stopped %v, %v", kind, address, version, skew, stopped, err)
	}
	if strings.Contains(s.logs.String(), s.secr) {
		t.Fatal("the request log holds the secret")
	}
}

// TestBinaryServeTLS serves over TLS with a certificate from files; a
// plain-text request on the TLS port gets no answer, and unusable
// certificate files are refused before serving.
func TestBinaryServeTLS(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := testkit.SelfSigned(t)
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, certPEM, 0o600)
	os.WriteFile(key, keyPEM, 0o600)

	s := startServe(t, "--tls-cert", cert, "--tls-key", key)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res := s.get(t, client, "https://"+s.addr+"/v1/messages")
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), s.key) || res.TLS == nil {
		t.Fatalf("over TLS: %d %s", res.StatusCode, body)
	}
	if res, err := http.Get("http://" + s.addr + "/keysmith/health"); err == nil && res.StatusCode == 200 {
		t.Fatal("plain HTTP answered on the TLS port")
	}

	// A TLS key other users may read is used, with a warning in the log.
	const exposed = "the --tls-key file can be read or changed by other users"
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait() // its log is complete and no longer written
	if strings.Contains(s.logs.String(), exposed) {
		t.Fatalf("warning for a 0600 key: %s", s.logs)
	}
	os.Chmod(key, 0o644)
	s2 := startServe(t, "--tls-cert", cert, "--tls-key", key)
	s2.get(t, client, "https://"+s2.addr+"/v1/messages").Body.Close()
	s2.cmd.Process.Signal(syscall.SIGTERM)
	s2.cmd.Wait()
	if !strings.Contains(s2.logs.String(), exposed+`; make it private (chmod 600)" mode="0644"`) {
		t.Fatalf("no warning for a 0644 TLS key: %s", s2.logs)
	}

	p := runBin(t, s.auth, "", "serve", "--listen", "127.0.0.1:0", "--tls-cert", key, "--tls-key", cert)
	if p.code == 0 || !strings.Contains(p.stderr, "--tls-cert and --tls-key look swapped") {
		t.Fatalf("swapped certificate files: %+v", p)
	}
}

// TestBinaryClosedOrBrokenStdout: with standard output closed (>&-), a
// command that would print a new secret refuses before making it; a pipe
// closed by its reader fails a command with a message instead of a silent
// death by SIGPIPE.
func TestBinaryClosedOrBrokenStdout(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Unix shells and signals")
	}
	_, auth := newAccount(t)

	cmd := exec.Command("sh", "-c", `exec "$0" keys create --type basic --name Lost >&-`, binary(t))
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, auth...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(errb.String(), "nothing was changed") {
		t.Fatalf("create with stdout closed: %v, %q", err, errb.String())
	}
	if p := runBin(t, auth, "", "keys", "list", "--json"); p.code != 0 || strings.Contains(p.stdout, "Lost") {
		t.Fatalf("a key was made with stdout closed: %+v", p)
	}

	for i := range 3 {
		runBin(t, auth, "", "keys", "create", "--type", "basic", "--name", fmt.Sprint("Listed ", i))
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	pr.Close()
	cmd = exec.Command(binary(t), "keys", "list")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, auth...)
	errb.Reset()
	cmd.Stdout, cmd.Stderr = pw, &errb
	err = cmd.Run()
	pw.Close()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(errb.String(), "Could not write to standard output (broken pipe)") {
		t.Fatalf("list into a closed pipe: %v, %q", err, errb.String())
	}
}
