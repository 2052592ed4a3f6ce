package verifier_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"keysmith/app/core/credentials"
	"keysmith/app/core/verify"
	"keysmith/app/face/logfmt"
	"keysmith/app/face/verifier"
	"keysmith/app/testkit"
)

func TestServe(t *testing.T) {
	acc := newAccount(t, testkit.Open, credentials.Basic, "Served")
	c, u, cred, secret := acc.core, acc.users, acc.cred, acc.secret
	var logs strings.Builder
	srv := newServer(c, acc.clock.Now, &logs)
	srv.LogRequests(&logs)
	srv.Start(time.Hour) // flushed by Close below
	base := serveLoopback(t, srv)

	do := func(method, path, auth string, extra map[string]string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(""))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		for k, v := range extra {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		b, _ := io.ReadAll(res.Body)
		json.Unmarshal(b, &body)
		return res, body
	}
	res, body := do("PUT", "/any/path?x=1", basicAuth(cred.Key, secret), nil)
	if res.StatusCode != 200 || body["key"] != cred.Key || body["name"] != "Served" || body["type"] != "basic" || body["id"] != float64(cred.ID) {
		t.Fatalf("valid: %d %v", res.StatusCode, body)
	}
	for name, auth := range map[string]string{"wrong secret": basicAuth(cred.Key, "x"), "none": "", "garbage": "hmac nonsense",
		"key and secret swapped":  basicAuth(secret, cred.Key),
		"secret as hmac username": `hmac username="` + secret + `", algorithm="hmac-sha1", headers="date request-line", signature="c2ln"`} {
		res, body := do("GET", "/", auth, nil)
		if res.StatusCode != 401 || body["error"] != "unauthorized" || len(res.Header.Values("WWW-Authenticate")) != 2 {
			t.Fatalf("%s: %d %v %v", name, res.StatusCode, body, res.Header)
		}
	}
	if res, body := do("GET", verifier.HealthPath, "", nil); res.StatusCode != 200 || body["status"] != "ok" {
		t.Fatalf("health: %d %v", res.StatusCode, body)
	}
	// Another process disables the key: the next request fails.
	other := testkit.OpenDir(t, c.Dir, acc.clock)
	other.Credentials.SetDisabled(context.Background(), u.Admin.ID, cred.ID, true)
	if res, _ := do("GET", "/", basicAuth(cred.Key, secret), nil); res.StatusCode != 401 {
		t.Fatalf("disabled elsewhere: %d", res.StatusCode)
	}
	srv.Close()
	got, _ := c.Credentials.Get(context.Background(), u.Admin.ID, cred.ID)
	if got.LastUsedAt == nil || got.LastUsedFrom != "127.0.0.1" {
		t.Fatalf("last used not recorded: %+v", got)
	}
	var refusals int
	testkit.DB(t, c.Dir).QueryRow(`SELECT COUNT(*) FROM audit WHERE action = 'verify.refused'`).Scan(&refusals)
	if refusals < 2 {
		t.Fatalf("refusals audited: %d", refusals)
	}
	var detail string
	testkit.DB(t, c.Dir).QueryRow(`SELECT detail FROM audit WHERE action = 'verify.refused' AND target = ?`, cred.Key).Scan(&detail)
	if !strings.Contains(detail, "wrong secret") && !strings.Contains(detail, "disabled") {
		t.Fatalf("refusal reason %q", detail)
	}
	// A secret sent where the key goes is recorded only as a fingerprint.
	if strings.Contains(logs.String(), secret) {
		t.Fatalf("the request log holds the secret:\n%s", logs.String())
	}
	var leaked int
	testkit.DB(t, c.Dir).QueryRow(`SELECT COUNT(*) FROM audit WHERE target LIKE '%' || ? || '%' OR detail LIKE '%' || ? || '%'`, secret, secret).Scan(&leaked)
	if leaked != 0 {
		t.Fatal("the audit log holds the secret")
	}
	fingerprint := c.Credentials.Fingerprint(secret)
	if len(fingerprint) != len("unknown-")+8 || strings.Contains(fingerprint, secret) {
		t.Fatalf("fingerprint %q", fingerprint)
	}
	var unknown int
	// The audit counts it without naming it (the request log has the detail).
	testkit.DB(t, c.Dir).QueryRow(`SELECT COUNT(*) FROM audit WHERE action = 'verify.refused' AND target = '' AND detail LIKE '%(unknown key)%' AND detail NOT LIKE '%unknown-%'`).Scan(&unknown)
	if unknown == 0 || !strings.Contains(logs.String(), `key="`+fingerprint+`"`) {
		t.Fatalf("unknown key not recorded as %s (audit rows %d):\n%s", fingerprint, unknown, logs.String())
	}
	if !strings.Contains(logs.String(), `accepted method="PUT" uri="/any/path?x=1" key="`+cred.Key+`" from=127.0.0.1`) ||
		!strings.Contains(logs.String(), `refused method="GET" uri="/"`) {
		t.Fatalf("request log:\n%s", logs.String())
	}
}

func TestAuthRequestHeaders(t *testing.T) {
	acc := newAccount(t, testkit.Open, credentials.HMAC, "Behind nginx")
	srv := newServer(acc.core, acc.clock.Now, io.Discard)
	srv.Start(time.Hour)
	defer srv.Close()
	date := acc.clock.Now().UTC().Format(http.TimeFormat)
	sig := hmacSHA1(acc.secret, "date: "+date+"\nGET /v1/messages?page=2 HTTP/1.1")
	base := serveLoopback(t, srv)
	req, _ := http.NewRequest("GET", base+"/auth", nil)
	req.Header.Set("X-Original-Method", "GET")
	req.Header.Set("X-Original-URI", "/v1/messages?page=2")
	req.Header.Set("Date", date)
	req.Header.Set("Authorization", `hmac username="`+acc.cred.Key+`", algorithm="hmac-sha1", headers="date request-line", signature="`+sig+`"`)
	if code := status(t, http.DefaultClient, req); code != 200 {
		t.Fatalf("auth_request: %d", code)
	}
	req.Header.Set("X-Original-URI", "/v1/messages?page=3")
	if code := status(t, http.DefaultClient, req); code != 401 {
		t.Fatalf("other original URI accepted: %d", code)
	}
}

func TestCheckListen(t *testing.T) {
	for addr, want := range map[string]string{"127.0.0.1:8787": "", "[::1]:8787": "", "localhost:1": "", "127.0.0.1:0": "",
		"0.0.0.0:8787": "beyond loopback", "192.168.1.5:80": "beyond loopback", ":8787": "beyond loopback",
		"8787": "host:port", "127.0.0.1:99999": "from 0 to 65535", "127.0.0.1:-1": "from 0 to 65535", "127.0.0.1:abc": "from 0 to 65535",
		"127.0.0.1:": "from 0 to 65535", "127.0.0.1:+80": "from 0 to 65535", "127.1:8790": "IP address or localhost", "example.com:80": "IP address or localhost", "[fe80::1%eth0]:8443": "beyond loopback"} {
		err := verifier.CheckListen(addr, false)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: %v, want %q", addr, err, want)
		}
	}
	if err := verifier.CheckListen("0.0.0.0:8443", true); err != nil {
		t.Errorf("TLS on all interfaces: %v", err)
	}
}

func TestUnlistenable(t *testing.T) {
	ln := listenLoopback(t)
	defer ln.Close()
	for addr, want := range map[string]string{ln.Addr().String(): "another program is already listening on it", "192.0.2.1:8787": "it is not an address of this machine"} {
		_, err := net.Listen("tcp", addr)
		if err == nil || verifier.Unlistenable(err) != want {
			t.Errorf("%s: %v → %q, want %q", addr, err, verifier.Unlistenable(err), want)
		}
	}
}

// A client that announces a body and never sends it is answered 401 and cut
// off after the body timeout.
func TestBodyDeadline(t *testing.T) {
	c := testkit.Open(t, testkit.NewClock())
	testkit.Seed(t, c)
	srv := newServer(c, time.Now, io.Discard)
	verifier.SetTimeouts(srv, verifier.HeaderTimeout, 200*time.Millisecond, verifier.IdleTimeout)
	addr := strings.TrimPrefix(serveLoopback(t, srv), "http://")

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprint(conn, "POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Basic eDp5\r\nContent-Length: 10\r\n\r\nabc")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	res.Body.Close()
	if took := time.Since(start); res.StatusCode != http.StatusUnauthorized || took > 3*time.Second {
		t.Fatalf("stalled body: %d after %v, want 401 after about 200ms", res.StatusCode, took)
	}
}

// BenchmarkServeBasic is one accepted Basic request and its answer on a
// kept-alive loopback connection: the whole path of keysmith serve.
func BenchmarkServeBasic(b *testing.B) {
	acc := newAccount(b, testkit.Open, credentials.Basic, "b")
	c := acc.core
	srv := verifier.New(c.Credentials, verify.New(c.Credentials.NewCache(time.Second), verify.Options{}), logfmt.Discard(), time.Now)
	srv.Start(time.Second)
	defer srv.Close()
	conn, br := dialRaw(b, strings.TrimPrefix(serveLoopback(b, srv), "http://"))
	conn.SetDeadline(time.Time{}) // the benchmark takes as long as b.N makes it
	req := "GET /v1/messages HTTP/1.1\r\nHost: bench\r\nAuthorization: " + basicAuth(acc.cred.Key, acc.secret) + "\r\n\r\n"
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		io.WriteString(conn, req)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatal(res.StatusCode)
		}
	}
}
