package desktop_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"keysmith/app/core/verifiers"
	"keysmith/app/core/verify"
	"keysmith/app/face/desktop"
	"keysmith/app/face/views"
	"keysmith/app/testkit"
	"keysmith/app/version"
)

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestVerifierFromTheWindow(t *testing.T) {
	t.Parallel()
	a, _, _ := attached(t)
	port := freePort(t)
	if st, err := a.StartVerifier(80, false); err == nil || st.Running {
		t.Fatalf("privileged port accepted: %v", err)
	}
	st, err := a.StartVerifier(port, false)
	if err != nil || !st.Running || !strings.HasSuffix(st.Address, ":"+strconv.Itoa(port)) {
		t.Fatalf("start: %+v %v", st, err)
	}
	defer a.StopVerifier()
	if _, err := a.StartVerifier(port, false); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second start: %v", err)
	}
	for _, typ := range []string{"basic", "hmac"} {
		ns, err := a.CreateKey(desktop.CreateKeyRequest{Type: typ, Name: "Try " + typ})
		if err != nil {
			t.Fatal(err)
		}
		sn, err := a.CredentialSnippets(ns.Credential.ID, "")
		if err != nil || !strings.Contains(sn.Curl, "curl -i") || !strings.Contains(sn.Node, ns.Credential.Key) || sn.Authorization == "" {
			t.Fatalf("%s snippets: %+v %v", typ, sn, err)
		}
		if strings.Contains(sn.Node, ns.Secret) {
			t.Fatalf("%s: the Node snippet embeds the secret instead of reading it from the environment", typ)
		}
		res, err := a.TestCredential(ns.Credential.ID, "")
		if err != nil || !res.Accepted {
			t.Fatalf("%s live check with the confirmation's secret: %+v %v", typ, res, err)
		}
		res, err = a.TestCredential(ns.Credential.ID, strings.Repeat("x", 30))
		if err != nil || res.Accepted || res.Status != 401 {
			t.Fatalf("%s live check with a wrong secret: %+v %v", typ, res, err)
		}
		a.DismissSecret(ns.Credential.ID)
		if _, err := a.TestCredential(ns.Credential.ID, ""); err == nil || !strings.Contains(err.Error(), "Paste the secret") {
			t.Fatalf("%s after dismiss: %v", typ, err)
		}
		res, _ = a.TestCredential(ns.Credential.ID, ns.Secret)
		if !res.Accepted {
			t.Fatalf("%s with the pasted secret: %+v", typ, res)
		}
	}
	st, _ = a.StopVerifier()
	if st.Running {
		t.Fatal("still running")
	}
	if _, err := a.TestCredential(1, "x"); err == nil || !strings.Contains(err.Error(), "Start the verification endpoint") {
		t.Fatalf("test with the endpoint stopped: %v", err)
	}
}

// putSignedAsPOST sends what the official SDKs send to cancel a message: a
// PUT with a body, signed as POST.
func putSignedAsPOST(t *testing.T, addr, key, secret string) int {
	t.Helper()
	return testkit.SendSigned(t, "PUT", "http://"+addr, "/v1/messages/877c19ef-fa2e-4cec-827a-e1df9b5509f7", key, secret,
		testkit.NewClock().Now(), []byte(`{"status":"cancelled"}`)) // the clock attached() runs on
}

// The window's endpoint takes the strict-method setting of keysmith serve:
// off, the SDKs' PUT signed as POST is accepted; on, it is refused.
func TestVerifierStrictMethod(t *testing.T) {
	t.Parallel()
	a, _, _ := attached(t)
	ns, err := a.CreateKey(desktop.CreateKeyRequest{Type: "hmac", Name: "Strict"})
	if err != nil {
		t.Fatal(err)
	}
	for _, strict := range []bool{false, true} {
		st, err := a.StartVerifier(freePort(t), strict)
		if err != nil || st.StrictMethod != strict {
			t.Fatalf("start strict=%v: %+v %v", strict, st, err)
		}
		if got, _ := a.VerifierStatus(); got.StrictMethod != strict {
			t.Fatalf("status strict=%v: %+v", strict, got)
		}
		want := 200
		if strict {
			want = 401
		}
		if code := putSignedAsPOST(t, st.Address, ns.Credential.Key, ns.Secret); code != want {
			t.Errorf("strict=%v: PUT signed as POST answered %d, want %d", strict, code, want)
		}
		a.StopVerifier()
	}
}

// liveSnippets is what the window's live check sends to addr, as
// CredentialSnippets builds it, for an HMAC or a Basic credential.
func liveSnippets(typ, addr, key, secret string) desktop.Snippets {
	path := "/v1/messages/877c19ef-fa2e-4cec-827a-e1df9b5509f7"
	s := desktop.Snippets{Method: "GET", URL: "http://" + addr + path}
	if typ == "hmac" {
		s.Date = testkit.NewClock().Now().Format(http.TimeFormat)
		s.Authorization, _ = verify.SignHMAC(key, secret, s.Date, path, nil)
	} else {
		s.Authorization = "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"+secret))
	}
	return s
}

// The endpoint receives the snippet's request and nothing else: its method,
// path and headers, a signature that the received request reproduces, and
// no header the snippet does not show (no User-Agent, no Accept-Encoding).
func TestLiveCheckSendsTheSnippet(t *testing.T) {
	t.Parallel()
	const key, secret = "K3ysm1thK3y", "s3cret-s3cret-s3cret"
	for _, typ := range []string{"hmac", "basic"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			var got *http.Request
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r
				w.Write([]byte(`{"key":"` + key + `"}`))
			}))
			defer srv.Close()
			addr := srv.Listener.Addr().String()
			s := liveSnippets(typ, addr, key, secret)
			res, body, err := desktop.Exchange(addr, s)
			if err != nil || res.StatusCode != 200 || string(body) != `{"key":"`+key+`"}` {
				t.Fatalf("exchange: %v %v %q", res, err, body)
			}
			if got == nil {
				t.Fatal("the endpoint received no request")
			}
			if got.Method != s.Method || got.RequestURI != strings.TrimPrefix(s.URL, "http://"+addr) || got.Proto != "HTTP/1.1" || got.Host != addr {
				t.Errorf("request line %s %s %s, host %s; want the snippet's %s %s", got.Method, got.RequestURI, got.Proto, got.Host, s.Method, s.URL)
			}
			want := http.Header{"Authorization": {s.Authorization}, "Connection": {"close"}}
			if s.Date != "" {
				want["Date"] = []string{s.Date}
			}
			if !reflect.DeepEqual(got.Header, want) {
				t.Errorf("headers received %v, want exactly %v", got.Header, want)
			}
			if typ == "hmac" {
				// The signed headers ("date request-line") as received sign to the Authorization received.
				if auth, _ := verify.SignHMAC(key, secret, got.Header.Get("Date"), got.RequestURI, nil); got.Method != "GET" || auth != got.Header.Get("Authorization") {
					t.Errorf("the received request does not reproduce its signature: %s", got.Header.Get("Authorization"))
				}
			}
		})
	}
}

// A redirect is the endpoint's answer, not a request to follow.
func TestLiveCheckFollowsNoRedirect(t *testing.T) {
	t.Parallel()
	var hits, followed atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { followed.Add(1) }))
	defer elsewhere.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
			return
		}
		http.Redirect(w, r, "/again", http.StatusFound)
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	for i := 1; i <= 2; i++ {
		res, _, err := desktop.Exchange(addr, liveSnippets("hmac", addr, "K3ysm1thK3y", "s3cret"))
		if err != nil || res.StatusCode != http.StatusFound {
			t.Fatalf("redirect %d: %v %v, want the 302 itself", i, res, err)
		}
		if hits.Load() != int32(i) || followed.Load() != 0 {
			t.Fatalf("redirect %d followed: %d requests to the endpoint, %d elsewhere", i, hits.Load(), followed.Load())
		}
	}
}

// The check reads at most 4 KiB of an answer and does not wait for the rest
// of a body that never ends.
func TestLiveCheckBoundsTheAnswer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		w.Write(bytes.Repeat([]byte("x"), 64<<10))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the rest never comes; the client hangs up
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	start := time.Now()
	res, body, err := desktop.Exchange(addr, liveSnippets("basic", addr, "K3ysm1thK3y", "s3cret"))
	if err != nil || res.StatusCode != 401 || len(body) != 4096 {
		t.Fatalf("oversized answer: %v %v, %d bytes read; want 401 and 4096 bytes", res, err, len(body))
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the check waited %v for a body it does not read", took)
	}
}

// An endpoint that accepts the connection and never answers fails the check
// after 5 seconds.
func TestLiveCheckTimesOut(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	addr := ln.Addr().String()
	start := time.Now()
	if res, _, err := desktop.Exchange(addr, liveSnippets("basic", addr, "K3ysm1thK3y", "s3cret")); err == nil {
		t.Fatalf("a silent endpoint answered %v", res)
	}
	if took := time.Since(start); took < 4*time.Second || took > 8*time.Second {
		t.Errorf("the check gave up after %v, want 5 s", took)
	}
}

// Settings > Verification lists every endpoint of the account: a keysmith
// serve registered from another machine, and the window's own while it
// runs (marked as this one, kept live by its heartbeat, stopped when it
// stops).
func TestListVerifiers(t *testing.T) {
	t.Parallel()
	a, c, u, clock := seeded(t)
	if _, err := a.SignIn("ada@acme.test", testkit.AdminPassword); err != nil {
		t.Fatal(err)
	}
	server := testkit.SecondMachine(t, c, clock)
	reg, err := server.Verifiers.Register(context.Background(), u.Admin.ID,
		verifiers.Info{Kind: verifiers.Serve, Host: "orders-1", Address: "10.0.0.5:8787", Version: "1.4.0"})
	if err != nil {
		t.Fatal(err)
	}
	byKind := func() map[string]views.VerifierView {
		t.Helper()
		vs, err := a.ListVerifiers()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]views.VerifierView{}
		for _, v := range vs {
			out[v.Kind] = v
		}
		if len(out) != len(vs) {
			t.Fatalf("listed %+v", vs)
		}
		return out
	}
	now := clock.Now().UTC().Format(time.RFC3339)
	want := views.VerifierView{ID: reg.ID(), Kind: "serve", Host: "orders-1", Address: "10.0.0.5:8787", Version: "1.4.0",
		Health: "live", StartedAt: now, LastSeenAt: now}
	if got := byKind(); len(got) != 1 || got["serve"] != want {
		t.Fatalf("listed %+v, want %+v", got, want)
	}

	port := freePort(t)
	if _, err := a.StartVerifier(port, false); err != nil {
		t.Fatal(err)
	}
	defer a.StopVerifier()
	host, _ := os.Hostname()
	own := byKind()["window"]
	if own.Host != host || own.Address != "127.0.0.1:"+strconv.Itoa(port) || own.Version != version.Version ||
		own.Health != "live" || !own.This || own.ID == reg.ID() {
		t.Fatalf("the window's own endpoint: %+v", own)
	}

	// Time passes: the server sends no heartbeat and falls silent; the
	// window's endpoint beats on its own.
	clock.Advance(verifiers.StaleAfter + time.Second)
	later := clock.Now().UTC().Format(time.RFC3339)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got := byKind()
		if got["window"].LastSeenAt == later && got["window"].Health == "live" && got["serve"].Health == "silent" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s without a heartbeat from the server: %+v", verifiers.StaleAfter, got)
		}
	}
	if _, err := a.StopVerifier(); err != nil {
		t.Fatal(err)
	}
	if own := byKind()["window"]; own.Health != "stopped" || own.StoppedAt != later || own.This {
		t.Fatalf("after stop: %+v", own)
	}
}
