package verifier_test

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"keysmith/app/core/credentials"
	"keysmith/app/face/verifier"
	"keysmith/app/testkit"
)

// fixture is a Server over a seeded core with one Basic and one HMAC key.
type fixture struct {
	srv                     *verifier.Server
	clock                   *testkit.Clock
	basic, hmac             credentials.Credential
	basicSecret, hmacSecret string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	acc := newAccount(t, testkit.Open, credentials.Basic, "Basic one")
	f := &fixture{clock: acc.clock, basic: acc.cred, basicSecret: acc.secret}
	f.hmac, f.hmacSecret, _ = acc.core.Credentials.Create(context.Background(), acc.users.Admin.ID, credentials.HMAC, "HMAC one", nil)
	f.srv = newServer(acc.core, acc.clock.Now, io.Discard)
	f.srv.Start(time.Hour)
	t.Cleanup(f.srv.Close)
	return f
}

// dial serves f on loopback and opens one raw connection to it.
func (f *fixture) dial(t *testing.T) (net.Conn, *bufio.Reader) {
	t.Helper()
	return dialRaw(t, strings.TrimPrefix(serveLoopback(t, f.srv), "http://"))
}

func (f *fixture) basicGET(path, extra string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: api\r\nAuthorization: " + basicAuth(f.basic.Key, f.basicSecret) + "\r\n" + extra + "\r\n"
}

// read reads one response for a request of method and returns it with its
// body.
func read(t *testing.T, br *bufio.Reader, method string) (*http.Response, string) {
	t.Helper()
	res, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// closed reports whether the peer closed the connection (no more bytes).
func closed(br *bufio.Reader) bool {
	_, err := br.ReadByte()
	return errors.Is(err, io.EOF)
}

// closesAfter sends req, which must be answered 200 with the connection
// closed (what names the request), and sees the connection end.
func closesAfter(t *testing.T, conn net.Conn, br *bufio.Reader, req, what string) {
	t.Helper()
	fmt.Fprint(conn, req)
	if res, _ := read(t, br, "GET"); res.StatusCode != 200 || !res.Close {
		t.Fatalf("%s: %d close=%v", what, res.StatusCode, res.Close)
	}
	if !closed(br) {
		t.Fatalf("the connection stayed open after %s", what)
	}
}

func TestKeepAliveAndPipelining(t *testing.T) {
	f := newFixture(t)
	conn, br := f.dial(t)
	// Three requests in one write: answered in order on the same connection.
	fmt.Fprint(conn, f.basicGET("/one", "")+"GET /two HTTP/1.1\r\nHost: api\r\nAuthorization: Basic eDp5\r\n\r\n"+f.basicGET("/three", ""))
	for i, want := range []int{200, 401, 200} {
		res, body := read(t, br, "GET")
		if res.StatusCode != want || res.Close || res.Header.Get("Date") == "" || res.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("response %d: %d close=%v %v", i, res.StatusCode, res.Close, res.Header)
		}
		if want == 200 && !strings.Contains(body, `"key":"`+f.basic.Key+`"`) {
			t.Fatalf("response %d body %s", i, body)
		}
	}
	// The client ends the connection.
	closesAfter(t, conn, br, f.basicGET("/four", "Connection: close\r\n"), "Connection: close")
}

func TestHTTP10(t *testing.T) {
	f := newFixture(t)
	conn, br := f.dial(t)
	fmt.Fprint(conn, "GET /keysmith/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	if res, body := read(t, br, "GET"); res.StatusCode != 200 || res.Header.Get("Connection") != "keep-alive" || body != "{\"status\":\"ok\"}\n" {
		t.Fatalf("HTTP/1.0 keep-alive: %d %v %q", res.StatusCode, res.Header, body)
	}
	closesAfter(t, conn, br, "GET /keysmith/health HTTP/1.0\r\n\r\n", "HTTP/1.0 without keep-alive")
}

func TestHEADHasNoBody(t *testing.T) {
	f := newFixture(t)
	conn, br := f.dial(t)
	fmt.Fprint(conn, strings.Replace(f.basicGET("/x", ""), "GET", "HEAD", 1)+f.basicGET("/y", ""))
	res, body := read(t, br, "HEAD")
	if res.StatusCode != 200 || res.ContentLength <= 0 || body != "" {
		t.Fatalf("HEAD: %d length %d body %q", res.StatusCode, res.ContentLength, body)
	}
	// Nothing stray follows the head: the next response parses.
	if res, body := read(t, br, "GET"); res.StatusCode != 200 || int64(len(body)) != res.ContentLength {
		t.Fatalf("after HEAD: %d %q", res.StatusCode, body)
	}
}

func TestMalformedRequestsAreRefusedAndClosed(t *testing.T) {
	for name, tc := range map[string]struct {
		raw  string
		code int
	}{
		"folded header":      {"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic\r\n eDp5\r\n\r\n", 400},
		"smuggled length":    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		"head too large":     {"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + strings.Repeat("b", verifier.MaxHeaderBytes) + "\r\n\r\n", 431},
		"HTTP/2 preface":     {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
		"bare LF":            {"GET / HTTP/1.1\nHost: a\nAuthorization: Basic eDp5\n\n", 400},
		"length twice":       {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400},
		"malformed chunk":    {"POST / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic eDp5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
		"bare LF in a chunk": {"POST / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic eDp5\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\r\n0\r\n\r\n", 400},
		"bad trailer":        {"POST / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic eDp5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nGET / HTTP/1.1\r\n\r\n", 400},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			conn, br := f.dial(t)
			fmt.Fprint(conn, tc.raw)
			res, body := read(t, br, "GET")
			var e struct{ Error, Message string }
			if res.StatusCode != tc.code || !res.Close || json.Unmarshal([]byte(body), &e) != nil || e.Error == "" || e.Message == "" {
				t.Fatalf("got %d close=%v %q", res.StatusCode, res.Close, body)
			}
			if !closed(br) {
				t.Fatal("the connection stayed open after a malformed request")
			}
		})
	}
}

// An HMAC-signed POST whose body arrives chunked after 100 Continue: the
// digest is checked against the body, and the same signed body is refused
// as a replay.
func TestChunkedBodyAfterContinue(t *testing.T) {
	f := newFixture(t)
	conn, br := f.dial(t)
	body := `{"messages":[{"content":"Hi","destination_number":"+61491570156"}]}`
	sum := md5.Sum([]byte(body))
	digest := hex.EncodeToString(sum[:])
	date := f.clock.Now().UTC().Format(http.TimeFormat)
	sig := hmacSHA1(f.hmacSecret, "date: "+date+"\nx-Content-MD5: "+digest+"\nPOST /v1/messages HTTP/1.1")
	head := "POST /v1/messages HTTP/1.1\r\nHost: api\r\nDate: " + date + "\r\nx-Content-MD5: " + digest +
		"\r\nAuthorization: hmac username=\"" + f.hmac.Key + "\", algorithm=\"hmac-sha1\", headers=\"date x-Content-MD5 request-line\", signature=\"" + sig + "\"" +
		"\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
	chunked := fmt.Sprintf("%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n", 10, body[:10], len(body)-10, body[10:])

	fmt.Fprint(conn, head)
	if res, _ := read(t, br, "POST"); res.StatusCode != http.StatusContinue {
		t.Fatalf("interim response %d, want 100", res.StatusCode)
	}
	fmt.Fprint(conn, chunked)
	if res, got := read(t, br, "POST"); res.StatusCode != 200 || !strings.Contains(got, f.hmac.Key) {
		t.Fatalf("signed chunked POST: %d %s", res.StatusCode, got)
	}
	// The same request again, in one write: a replay.
	fmt.Fprint(conn, head+chunked)
	read(t, br, "POST") // 100 Continue
	if res, _ := read(t, br, "POST"); res.StatusCode != 401 {
		t.Fatalf("replayed POST: %d, want 401", res.StatusCode)
	}
	// Another body under the same signature: the digest does not match.
	fmt.Fprint(conn, head+"3\r\nabc\r\n0\r\n\r\n")
	read(t, br, "POST")
	if res, _ := read(t, br, "POST"); res.StatusCode != 401 {
		t.Fatalf("altered body: %d, want 401", res.StatusCode)
	}
}

// A head that never completes is cut off after the header timeout, and a
// kept-alive connection after the idle timeout.
func TestSlowAndIdleConnectionsAreClosed(t *testing.T) {
	for name, tc := range map[string]struct {
		header, idle time.Duration
		send         func(t *testing.T, f *fixture, conn net.Conn, br *bufio.Reader)
		after        time.Duration
	}{
		"head trickles": {200 * time.Millisecond, time.Minute, func(t *testing.T, f *fixture, conn net.Conn, br *bufio.Reader) {
			fmt.Fprint(conn, "GET / HTTP/1.1\r\nHo")
		}, 200 * time.Millisecond},
		"silent from the start": {200 * time.Millisecond, time.Minute, func(*testing.T, *fixture, net.Conn, *bufio.Reader) {}, 200 * time.Millisecond},
		"idle after a request": {time.Minute, 300 * time.Millisecond, func(t *testing.T, f *fixture, conn net.Conn, br *bufio.Reader) {
			fmt.Fprint(conn, f.basicGET("/", ""))
			read(t, br, "GET")
		}, 300 * time.Millisecond},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			verifier.SetTimeouts(f.srv, tc.header, verifier.BodyTimeout, tc.idle)
			conn, br := f.dial(t)
			start := time.Now()
			tc.send(t, f, conn, br)
			if !closed(br) {
				t.Fatal("the connection was not closed")
			}
			if took := time.Since(start); took < tc.after-20*time.Millisecond || took > tc.after+3*time.Second {
				t.Fatalf("closed after %v, want about %v", took, tc.after)
			}
		})
	}
}

// Shutdown closes idle connections at once and lets a request in progress
// finish; the answer says the connection closes.
func TestShutdownFinishesRequestsInProgress(t *testing.T) {
	f := newFixture(t)
	ln := listenLoopback(t)
	served := make(chan error, 1)
	go func() { served <- f.srv.Serve(ln) }()
	dial := func() (net.Conn, *bufio.Reader) { return dialRaw(t, ln.Addr().String()) }
	idle, idleR := dial()
	fmt.Fprint(idle, f.basicGET("/", ""))
	read(t, idleR, "GET")
	busy, busyR := dial()
	fmt.Fprint(busy, "PUT /x HTTP/1.1\r\nHost: a\r\nAuthorization: "+basicAuth(f.basic.Key, f.basicSecret)+"\r\nContent-Length: 5\r\n\r\nhe")
	time.Sleep(100 * time.Millisecond) // the server is reading the body

	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stopped <- f.srv.Shutdown(ctx)
	}()
	if !closed(idleR) {
		t.Fatal("the idle connection was not closed")
	}
	select {
	case err := <-stopped:
		t.Fatalf("Shutdown returned (%v) with a request in progress", err)
	case <-time.After(100 * time.Millisecond):
	}
	fmt.Fprint(busy, "llo")
	if res, _ := read(t, busyR, "PUT"); res.StatusCode != 200 || !res.Close {
		t.Fatalf("request in progress: %d close=%v", res.StatusCode, res.Close)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; err != verifier.ErrClosed {
		t.Fatalf("Serve returned %v", err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Fatal("still accepting after Shutdown")
	}
}

// An answer is sent at once, whatever follows it: a stray CRLF after a
// request, or the first bytes of the next one.
func TestAnswersAreNotHeldBack(t *testing.T) {
	for name, after := range map[string]string{"stray CRLF": "\r\n", "part of the next request": "GET /y HT"} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			verifier.SetTimeouts(f.srv, 5*time.Second, verifier.BodyTimeout, verifier.IdleTimeout)
			conn, br := f.dial(t)
			start := time.Now()
			fmt.Fprint(conn, f.basicGET("/", "")+after)
			if res, _ := read(t, br, "GET"); res.StatusCode != 200 {
				t.Fatalf("status %d", res.StatusCode)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Fatalf("answered after %v, behind the bytes that followed", took)
			}
		})
	}
}

// Pipelined bytes after Connection: close are discarded without resetting
// the connection, so the answer arrives whole and the end is clean.
func TestCloseWithPipelinedInput(t *testing.T) {
	f := newFixture(t)
	conn, br := f.dial(t)
	fmt.Fprint(conn, f.basicGET("/", "Connection: close\r\n")+f.basicGET("/never", ""))
	if res, _ := read(t, br, "GET"); res.StatusCode != 200 || !res.Close {
		t.Fatalf("%d close=%v", res.StatusCode, res.Close)
	}
	if !closed(br) {
		t.Fatal("no clean end after Connection: close")
	}
}

// X-Real-IP is recorded only when the server trusts a local proxy, and only
// when it is an IP address.
func TestClientAddressFromProxy(t *testing.T) {
	for name, tc := range map[string]struct {
		trust  bool
		header string
		want   string
	}{
		"not trusted":        {false, "203.0.113.7", "127.0.0.1"},
		"trusted":            {true, "203.0.113.7", "203.0.113.7"},
		"trusted, IPv6":      {true, "2001:db8::1", "2001:db8::1"},
		"trusted, not an IP": {true, `6.6.6.6 key="admin"`, "127.0.0.1"},
		"trusted, a zone":    {true, `fe80::1%x key="admin"`, "127.0.0.1"},
	} {
		t.Run(name, func(t *testing.T) {
			acc := newAccount(t, testkit.Open, credentials.Basic, "Behind a proxy")
			var logs strings.Builder
			srv := newServer(acc.core, acc.clock.Now, io.Discard)
			srv.TrustProxy(tc.trust)
			srv.LogRequests(&logs)
			srv.Start(time.Hour)
			req := getMessages(serveLoopback(t, srv), acc.cred.Key, acc.secret)
			req.Header.Set("X-Real-IP", tc.header)
			if code := status(t, http.DefaultClient, req); code != 200 {
				t.Fatalf("status %d", code)
			}
			srv.Close()
			got, _ := acc.core.Credentials.Get(context.Background(), acc.users.Admin.ID, acc.cred.ID)
			if got.LastUsedFrom != tc.want || !strings.Contains(logs.String(), " from="+tc.want+" ") {
				t.Fatalf("recorded %q, want %q; log %s", got.LastUsedFrom, tc.want, logs.String())
			}
		})
	}
}

// With every slot taken, a new connection takes the slot of the longest idle
// one; while none is idle it waits to be accepted, until one is.
func TestConnectionLimit(t *testing.T) {
	f := newFixture(t)
	verifier.SetMaxConns(f.srv, 2)
	base := strings.TrimPrefix(serveLoopback(t, f.srv), "http://")
	dial := func() (net.Conn, *bufio.Reader) { return dialRaw(t, base) }
	ask := func(conn net.Conn, br *bufio.Reader) {
		t.Helper()
		fmt.Fprint(conn, f.basicGET("/", ""))
		if res, _ := read(t, br, "GET"); res.StatusCode != 200 {
			t.Fatalf("status %d", res.StatusCode)
		}
	}
	first, firstR := dial()
	ask(first, firstR)
	second, secondR := dial()
	ask(second, secondR)
	waitIdle(t, f.srv, 2)
	third, thirdR := dial() // both others idle: the first, idle longest, makes room
	ask(third, thirdR)
	if !closed(firstR) {
		t.Fatal("the longest idle connection was not closed to make room")
	}
	ask(second, secondR)

	// Both open connections busy (a body on its way): a new one waits.
	put := "PUT /x HTTP/1.1\r\nHost: a\r\nAuthorization: " + basicAuth(f.basic.Key, f.basicSecret) + "\r\nContent-Length: 5\r\n\r\nhe"
	waitIdle(t, f.srv, 2)
	fmt.Fprint(second, put)
	fmt.Fprint(third, put)
	waitIdle(t, f.srv, 0) // both are reading their bodies
	fourth, fourthR := dial()
	fmt.Fprint(fourth, f.basicGET("/", ""))
	fourth.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := fourthR.Peek(1); err == nil {
		t.Fatal("a connection was answered while every slot was busy")
	}
	fourth.SetReadDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(second, "llo") // answered, then idle: its slot goes to the waiting one
	if res, _ := read(t, secondR, "PUT"); res.StatusCode != 200 {
		t.Fatalf("PUT: %d", res.StatusCode)
	}
	if res, _ := read(t, fourthR, "GET"); res.StatusCode != 200 {
		t.Fatalf("after a connection turned idle: %d", res.StatusCode)
	}
	fmt.Fprint(third, "llo")
	if res, _ := read(t, thirdR, "PUT"); res.StatusCode != 200 {
		t.Fatalf("the other busy connection: %d", res.StatusCode)
	}
}

// waitIdle waits until n of srv's connections wait for a request (an
// answer is sent before its connection turns idle).
func waitIdle(t *testing.T, srv *verifier.Server, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); verifier.IdleConns(srv) != n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d idle connections, want %d", verifier.IdleConns(srv), n)
		}
	}
}

// Connections that never had a request accepted (silent, health checks,
// refused) hold at most MaxUnauthenticated slots: each one beyond closes the
// oldest of them, never a connection that authenticated, and a client with
// valid credentials still gets in.
func TestUnauthenticatedConnectionsAreCapped(t *testing.T) {
	f := newFixture(t)
	verifier.SetMaxConns(f.srv, 8)
	verifier.SetMaxUnauthenticated(f.srv, 3)
	base := strings.TrimPrefix(serveLoopback(t, f.srv), "http://")
	dial := func() (net.Conn, *bufio.Reader) { return dialRaw(t, base) }
	authed, authedR := dial()
	fmt.Fprint(authed, f.basicGET("/", ""))
	if res, _ := read(t, authedR, "GET"); res.StatusCode != 200 {
		t.Fatalf("authenticated client: %d", res.StatusCode)
	}
	var flood []*bufio.Reader
	for i := range 12 {
		conn, br := dial()
		switch i % 3 {
		case 0: // health checks, kept alive
			fmt.Fprint(conn, "GET "+verifier.HealthPath+" HTTP/1.1\r\nHost: a\r\n\r\n")
			if res, _ := read(t, br, "GET"); res.StatusCode != 200 {
				t.Fatalf("health %d: %d", i, res.StatusCode)
			}
		case 1: // refused credentials, kept alive
			fmt.Fprint(conn, "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic eDp5\r\n\r\n")
			if res, _ := read(t, br, "GET"); res.StatusCode != 401 {
				t.Fatalf("refused %d: %d", i, res.StatusCode)
			}
		}
		flood = append(flood, br) // case 2: silent
	}
	// The newest connection: it needs a slot and gets one.
	client, clientR := dial()
	fmt.Fprint(client, f.basicGET("/", ""))
	if res, _ := read(t, clientR, "GET"); res.StatusCode != 200 {
		t.Fatalf("new client: %d", res.StatusCode)
	}
	// All but the newest unauthenticated ones were closed to make room...
	for i, br := range flood[:len(flood)-2] {
		if !closed(br) {
			t.Fatalf("unauthenticated connection %d still open", i)
		}
	}
	// ...and the authenticated connections kept theirs.
	for _, c := range []struct {
		conn net.Conn
		br   *bufio.Reader
	}{{authed, authedR}, {client, clientR}} {
		fmt.Fprint(c.conn, f.basicGET("/again", ""))
		if res, _ := read(t, c.br, "GET"); res.StatusCode != 200 {
			t.Fatalf("authenticated connection after the flood: %d", res.StatusCode)
		}
	}
}

// While more than half the slots are in use, a connection that turns idle
// gets the short idle timeout, and one idle longer than that is closed when
// a new connection arrives.
func TestIdleTimeoutUnderPressure(t *testing.T) {
	setup := func(t *testing.T) (*fixture, string) {
		f := newFixture(t)
		verifier.SetMaxConns(f.srv, 4)
		verifier.SetPressureIdle(f.srv, 200*time.Millisecond)
		verifier.SetTimeouts(f.srv, time.Minute, verifier.BodyTimeout, time.Minute)
		return f, strings.TrimPrefix(serveLoopback(t, f.srv), "http://")
	}
	ask := func(t *testing.T, f *fixture, base string) *bufio.Reader {
		t.Helper()
		conn, br := dialRaw(t, base)
		fmt.Fprint(conn, f.basicGET("/", ""))
		if res, _ := read(t, br, "GET"); res.StatusCode != 200 {
			t.Fatalf("status %d", res.StatusCode)
		}
		return br
	}
	t.Run("short idle timeout", func(t *testing.T) {
		f, base := setup(t)
		dialRaw(t, base)
		dialRaw(t, base)
		if !closed(ask(t, f, base)) { // the third of four: under pressure
			t.Fatal("a connection idle under pressure was not closed")
		}
	})
	t.Run("idle ones closed", func(t *testing.T) {
		f, base := setup(t)
		first, second := ask(t, f, base), ask(t, f, base) // half the slots: the long idle timeout
		waitIdle(t, f.srv, 2)
		time.Sleep(300 * time.Millisecond) // idle longer than the short timeout
		dialRaw(t, base)                   // the third: pressure from now on
		conn, br := dialRaw(t, base)
		fmt.Fprint(conn, "GET "+verifier.HealthPath+" HTTP/1.1\r\nHost: a\r\n\r\n")
		if res, _ := read(t, br, "GET"); res.StatusCode != 200 {
			t.Fatalf("health: %d", res.StatusCode)
		}
		for i, br := range []*bufio.Reader{first, second} {
			if !closed(br) {
				t.Fatalf("connection %d, idle under pressure, was not closed", i)
			}
		}
	})
}

// flaky fails its first Accept as a process out of file descriptors does.
type flaky struct {
	net.Listener
	failed bool
}

func (l *flaky) Accept() (net.Conn, error) {
	if !l.failed {
		l.failed = true
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

func TestAcceptErrorsAreRetried(t *testing.T) {
	f := newFixture(t)
	ln := listenLoopback(t)
	served := make(chan error, 1)
	go func() { served <- f.srv.Serve(&flaky{Listener: ln}) }()
	res, err := http.Get("http://" + ln.Addr().String() + verifier.HealthPath)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("after a failed accept: %v %v", res, err)
	}
	res.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f.srv.Shutdown(ctx)
	if err := <-served; err != verifier.ErrClosed {
		t.Fatalf("Serve returned %v", err)
	}
}
