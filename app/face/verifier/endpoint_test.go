package verifier_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"keysmith/app/core/credentials"
	"keysmith/app/testkit"
)

// The endpoint as serve builds it follows the change feed: a credential
// created, then disabled, on another machine is accepted, then refused, and
// the log says the feed runs.
func TestEndpointFollowsChanges(t *testing.T) {
	a, b, u, _ := testkit.Machines(t)
	ctx := context.Background()
	var logs testkit.SyncBuffer
	srv, base := serveEndpoint(t, b, &logs)
	defer srv.Close()
	cred, secret, err := a.Credentials.Create(ctx, u.Admin.ID, credentials.Basic, "Elsewhere", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitStatus := func(what string, want int) {
		t.Helper()
		for end := time.Now().Add(15 * time.Second); status(t, http.DefaultClient, getMessages(base, cred.Key, secret)) != want; time.Sleep(10 * time.Millisecond) {
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
