package credentials_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/credentials"
	"keysmith/app/core/errs"
	"keysmith/app/core/store"
	"keysmith/app/testkit"
	"keysmith/app/testkit/pgtest"
)

// feedDown is a change feed that cannot reach the database: the cache
// falls back to rereading the revision.
func feedDown(ctx context.Context, fn func(store.Change)) {
	fn(store.Change{Err: errs.ErrUnreachable})
	<-ctx.Done()
}

// feedSilent is a change feed that connects and then delivers nothing (a
// pooler that drops notifications): the cache must not rely on it alone.
func feedSilent(ctx context.Context, fn func(store.Change)) {
	fn(store.Change{Topics: []store.Topic{store.TopicCredentials}})
	<-ctx.Done()
}

// A verifier's cache on one machine refuses a credential disabled on
// another machine, with the change feed (which the cache alone would not
// poll for an hour) and with the feed down (the revision reread every
// poll).
func TestCacheFollowsOtherMachines(t *testing.T) {
	for _, tt := range []struct {
		name  string
		poll  time.Duration
		watch func(b *core.Core) credentials.Watch
	}{
		{"with notifications", time.Hour, func(b *core.Core) credentials.Watch { return b.Watch }},
		{"with notifications down", 50 * time.Millisecond, func(*core.Core) credentials.Watch { return feedDown }},
		// Connected but silent: the reread every LivePoll catches up.
		{"with notifications silent", 50 * time.Millisecond, func(*core.Core) credentials.Watch { return feedSilent }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b, u, _ := testkit.Machines(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cache := b.Credentials.NewCache(tt.poll)
			var r reports
			cache.Follow(ctx, tt.watch(b), r.add)
			cred, secret := create(t, a, u.Admin.ID, credentials.Basic, "Orders")
			eventually(t, "the new credential accepted on the other machine", func() bool {
				_, err := cache.Authenticate(ctx, cred.Key, secret)
				return err == nil
			})
			if _, err := a.Credentials.SetDisabled(ctx, u.Admin.ID, cred.ID, true); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the disabled credential refused on the other machine", func() bool {
				_, err := cache.Authenticate(ctx, cred.Key, secret)
				return errors.Is(err, credentials.ErrNotActive)
			})
			rolled, err := a.Credentials.SetDisabled(ctx, u.Admin.ID, cred.ID, false)
			if err == nil {
				_, secret, err = a.Credentials.Roll(ctx, u.Admin.ID, rolled.ID, 0)
			}
			if err != nil {
				t.Fatal(err)
			}
			eventually(t, "the rolled secret accepted on the other machine", func() bool {
				_, err := cache.Authenticate(ctx, cred.Key, secret)
				return err == nil
			})
		})
	}
}

// With the database server down, a following cache keeps answering for
// the credentials it holds (for MaxStale), refuses the others at once
// without trying the database, and catches up when the server is back.
func TestCacheWhileDatabaseDown(t *testing.T) {
	srv := pgtest.Own(t)
	ctx := context.Background()
	url := srv.DB(t)
	clock := testkit.NewClock()
	c, err := core.Open(ctx, t.TempDir(), core.Options{Params: &testkit.CheapParams, Clock: clock.Now, Database: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	u := testkit.Seed(t, c)
	known, knownSecret := create(t, c, u.Admin.ID, credentials.Basic, "Known")
	other, otherSecret := create(t, c, u.Admin.ID, credentials.HMAC, "Not yet used")
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cache := c.Credentials.NewCache(50 * time.Millisecond)
	var r reports
	cache.Follow(fctx, c.Watch, r.add)
	eventually(t, "the feed running", func() bool { return r.saw("change notifications running") })
	if _, err := cache.Authenticate(ctx, known.Key, knownSecret); err != nil {
		t.Fatal(err)
	}

	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the feed reported lost", func() bool { return r.saw("change notifications lost") })
	if err := c.Reachable(ctx); !errors.Is(err, errs.ErrUnreachable) {
		t.Errorf("Reachable with the server down: %v, want errs.ErrUnreachable", err)
	}
	if _, err := c.Accounts.Account(ctx); !errors.Is(err, errs.ErrUnreachable) || errs.ProblemOf(err).Code != "unreachable" {
		t.Errorf("a service call with the server down: %v (code %q), want errs.ErrUnreachable, code unreachable", err, errs.ProblemOf(err).Code)
	}
	loads := cache.Loads()
	_, err = cache.Authenticate(ctx, other.Key, otherSecret)
	refusedFor(t, "a key not in memory while the database is down", err, credentials.ErrNotInMemory)
	if _, err := cache.Authenticate(ctx, other.Key, otherSecret); !errors.Is(err, credentials.ErrNotInMemory) {
		t.Errorf("again: %v, want ErrNotInMemory", err)
	}
	if n := cache.Loads() - loads; n > 1 {
		t.Errorf("%d database lookups for one unknown key while the database is down, want at most 1", n)
	}
	eventually(t, "the outage reported", func() bool { return r.saw("database unreachable") })
	if _, err := cache.Authenticate(ctx, known.Key, knownSecret); err != nil {
		t.Errorf("a credential in memory while the database is down: %v, want accepted", err)
	}
	if _, err := cache.Authenticate(ctx, known.Key, otherSecret); !errors.Is(err, credentials.ErrWrongSecret) {
		t.Errorf("a wrong secret while the database is down: %v, want ErrWrongSecret", err)
	}
	clock.Advance(credentials.MaxStale + time.Second)
	if _, err := cache.Authenticate(ctx, known.Key, knownSecret); !errors.Is(err, credentials.ErrStale) {
		t.Errorf("a credential in memory after MaxStale without the database: %v, want ErrStale", err)
	}

	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the key not in memory accepted once the database is back", func() bool {
		_, err := cache.Authenticate(ctx, other.Key, otherSecret)
		return err == nil
	})
	if _, err := cache.Authenticate(ctx, known.Key, knownSecret); err != nil {
		t.Errorf("the known credential after the database is back: %v", err)
	}
	eventually(t, "the recovery reported", func() bool { return r.saw("database reachable again") })
	// Changes flow again through the feed.
	if _, err := c.Credentials.SetDisabled(ctx, u.Admin.ID, known.ID, true); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a disable after the restart refused", func() bool {
		_, err := cache.Authenticate(ctx, known.Key, knownSecret)
		return errors.Is(err, credentials.ErrNotActive)
	})
	if err := c.Reachable(ctx); err != nil {
		t.Errorf("Reachable after the restart: %v", err)
	}
}
