package verify_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"keysmith/app/core/credentials"
	"keysmith/app/core/errs"
	"keysmith/app/core/verify"
	"keysmith/app/testkit"
)

func TestSDKVectorsAccepted(t *testing.T) {
	t.Parallel()
	c, _, clock, v := setup(t)
	for _, vec := range v.Vectors {
		t.Run(vec.Name, func(t *testing.T) {
			ver := verify.New(c.Credentials.NewCache(0), verify.Options{Clock: clock.Now})
			cred, err := ver.Verify(ctx, request(vec.Method, vec.URL, vec.Body, vec.Headers))
			if err != nil || cred.Key != v.Key {
				t.Fatalf("SDK request refused: %v", err)
			}
		})
	}
}

// TestSDKVectorsStrict: with StrictMethod every SDK request is accepted but
// the PUT the SDKs sign as POST.
func TestSDKVectorsStrict(t *testing.T) {
	t.Parallel()
	c, _, clock, v := setup(t)
	for _, vec := range v.Vectors {
		t.Run(vec.Name, func(t *testing.T) {
			ver := verify.New(c.Credentials.NewCache(0), verify.Options{Clock: clock.Now, StrictMethod: true})
			_, err := ver.Verify(ctx, request(vec.Method, vec.URL, vec.Body, vec.Headers))
			if vec.Method == "PUT" {
				if !errors.Is(err, verify.ErrSignature) {
					t.Fatalf("PUT signed as POST: %v", err)
				}
			} else if err != nil {
				t.Fatalf("SDK request refused: %v", err)
			}
		})
	}
}

func TestSDKVectorsTampered(t *testing.T) {
	t.Parallel()
	c, u, clock, v := setup(t)
	post := v.Vectors[0]
	get := v.Vectors[1]
	cases := []struct {
		name   string
		req    func() verify.Request
		before func()
		want   error
	}{
		{"altered body", func() verify.Request {
			return request(post.Method, post.URL, strings.Replace(post.Body, "Hello", "Hellp", 1), post.Headers)
		}, nil, verify.ErrDigest},
		{"altered path", func() verify.Request { return request(get.Method, get.URL+"x", "", get.Headers) }, nil, verify.ErrSignature},
		{"altered query", func() verify.Request {
			return request("GET", "/v1/replies?page=3&page_size=50&filter=a%20b", "", v.Vectors[2].Headers)
		}, nil, verify.ErrSignature},
		{"decoded query", func() verify.Request {
			return request("GET", "/v1/replies?page=2&page_size=50&filter=a b", "", v.Vectors[2].Headers)
		}, nil, verify.ErrSignature},
		{"sent as DELETE", func() verify.Request { return request("DELETE", get.URL, "", get.Headers) }, nil, verify.ErrSignature},
		{"PUT sent as PATCH", func() verify.Request {
			put := v.Vectors[3]
			return request("PATCH", put.URL, put.Body, put.Headers)
		}, nil, verify.ErrSignature},
		{"stale date", func() verify.Request { return request(get.Method, get.URL, "", get.Headers) }, func() { clock.Advance(301 * time.Second) }, verify.ErrDate},
		{"date from the future", func() verify.Request { return request(get.Method, get.URL, "", get.Headers) }, func() { clock.Advance(-602 * time.Second) }, verify.ErrDate},
		{"no authorization", func() verify.Request {
			return request(get.Method, get.URL, "", map[string]string{"date": get.Headers["date"]})
		}, func() { clock.Advance(301 * time.Second) }, verify.ErrNoAuthorization},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			ver := verify.New(c.Credentials.NewCache(0), verify.Options{Clock: clock.Now})
			_, err := ver.Verify(ctx, tc.req())
			refusedFor(t, err, tc.want)
		})
	}
	// Wrong secret: the same request signed with another secret.
	_ = u
}

func TestClientVariants(t *testing.T) {
	t.Parallel()
	c, _, clock, cred, secret := withHMAC(t, "Variants")
	base := signOpts{algorithm: "hmac-sha1", dateName: "date", md5Name: "x-Content-MD5", secret: secret, key: cred.Key,
		method: "POST", signMethod: "POST", uri: "/v1/messages", body: `{"a":1}`, date: clock.Now()}
	variants := map[string]func(o *signOpts){
		"official SDKs":                func(o *signOpts) {},
		"PHP: lowercase x-content-md5": func(o *signOpts) { o.md5Name = "x-content-md5" },
		"C#: upper-case hex":           func(o *signOpts) { o.upperHex = true },
		"Date with a capital":          func(o *signOpts) { o.dateName = "Date" },
		"docs: hmac-sha256 + Content-MD5": func(o *signOpts) {
			o.algorithm, o.md5Name = "hmac-sha256", "Content-MD5"
		},
		"GET without body":   func(o *signOpts) { o.method, o.signMethod, o.body = "GET", "GET", "" },
		"PUT signed as POST": func(o *signOpts) { o.method = "PUT" },
		"date 299 s behind":  func(o *signOpts) { o.date = o.date.Add(-299 * time.Second) },
	}
	for name, mod := range variants {
		t.Run(name, func(t *testing.T) {
			o := base
			mod(&o)
			ver := verify.New(c.Credentials.NewCache(0), verify.Options{Clock: clock.Now})
			if _, err := ver.Verify(ctx, signedRequest(o)); err != nil {
				t.Fatalf("refused: %v", err)
			}
		})
	}
	refusals := map[string]struct {
		mod  func(o *signOpts)
		want error
	}{
		"wrong secret":                  {func(o *signOpts) { o.secret = strings.Repeat("x", 30) }, verify.ErrSignature},
		"unknown key":                   {func(o *signOpts) { o.key = "NOSUCHKEY00000000000" }, credentials.ErrUnknownKey},
		"body not signed":               {func(o *signOpts) { o.omit = "md5" }, verify.ErrUnsigned},
		"unknown algorithm":             {func(o *signOpts) { o.algorithm = "hmac-md5" }, verify.ErrUnsupported},
		"date 301 s behind":             {func(o *signOpts) { o.date = o.date.Add(-301 * time.Second) }, verify.ErrDate},
		"signed with PUT, sent as POST": {func(o *signOpts) { o.signMethod = "PUT" }, verify.ErrSignature},
		"PATCH signed as POST":          {func(o *signOpts) { o.method = "PATCH" }, verify.ErrSignature},
	}
	for name, tc := range refusals {
		t.Run(name, func(t *testing.T) {
			o := base
			tc.mod(&o)
			ver := verify.New(c.Credentials.NewCache(0), verify.Options{Clock: clock.Now})
			_, err := ver.Verify(ctx, signedRequest(o))
			refusedFor(t, err, tc.want)
		})
	}
}

func TestReplay(t *testing.T) {
	t.Parallel()
	c, _, clock, cred, secret := withHMAC(t, "Replay")
	o := signOpts{algorithm: "hmac-sha1", dateName: "date", md5Name: "x-Content-MD5", secret: secret, key: cred.Key,
		method: "POST", signMethod: "POST", uri: "/v1/messages", body: `{"a":1}`, date: clock.Now()}
	ver := verify.New(c.Credentials.NewCache(0), verify.Options{Clock: clock.Now})
	if _, err := ver.Verify(ctx, signedRequest(o)); err != nil {
		t.Fatal(err)
	}
	if _, err := ver.Verify(ctx, signedRequest(o)); !errors.Is(err, verify.ErrReplay) {
		t.Fatalf("replayed POST: %v", err)
	}
	get := o
	get.method, get.signMethod, get.body = "GET", "GET", ""
	for i := 0; i < 2; i++ {
		if _, err := ver.Verify(ctx, signedRequest(get)); err != nil {
			t.Fatalf("identical GET %d refused by default: %v", i, err)
		}
	}
	strict := verify.New(c.Credentials.NewCache(0), verify.Options{Clock: clock.Now, RejectBodylessReplays: true})
	strict.Verify(ctx, signedRequest(get))
	if _, err := strict.Verify(ctx, signedRequest(get)); !errors.Is(err, verify.ErrReplay) {
		t.Fatalf("strict bodiless replay: %v", err)
	}
	// A bounded memory refuses rather than forgets.
	small := verify.New(c.Credentials.NewCache(0), verify.Options{Clock: clock.Now, MaxReplayEntries: 1})
	small.Verify(ctx, signedRequest(o))
	o2 := o
	o2.body = `{"a":2}`
	if _, err := small.Verify(ctx, signedRequest(o2)); !errors.Is(err, verify.ErrReplay) {
		t.Fatalf("full replay memory: %v", err)
	}
}

func TestBasicAndLegacy(t *testing.T) {
	t.Parallel()
	c, u, clock := seeded(t)
	basic, secret, _ := c.Credentials.Create(ctx, u.Admin.ID, credentials.Basic, "B", nil)
	hm, hsecret := newHMAC(t, c, u.Admin.ID, "H")
	c.Credentials.CreateLegacy(ctx, u.Admin.ID, "legacyuser", "Passw0rd", nil)
	ver := verify.New(c.Credentials.NewCache(0), verify.Options{Clock: clock.Now})
	auth := func(user, pass string) verify.Request {
		h := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}}
		return verify.Request{Method: "GET", RequestURI: "/", Header: h}
	}
	if got, err := ver.Verify(ctx, auth(basic.Key, secret)); err != nil || got.ID != basic.ID {
		t.Fatalf("basic: %v", err)
	}
	if _, err := ver.Verify(ctx, auth("legacyuser", "Passw0rd")); err != nil {
		t.Fatalf("legacy: %v", err)
	}
	for name, r := range map[string]verify.Request{
		"wrong secret":           auth(basic.Key, testkit.Wrong(secret)),
		"wrong legacy password":  auth("legacyuser", "Passw0rd1"),
		"hmac secret sent basic": auth(hm.Key, hsecret),
		"no colon":               {Header: http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(basic.Key))}}},
		"bad base64":             {Header: http.Header{"Authorization": {"Basic ***"}}},
		"two headers":            {Header: http.Header{"Authorization": {"Basic a", "Basic b"}}},
		"oversized":              {Header: http.Header{"Authorization": {"Basic " + strings.Repeat("A", 2000)}}},
		"bearer":                 {Header: http.Header{"Authorization": {"Bearer abc"}}},
	} {
		if _, err := ver.Verify(ctx, r); !errors.Is(err, errs.ErrBadCredentials) {
			t.Errorf("%s: %v", name, err)
		}
	}
	c.Credentials.SetDisabled(ctx, u.Admin.ID, basic.ID, true)
	if _, err := ver.Verify(ctx, auth(basic.Key, secret)); !errors.Is(err, credentials.ErrNotActive) {
		t.Fatalf("disabled: %v", err)
	}
	// Enabled again with write access to the database alone: refused, with
	// its own reason for the log.
	testkit.DB(t, c.Dir).Exec(`UPDATE credentials SET disabled = 0 WHERE id = ?`, basic.ID)
	testkit.DB(t, c.Dir).Exec(`UPDATE credential_revision SET n = n + 1`) // so the verifier reloads it
	_, err := ver.Verify(ctx, auth(basic.Key, secret))
	if !errors.Is(err, credentials.ErrStateTampered) || !errors.Is(err, errs.ErrBadCredentials) || verify.Reason(err) != "credential state does not verify" {
		t.Fatalf("tampered: %v", err)
	}
	if !ver.Known(ctx, basic.Key) {
		t.Fatal("a tampered key is still a known key (logged as itself)")
	}
}

// TestLegacyThrottleReason: the request log and the audit name a throttled
// Legacy refusal "throttled"; a service whose password the verifier
// remembers keeps working meanwhile.
func TestLegacyThrottleReason(t *testing.T) {
	t.Parallel()
	c, u, clock := seeded(t)
	c.Credentials.CreateLegacy(ctx, u.Admin.ID, "legacyuser", "Passw0rd", nil)
	ver := verify.New(c.Credentials.NewCache(0), verify.Options{Clock: clock.Now})
	auth := func(user, pass string) verify.Request {
		h := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}}
		return verify.Request{Method: "GET", RequestURI: "/", Header: h}
	}
	if _, err := ver.Verify(ctx, auth("legacyuser", "Passw0rd")); err != nil {
		t.Fatalf("legacy: %v", err)
	}
	for _, user := range []string{"legacyuser", "nosuchuser"} {
		for i := range credentials.FreeLegacyFailures {
			if _, err := ver.Verify(ctx, auth(user, "Wr0ngpass")); verify.Reason(err) == "throttled" {
				t.Fatalf("%s: throttled after %d failures", user, i)
			}
		}
		if _, err := ver.Verify(ctx, auth(user, "Wr0ngpass")); verify.Reason(err) != "throttled" {
			t.Fatalf("%s: reason %q, want throttled", user, verify.Reason(err))
		}
	}
	if _, err := ver.Verify(ctx, auth("legacyuser", "Passw0rd")); err != nil {
		t.Fatalf("the remembered password while throttled: %v", err)
	}
}

func FuzzAuthorization(f *testing.F) {
	for _, s := range []string{
		`hmac username="k", algorithm="hmac-sha1", headers="date request-line", signature="c2ln"`,
		`hmac username="k",algorithm="hmac-sha256",headers="date",signature="=="`,
		`hmac username="k", username="k"`, `hmac `, `hmac x`, `hmac a="`, `Basic Og==`, `Basic dXNlcjpwYXNz`,
		`basic ` + strings.Repeat("QUFB", 300), "hmac " + strings.Repeat(`a="b", `, 200),
	} {
		f.Add(s)
	}
	c, _, clock := seeded(f)
	ver := verify.New(c.Credentials.NewCache(0), verify.Options{Clock: clock.Now})
	f.Fuzz(func(t *testing.T, h string) {
		r := verify.Request{Method: "GET", RequestURI: "/", Header: http.Header{"Authorization": {h}, "Date": {clock.Now().Format(http.TimeFormat)}}}
		if _, err := ver.Verify(ctx, r); !errors.Is(err, errs.ErrBadCredentials) {
			t.Fatalf("%q accepted or failed oddly: %v", h, err)
		}
	})
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Wed, 08 Feb 2023 03:00:00 GMT":     "2023-02-08T03:00:00Z",
		"Wednesday, 08-Feb-23 03:00:00 GMT": "2023-02-08T03:00:00Z", // RFC 850
		"Wed Feb  8 03:00:00 2023":          "2023-02-08T03:00:00Z", // asctime
	} {
		got, err := verify.ParseDate(in)
		if err != nil || got.UTC().Format(time.RFC3339) != want {
			t.Errorf("ParseDate(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "Wed, 31 Feb 2023 03:00:00 GMT", "Wed, 08 Feb 2023 24:00:00 GMT", "Wed, 08 Fob 2023 03:00:00 GMT",
		"Wed, 08 Feb 2023 03:00:00 UTC", "Wed, 0x Feb 2023 03:00:00 GMT", "2023-02-08T03:00:00Z"} {
		if _, err := verify.ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
}

func FuzzParseDate(f *testing.F) {
	f.Add("Wed, 08 Feb 2023 03:00:00 GMT")
	f.Add("Wed, 99 Feb 2023 03:00:00 GMT")
	f.Fuzz(func(t *testing.T, s string) {
		a, errA := verify.ParseDate(s)
		b, errB := http.ParseTime(s)
		if errB == nil && (errA != nil || !a.Equal(b)) {
			t.Fatalf("%q: ParseDate %v %v, http.ParseTime %v", s, a, errA, b)
		}
	})
}

// TestOneCacheManyRequests runs many verifications, concurrently and in
// mixed order, through one cache, as keysmith serve does: each verdict must
// be the same as with a fresh cache, whichever keyed MAC state it reuses.
func TestOneCacheManyRequests(t *testing.T) {
	t.Parallel()
	c, u, clock, cred, secret := withHMAC(t, "Shared")
	get := signOpts{algorithm: "hmac-sha1", dateName: "date", secret: secret, key: cred.Key,
		method: "GET", signMethod: "GET", uri: "/v1/messages/1", date: clock.Now()}
	cases := []struct {
		name string
		mod  func(o *signOpts)
		want error
	}{
		{"sha1", func(o *signOpts) {}, nil},
		{"sha256", func(o *signOpts) { o.algorithm = "hmac-sha256" }, nil},
		{"DELETE signed as GET", func(o *signOpts) { o.method = "DELETE" }, verify.ErrSignature},
		{"sha256 DELETE signed as GET", func(o *signOpts) { o.algorithm, o.method = "hmac-sha256", "DELETE" }, verify.ErrSignature},
		{"wrong secret", func(o *signOpts) { o.secret = testkit.Wrong(secret) }, verify.ErrSignature},
		{"sha256 wrong secret", func(o *signOpts) { o.algorithm, o.secret = "hmac-sha256", testkit.Wrong(secret) }, verify.ErrSignature},
		{"other path", func(o *signOpts) { o.uri = "/v1/messages/2" }, nil},
	}
	ver := verify.New(c.Credentials.NewCache(time.Hour), verify.Options{Clock: clock.Now})
	check := func(secret string) error {
		var wg sync.WaitGroup
		fails := make(chan error, 8*len(cases))
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 40 * len(cases) {
					tc := cases[(i*(g+1)+g)%len(cases)]
					o := get
					o.secret = secret
					tc.mod(&o)
					if _, err := ver.Verify(ctx, signedRequest(o)); !errors.Is(err, tc.want) || (tc.want != nil) != (err != nil) {
						fails <- fmt.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(fails)
		return <-fails
	}
	if err := check(secret); err != nil {
		t.Fatal(err)
	}
	// A rolled secret and the one in its grace period both verify through
	// the same verifier; after the grace period only the new one does.
	_, rolled, err := c.Credentials.Roll(ctx, u.Admin.ID, cred.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ver = verify.New(c.Credentials.NewCache(0), verify.Options{Clock: clock.Now})
	for _, s := range []string{secret, rolled} {
		if err := check(s); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Hour + time.Second)
	get.date = clock.Now()
	if err := check(rolled); err != nil {
		t.Fatal(err)
	}
	old := get
	old.secret = secret
	if _, err := ver.Verify(ctx, signedRequest(old)); !errors.Is(err, verify.ErrSignature) {
		t.Fatalf("secret past its grace period: %v", err)
	}
}

// TestHMACVerifyAllocatesNothing: a bodiless HMAC request verified through a
// warm cache allocates nothing. (Under the race detector sync.Pool drops a
// quarter of what it is given, on purpose, so there about one allocation in
// four verifications sets up a new scratch of four allocations.)
func TestHMACVerifyAllocatesNothing(t *testing.T) {
	c, _, clock, cred, secret := withHMAC(t, "Allocs")
	req := signedRequest(signOpts{algorithm: "hmac-sha256", dateName: "date", secret: secret, key: cred.Key,
		method: "GET", signMethod: "GET", uri: "/v1/messages/1", date: clock.Now()})
	ver := verify.New(c.Credentials.NewCache(time.Hour), verify.Options{Clock: clock.Now})
	var err error
	allocs := testing.AllocsPerRun(200, func() { _, err = ver.Verify(ctx, req) })
	if err != nil {
		t.Fatal(err)
	}
	if limit := map[bool]float64{false: 0, true: 2}[raceEnabled]; allocs > limit {
		t.Fatalf("%.2f allocations per verification, want at most %.1f", allocs, limit)
	}
}

// TestMethodSubstitution: the method in the signed request line must be the
// method the request was sent with, except the one substitution the official
// SDKs make (PUT with a body, signed as POST), which StrictMethod refuses
// too. Every pair of common methods, with and without a body.
func TestMethodSubstitution(t *testing.T) {
	t.Parallel()
	c, _, clock, cred, secret := withHMAC(t, "Methods")
	methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "put", "post"}
	for _, strict := range []bool{false, true} {
		for _, body := range []string{"", `{"status":"cancelled"}`} {
			for _, sent := range methods {
				for _, signed := range methods {
					want := sent == signed || !strict && body != "" && sent == "PUT" && signed == "POST"
					name := fmt.Sprintf("strict=%v/body=%v/%s signed as %s", strict, body != "", sent, signed)
					t.Run(name, func(t *testing.T) {
						ver := verify.New(c.Credentials.NewCache(0), verify.Options{Clock: clock.Now, StrictMethod: strict})
						req := signedRequest(signOpts{algorithm: "hmac-sha1", dateName: "date", md5Name: "x-Content-MD5", secret: secret,
							key: cred.Key, method: sent, signMethod: signed, uri: "/v1/messages/123", body: body, date: clock.Now()})
						_, err := ver.Verify(ctx, req)
						if want && err != nil {
							t.Fatalf("refused: %v", err)
						}
						if !want && !errors.Is(err, verify.ErrSignature) {
							t.Fatalf("err = %v, want %v", err, verify.ErrSignature)
						}
					})
				}
			}
		}
	}
}

// TestCapturedGETReplayedUnderOtherMethods: one captured header of a
// bodiless GET is accepted again as that GET (the default allows honest
// duplicates), never as another method on the same path.
func TestCapturedGETReplayedUnderOtherMethods(t *testing.T) {
	t.Parallel()
	c, _, clock, cred, secret := withHMAC(t, "Captured")
	for _, strict := range []bool{false, true} {
		ver := verify.New(c.Credentials.NewCache(0), verify.Options{Clock: clock.Now, StrictMethod: strict})
		captured := signedRequest(signOpts{algorithm: "hmac-sha1", dateName: "date", secret: secret, key: cred.Key,
			method: "GET", signMethod: "GET", uri: "/v1/messages/123", date: clock.Now()})
		if _, err := ver.Verify(ctx, captured); err != nil {
			t.Fatalf("strict=%v: the GET itself: %v", strict, err)
		}
		for _, m := range []string{"DELETE", "PUT", "PATCH", "HEAD", "POST", "OPTIONS"} {
			replay := captured
			replay.Method = m
			if _, err := ver.Verify(ctx, replay); !errors.Is(err, verify.ErrSignature) {
				t.Errorf("strict=%v: replayed as %s: %v", strict, m, err)
			}
		}
		if _, err := ver.Verify(ctx, captured); err != nil {
			t.Fatalf("strict=%v: the GET again: %v", strict, err)
		}
	}
}

// TestDuplicateHeaders: a header the signature lists, or Authorization,
// sent twice is refused with its own reason, whichever copy was signed.
func TestDuplicateHeaders(t *testing.T) {
	t.Parallel()
	c, _, clock, cred, secret := withHMAC(t, "Duplicates")
	signed := func(body string) verify.Request {
		method := "GET"
		if body != "" {
			method = "POST"
		}
		return signedRequest(signOpts{algorithm: "hmac-sha1", dateName: "date", md5Name: "x-Content-MD5", secret: secret, key: cred.Key,
			method: method, signMethod: method, uri: "/v1/messages", body: body, date: clock.Now()})
	}
	other := clock.Now().Add(time.Second).UTC().Format(http.TimeFormat)
	// twice is a request signed over body with its header name given twice.
	twice := func(name, body string) func() verify.Request {
		return func() verify.Request {
			r := signed(body)
			r.Header.Add(name, r.Header.Get(name))
			return r
		}
	}
	for name, tc := range map[string]struct {
		req  func() verify.Request
		want error
	}{
		"Date after the signed one": {func() verify.Request {
			r := signed("")
			r.Header.Add("Date", other)
			return r
		}, verify.ErrDuplicateHeader},
		"Date before the signed one": {func() verify.Request {
			r := signed("")
			r.Header["Date"] = append([]string{other}, r.Header["Date"]...)
			return r
		}, verify.ErrDuplicateHeader},
		"same Date twice":     {twice("Date", ""), verify.ErrDuplicateHeader},
		"x-Content-MD5 twice": {twice("X-Content-Md5", `{"a":1}`), verify.ErrDuplicateHeader},
		"Authorization twice": {twice("Authorization", ""), verify.ErrDuplicateAuthorization},
	} {
		t.Run(name, func(t *testing.T) {
			ver := verify.New(c.Credentials.NewCache(0), verify.Options{Clock: clock.Now})
			_, err := ver.Verify(ctx, tc.req())
			refusedFor(t, err, tc.want)
			if reason := verify.Reason(err); reason != tc.want.Error() {
				t.Fatalf("reason %q", reason)
			}
		})
	}
	// An unsigned header may repeat.
	r := signed("")
	r.Header.Add("Accept", "a")
	r.Header.Add("Accept", "b")
	if _, err := verify.New(c.Credentials.NewCache(0), verify.Options{Clock: clock.Now}).Verify(ctx, r); err != nil {
		t.Fatalf("repeated unsigned header: %v", err)
	}
}
