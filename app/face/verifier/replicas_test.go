package verifier_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/credentials"
	"keysmith/app/core/verifiers"
	"keysmith/app/face/verifier"
	"keysmith/app/testkit"
)

// Two keysmith serve replicas on one team database (real PostgreSQL,
// whichever engine the other tests run on) act as one verifier: a signed
// request with a body accepted by either is refused as a replay by both;
// each is listed among the account's verifiers while it runs, and marked
// stopped when it closes.
func TestReplicasOnOneDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	acc := newAccount(t, testkit.OpenOnPostgres, credentials.HMAC, "orders")
	a, u, cred, secret, clock := acc.core, acc.users, acc.cred, acc.secret, acc.clock
	b := testkit.SecondMachine(t, a, clock)
	var bases [2]string
	var srvs [2]*verifier.Server
	for i, c := range []*core.Core{a, b} {
		srvs[i], bases[i] = serveEndpoint(t, c, io.Discard)
		if err := srvs[i].Announce(ctx, c.Verifiers, u.Admin.ID, verifiers.Serve, strings.TrimPrefix(bases[i], "http://")); err != nil {
			t.Fatal(err)
		}
	}
	post := func(base, body string) int {
		t.Helper()
		return testkit.SendSigned(t, "POST", base, "/v1/messages", cred.Key, secret, clock.Now(), []byte(body))
	}
	for _, tc := range []struct {
		name          string
		first, second int
	}{
		{"accepted by A", 0, 1},
		{"accepted by B", 1, 0},
	} {
		body := `{"messages":[{"content":"` + tc.name + `"}]}`
		if code := post(bases[tc.first], body); code != 200 {
			t.Fatalf("%s: first use answered %d", tc.name, code)
		}
		for _, i := range []int{tc.second, tc.first} {
			if code := post(bases[i], body); code != 401 {
				t.Fatalf("%s: replay to replica %d answered %d", tc.name, i, code)
			}
		}
	}

	health := func() map[string]verifiers.Health {
		t.Helper()
		vs, err := b.Verifiers.List(ctx, u.Admin.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]verifiers.Health{}
		for _, v := range vs {
			out["http://"+v.Address] = v.Health
		}
		return out
	}
	if h := health(); len(h) != 2 || h[bases[0]] != verifiers.Live || h[bases[1]] != verifiers.Live {
		t.Fatalf("listed %v, want both replicas live", h)
	}
	srvs[0].Close()
	if h := health(); h[bases[0]] != verifiers.Stopped || h[bases[1]] != verifiers.Live {
		t.Fatalf("after A closed: %v", h)
	}
	srvs[1].Close()
	got, err := a.Credentials.Get(ctx, u.Admin.ID, cred.ID)
	if err != nil || got.LastUsedAt == nil || got.LastUsedFrom != "127.0.0.1" {
		t.Fatalf("last use of the replicas: %+v %v", got, err)
	}
}

// A batch keeps the newest use of each credential, whichever request was
// queued last: requests finish out of order.
func TestFlushKeepsNewestUse(t *testing.T) {
	t.Parallel()
	acc := newAccount(t, testkit.Open, credentials.Basic, "b")
	c, cred := acc.core, acc.cred
	srv := newServer(c, acc.clock.Now, io.Discard)
	srv.Start(time.Hour) // flushed by Close
	t0 := acc.clock.Now()
	verifier.QueueUse(srv, credentials.Use{ID: cred.ID, At: t0.Add(2 * time.Second), From: "10.0.0.2"})
	verifier.QueueUse(srv, credentials.Use{ID: cred.ID, At: t0.Add(time.Second), From: "10.0.0.1"})
	srv.Close()
	got, err := c.Credentials.Get(context.Background(), acc.users.Admin.ID, cred.ID)
	if err != nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(t0.Add(2*time.Second)) || got.LastUsedFrom != "10.0.0.2" {
		t.Fatalf("last use %+v %v, want the newer one from 10.0.0.2", got, err)
	}
}
