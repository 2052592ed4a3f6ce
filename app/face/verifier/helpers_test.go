package verifier_test

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/credentials"
	"keysmith/app/core/verify"
	"keysmith/app/face/logfmt"
	"keysmith/app/face/verifier"
	"keysmith/app/testkit"
)

// account is a seeded core whose Administrator created one credential.
type account struct {
	core   *core.Core
	clock  *testkit.Clock
	users  testkit.Users
	cred   credentials.Credential
	secret string
}

// newAccount opens a core with open (testkit.Open, or testkit.OpenOnPostgres
// for a team database), seeds it and creates a credential of typ named name.
func newAccount(t testing.TB, open func(testing.TB, *testkit.Clock) *core.Core, typ credentials.Type, name string) account {
	t.Helper()
	a := account{clock: testkit.NewClock()}
	a.core = open(t, a.clock)
	a.users = testkit.Seed(t, a.core)
	var err error
	a.cred, a.secret, err = a.core.Credentials.Create(context.Background(), a.users.Admin.ID, typ, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// newServer is a Server over c's credentials that rereads the revision on
// every request, takes the time from now and writes its log to log; Start
// it, and Close it.
func newServer(c *core.Core, now func() time.Time, log io.Writer) *verifier.Server {
	return verifier.New(c.Credentials, verify.New(c.Credentials.NewCache(0), verify.Options{Clock: now}), logfmt.New(log, nil), now)
}

// serveEndpoint serves the endpoint as keysmith serve builds it over c
// (verifier.NewEndpoint, its log written to log) on a loopback port until
// the test ends, and returns it with its base URL; Close it.
func serveEndpoint(t testing.TB, c *core.Core, log io.Writer) (*verifier.Server, string) {
	t.Helper()
	srv := verifier.NewEndpoint(c, logfmt.New(log, c.Clock), verifier.Config{})
	return srv, serveLoopback(t, srv)
}

// listenLoopback listens on a free loopback port.
func listenLoopback(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// serveLoopback serves srv on a loopback port until the test ends and
// returns its base URL.
func serveLoopback(t testing.TB, srv *verifier.Server) string {
	t.Helper()
	ln := listenLoopback(t)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != verifier.ErrClosed {
			t.Errorf("Serve returned %v after Shutdown", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// dialRaw opens a connection to addr, closed when the test ends; reads and
// writes fail after 10 s.
func dialRaw(t testing.TB, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	return conn, bufio.NewReader(conn)
}

// status sends req with client and returns the answer's status code.
func status(t testing.TB, client *http.Client, req *http.Request) int {
	t.Helper()
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// getMessages is a GET of /v1/messages at base with Basic credentials.
func getMessages(base, key, secret string) *http.Request {
	req, _ := http.NewRequest("GET", base+"/v1/messages", nil)
	req.SetBasicAuth(key, secret)
	return req
}

func basicAuth(k, s string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(k+":"+s))
}

func hmacSHA1(secret, s string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
