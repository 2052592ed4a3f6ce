package verifiers_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"keysmith/app/core/errs"
	"keysmith/app/core/verifiers"
	"keysmith/app/testkit"
)

func info(host string) verifiers.Info {
	return verifiers.Info{Kind: verifiers.Serve, Host: host, Address: "10.0.0.5:8787", Version: "1.4.0"}
}

// listed returns the verifier with id among those c lists to the admin.
func listed(t *testing.T, tm team, id string) verifiers.Verifier {
	t.Helper()
	vs, err := tm.b.Verifiers.List(ctx, tm.u.Admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.ID == id {
			return v
		}
	}
	t.Fatalf("verifier %s not listed among %d", id, len(vs))
	return verifiers.Verifier{}
}

// An endpoint registered on one machine is listed on the other with what
// it told, its start and its health: live while its heartbeat comes,
// silent (not seen since its last heartbeat) when it stops coming, live
// again when it resumes, stopped after a clean stop.
func TestRegisterHeartbeatAndHealth(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	start := tm.clock.Now()
	reg, err := tm.a.Verifiers.Register(ctx, tm.u.Admin.ID, info("orders-1"))
	if err != nil {
		t.Fatal(err)
	}
	v := listed(t, tm, reg.ID())
	if v.Host != "orders-1" || v.Address != "10.0.0.5:8787" || v.Version != "1.4.0" || v.Kind != verifiers.Serve ||
		!v.StartedAt.Equal(start) || !v.LastSeen.Equal(start) || v.Health != verifiers.Live || v.StoppedAt != nil {
		t.Fatalf("listed %+v", v)
	}
	seen := func() time.Time { return listed(t, tm, reg.ID()).LastSeen }
	steps := []struct {
		name    string
		advance time.Duration
		want    verifiers.Health
		moved   bool // the heartbeat wrote
	}{
		{"beat too soon: nothing written", verifiers.HeartbeatEvery - time.Second, verifiers.Live, false},
		{"beat due", time.Second, verifiers.Live, true},
		{"beat due again", verifiers.HeartbeatEvery, verifiers.Live, true},
	}
	for _, st := range steps {
		before := seen()
		tm.clock.Advance(st.advance)
		if err := reg.Beat(ctx); err != nil {
			t.Fatal(err)
		}
		after := listed(t, tm, reg.ID())
		if after.Health != st.want || after.LastSeen.After(before) != st.moved {
			t.Fatalf("%s: health %s, last seen %v → %v", st.name, after.Health, before, after.LastSeen)
		}
		if st.moved && !after.LastSeen.Equal(tm.clock.Now()) {
			t.Fatalf("%s: last seen %v, want now", st.name, after.LastSeen)
		}
	}
	last := seen()
	tm.clock.Advance(verifiers.StaleAfter + time.Second)
	if v := listed(t, tm, reg.ID()); v.Health != verifiers.Silent || !v.LastSeen.Equal(last) {
		t.Fatalf("without heartbeats: %s, last seen %v", v.Health, v.LastSeen)
	}
	if err := reg.Beat(ctx); err != nil {
		t.Fatal(err)
	}
	if v := listed(t, tm, reg.ID()); v.Health != verifiers.Live {
		t.Fatalf("heartbeat resumed: %s", v.Health)
	}
	if err := reg.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	v = listed(t, tm, reg.ID())
	if v.Health != verifiers.Stopped || v.StoppedAt == nil || !v.StoppedAt.Equal(tm.clock.Now()) {
		t.Fatalf("after stop: %+v", v)
	}
	tm.clock.Advance(time.Hour)
	if err := reg.Beat(ctx); err != nil {
		t.Fatal(err)
	}
	if v := listed(t, tm, reg.ID()); v.Health != verifiers.Stopped {
		t.Fatalf("a heartbeat after stop revived it: %s", v.Health)
	}
}

// Live endpoints come first, then the others, most recently seen first.
func TestListOrder(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	var regs []*verifiers.Registration
	for i := range 3 {
		reg, err := tm.a.Verifiers.Register(ctx, tm.u.Admin.ID, info(fmt.Sprint("host-", i)))
		if err != nil {
			t.Fatal(err)
		}
		regs = append(regs, reg)
		tm.clock.Advance(time.Minute)
	}
	regs[2].Stop(ctx)
	tm.clock.Advance(time.Second)
	if err := regs[0].Beat(ctx); err != nil { // the oldest, still beating
		t.Fatal(err)
	}
	vs, err := tm.a.Verifiers.List(ctx, tm.u.Admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.Host+" "+string(v.Health))
	}
	if want := "host-0 live, host-2 stopped, host-1 silent"; strings.Join(got, ", ") != want {
		t.Fatalf("listed %s, want %s", strings.Join(got, ", "), want)
	}
}

// Registrations not seen for PruneAfter are removed, at most MaxVerifiers
// are kept (the most recently seen), and a running endpoint whose row was
// removed writes it again at its next heartbeat.
func TestRegistrationsBounded(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	db := testkit.DB(t, tm.a.Dir)
	old, err := tm.a.Verifiers.Register(ctx, tm.u.Admin.ID, info("old"))
	if err != nil {
		t.Fatal(err)
	}
	old.Stop(ctx)
	tm.clock.Advance(verifiers.PruneAfter + time.Second)
	first, err := tm.a.Verifiers.Register(ctx, tm.u.Admin.ID, info("first"))
	if err != nil {
		t.Fatal(err)
	}
	if n := testkit.Count(t, db, "verifiers"); n != 1 {
		t.Fatalf("%d rows after pruning, want the new one", n)
	}
	for i := range verifiers.MaxVerifiers + 5 {
		tm.clock.Advance(time.Millisecond)
		if _, err := tm.b.Verifiers.Register(ctx, tm.u.Admin.ID, info(fmt.Sprint("many-", i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := testkit.Count(t, db, "verifiers"); n != verifiers.MaxVerifiers {
		t.Fatalf("%d rows, want at most %d", n, verifiers.MaxVerifiers)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM verifiers WHERE host IN ('first', 'many-0')`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the least recently seen were kept: %d, %v", n, err)
	}
	tm.clock.Advance(verifiers.HeartbeatEvery)
	if err := first.Beat(ctx); err != nil {
		t.Fatal(err)
	}
	if v := listed(t, tm, first.ID()); v.Health != verifiers.Live || v.Host != "first" {
		t.Fatalf("after its row was removed: %+v", v)
	}
	if n := testkit.Count(t, db, "verifiers"); n != verifiers.MaxVerifiers {
		t.Fatalf("%d rows after a row came back, want %d", n, verifiers.MaxVerifiers)
	}
}

// Only an active Administrator registers or lists endpoints, whatever face
// asks; a refused registration writes nothing.
func TestRegistrationAdminsOnly(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	if _, err := tm.a.Accounts.SetDisabled(ctx, tm.u.Admin.ID, tm.u.Advanced.ID, true); err != nil {
		t.Fatal(err)
	}
	db := testkit.DB(t, tm.a.Dir)
	for _, tc := range []struct {
		name string
		id   int64
		want error
	}{
		{"Basic", tm.u.Basic.ID, errs.ErrForbidden},
		{"disabled", tm.u.Advanced.ID, errs.ErrSignedOut},
		{"unknown", 9999, errs.ErrSignedOut},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := testkit.Snapshot(t, db)
			if _, err := tm.a.Verifiers.Register(ctx, tc.id, info("x")); !errors.Is(err, tc.want) {
				t.Fatalf("register: %v, want %v", err, tc.want)
			}
			if _, err := tm.b.Verifiers.List(ctx, tc.id); !errors.Is(err, tc.want) {
				t.Fatalf("list: %v, want %v", err, tc.want)
			}
			if testkit.Snapshot(t, db) != before {
				t.Fatal("a refused call changed the database")
			}
		})
	}
	if _, err := tm.a.Verifiers.Register(ctx, tm.u.Admin.ID, verifiers.Info{Kind: "other", Host: "x"}); err == nil {
		t.Fatal("an unknown kind was registered")
	}
}

// What a face tells is kept as bounded, printable text.
func TestRegistrationText(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	long := strings.Repeat("h", 300)
	for _, tc := range []struct {
		host, want string
	}{
		{"web-1\r\nX-Evil: 1", "web-1  X-Evil: 1"},
		{"a\u202eb\x00c", "a b c"},
		{"bad\xffutf8", "badutf8"},
		{"  ", "unknown"},
		{long, long[:255]},
	} {
		reg, err := tm.a.Verifiers.Register(ctx, tm.u.Admin.ID, verifiers.Info{Kind: verifiers.Window, Host: tc.host, Address: "127.0.0.1:8787", Version: "dev"})
		if err != nil {
			t.Fatal(err)
		}
		if v := listed(t, tm, reg.ID()); v.Host != tc.want || v.Kind != verifiers.Window {
			t.Fatalf("host %q kept as %q, want %q", tc.host, v.Host, tc.want)
		}
	}
}
