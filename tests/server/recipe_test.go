// Package servertest follows README's "Servers" recipe end to end with the
// built binary: a team database reached over TLS with verify-full and a
// password role, an account created on a desktop, a server joined with an
// invitation, keysmith serve started with the systemd unit's own command
// line, settings file and credentials, and nginx auth_request with README's
// configuration in front of a service. It needs KEYSMITH_BIN and PostgreSQL
// (make test provides both) and skips without the binary.
package servertest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"keysmith/app/testkit"
	"keysmith/app/testkit/pgtest"
)

const (
	unitFile = "../../build/linux/keysmith-serve.service"
	envFile  = "../../build/linux/serve.env"
	readme   = "../../README.md"

	dbRole     = "acme_keysmith" // the recipe's "keysmith" role (the test cluster's superuser has that name)
	dbPassword = "team database password 4 tests"
	passphrase = "correct horse battery staple orders"
)

// run runs the binary with exactly env (and PATH, HOME) and stdin.
func run(t *testing.T, env []string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(testkit.Binary(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("keysmith %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// TestUnitIsLockedDown checks the unit as systemd reads it.
func TestUnitIsLockedDown(t *testing.T) {
	bin := testkit.Binary(t)
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	// verify wants the executable to exist: point it at the built binary.
	copyPath := filepath.Join(t.TempDir(), "keysmith-serve.service")
	if err := os.WriteFile(copyPath, bytes.ReplaceAll(unit, []byte("/usr/bin/keysmith"), []byte(bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("systemd-analyze", "verify", copyPath).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	// Exposure is on a 0-100 scale here (1.1 is printed as "1.1"): fail
	// above 1.1, so that loosening any setting is noticed.
	out, err := exec.Command("systemd-analyze", "security", "--offline=yes", "--threshold=11", copyPath).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	for _, want := range []string{"User=keysmith", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
		"LoadCredential=password:/etc/keysmith/password", "EnvironmentFile=/etc/keysmith/serve.env"} {
		if !bytes.Contains(unit, []byte("\n"+want+"\n")) {
			t.Errorf("the unit lacks %s", want)
		}
	}
	if bytes.Contains(unit, []byte("KEYSMITH_PASSWORD=")) || bytes.Contains(unit, []byte("KEYSMITH_DATABASE_PASSWORD=")) {
		t.Error("the unit puts a password in the environment")
	}
}

func TestServerRecipe(t *testing.T) {
	bin := testkit.Binary(t)
	srv, err := pgtest.Start()
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	t.Cleanup(func() { srv.Stop() })
	ctx := context.Background()
	tmp := t.TempDir()

	// 1. The team database: TLS, a password role allowed only over TLS.
	caFile := filepath.Join(tmp, "db-ca.crt")
	serverTLS(t, srv, caFile)
	admin := srv.Admin()
	for _, q := range []string{
		"CREATE ROLE " + dbRole + " LOGIN PASSWORD '" + dbPassword + "'",
		"CREATE DATABASE keysmith OWNER " + dbRole,
	} {
		if _, err := admin.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	u, _ := url.Parse(srv.URL("keysmith"))
	address := fmt.Sprintf("postgres://%s@localhost:%s/keysmith?sslmode=verify-full&sslrootcert=%s", dbRole, u.Port(), caFile)

	// 2. The account, on a desktop.
	desk := filepath.Join(tmp, "desktop")
	deskEnv := []string{"KEYSMITH_DATA_DIR=" + desk, "KEYSMITH_DATABASE_PASSWORD=" + dbPassword}
	run(t, deskEnv, testkit.AdminPassword+"\n", "init", "--account", "Acme", "--name", "Ada", "--email", "ada@acme.test", "--database", address)
	deskEnv = append(deskEnv, "KEYSMITH_EMAIL=ada@acme.test", "KEYSMITH_PASSWORD="+testkit.AdminPassword)
	run(t, deskEnv, testkit.AdvancedPassword+"\n", "users", "add", "--name", "Orders server", "--email", "orders-verifier@acme.test", "--role", "Administrator")
	var key struct{ Key, Secret string }
	if err := json.Unmarshal([]byte(run(t, deskEnv, "", "keys", "create", "--type", "basic", "--name", "Orders", "--json")), &key); err != nil || key.Secret == "" {
		t.Fatalf("keys create: %v %+v", err, key)
	}
	invitation := filepath.Join(tmp, "orders.invitation")
	run(t, append(deskEnv, "KEYSMITH_INVITE_PASSPHRASE="+passphrase), "", "team", "invite", "--out", invitation)

	// 3. The server: the state directory the package makes, the two
	// password files, the join, then the unit's command line.
	state := filepath.Join(tmp, "var-lib-keysmith")
	creds := filepath.Join(tmp, "credentials") // what %d names
	for _, d := range []string{state, creds} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range map[string]string{"password": testkit.AdvancedPassword, "database-password": dbPassword} {
		if err := os.WriteFile(filepath.Join(creds, name), []byte(content+"\n"), 0o400); err != nil {
			t.Fatal(err)
		}
	}
	run(t, []string{"KEYSMITH_INVITE_PASSPHRASE=" + passphrase, "KEYSMITH_DATABASE_PASSWORD_FILE=" + filepath.Join(creds, "database-password")},
		"", "--data-dir", state, "team", "join", "--yes", invitation)

	servePort := freePort(t)
	args, env := unitCommand(t, bin, state, creds, servePort)
	serve := exec.Command(args[0], args[1:]...)
	serve.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + tmp}, env...)
	serveLog := &testkit.SyncBuffer{}
	serve.Stdout, serve.Stderr = serveLog, serveLog
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { serve.Process.Signal(syscall.SIGTERM); serve.Wait() })
	waitOK(t, fmt.Sprintf("http://127.0.0.1:%d/keysmith/health", servePort), serveLog)

	// 4. nginx in front of a service, with README's locations.
	nginxPort := startNginx(t, servePort)
	api := fmt.Sprintf("http://127.0.0.1:%d/api/orders?page=1", nginxPort)
	if code, body := get(t, api, key.Key, key.Secret); code != 200 || body != "service ok\n" {
		t.Fatalf("a valid key through nginx: %d %q\n%s", code, body, serveLog.String())
	}
	if code, _ := get(t, api, key.Key, "not-the-secret"); code != 401 {
		t.Fatalf("a wrong secret through nginx: %d", code)
	}
	if code, _ := get(t, api, "", ""); code != 401 {
		t.Fatalf("no credentials through nginx: %d", code)
	}

	// A key disabled on the desktop is refused by the server within 1 s.
	run(t, deskEnv, "", "keys", "disable", "--key", key.Key)
	deadline := time.Now().Add(time.Second)
	code := 200
	for code == 200 && time.Now().Before(deadline) {
		code, _ = get(t, api, key.Key, key.Secret)
	}
	if code != 401 {
		t.Fatalf("the server still accepts a key disabled on the desktop 1 s later (%d)", code)
	}
	if strings.Contains(serveLog.String(), key.Secret) || strings.Contains(serveLog.String(), dbPassword) || strings.Contains(serveLog.String(), testkit.AdvancedPassword) {
		t.Fatalf("serve logged a secret:\n%s", serveLog.String())
	}
	// The role cannot connect without TLS: the recipe's pg_hba holds.
	plain := strings.Replace(address, "sslmode=verify-full", "sslmode=disable", 1)
	plainURL, _ := url.Parse(plain)
	plainURL.User = url.UserPassword(dbRole, dbPassword)
	db, err := sql.Open("pgx", plainURL.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err == nil || !strings.Contains(err.Error(), "no encryption") {
		t.Fatalf("the keysmith role without TLS: %v, want pg_hba.conf's refusal", err)
	}
}

// unitCommand returns the unit's ExecStart as argv and its environment
// (Environment= lines and the settings file), as systemd would run it here.
func unitCommand(t *testing.T, bin, state, creds string, port int) ([]string, []string) {
	t.Helper()
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	settings, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(settings), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			vars[k] = v
		}
	}
	if !strings.Contains(vars["KEYSMITH_SERVE_OPTIONS"], "--listen 127.0.0.1:8787") {
		t.Fatalf("serve.env: KEYSMITH_SERVE_OPTIONS=%q, want the loopback default", vars["KEYSMITH_SERVE_OPTIONS"])
	}
	vars["KEYSMITH_SERVE_OPTIONS"] = strings.Replace(vars["KEYSMITH_SERVE_OPTIONS"], ":8787", ":"+strconv.Itoa(port), 1)
	vars["KEYSMITH_EMAIL"] = "orders-verifier@acme.test"
	var exec string
	for _, line := range strings.Split(string(unit), "\n") {
		line = strings.ReplaceAll(line, "%d", creds)
		if v, ok := strings.CutPrefix(line, "Environment="); ok {
			k, val, _ := strings.Cut(v, "=")
			vars[k] = val
		} else if v, ok := strings.CutPrefix(line, "ExecStart="); ok {
			exec = v
		}
	}
	var args []string
	for _, f := range strings.Fields(exec) {
		switch {
		case f == "/usr/bin/keysmith":
			args = append(args, bin)
		case f == "/var/lib/keysmith":
			args = append(args, state)
		case strings.HasPrefix(f, "$"):
			args = append(args, strings.Fields(vars[f[1:]])...)
		default:
			args = append(args, f)
		}
	}
	if len(args) < 3 || args[0] != bin || !strings.Contains(exec, " serve ") {
		t.Fatalf("unexpected ExecStart %q", exec)
	}
	var env []string
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return args, env
}

// startNginx runs nginx with README's locations and a service behind them.
func startNginx(t *testing.T, servePort int) int {
	t.Helper()
	text, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Servers.*?```nginx\n(.*?)```").FindSubmatch(text)
	if m == nil {
		t.Fatal("README's Servers section has no nginx block")
	}
	service, port := freePort(t), freePort(t)
	locations := strings.NewReplacer("127.0.0.1:8080", "127.0.0.1:"+strconv.Itoa(service),
		"127.0.0.1:8787", "127.0.0.1:"+strconv.Itoa(servePort)).Replace(string(m[1]))
	prefix := t.TempDir()
	conf := fmt.Sprintf(`daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fcgi; uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
  server { listen 127.0.0.1:%[2]d; location / { return 200 "service ok\n"; } }
  server {
    listen 127.0.0.1:%[3]d;
%[4]s
  }
}
`, prefix, service, port, locations)
	confPath := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	nginx := exec.Command("nginx", "-c", confPath, "-p", prefix)
	log := &testkit.SyncBuffer{}
	nginx.Stderr = log
	if err := nginx.Start(); err != nil {
		t.Fatalf("nginx (make deps installs it): %v", err)
	}
	t.Cleanup(func() { nginx.Process.Signal(syscall.SIGTERM); nginx.Wait() })
	waitOK(t, fmt.Sprintf("http://127.0.0.1:%d/", service), log)
	return port
}

func get(t *testing.T, url, key, secret string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if key != "" {
		req.SetBasicAuth(key, secret)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// waitOK waits up to 20 s for a 200 from url.
func waitOK(t *testing.T, url string, log fmt.Stringer) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
	}
	t.Fatalf("%s did not answer 200 within 20 s\n%s", url, log.String())
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// serverTLS gives the cluster a certificate for localhost (written to
// caFile too, as the one authority to trust), turns TLS on and allows the
// recipe's role only over TLS with its password, as README's pg_hba.conf
// lines do.
func serverTLS(t *testing.T, srv *pgtest.Server, caFile string) {
	t.Helper()
	certPEM, keyPEM := testkit.SelfSigned(t)
	data := filepath.Join(srv.Dir(), "data")
	var st syscall.Stat_t
	if err := syscall.Stat(data, &st); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{caFile: certPEM, filepath.Join(data, "server.crt"): certPEM, filepath.Join(data, "server.key"): keyPEM}
	for path, b := range files {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(path, data) {
			if err := os.Chown(path, int(st.Uid), int(st.Gid)); err != nil {
				t.Fatal(err)
			}
		}
	}
	hbaPath := filepath.Join(data, "pg_hba.conf")
	hba, err := os.ReadFile(hbaPath)
	if err != nil {
		t.Fatal(err)
	}
	rules := "hostssl keysmith " + dbRole + " 127.0.0.1/32 scram-sha-256\nhostnossl keysmith " + dbRole + " all reject\n"
	if err := os.WriteFile(hbaPath, append([]byte(rules), hba...), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"ALTER SYSTEM SET ssl = on", "ALTER SYSTEM SET ssl_cert_file = 'server.crt'",
		"ALTER SYSTEM SET ssl_key_file = 'server.key'", "SELECT pg_reload_conf()"} {
		if _, err := srv.Admin().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}
