package verifier_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"keysmith/app/core/credentials"
	"keysmith/app/face/logfmt"
	"keysmith/app/face/verifier"
	"keysmith/app/testkit"
)

// lockedLog is a log writer read while the endpoint writes it.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The endpoint as serve builds it follows the change feed: a credential
// created, then disabled, on another machine is accepted, then refused, and
// the log says the feed runs.
func TestEndpointFollowsChanges(t *testing.T) {
	a, b, u, clock := testkit.Machines(t)
	ctx := context.Background()
	var logs lockedLog
	srv := verifier.NewEndpoint(b, logfmt.New(&logs, clock.Now), verifier.Config{})
	defer srv.Close()
	base := serveLoopback(t, srv)
	cred, secret, err := a.Credentials.Create(ctx, u.Admin.ID, credentials.Basic, "Elsewhere", nil)
	if err != nil {
		t.Fatal(err)
	}
	status := func() int {
		req, _ := http.NewRequest("GET", base+"/v1/messages", nil)
		req.Header.Set("Authorization", basicAuth(cred.Key, secret))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	waitStatus := func(what string, want int) {
		t.Helper()
		for end := time.Now().Add(15 * time.Second); status() != want; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%s: no %d within 15 s", what, want)
			}
		}
	}
	waitStatus("created on the other machine", http.StatusOK)
	if _, err := a.Credentials.SetDisabled(ctx, u.Admin.ID, cred.ID, true); err != nil {
		t.Fatal(err)
	}
	waitStatus("disabled on the other machine", http.StatusUnauthorized)
	if !strings.Contains(logs.String(), `msg="change notifications running"`) {
		t.Errorf("the log does not say the feed runs:\n%s", logs.String())
	}
}
