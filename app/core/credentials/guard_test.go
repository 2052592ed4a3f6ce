package credentials_test

import (
	"errors"
	"fmt"
	"hash"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"keysmith/app/core/credentials"
	"keysmith/app/testkit"
)

// counted makes s's Legacy checks counted in n (and recorded by owner).
func counted(s *credentials.Service, n *atomic.Int64, owners *[]string) {
	s.WrapLegacyCheck(func(check credentials.LegacyCheck) credentials.LegacyCheck {
		return func(password, phc, owner string) (bool, error) {
			n.Add(1)
			if owners != nil {
				*owners = append(*owners, owner)
			}
			return check(password, phc, owner)
		}
	})
}

func TestLegacyChecksRunAtMostSlotsAtOnce(t *testing.T) {
	t.Parallel()
	c, u, _ := seeded(t)
	legacyCred(t, c, u.Admin.ID, "johnsmith", "Passw0rd")
	entered, release := make(chan struct{}, 64), make(chan struct{})
	c.Credentials.WrapLegacyCheck(func(check credentials.LegacyCheck) credentials.LegacyCheck {
		return func(password, phc, owner string) (bool, error) {
			entered <- struct{}{}
			<-release
			return check(password, phc, owner)
		}
	})
	cache := c.Credentials.NewCache(time.Hour)
	const n = 64
	slots := credentials.LegacySlots()
	results := make(chan error, n)
	for i := range n {
		go func() {
			_, err := cache.Authenticate(ctx, "johnsmith", fmt.Sprintf("Wrong%dpass", i))
			results <- err
		}()
	}
	running, busy := 0, 0
	for running < slots || busy < n-slots {
		select {
		case <-entered:
			if running++; running > slots {
				close(release)
				t.Fatalf("%d argon2id checks ran at once; the bound is %d", running, slots)
			}
		case err := <-results:
			refusedFor(t, "a request beyond the slots", err, credentials.ErrBusy)
			busy++
		}
	}
	close(release)
	for range slots {
		refusedFor(t, "a request that got a slot", <-results, credentials.ErrWrongSecret)
	}
	if len(entered) != 0 {
		t.Fatalf("%d more checks ran after the slots were full", len(entered))
	}
}

func TestConcurrentRequestsWithOnePasswordShareOneCheck(t *testing.T) {
	t.Parallel()
	c, u, _ := seeded(t)
	legacyCred(t, c, u.Admin.ID, "johnsmith", "Passw0rd")
	var checks atomic.Int64
	entered, release := make(chan struct{}, 1), make(chan struct{})
	c.Credentials.WrapLegacyCheck(func(check credentials.LegacyCheck) credentials.LegacyCheck {
		return func(password, phc, owner string) (bool, error) {
			checks.Add(1)
			entered <- struct{}{}
			<-release
			return check(password, phc, owner)
		}
	})
	cache := c.Credentials.NewCache(time.Hour)
	const n = 16
	results := make(chan error, n)
	auth := func() {
		_, err := cache.Authenticate(ctx, "johnsmith", "Passw0rd")
		results <- err
	}
	go auth()
	<-entered // the first request's check runs and holds its slot
	for range n - 1 {
		go auth()
	}
	for c.Credentials.LegacyWaiting() < n-1 {
		select {
		case err := <-results: // without sharing: refused busy, or checked again
			close(release)
			t.Fatalf("a request with the same password did not wait for the running check: %v", err)
		default:
			runtime.Gosched()
		}
	}
	close(release)
	for range n {
		if err := <-results; err != nil {
			t.Fatalf("the right password refused: %v", err)
		}
	}
	if checks.Load() != 1 {
		t.Fatalf("%d argon2id checks for one password, want 1", checks.Load())
	}
}

func TestLegacyRemembersAcceptedPasswordUntilAChange(t *testing.T) {
	t.Parallel()
	c, u, clock := seeded(t)
	cred := legacyCred(t, c, u.Admin.ID, "johnsmith", "Passw0rd")
	var checks atomic.Int64
	counted(c.Credentials, &checks, nil)
	cache := c.Credentials.NewCache(0)
	step := func(what, password string, wantErr error, wantChecks int64) {
		t.Helper()
		_, err := cache.Authenticate(ctx, "johnsmith", password)
		if wantErr == nil && err != nil {
			t.Fatalf("%s: refused: %v", what, err)
		}
		if wantErr != nil {
			refusedFor(t, what, err, wantErr)
		}
		if got := checks.Load(); got != wantChecks {
			t.Fatalf("%s: %d argon2id checks in all, want %d", what, got, wantChecks)
		}
	}
	step("first use", "Passw0rd", nil, 1)
	step("used again", "Passw0rd", nil, 1)
	step("a wrong password is not remembered", "Passw0rdx", credentials.ErrWrongSecret, 2)
	step("the right one still remembered", "Passw0rd", nil, 2)
	clock.Advance(credentials.LegacyRemember - time.Second)
	step("used within the remember time", "Passw0rd", nil, 2)
	clock.Advance(credentials.LegacyRemember - time.Second)
	step("kept while in use", "Passw0rd", nil, 2)
	clock.Advance(credentials.LegacyRemember)
	step("forgotten once unused for the remember time", "Passw0rd", nil, 3)

	if _, err := c.Credentials.SetLegacyPassword(ctx, u.Admin.ID, cred.ID, "NewPassw0rd"); err != nil {
		t.Fatal(err)
	}
	step("the old password right after a change", "Passw0rd", credentials.ErrWrongSecret, 4)
	step("the new password", "NewPassw0rd", nil, 5)
	step("the new password again", "NewPassw0rd", nil, 5)

	if _, err := c.Credentials.SetDisabled(ctx, u.Admin.ID, cred.ID, true); err != nil {
		t.Fatal(err)
	}
	step("a remembered password once disabled", "NewPassw0rd", credentials.ErrNotActive, 6)
	if _, err := c.Credentials.SetDisabled(ctx, u.Admin.ID, cred.ID, false); err != nil {
		t.Fatal(err)
	}
	step("re-enabled: the same password, still remembered", "NewPassw0rd", nil, 6)
	create(t, c, u.Admin.ID, credentials.Basic, "other")
	step("after a change to another credential", "NewPassw0rd", nil, 6)
	if err := c.Credentials.Delete(ctx, u.Admin.ID, cred.ID); err != nil {
		t.Fatal(err)
	}
	step("a remembered password once deleted", "NewPassw0rd", credentials.ErrUnknownKey, 7)
}

func TestLegacyFailuresThrottleTheUsername(t *testing.T) {
	t.Parallel()
	c, u, clock := seeded(t)
	legacyCred(t, c, u.Admin.ID, "johnsmith", "Passw0rd") // a service using its password
	legacyCred(t, c, u.Admin.ID, "janedoe1", "Passw0rd")  // not used since the verifier started
	var checks atomic.Int64
	counted(c.Credentials, &checks, nil)
	var held []time.Duration // throttled refusals are answered after a wait
	c.Credentials.SetLegacySleep(func(d time.Duration) { held = append(held, d) })
	if _, err := c.Credentials.NewCache(0).Authenticate(ctx, "johnsmith", "Passw0rd"); err != nil {
		t.Fatal(err)
	}
	for _, username := range []string{"johnsmith", "janedoe1", "nosuchuser"} {
		checks.Store(0)
		wrong := credentials.ErrWrongSecret
		if username == "nosuchuser" {
			wrong = credentials.ErrUnknownKey
		}
		attempt := func(password string) error {
			_, err := c.Credentials.NewCache(0).Authenticate(ctx, username, password)
			return err
		}
		for i := range credentials.FreeLegacyFailures {
			if err := attempt("Wr0ngpass"); errors.Is(err, credentials.ErrThrottled) {
				t.Fatalf("%s: throttled after %d failures", username, i)
			}
		}
		if checks.Load() != credentials.FreeLegacyFailures {
			t.Fatalf("%s: %d checks for %d failures", username, checks.Load(), credentials.FreeLegacyFailures)
		}
		if len(held) != 0 {
			t.Fatalf("%s: a refusal before the throttle was held %v", username, held)
		}
		// Each further failure doubles the wait, up to MaxLegacyDelay.
		for wait := time.Second; ; wait = min(2*wait, credentials.MaxLegacyDelay) {
			before := checks.Load()
			refusedFor(t, username+": a wrong password while throttled", attempt("Wr0ngpass"), credentials.ErrThrottled)
			if err := attempt("Passw0rd"); username == "johnsmith" && err != nil {
				t.Fatalf("a remembered password while throttled: %v", err)
			} else if username != "johnsmith" {
				refusedFor(t, username+": the right password, not remembered, while throttled", err, credentials.ErrThrottled)
			}
			if checks.Load() != before {
				t.Fatalf("%s: a throttled attempt ran argon2id", username)
			}
			want := []time.Duration{credentials.LegacyTarpit, credentials.LegacyTarpit}
			if username == "johnsmith" {
				want = want[:1]
			}
			if fmt.Sprint(held) != fmt.Sprint(want) {
				t.Fatalf("%s: refusals held %v, want %v", username, held, want)
			}
			held = nil
			clock.Advance(wait - time.Millisecond)
			refusedFor(t, username+": just before the wait ends", attempt("Wr0ngpass"), credentials.ErrThrottled)
			clock.Advance(time.Millisecond)
			refusedFor(t, username+": once the wait ends", attempt("Wr0ngpass"), wrong)
			if len(held) != 1 {
				t.Fatalf("%s: held %v; want only the throttled refusal held", username, held)
			}
			held = nil
			if wait == credentials.MaxLegacyDelay {
				break
			}
		}
		if username == "janedoe1" {
			clock.Advance(credentials.MaxLegacyDelay)
			if err := attempt("Passw0rd"); err != nil {
				t.Fatalf("the right password once the wait ends: %v", err)
			}
			if err := attempt("Wr0ngpass"); !errors.Is(err, credentials.ErrWrongSecret) {
				t.Fatalf("a success did not end the streak: %v", err)
			}
		}
	}
	if _, err := c.Credentials.NewCache(0).Authenticate(ctx, "otheruser", "Wr0ngpass"); !errors.Is(err, credentials.ErrUnknownKey) {
		t.Fatalf("another username was throttled too: %v", err)
	}
}

func TestUnknownAndKnownUsernamesCostTheSame(t *testing.T) {
	t.Parallel()
	c, u, _ := seeded(t)
	cred := legacyCred(t, c, u.Admin.ID, "johnsmith", "Passw0rd")
	var checks atomic.Int64
	var owners []string
	counted(c.Credentials, &checks, &owners)
	for _, tc := range []struct {
		what, key string
		reason    error
		checks    int64
	}{
		{"known username, wrong password", "johnsmith", credentials.ErrWrongSecret, 1},
		{"unknown username", "nosuchuser", credentials.ErrUnknownKey, 1},
		{"unknown username, cached miss", "nosuchuser", credentials.ErrUnknownKey, 1},
		{"unknown key that is no username", "NOSUCHKEY00000000000", credentials.ErrUnknownKey, 0},
		{"unknown name too long for a username", strings.Repeat("a", credentials.MaxUsername+1), credentials.ErrUnknownKey, 0},
	} {
		checks.Store(0)
		owners = nil
		cache := c.Credentials.NewCache(time.Hour)
		if tc.what == "unknown username, cached miss" {
			cache.Authenticate(ctx, tc.key, "Wr0ngpass")
			checks.Store(0)
			owners = nil
		}
		_, err := cache.Authenticate(ctx, tc.key, "Wr0ngpass")
		refusedFor(t, tc.what, err, tc.reason)
		if checks.Load() != tc.checks {
			t.Fatalf("%s: %d argon2id checks, want %d", tc.what, checks.Load(), tc.checks)
		}
		if tc.checks == 1 && (len(owners) != 1 || owners[0] != "legacy:"+tc.key) {
			t.Fatalf("%s: checked for %q", tc.what, owners)
		}
	}
	if _, err := c.Credentials.SetDisabled(ctx, u.Admin.ID, cred.ID, true); err != nil {
		t.Fatal(err)
	}
	checks.Store(0)
	_, err := c.Credentials.NewCache(0).Authenticate(ctx, "johnsmith", "Passw0rd")
	refusedFor(t, "disabled username, right password", err, credentials.ErrNotActive)
	if checks.Load() != 1 {
		t.Fatalf("disabled username: %d argon2id checks, want 1", checks.Load())
	}
}

func TestUnknownKeysAreLookedUpOncePerRevision(t *testing.T) {
	t.Parallel()
	c, u, _ := seeded(t)
	const key, secret = "Unknown0Key0Basic000", "S3cretS3cretS3cretS3cretS3cret"
	cache := c.Credentials.NewCache(0)
	for i := range 3 {
		_, err := cache.Authenticate(ctx, key, secret)
		refusedFor(t, fmt.Sprintf("unknown key, try %d", i), err, credentials.ErrUnknownKey)
		if cache.Known(ctx, key) {
			t.Fatal("an unknown key is known")
		}
		if _, err := cache.EachHMAC(ctx, key, credentials.HMACSHA1, func(hash.Hash) {}); !errors.Is(err, credentials.ErrUnknownKey) {
			t.Fatalf("unknown HMAC key: %v", err)
		}
	}
	if n := cache.Loads(); n != 1 {
		t.Fatalf("an unknown key was looked up %d times, want once", n)
	}
	long := strings.Repeat("k", 1000)
	cache.Authenticate(ctx, long, secret)
	cache.Authenticate(ctx, long, secret)
	if n := cache.Loads(); n != 2 {
		t.Fatalf("a long unknown key was looked up %d times, want once", n-1)
	}
	// A credential made with that key afterwards works at once: the change
	// moves the revision and the misses start over.
	testkit.CreateWith(t, c, u.Admin.ID, credentials.Basic, "late", key, secret)
	if _, err := cache.Authenticate(ctx, key, secret); err != nil {
		t.Fatalf("a key created after a miss: %v", err)
	}
}

func TestRefusedHMACKeysCostOneMAC(t *testing.T) {
	t.Parallel()
	c, u, _ := seeded(t)
	basic, _ := create(t, c, u.Admin.ID, credentials.Basic, "b")
	hm, _ := create(t, c, u.Admin.ID, credentials.HMAC, "h")
	cache := c.Credentials.NewCache(0)
	for _, tc := range []struct {
		what, key string
		reason    error
	}{
		{"known HMAC key", hm.Key, nil},
		{"unknown key", "Unknown0Key0Hmac0000", credentials.ErrUnknownKey},
		{"a Basic key", basic.Key, credentials.ErrNotHMAC},
	} {
		macs := 0
		_, err := cache.EachHMAC(ctx, tc.key, credentials.HMACSHA256, func(m hash.Hash) {
			m.Write([]byte("date: x\nGET / HTTP/1.1"))
			if len(m.Sum(nil)) != 32 {
				t.Fatal("not an HMAC-SHA256")
			}
			macs++
		})
		if tc.reason != nil {
			refusedFor(t, tc.what, err, tc.reason)
		} else if err != nil {
			t.Fatal(err)
		}
		if macs != 1 {
			t.Fatalf("%s: %d MACs computed, want 1 like a wrong signature", tc.what, macs)
		}
	}
}
