package cli

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"keysmith/app/core/errs"
	"keysmith/app/testkit"
)

func TestVerifyCommand(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	key, secret := h.newKey("basic", "Offline")
	raw := func(user, pass string) string {
		return "GET /v1/messages?x=1 HTTP/1.1\r\nHost: api.example\r\nAuthorization: Basic " +
			base64.StdEncoding.EncodeToString([]byte(user+":"+pass)) + "\r\n\r\n"
	}
	if r := h.run(raw(key, secret), "verify"); r.code != 0 || !strings.Contains(r.stdout, "Accepted: Basic key "+key) {
		t.Fatalf("valid: %+v", r)
	}
	r := h.run(raw(key, "wrong"), "verify", "--json")
	if r.code != 1 || !strings.Contains(r.stdout, `"reason": "wrong secret"`) || !strings.Contains(r.stderr, "were refused") {
		t.Fatalf("wrong secret: %+v", r)
	}
	if strings.Contains(r.stdout+r.stderr, secret) {
		t.Fatal("verify printed the secret")
	}
	// The same rules as keysmith serve: each input names what is wrong.
	for input, why := range map[string]string{
		"not http at all":     "the request head ends early",
		"not http at all\n":   "a line ends in LF, not CRLF",
		"not http at all\r\n": "a malformed request",
		"GET /v1 HTTP/1.1\r\nHost: a\r\nAuthorization: Basic\r\n eDp5\r\n\r\n": "obsolete line folding",
		"GET /v1 HTTP/1.1\r\nAuthorization: Basic eDp5\r\n\r\n":                "exactly one Host header",
		"GET /v1 HTTP/1.1\r\nHost: a\r\n":                                      "the request head ends early",
		"POST /v1 HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc":        "shorter than announced",
	} {
		if r := h.run(input, "verify"); r.code != 2 || !strings.Contains(r.stderr, "not an HTTP/1.1 request: ") || !strings.Contains(r.stderr, why) {
			t.Errorf("%q: %+v", input, r)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--listen", "0.0.0.0:8787"}, "needs --tls-cert and --tls-key"},
		{[]string{"serve", "--listen", "8787"}, "must be host:port"},
		{[]string{"serve", "--tls-cert", "a.pem"}, "go together"},
		{[]string{"serve", "--skew", "2h"}, "--skew must be"},
		{[]string{"serve", "--listen", "127.0.0.1:99999"}, "from 0 to 65535"},
		{[]string{"serve", "--listen", "127.0.0.1:abc"}, "from 0 to 65535"},
		{[]string{"serve", "--listen", "127.1:8790"}, "IP address or localhost"},
		{[]string{"verify", "--skew", "100000h"}, "--skew must be between 1s and 1h"},
		{[]string{"verify", "--skew", "0s"}, "--skew must be between 1s and 1h"},
		{[]string{"verify", "--skew", "-5s"}, "--skew must be between 1s and 1h"},
	} {
		if r := h.run("", tc.args...); r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: %+v", tc.args, r)
		}
	}
}

// keysmith verify accepts an HMAC signature under another method only for
// the SDKs' PUT signed as POST, and --strict-method refuses that too.
func TestVerifyStrictMethod(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	key, secret := h.newKey("hmac", "Methods")
	raw := func(method, signed, body string) string {
		date := time.Now().UTC().Format(http.TimeFormat)
		lines, names, head := "date: "+date+"\n", "date ", "Date: "+date+"\r\n"
		if body != "" {
			sum := md5.Sum([]byte(body))
			hx := hex.EncodeToString(sum[:])
			lines, names = lines+"x-Content-MD5: "+hx+"\n", names+"x-Content-MD5 "
			head += "x-Content-MD5: " + hx + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n"
		}
		m := hmac.New(sha1.New, []byte(secret))
		m.Write([]byte(lines + signed + " /v1/messages/123 HTTP/1.1"))
		sig := base64.StdEncoding.EncodeToString(m.Sum(nil))
		return method + " /v1/messages/123 HTTP/1.1\r\nHost: api\r\n" + head + `Authorization: hmac username="` + key +
			`", algorithm="hmac-sha1", headers="` + names + `request-line", signature="` + sig + "\"\r\n\r\n" + body
	}
	for _, tc := range []struct {
		name                 string
		input                string
		loose, strictAccepts bool
	}{
		{"GET", raw("GET", "GET", ""), true, true},
		{"DELETE signed as GET", raw("DELETE", "GET", ""), false, false},
		{"PUT signed as POST", raw("PUT", "POST", `{"status":"cancelled"}`), true, false},
		{"PATCH signed as POST", raw("PATCH", "POST", `{"status":"cancelled"}`), false, false},
	} {
		for _, strict := range []bool{false, true} {
			args := []string{"verify"}
			want := tc.loose
			if strict {
				args, want = append(args, "--strict-method"), tc.strictAccepts
			}
			r := h.run(tc.input, args...)
			if want && (r.code != 0 || !strings.Contains(r.stdout, "Accepted: ")) ||
				!want && (r.code != 1 || !strings.Contains(r.stdout, "Refused: signature does not match")) {
				t.Errorf("%s, strict=%v: %+v", tc.name, strict, r)
			}
		}
	}
}

// TestLoadTLS: every way --tls-cert and --tls-key can be wrong gets a
// sentence naming the file and the problem.
func TestLoadTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o600)
		return p
	}
	certPEM, keyPEM := testkit.SelfSigned(t)
	_, otherKey := testkit.SelfSigned(t)
	cert, key := write("cert.pem", certPEM), write("key.pem", keyPEM)
	now := time.Now()
	for _, tc := range []struct {
		cert, key string
		at        time.Time
		want      string
	}{
		{cert, key, now, ""},
		{filepath.Join(dir, "none.pem"), key, now, "Cannot read --tls-cert " + filepath.Join(dir, "none.pem") + ": no such file or directory."},
		{cert, dir, now, "Cannot read --tls-key " + dir + ": is a directory."},
		{write("garbage.pem", []byte("not a certificate")), key, now, "holds no PEM certificate"},
		{cert, write("nokey.pem", []byte("junk")), now, "holds no PEM private key"},
		{cert, write("other.pem", otherKey), now, "does not belong to the certificate"},
		{cert, key, now.Add(48 * time.Hour), "is valid only from"},
	} {
		_, err := loadTLS(tc.cert, tc.key, tc.at)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(errs.Message(err), tc.want)) {
			t.Errorf("%s + %s: %v, want %q", tc.cert, tc.key, err, tc.want)
		}
	}
}
