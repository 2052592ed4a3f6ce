package verify_test

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/credentials"
	"keysmith/app/core/errs"
	"keysmith/app/core/verify"
	"keysmith/app/testkit"
)

var ctx = context.Background()

type vectors struct {
	Key, Secret, Date string
	Vectors           []struct {
		Name, Method, URL, Body string
		Headers                 map[string]string
	}
}

func loadVectors(t *testing.T) vectors {
	b, err := os.ReadFile("testdata/sdk_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// setup opens a core with the vectors' HMAC credential and a clock at their
// date.
func setup(t *testing.T) (*core.Core, testkit.Users, *testkit.Clock, vectors) {
	v := loadVectors(t)
	clock := testkit.NewClock()
	when, _ := http.ParseTime(v.Date)
	clock.Advance(when.Sub(clock.Now()))
	c := testkit.Open(t, clock)
	u := testkit.Seed(t, c)
	testkit.CreateWith(t, c, u.Admin.ID, credentials.HMAC, "SDK vectors", v.Key, v.Secret)
	return c, u, clock, v
}

// seeded is a fresh core with testkit's users, and the clock it runs on.
func seeded(tb testing.TB) (*core.Core, testkit.Users, *testkit.Clock) {
	clock := testkit.NewClock()
	c := testkit.Open(tb, clock)
	return c, testkit.Seed(tb, c), clock
}

// withHMAC opens a core with an HMAC credential of that name, made by an
// administrator, and returns it with its secret.
func withHMAC(tb testing.TB, name string) (*core.Core, testkit.Users, *testkit.Clock, credentials.Credential, string) {
	c, u, clock := seeded(tb)
	cred, secret := newHMAC(tb, c, u.Admin.ID, name)
	return c, u, clock, cred, secret
}

// newHMAC makes an HMAC credential of that name on c, by admin, and returns
// it with its secret.
func newHMAC(tb testing.TB, c *core.Core, admin int64, name string) (credentials.Credential, string) {
	cred, secret, err := c.Credentials.Create(ctx, admin, credentials.HMAC, name, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return cred, secret
}

func request(method, url, body string, headers map[string]string) verify.Request {
	h := http.Header{}
	for k, v := range headers {
		h.Set(k, v) // a Go server canonicalizes names; headers= keeps the client's
	}
	return verify.Request{Method: method, RequestURI: url, Header: h, Body: []byte(body), HasBody: true}
}

// signed builds a request the way a client would, with options.
type signOpts struct {
	algorithm  string
	dateName   string
	md5Name    string
	upperHex   bool
	secret     string
	key        string
	method     string
	signMethod string
	uri        string
	body       string
	date       time.Time
	omit       string // a name to leave out of headers=
}

func signedRequest(o signOpts) verify.Request {
	h := http.Header{}
	names := []string{o.dateName}
	lines := []string{o.dateName + ": " + o.date.UTC().Format(http.TimeFormat)}
	h.Set(o.dateName, o.date.UTC().Format(http.TimeFormat))
	if o.body != "" {
		sum := md5.Sum([]byte(o.body))
		hx := hex.EncodeToString(sum[:])
		if o.upperHex {
			hx = strings.ToUpper(hx)
		}
		h.Set(o.md5Name, hx)
		if o.omit != "md5" {
			names = append(names, o.md5Name)
			lines = append(lines, o.md5Name+": "+hx)
		}
	}
	names = append(names, "request-line")
	lines = append(lines, o.signMethod+" "+o.uri+" HTTP/1.1")
	newHash := sha1.New
	if o.algorithm == "hmac-sha256" {
		newHash = func() hash.Hash { return sha256.New() }
	}
	m := hmac.New(newHash, []byte(o.secret))
	m.Write([]byte(strings.Join(lines, "\n")))
	sig := base64.StdEncoding.EncodeToString(m.Sum(nil))
	h.Set("Authorization", fmt.Sprintf(`hmac username="%s", algorithm="%s", headers="%s", signature="%s"`, o.key, o.algorithm, strings.Join(names, " "), sig))
	return verify.Request{Method: o.method, RequestURI: o.uri, Header: h, Body: []byte(o.body), HasBody: true}
}

// refusedFor fails unless err refuses the request for reason.
func refusedFor(t *testing.T, err, reason error) {
	t.Helper()
	if !errors.Is(err, errs.ErrBadCredentials) || !errors.Is(err, reason) {
		t.Fatalf("err = %v, want %v", err, reason)
	}
}
