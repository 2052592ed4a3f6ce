package pgtest

import (
	"database/sql"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func query(t *testing.T, u, q string, args ...any) string {
	t.Helper()
	var s string
	if err := Open(t, u).QueryRow(q, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}

// Each test gets an empty database of its own, gone after the test.
func TestDBIsFreshPerTest(t *testing.T) {
	var first string
	t.Run("a", func(t *testing.T) {
		first = DB(t)
		if _, err := Open(t, first).Exec(`CREATE TABLE mine (x int); INSERT INTO mine VALUES (1)`); err != nil {
			t.Fatal(err)
		}
	})
	second := DB(t)
	if second == first {
		t.Fatal("two tests got the same database")
	}
	if n := query(t, second, `SELECT COUNT(*)::text FROM pg_tables WHERE schemaname = 'public'`); n != "0" {
		t.Errorf("a new database holds %s tables", n)
	}
	srv, _ := Shared()
	name := strings.TrimPrefix(mustURL(t, first).Path, "/")
	var n int
	if err := srv.Admin().QueryRow(`SELECT COUNT(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil || n != 0 {
		t.Errorf("database of a finished test still exists: %d, %v", n, err)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The cluster listens on loopback only, runs as an unprivileged user, and
// Stop leaves neither a server nor its directory behind.
func TestStartStop(t *testing.T) {
	if os.Getenv(EnvURL) != "" {
		t.Skipf("%s names a server: no cluster is started", EnvURL)
	}
	srv, err := Start()
	if err != nil {
		Unavailable(t, err)
	}
	u := mustURL(t, srv.URL("postgres"))
	if host, _, _ := net.SplitHostPort(u.Host); host != "127.0.0.1" {
		t.Errorf("server at %s, want loopback", u.Host)
	}
	if got := query(t, u.String(), `SHOW listen_addresses`); got != "127.0.0.1" {
		t.Errorf("listen_addresses = %q", got)
	}
	if os.Geteuid() == 0 {
		fi, err := os.Stat(filepath.Join(srv.Dir(), "data"))
		if err != nil {
			t.Fatal(err)
		}
		if st, ok := fi.Sys().(interface{ Uid() uint32 }); ok && st.Uid() == 0 {
			t.Error("cluster owned by root")
		}
	}
	dir := srv.Dir()
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cluster directory left after Stop: %v", err)
	}
	c, err := net.DialTimeout("tcp", u.Host, time.Second)
	if err == nil {
		c.Close()
		t.Error("server still accepts connections after Stop")
	}
}

// Parallel tests creating databases at once all get theirs.
func TestDBInParallel(t *testing.T) {
	for i := range 6 {
		t.Run(string(rune('a'+i)), func(t *testing.T) {
			t.Parallel()
			u := DB(t)
			if got := query(t, u, `SELECT current_database()`); !strings.HasPrefix(got, "k_") {
				t.Errorf("current_database = %q", got)
			}
		})
	}
}

// recorder stands in for a testing.TB to see whether Unavailable skips or
// fails.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(f string, a ...any) {
	r.skipped, r.msg = true, f
	runtime.Goexit()
}
func (r *recorder) Fatalf(f string, a ...any) {
	r.failed, r.msg = true, f
	runtime.Goexit()
}

func unavailable(t *testing.T, err error) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Unavailable(r, err)
	}()
	<-done
	return r
}

func TestUnavailable(t *testing.T) {
	t.Setenv(EnvBin, t.TempDir()) // a directory without the binaries
	if _, err := findBin(); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("findBin in an empty directory: %v, want ErrNotInstalled", err)
	}
	if _, err := Start(); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("Start without binaries: %v, want ErrNotInstalled", err)
	}
	for _, tt := range []struct {
		name, require string
		err           error
		skip          bool
	}{
		{"not installed: skipped", "", ErrNotInstalled, true},
		{"not installed, required: failed", "1", ErrNotInstalled, false},
		{"installed but broken: failed", "", errors.New("pg_ctl start: exit status 1"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvRequire, tt.require)
			r := unavailable(t, tt.err)
			if r.skipped != tt.skip || r.failed == tt.skip {
				t.Errorf("skipped %v failed %v, want skipped %v", r.skipped, r.failed, tt.skip)
			}
		})
	}
	if !strings.Contains(ErrNotInstalled.Error(), "postgresql package") {
		t.Error("the skip message does not say what to install")
	}
}

// KEYSMITH_TEST_POSTGRES must be a postgres:// URL.
func TestConnectRefusesOtherURLs(t *testing.T) {
	for _, raw := range []string{"host=localhost dbname=x", "mysql://x/y"} {
		if _, err := connect(raw); err == nil || !strings.Contains(err.Error(), "postgres://") {
			t.Errorf("connect(%q) = %v", raw, err)
		}
	}
}

// A paused cluster refuses connections; resumed, it serves the same data on
// the same address.
func TestPauseResume(t *testing.T) {
	srv, err := Start()
	if err != nil {
		Unavailable(t, err)
	}
	defer srv.Stop()
	u := srv.URL("postgres")
	if _, err := srv.Admin().Exec(`CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)`); err != nil {
		t.Fatal(err)
	}
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err == nil {
		t.Fatal("a paused cluster accepted a connection")
	}
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	if got := query(t, u, `SELECT x::text FROM kept`); got != "7" {
		t.Fatalf("after resume: %q, want 7", got)
	}
}
