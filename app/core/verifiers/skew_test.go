package verifiers_test

import (
	"errors"
	"testing"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/store"
	"keysmith/app/core/verifiers"
	"keysmith/app/core/verify"
	"keysmith/app/testkit"
)

// window is c's shared replay window as a verifier accepting dates within
// skew uses it (on SQLite, the same table over c's database).
func window(t *testing.T, c *core.Core, skew time.Duration) verify.Replays {
	t.Helper()
	if testkit.Engine() == store.Postgres {
		return c.Verifiers.SharedReplays(skew)
	}
	return verifiers.NewReplaysOn(c.Verifiers, c.Verifiers.DB(), verifiers.MaxReplayRows).ForSkew(skew)
}

// Replicas started with different --skew: a request accepted by the one
// with the smaller skew stays refused by the other for as long as the
// other would accept its date, and not longer; a verifier that stopped no
// longer lengthens the window.
func TestReplayWindowSpansTheLargestSkew(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	const short, long = 5 * time.Minute, 30 * time.Minute
	wa, wb := window(t, tm.a, short), window(t, tm.b, long)
	reg, err := tm.b.Verifiers.Register(ctx, tm.u.Admin.ID, verifiers.Info{Kind: verifiers.Serve, Skew: long})
	if err != nil {
		t.Fatal(err)
	}
	purge := func() {
		now := tm.clock.Now()
		verifiers.WindowOf(wa).Purge(now)
		verifiers.WindowOf(wb).Purge(now)
	}
	purge() // A reads B's skew from its registration
	va := verify.New(tm.a.Credentials.NewCache(0), verify.Options{Skew: short, Clock: tm.clock.Now, Shared: wa})
	vb := verify.New(tm.b.Credentials.NewCache(0), verify.Options{Skew: long, Clock: tm.clock.Now, Shared: wb})
	req := tm.post(`{"content":"once"}`)
	if _, err := va.Verify(ctx, req); err != nil {
		t.Fatalf("first use refused: %v", err)
	}
	db := testkit.DB(t, tm.a.Dir)
	start := tm.clock.Now()
	for _, step := range []struct {
		at   time.Duration // since the request was accepted
		rows int
	}{
		{short + verifiers.ClockMargin + time.Second, 1}, // past A's window: B still accepts the date
		{long - time.Second, 1},
		{long + verifiers.ClockMargin + time.Second, 0}, // past B's window and the margin: purged
	} {
		tm.clock.Advance(start.Add(step.at).Sub(tm.clock.Now()))
		purge()
		if n := testkit.Count(t, db, "replay_signatures"); n != step.rows {
			t.Fatalf("%d rows %v after, want %d", n, step.at, step.rows)
		}
		if step.rows == 1 {
			if _, err := vb.Verify(ctx, req); !errors.Is(err, verify.ErrReplay) {
				t.Fatalf("replay at the replica with the larger skew: %v", err)
			}
		}
	}

	if err := reg.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	purge()
	date := tm.clock.Now().Truncate(time.Second)
	if _, err := va.Verify(ctx, tm.post(`{"content":"after B stopped"}`)); err != nil {
		t.Fatalf("refused: %v", err)
	}
	var expires int64
	if err := db.QueryRow(`SELECT expires_at FROM replay_signatures`).Scan(&expires); err != nil {
		t.Fatal(err)
	}
	if got := time.UnixMilli(expires).Sub(date); got != short {
		t.Fatalf("a row kept %v past its date with B stopped, want A's %v", got, short)
	}
}

// A registration's skew is bounded as --skew is.
func TestRegisterRefusesSkewOutOfBounds(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	for _, skew := range []time.Duration{-time.Second, verify.MaxSkew + time.Second} {
		if _, err := tm.a.Verifiers.Register(ctx, tm.u.Admin.ID, verifiers.Info{Kind: verifiers.Serve, Skew: skew}); err == nil {
			t.Errorf("skew %v registered", skew)
		}
	}
}
