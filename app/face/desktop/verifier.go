package desktop

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"keysmith/app/core/credentials"
	"keysmith/app/core/errs"
	"keysmith/app/core/verifiers"
	"keysmith/app/core/verify"
	"keysmith/app/face/verifier"
	"keysmith/app/face/views"
)

// VerifierStatus is the state of the window's verification endpoint.
type VerifierStatus struct {
	Running bool   `json:"running"`
	Address string `json:"address"` // e.g. "127.0.0.1:8787" while running
	Port    int    `json:"port"`    // the last port used or asked for
	// StrictMethod: HMAC signatures are accepted only under the method sent
	// (not the official SDKs' PUT signed as POST), as keysmith serve
	// --strict-method.
	StrictMethod bool `json:"strictMethod"`
}

// Snippets show how a client authenticates with one credential.
type Snippets struct {
	Method        string `json:"method"`
	URL           string `json:"url"`
	Date          string `json:"date"`          // HMAC only
	Authorization string `json:"authorization"` // the exact header value
	Curl          string `json:"curl"`
	Node          string `json:"node"` // using the official SDK
}

// TestResult is the verdict of a live check against the endpoint.
type TestResult struct {
	Accepted bool   `json:"accepted"`
	Status   int    `json:"status"`
	Message  string `json:"message"`
}

// endpoint is the window's own keysmith serve.
type endpoint struct {
	mu     sync.Mutex
	srv    *verifier.Server
	addr   string
	port   int
	strict bool
}

// VerifierStatus reports whether the endpoint runs (Administrators only).
func (a *App) VerifierStatus() (VerifierStatus, error) {
	if _, err := a.admin(); err != nil {
		return VerifierStatus{}, a.fail("verifier-status", err)
	}
	return a.ep.status(), nil
}

func (e *endpoint) status() VerifierStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	port := e.port
	if port == 0 {
		port = verifier.DefaultPort
	}
	return VerifierStatus{Running: e.srv != nil, Address: e.addr, Port: port, StrictMethod: e.strict}
}

// StartVerifier serves verification on 127.0.0.1:port until StopVerifier or
// quit (Administrators only); strictMethod as keysmith serve --strict-method.
func (a *App) StartVerifier(port int, strictMethod bool) (VerifierStatus, error) {
	admin, err := a.admin()
	if err != nil {
		return VerifierStatus{}, a.fail("start-verifier", err)
	}
	if port < 1024 || port > 65535 {
		return VerifierStatus{}, a.fail("start-verifier", errs.Invalidf("port", "Port must be between 1024 and 65535."))
	}
	e := a.ep
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv != nil {
		return VerifierStatus{}, a.fail("start-verifier", errs.Invalidf("port", "The endpoint is already running on %s; stop it first.", e.addr))
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return VerifierStatus{}, a.fail("start-verifier", errs.Invalidf("port", "Cannot use port %d: %s; choose another.", port, verifier.Unlistenable(err)))
	}
	srv := verifier.NewEndpoint(a.core, a.log.With("component", "verifier"), verifier.Config{
		Verify: verify.Options{StrictMethod: strictMethod}, RequestLog: os.Stderr,
	})
	if err := srv.Announce(a.ctx(), a.core.Verifiers, admin, verifiers.Window, ln.Addr().String()); err != nil {
		ln.Close()
		srv.Close()
		return VerifierStatus{}, a.fail("start-verifier", err)
	}
	e.srv, e.addr, e.port, e.strict = srv, ln.Addr().String(), port, strictMethod
	go e.srv.Serve(ln)
	return VerifierStatus{Running: true, Address: e.addr, Port: port, StrictMethod: strictMethod}, nil
}

// StopVerifier stops the endpoint (Administrators only).
func (a *App) StopVerifier() (VerifierStatus, error) {
	if _, err := a.admin(); err != nil {
		return VerifierStatus{}, a.fail("stop-verifier", err)
	}
	a.ep.stop()
	return a.ep.status(), nil
}

// ListVerifiers lists every verification endpoint registered on the
// account's database (keysmith serve on any server, each window's own)
// with its host, address, version and health (Administrators only: the
// core checks it).
func (a *App) ListVerifiers() ([]views.VerifierView, error) {
	return asUser(a, "list-verifiers", func(id int64) ([]views.VerifierView, error) {
		vs, err := a.core.Verifiers.List(a.ctx(), id)
		if err != nil {
			return nil, err
		}
		return views.Verifiers(vs, a.ep.registration()), nil
	})
}

// registration is the id of the running endpoint's registration, or "".
func (e *endpoint) registration() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv == nil || e.srv.Registration() == nil {
		return ""
	}
	return e.srv.Registration().ID()
}

func (e *endpoint) stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	e.srv.Shutdown(ctx)
	e.srv.Close()
	e.srv, e.addr = nil, ""
}

// samplePath is the request the snippets and the live check sign.
const samplePath = "/v1/messages/877c19ef-fa2e-4cec-827a-e1df9b5509f7"

// CredentialSnippets shows how to call an API with a credential: the exact
// Authorization header of a sample GET, a curl command and a Node snippet
// with the official SDK. secret is what the user pasted; empty means the
// secret of the confirmation still open (Administrators only).
func (a *App) CredentialSnippets(credID int64, secret string) (Snippets, error) {
	c, secret, err := a.credentialAndSecret(credID, secret)
	if err != nil {
		return Snippets{}, a.fail("snippets", err)
	}
	base := "http://" + a.ep.status().Address
	if !a.ep.status().Running {
		base = fmt.Sprintf("http://127.0.0.1:%d", a.ep.status().Port)
	}
	return snippets(c, secret, base, a.clock()), nil
}

func (a *App) credentialAndSecret(credID int64, secret string) (credentials.Credential, string, error) {
	id, err := a.admin()
	if err != nil {
		return credentials.Credential{}, "", err
	}
	c, err := a.core.Credentials.Get(a.ctx(), id, credID)
	if err != nil {
		return credentials.Credential{}, "", err
	}
	if secret == "" {
		_, held, ok := a.clip.held(credID)
		if !ok {
			return credentials.Credential{}, "", errs.Invalidf("secret", "Paste the secret (or password) to test with; Keysmith does not keep it.")
		}
		secret = held
	}
	if len(secret) > 128 || strings.ContainsAny(secret, "\r\n") {
		return credentials.Credential{}, "", errs.Invalidf("secret", "That does not look like a secret: at most 128 characters on one line.")
	}
	return c, secret, nil
}

func snippets(c credentials.Credential, secret, base string, now time.Time) Snippets {
	s := Snippets{Method: "GET", URL: base + samplePath}
	sdk := ""
	if c.Type == credentials.HMAC {
		s.Date = now.UTC().Format(http.TimeFormat)
		s.Authorization, _ = verify.SignHMAC(c.Key, secret, s.Date, samplePath, nil)
		s.Curl = fmt.Sprintf("curl -i %s \\\n  -H 'date: %s' \\\n  -H '%s'", shellQuote(s.URL), s.Date, "Authorization: "+strings.ReplaceAll(s.Authorization, "'", `'\''`))
		sdk = fmt.Sprintf("sdk.Configuration.hmacAuthUserName = %q;\nsdk.Configuration.hmacAuthPassword = process.env.MESSAGEMEDIA_SECRET;", c.Key)
	} else {
		s.Authorization = "Basic " + base64.StdEncoding.EncodeToString([]byte(c.Key+":"+secret))
		s.Curl = fmt.Sprintf("curl -i %s \\\n  -H 'Authorization: %s'", shellQuote(s.URL), s.Authorization)
		sdk = fmt.Sprintf("sdk.Configuration.basicAuthUserName = %q;\nsdk.Configuration.basicAuthPassword = process.env.MESSAGEMEDIA_SECRET;", c.Key)
	}
	s.Node = "// npm install messagemedia-messages-sdk\nconst sdk = require('messagemedia-messages-sdk');\n" +
		fmt.Sprintf("sdk.Configuration.BASEURI = %q;\n", base) + sdk +
		"\nsdk.MessagesController.getMessageStatus('877c19ef-fa2e-4cec-827a-e1df9b5509f7')\n" +
		"  .then(() => console.log('accepted'), (e) => console.log('refused', e.errorCode));"
	return s
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// TestCredential sends the sample request to the running endpoint and
// reports its verdict (Administrators only).
func (a *App) TestCredential(credID int64, secret string) (TestResult, error) {
	c, secret, err := a.credentialAndSecret(credID, secret)
	if err != nil {
		return TestResult{}, a.fail("test-credential", err)
	}
	st := a.ep.status()
	if !st.Running {
		return TestResult{}, a.fail("test-credential", errs.ErrVerifierStopped)
	}
	s := snippets(c, secret, "http://"+st.Address, a.clock())
	res, body, err := exchange(st.Address, s)
	if err != nil {
		return TestResult{}, a.fail("test-credential", errors.New("the endpoint did not answer"))
	}
	if res.StatusCode == http.StatusOK {
		var v struct{ Key string }
		json.Unmarshal(body, &v)
		return TestResult{Accepted: true, Status: 200, Message: "Accepted: the endpoint recognised key " + v.Key + "."}, nil
	}
	return TestResult{Status: res.StatusCode, Message: "Refused (HTTP " + strconv.Itoa(res.StatusCode) + "): the secret is wrong, or the credential is disabled, expired or deleted. The audit log has the reason."}, nil
}

// liveTimeout bounds a live check from dialling to the last byte read;
// liveBodyLimit bounds the answer's body the check reads.
const (
	liveTimeout   = 5 * time.Second
	liveBodyLimit = 4096
)

// exchange sends the sample request of s to the endpoint at addr (on this
// machine) on one connection and reads the answer, within liveTimeout.
//
// net/http writes the request and reads the answer; the connection is this
// function's own rather than an http.Client's (the package doc says why).
// The request carries the snippet's method, path, Authorization and Date and
// nothing the snippet does not show: no User-Agent, no Accept-Encoding (the
// signature covers "date request-line" only). Nothing is followed: a
// redirect is the endpoint's answer.
func exchange(addr string, s Snippets) (*http.Response, []byte, error) {
	req, err := http.NewRequest(s.Method, s.URL, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header = http.Header{"Authorization": {s.Authorization}, "User-Agent": {""}}
	if s.Date != "" {
		req.Header["Date"] = []string{s.Date}
	}
	req.Close = true
	conn, err := net.DialTimeout("tcp", addr, liveTimeout)
	if err != nil {
		return nil, nil, err
	}
	// Closing the connection ends the body too; res.Body.Close would first
	// read the rest of it, however long, until the deadline.
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(liveTimeout))
	if err := req.Write(conn); err != nil {
		return nil, nil, err
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, liveBodyLimit))
	return res, body, err
}
