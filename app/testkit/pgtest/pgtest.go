// Package pgtest gives tests a real, throwaway PostgreSQL: never a mock.
//
// Guarantees:
//   - Each call of DB returns the URL of a database of its own, created empty
//     for the calling test (CREATE DATABASE k_<random>) and dropped when the
//     test ends, so tests that call it may run in parallel.
//   - With KEYSMITH_TEST_POSTGRES set to a postgres:// URL, the databases are
//     made on that server (its user needs CREATEDB). Otherwise one cluster is
//     started per test binary from the PostgreSQL binaries installed by
//     `make deps` (Debian's postgresql package): initdb into a temporary
//     directory owned by an unprivileged user (as root: the postgres user,
//     through runuser), listening on a free loopback port only, trust
//     authentication, fsync off. Main stops it and removes the directory when
//     the tests end; a watchdog does the same if the test binary dies first.
//   - Without PostgreSQL binaries the test is skipped with a message saying
//     what to install, unless KEYSMITH_REQUIRE_POSTGRES=1 (make test sets it):
//     then it fails. A cluster that is installed but does not start always
//     fails the test.
//
// A package whose tests call DB runs them through Main:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Environment variables read by this package.
const (
	// EnvURL names a server to use instead of starting one: a postgres:// URL.
	EnvURL = "KEYSMITH_TEST_POSTGRES"
	// EnvRequire, set to 1, turns the skip for missing binaries into a failure.
	EnvRequire = "KEYSMITH_REQUIRE_POSTGRES"
	// EnvBin names the directory holding initdb, pg_ctl and postgres, when
	// they are not where Debian installs them.
	EnvBin = "KEYSMITH_PG_BIN"
)

// ErrNotInstalled reports that no PostgreSQL binaries were found.
var ErrNotInstalled = errors.New("PostgreSQL binaries (initdb, pg_ctl, postgres) not found: install Debian's postgresql package (make deps), or set " +
	EnvURL + " to a postgres:// URL of a server where its user may create databases")

// Server is a PostgreSQL server the tests may create databases on.
type Server struct {
	base  *url.URL // a URL of the server; DB swaps its database name
	admin *sql.DB

	// Set for a cluster started by Start.
	dir     string
	bin     string
	runAs   string // user to run the binaries as ("" = this process's user)
	opts    string // postgres's options, the port among them: Resume reuses them
	paused  bool   // stopped by Pause
	stopped bool
}

// Start starts a throwaway cluster in a new temporary directory.
func Start() (*Server, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin}
	if os.Geteuid() == 0 {
		// initdb and postgres refuse to run as root.
		if s.runAs, err = unprivileged(); err != nil {
			return nil, err
		}
	}
	if s.dir, err = os.MkdirTemp("", "keysmith-pg-"); err != nil {
		return nil, err
	}
	if err := s.start(); err != nil {
		os.RemoveAll(s.dir)
		return nil, err
	}
	watch(s.dir)
	s.admin, err = sql.Open("pgx", s.base.String())
	if err == nil {
		err = s.admin.Ping()
	}
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("connect to the test cluster: %w", err)
	}
	return s, nil
}

func (s *Server) start() error {
	if s.runAs != "" {
		u, err := user.Lookup(s.runAs)
		if err != nil {
			return err
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(s.dir, uid, gid); err != nil {
			return err
		}
	}
	data := filepath.Join(s.dir, "data")
	if out, err := s.run("initdb", "-D", data, "-U", "keysmith", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		return fmt.Errorf("initdb: %v: %s", err, out)
	}
	// A free port may be taken between the probe and postgres's bind: try
	// a few.
	var err error
	for range 3 {
		var port int
		if port, err = freePort(); err != nil {
			return err
		}
		opts := fmt.Sprintf("-p %d -k '%s' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400",
			port, s.dir)
		var out []byte
		s.opts = opts
		out, err = s.pgCtlStart()
		if err == nil {
			s.base = &url.URL{Scheme: "postgres", User: url.User("keysmith"), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
				Path: "/postgres", RawQuery: "sslmode=disable"}
			return nil
		}
		log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
		err = fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
	}
	return err
}

func (s *Server) pgCtlStart() ([]byte, error) {
	return s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-l", filepath.Join(s.dir, "log"), "-w", "-t", "60", "-o", s.opts, "start")
}

// Pause stops a cluster started by Start, keeping its data and port, as a
// database server that goes away does: connections are cut.
func (s *Server) Pause() error {
	if s.dir == "" || s.stopped {
		return errors.New("pause: not a running cluster started by Start")
	}
	if out, err := s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "fast", "-w", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	s.paused = true
	return nil
}

// Resume starts a paused cluster again on the same port.
func (s *Server) Resume() error {
	if s.dir == "" || s.stopped {
		return errors.New("resume: not a cluster started by Start")
	}
	if out, err := s.pgCtlStart(); err != nil {
		return fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	s.paused = false
	// The admin pool's connections died with the server.
	admin, err := sql.Open("pgx", s.base.String())
	if err != nil {
		return err
	}
	s.admin.Close()
	s.admin = admin
	return nil
}

// Own starts a cluster for t alone (Start), stopped when t ends: for a test
// that stops and restarts its server (Pause, Resume). Without PostgreSQL it
// skips t as DB does.
func Own(t testing.TB) *Server {
	t.Helper()
	if os.Getenv(EnvURL) != "" {
		t.Skipf("skipped: a test that restarts its server needs a cluster of its own, not %s", EnvURL)
	}
	s, err := Start()
	if err != nil {
		Unavailable(t, err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop the test cluster: %v", err)
		}
	})
	return s
}

// run runs one of the PostgreSQL binaries, as s.runAs when set.
func (s *Server) run(name string, args ...string) ([]byte, error) {
	path := filepath.Join(s.bin, name)
	var cmd *exec.Cmd
	if s.runAs != "" {
		cmd = exec.Command(runuser(), append([]string{"-u", s.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = s.dir
	return cmd.CombinedOutput()
}

// Stop stops a cluster started by Start and removes its directory; for a
// server named by KEYSMITH_TEST_POSTGRES it only closes the connection.
func (s *Server) Stop() error {
	if s.admin != nil {
		s.admin.Close()
	}
	if s.dir == "" || s.stopped {
		return nil
	}
	s.stopped = true
	var err error
	if s.paused {
		return os.RemoveAll(s.dir)
	}
	if out, e := s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w", "stop"); e != nil {
		err = fmt.Errorf("pg_ctl stop: %v: %s", e, out)
	}
	return errors.Join(err, os.RemoveAll(s.dir))
}

// URL returns the URL of database name on s.
func (s *Server) URL(name string) string {
	u := *s.base
	u.Path = "/" + name
	return u.String()
}

// Admin is a connection to s's default database, for creating and dropping
// databases.
func (s *Server) Admin() *sql.DB { return s.admin }

// Dir is the cluster's directory ("" for a server not started by Start).
func (s *Server) Dir() string { return s.dir }

// CreateDB creates an empty database with a random name and returns its URL
// and the function that drops it.
func (s *Server) CreateDB(ctx context.Context) (string, func() error, error) {
	b := make([]byte, 8)
	rand.Read(b)
	name := "k_" + hex.EncodeToString(b)
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	drop := func() error {
		_, err := s.admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return err
	}
	return s.URL(name), drop, nil
}

// connect returns the server named by KEYSMITH_TEST_POSTGRES.
func connect(raw string) (*Server, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("%s must be a postgres:// URL", EnvURL)
	}
	s := &Server{base: u}
	if s.admin, err = sql.Open("pgx", raw); err == nil {
		err = s.admin.Ping()
	}
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", EnvURL, err)
	}
	return s, nil
}

var shared struct {
	sync.Mutex
	srv *Server
	err error
}

// Shared returns this test binary's server, starting it on first use.
func Shared() (*Server, error) {
	shared.Lock()
	defer shared.Unlock()
	if shared.srv == nil && shared.err == nil {
		if raw := os.Getenv(EnvURL); raw != "" {
			shared.srv, shared.err = connect(raw)
		} else {
			shared.srv, shared.err = Start()
		}
	}
	return shared.srv, shared.err
}

// Main runs the tests, then stops the shared server if they started one.
func Main(m *testing.M) int {
	code := m.Run()
	shared.Lock()
	defer shared.Unlock()
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
		shared.srv = nil
	}
	return code
}

// DB returns the URL of a new, empty database for t on the shared server,
// dropped when t ends. Without PostgreSQL it skips t (fails it when
// KEYSMITH_REQUIRE_POSTGRES=1).
func DB(t testing.TB) string {
	t.Helper()
	srv, err := Shared()
	if err != nil {
		Unavailable(t, err)
	}
	return srv.DB(t)
}

// DB returns the URL of a new, empty database for t on s, dropped when t
// ends (after the cleanups t registers later, such as closing a store).
func (s *Server) DB(t testing.TB) string {
	t.Helper()
	u, drop, err := s.CreateDB(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return u
}

// Open returns a connection pool to the database at u (a URL from DB),
// closed when t ends (before DB drops the database).
func Open(t testing.TB, u string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Unavailable ends t for a server that could not be had: a skip when the
// binaries are missing and KEYSMITH_REQUIRE_POSTGRES is not 1, else a
// failure.
func Unavailable(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrNotInstalled) && os.Getenv(EnvRequire) != "1" {
		t.Skipf("skipped: %v (set %s=1 to fail instead)", err, EnvRequire)
	}
	t.Fatalf("PostgreSQL for tests: %v", err)
}

// findBin returns the directory of initdb, pg_ctl and postgres.
func findBin() (string, error) {
	var dirs []string
	if d := os.Getenv(EnvBin); d != "" {
		dirs = []string{d}
	} else {
		// Debian: /usr/lib/postgresql/<major>/bin, newest first.
		found, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		sort.Slice(found, func(i, j int) bool { return major(found[i]) > major(found[j]) })
		dirs = found
		if p, err := exec.LookPath("initdb"); err == nil {
			dirs = append(dirs, filepath.Dir(p))
		}
	}
	for _, d := range dirs {
		ok := true
		for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
			if fi, err := os.Stat(filepath.Join(d, name)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
				ok = false
			}
		}
		if ok {
			return d, nil
		}
	}
	return "", ErrNotInstalled
}

func major(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// unprivileged names the user root runs the cluster as.
func unprivileged() (string, error) {
	for _, name := range []string{"postgres", "nobody"} {
		if _, err := user.Lookup(name); err == nil {
			return name, nil
		}
	}
	return "", errors.New("running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as")
}

func runuser() string {
	if p, err := exec.LookPath("runuser"); err == nil {
		return p
	}
	return "/usr/sbin/runuser"
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// watch starts a detached watchdog that, once this process is gone, stops
// the cluster in dir (immediate shutdown) and removes dir: a test binary
// killed by a timeout or a crash leaves nothing behind.
func watch(dir string) {
	const script = `while kill -0 "$1" 2>/dev/null; do sleep 1; done
pid=$(head -n 1 "$2/data/postmaster.pid" 2>/dev/null) && kill -QUIT "$pid" 2>/dev/null
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
rm -rf "$2"`
	cmd := exec.Command("/bin/sh", "-c", script, "pgtest-watchdog", strconv.Itoa(os.Getpid()), dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	// No stdout or stderr: go test waits for whoever holds its pipes.
	if cmd.Start() == nil {
		cmd.Process.Release()
	}
}
