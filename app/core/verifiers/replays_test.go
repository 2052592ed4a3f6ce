package verifiers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/credentials"
	"keysmith/app/core/store"
	"keysmith/app/core/verifiers"
	"keysmith/app/core/verify"
	"keysmith/app/testkit"
	"keysmith/app/testkit/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var ctx = context.Background()

// team is one account on two machines, each running a verifier, and an HMAC
// credential.
type team struct {
	a, b   *core.Core
	u      testkit.Users
	clock  *testkit.Clock
	key    string
	secret string
}

func newTeam(t *testing.T) team {
	t.Helper()
	a, b, u, clock := testkit.Machines(t)
	cred, secret, err := a.Credentials.Create(ctx, u.Admin.ID, credentials.HMAC, "orders", nil)
	if err != nil {
		t.Fatal(err)
	}
	return team{a: a, b: b, u: u, clock: clock, key: cred.Key, secret: secret}
}

// shared is c's shared replay window: the core's own on PostgreSQL; on
// SQLite, where the core keeps none, the same table over c's database, so
// the window's SQL is tested on both engines.
func shared(t *testing.T, c *core.Core) verify.Replays {
	t.Helper()
	if r := c.Verifiers.SharedReplays(verify.DefaultSkew); r != nil {
		if testkit.Engine() != store.Postgres {
			t.Fatal("a shared replay window on one machine's database")
		}
		return r
	}
	if testkit.Engine() == store.Postgres {
		t.Fatal("no shared replay window on a team database")
	}
	return verifiers.NewReplaysOn(c.Verifiers, c.Verifiers.DB(), verifiers.MaxReplayRows)
}

// verifier is what keysmith serve on c checks requests with.
func (tm team) verifier(t *testing.T, c *core.Core, opt verify.Options) *verify.Verifier {
	opt.Clock, opt.Shared = tm.clock.Now, shared(t, c)
	return verify.New(c.Credentials.NewCache(0), opt)
}

// post is a request signed as the SDKs sign, with a body.
func (tm team) post(body string) verify.Request {
	date := tm.clock.Now().UTC().Format(http.TimeFormat)
	auth, md5 := verify.SignHMAC(tm.key, tm.secret, date, "/v1/messages", []byte(body))
	return verify.Request{Method: "POST", RequestURI: "/v1/messages", Body: []byte(body), HasBody: true,
		Header: http.Header{"Date": {date}, "X-Content-Md5": {md5}, "Authorization": {auth}}}
}

// A body request accepted by one replica is refused as a replay by the
// other, and by itself, whichever replica sees it first; the table keeps a
// digest, never the signature.
func TestReplayAcrossReplicas(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	va, vb := tm.verifier(t, tm.a, verify.Options{}), tm.verifier(t, tm.b, verify.Options{})
	for i, tc := range []struct {
		name          string
		first, second *verify.Verifier
	}{
		{"A then B", va, vb},
		{"B then A", vb, va},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := tm.post(fmt.Sprintf(`{"content":"hello %d"}`, i))
			if _, err := tc.first.Verify(ctx, req); err != nil {
				t.Fatalf("first use refused: %v", err)
			}
			for _, v := range []*verify.Verifier{tc.second, tc.first} {
				if _, err := v.Verify(ctx, req); !errors.Is(err, verify.ErrReplay) {
					t.Fatalf("replay accepted or refused for another reason: %v", err)
				}
			}
		})
	}
	db := testkit.DB(t, tm.a.Dir)
	if n := testkit.Count(t, db, "replay_signatures"); n != 2 {
		t.Fatalf("%d rows for 2 accepted requests", n)
	}
	var digest []byte
	if err := db.QueryRow(`SELECT digest FROM replay_signatures LIMIT 1`).Scan(&digest); err != nil {
		t.Fatal(err)
	}
	if len(digest) != 32 {
		t.Fatalf("digest of %d bytes", len(digest))
	}
	for i := range 2 {
		sig := signature(t, tm.post(fmt.Sprintf(`{"content":"hello %d"}`, i)))
		if bytes.Contains(digest, sig) || bytes.Contains(sig, digest[:8]) {
			t.Fatal("the table holds the signature")
		}
	}
}

// signature is the raw signature of an HMAC request.
func signature(t *testing.T, r verify.Request) []byte {
	t.Helper()
	h := r.Header.Get("Authorization")
	_, after, ok := bytes.Cut([]byte(h), []byte(`signature="`))
	if !ok {
		t.Fatalf("no signature in %q", h)
	}
	return bytes.TrimSuffix(after, []byte(`"`))
}

// Two replicas presented the same new request at the same moment accept it
// once between them.
func TestReplayRaceAcrossReplicas(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	vs := []*verify.Verifier{tm.verifier(t, tm.a, verify.Options{}), tm.verifier(t, tm.b, verify.Options{})}
	for round := range 20 {
		req := tm.post(fmt.Sprintf(`{"round":%d}`, round))
		errc := make(chan error, 8)
		for i := range 8 {
			go func() {
				_, err := vs[i%2].Verify(ctx, req)
				errc <- err
			}()
		}
		accepted := 0
		for range 8 {
			switch err := <-errc; {
			case err == nil:
				accepted++
			case !errors.Is(err, verify.ErrReplay):
				t.Fatalf("round %d: refused for another reason: %v", round, err)
			}
		}
		if accepted != 1 {
			t.Fatalf("round %d: accepted %d times", round, accepted)
		}
	}
}

// Only a request whose signature verified writes a row: an outsider without
// a valid credential cannot fill the table.
func TestReplayRowsOnlyForVerifiedRequests(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	v := tm.verifier(t, tm.a, verify.Options{})
	good := tm.post(`{"content":"x"}`)
	for _, tc := range []struct {
		name string
		req  func() verify.Request
	}{
		{"wrong secret", func() verify.Request {
			r := tm
			r.secret = testkit.Wrong(tm.secret)
			return r.post(`{"content":"x"}`)
		}},
		{"unknown key", func() verify.Request {
			r := tm
			r.key = "AAAAAAAAAAAAAAAAAAAA"
			return r.post(`{"content":"x"}`)
		}},
		{"body changed", func() verify.Request {
			r := tm.post(`{"content":"x"}`)
			r.Body = []byte(`{"content":"y"}`)
			return r
		}},
		{"date outside the window", func() verify.Request {
			r := tm.post(`{"content":"x"}`)
			r.Header.Set("Date", tm.clock.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))
			return r
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := v.Verify(ctx, tc.req()); err == nil {
				t.Fatal("accepted")
			}
			if n := testkit.Count(t, testkit.DB(t, tm.a.Dir), "replay_signatures"); n != 0 {
				t.Fatalf("a refused request wrote %d rows", n)
			}
		})
	}
	if _, err := v.Verify(ctx, good); err != nil {
		t.Fatal(err)
	}
	if n := testkit.Count(t, testkit.DB(t, tm.a.Dir), "replay_signatures"); n != 1 {
		t.Fatalf("an accepted request wrote %d rows", n)
	}
}

// windows are a small shared replay window on each machine, the time now
// and an expiry 5 minutes later.
func (tm team) windows(max int) (a, b *verifiers.Replays, now, until time.Time) {
	now = tm.clock.Now()
	return verifiers.NewReplaysOn(tm.a.Verifiers, tm.a.Verifiers.DB(), max),
		verifiers.NewReplaysOn(tm.b.Verifiers, tm.b.Verifiers.DB(), max), now, now.Add(5 * time.Minute)
}

// A full table refuses new signatures rather than forget live ones, on
// every replica; once its rows expire (and ClockMargin passes) they are
// purged and signatures are accepted again.
func TestReplayTableBound(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	ra, rb, now, until := tm.windows(2)
	ra.Purge(now)
	for i, want := range []bool{true, true, false} {
		if fresh, err := ra.FirstUse(ctx, fmt.Sprint("sig", i), now, until); err != nil || fresh != want {
			t.Fatalf("signature %d on A: fresh %v, %v; want %v", i, fresh, err, want)
		}
	}
	// B counts the rows A wrote.
	rb.Purge(now)
	if fresh, err := rb.FirstUse(ctx, "sig-b", now, until); err != nil || fresh {
		t.Fatalf("B wrote into a full table: %v, %v", fresh, err)
	}
	// Still in their window a second later: counted again, still refused.
	later := now.Add(time.Second)
	if fresh, err := ra.FirstUse(ctx, "sig9", later, until); err != nil || fresh {
		t.Fatalf("a live signature was forgotten: %v, %v", fresh, err)
	}
	expired := until.Add(time.Second)
	if n := testkit.Count(t, testkit.DB(t, tm.a.Dir), "replay_signatures"); n != 2 {
		t.Fatalf("%d rows in a table bounded to 2", n)
	}
	// Past the margin: purged, and the same signature may be written again
	// (its date is no longer accepted anyway).
	ra.Purge(expired.Add(verifiers.ClockMargin))
	if n := testkit.Count(t, testkit.DB(t, tm.a.Dir), "replay_signatures"); n != 0 {
		t.Fatalf("%d expired rows left after the purge", n)
	}
	if fresh, err := ra.FirstUse(ctx, "sig0", expired.Add(verifiers.ClockMargin), expired.Add(time.Hour)); err != nil || !fresh {
		t.Fatalf("after the purge: %v, %v", fresh, err)
	}
}

// A replica whose clock runs ahead purges a row only ClockMargin after it
// expired, so a replica whose clock runs behind (and still accepts the
// request's date) still refuses the replay.
func TestReplayClockMargin(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	ahead, behind, now, until := tm.windows(10)
	behind.Purge(now)
	if fresh, err := behind.FirstUse(ctx, "sig", now, until); err != nil || !fresh {
		t.Fatalf("first use: %v, %v", fresh, err)
	}
	ahead.Purge(until.Add(30 * time.Second)) // its clock 40 s ahead of behind's
	if fresh, err := behind.FirstUse(ctx, "sig", until.Add(-10*time.Second), until); err != nil || fresh {
		t.Fatalf("replay at the replica behind: %v, %v", fresh, err)
	}
}

// An expired row does not block its signature: the one statement takes it
// over, and only once.
func TestReplayExpiredRowReused(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	r := verifiers.NewReplaysOn(tm.a.Verifiers, tm.a.Verifiers.DB(), 10)
	now := tm.clock.Now()
	r.Purge(now)
	for _, tc := range []struct {
		at    time.Time
		until time.Time
		want  bool
	}{
		{now, now.Add(time.Minute), true},
		{now.Add(59 * time.Second), now.Add(2 * time.Minute), false},
		{now.Add(time.Minute), now.Add(3 * time.Minute), true}, // expired at now+1m
		{now.Add(2 * time.Minute), now.Add(4 * time.Minute), false},
	} {
		if fresh, err := r.FirstUse(ctx, "same", tc.at, tc.until); err != nil || fresh != tc.want {
			t.Fatalf("at %v: fresh %v, %v; want %v", tc.at.Sub(now), fresh, err, tc.want)
		}
	}
}

// When the shared window cannot answer, a body request is refused with its
// own reason rather than accepted unchecked.
func TestReplayWindowUnavailable(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	st, err := store.Open(ctx, testkit.Target(t, tm.a.Dir))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	v := verify.New(tm.a.Credentials.NewCache(0), verify.Options{Clock: tm.clock.Now,
		Shared: verifiers.NewReplaysOn(tm.a.Verifiers, st.DB, 10)})
	req := tm.post(`{"content":"x"}`)
	for range 2 { // the first refusal is not remembered as a use
		if _, err := v.Verify(ctx, req); !errors.Is(err, verify.ErrReplayUnchecked) {
			t.Fatalf("err = %v, want the shared window unavailable", err)
		}
	}
	// The bodiless requests the SDKs send do not ask it.
	date := tm.clock.Now().UTC().Format(http.TimeFormat)
	auth, _ := verify.SignHMAC(tm.key, tm.secret, date, "/v1/messages/1", nil)
	get := verify.Request{Method: "GET", RequestURI: "/v1/messages/1", HasBody: true, Header: http.Header{"Date": {date}, "Authorization": {auth}}}
	if _, err := v.Verify(ctx, get); err != nil {
		t.Fatalf("GET refused: %v", err)
	}
}
