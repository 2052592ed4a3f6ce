package credentials_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/credentials"
	"keysmith/app/core/errs"
	"keysmith/app/testkit"
)

var ctx = context.Background()

// seeded is a fresh core with testkit's users, and the clock it runs on.
func seeded(t testing.TB) (*core.Core, testkit.Users, *testkit.Clock) {
	clock := testkit.NewClock()
	c := testkit.Open(t, clock)
	return c, testkit.Seed(t, c), clock
}

// create makes a credential of typ without expiry, by admin, and returns it
// with its secret.
func create(t *testing.T, c *core.Core, admin int64, typ credentials.Type, name string) (credentials.Credential, string) {
	t.Helper()
	cred, secret, err := c.Credentials.Create(ctx, admin, typ, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cred, secret
}

// legacyCred makes a Legacy credential for username with password.
func legacyCred(t *testing.T, c *core.Core, admin int64, username, password string) credentials.Credential {
	t.Helper()
	cred, err := c.Credentials.CreateLegacy(ctx, admin, username, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// rowCount is how many rows c's database holds in table.
func rowCount(t *testing.T, c *core.Core, table string) int {
	t.Helper()
	return testkit.Count(t, testkit.DB(t, c.Dir), table)
}

// refusedFor fails unless err is a refusal for reason.
func refusedFor(t *testing.T, what string, err, reason error) {
	t.Helper()
	if !errors.Is(err, errs.ErrBadCredentials) || !errors.Is(err, reason) {
		t.Fatalf("%s: got %v, want a refusal for %q", what, err, reason)
	}
}

// within bounds every wait: the promise is about a second, the margin is
// for a loaded machine under the race detector.
const within = 15 * time.Second

// eventually calls ok until it holds, failing t after within.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(within); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %v", what, within)
		}
	}
}

// invalidMessage is the sentence of a rejected input (errs.Invalid), or ""
// for any other error.
func invalidMessage(err error) string {
	var inv *errs.Invalid
	if errors.As(err, &inv) {
		return inv.Message
	}
	return ""
}

// reports collects what a following cache reports.
type reports struct {
	mu   sync.Mutex
	msgs []string
}

func (r *reports) add(msg string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		msg += ": " + err.Error()
	}
	r.msgs = append(r.msgs, msg)
}

func (r *reports) saw(part string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.msgs {
		if strings.Contains(m, part) {
			return true
		}
	}
	return false
}
