package credentials_test

import (
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"keysmith/app/core/credentials"
	"keysmith/app/core/errs"
	"keysmith/app/core/store"
	"keysmith/app/core/verify"
	"keysmith/app/testkit"
)

// refusalReason is the reason the verifier gives for a refusal because of err.
func refusalReason(err error) string {
	return verify.Reason(fmt.Errorf("%w: %w", errs.ErrBadCredentials, err))
}

// A flood of refusals with random claimed keys, clients and reason texts
// adds at most one audit row per category, and none of them names a claimed
// key or a client.
func TestRecordRefusalsBounded(t *testing.T) {
	t.Parallel()
	c, _, _ := seeded(t)
	reasons := []string{"unknown key", "wrong secret", "signature does not match", "credential disabled or expired",
		"date missing, unreadable or outside the allowed skew", "malformed Authorization header",
		"a required part of the request is not signed: the body", "something new " + rand.Text()}
	for _, tc := range []struct {
		name    string
		claimed func(i int) string
	}{
		{"fingerprints", func(int) string { return "unknown-" + rand.Text()[:8] }},
		{"raw keys", func(int) string { return rand.Text() }},
		{"one key", func(int) string { return "SAMEKEY" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := rowCount(t, c, "audit")
			const n = 10_000
			rs := make([]credentials.Refusal, n)
			for i := range rs {
				rs[i] = credentials.Refusal{Key: tc.claimed(i), Reason: reasons[i%len(reasons)] + " " + fmt.Sprint(i%7),
					From: fmt.Sprintf("10.%d.%d.%d", i%256, (i/256)%256, i%7), Count: 1 + i%3}
			}
			if err := c.Credentials.Record(ctx, nil, rs); err != nil {
				t.Fatal(err)
			}
			added := rowCount(t, c, "audit") - before
			if added < 1 || added > len(credentials.RefusalCategories) {
				t.Fatalf("%d refusals added %d audit rows, want 1..%d", n, added, len(credentials.RefusalCategories))
			}
			rows, err := testkit.DB(t, c.Dir).Query(`SELECT target, detail FROM audit ORDER BY seq DESC LIMIT ?`, added)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var target, detail string
				rows.Scan(&target, &detail)
				if target != "" || strings.Contains(detail, "10.") || strings.Contains(detail, "unknown-") || strings.Contains(detail, "SAMEKEY") ||
					strings.Contains(detail, "something new") {
					t.Fatalf("refusal event names a claimed key, client or free text: %q %q", target, detail)
				}
				if !strings.Contains(detail, "request(s) refused (") {
					t.Fatalf("detail %q", detail)
				}
			}
		})
	}
	if r, err := testkit.VerifyAudit(t, c.Dir); err != nil || r.Tampered() {
		t.Fatalf("chain after the flood: %+v %v", r, err)
	}
}

// Every reason the verifier gives maps to a named category, never "other",
// and the category set is fixed.
func TestRefusalCategory(t *testing.T) {
	t.Parallel()
	// Each category with the refusals the verifier reports under it; any
	// other text, a secret someone typed say, is "other".
	causes := map[string][]error{
		"unknown key":                     {credentials.ErrUnknownKey},
		"wrong secret or signature":       {credentials.ErrWrongSecret, verify.ErrSignature},
		"credential disabled or expired":  {credentials.ErrNotActive},
		"replayed or out-of-date request": {verify.ErrReplay, verify.ErrReplayUnchecked, verify.ErrDate},
		"malformed or unsupported request": {credentials.ErrNotHMAC, verify.ErrNoAuthorization, verify.ErrMalformed,
			fmt.Errorf("%w: an HMAC key must sign, not send its secret", verify.ErrUnsupported), verify.ErrDigest,
			fmt.Errorf("%w: the body", verify.ErrUnsigned), verify.ErrTooLarge, verify.ErrDuplicateAuthorization, verify.ErrDuplicateHeader},
		"throttled: repeated wrong Legacy passwords":  {credentials.ErrThrottled},
		"busy: Legacy password checks at their limit": {credentials.ErrBusy},
		"credential state does not verify":            {credentials.ErrStateTampered},
	}
	categories := map[string][]string{"other": {"a secret someone typed", ""}}
	for want, refusals := range causes {
		for _, err := range refusals {
			categories[want] = append(categories[want], refusalReason(err))
		}
	}
	for want, reasons := range categories {
		if !slices.Contains(credentials.RefusalCategories, want) {
			t.Errorf("category %q is not among RefusalCategories: its refusals would never be audited", want)
		}
		for _, reason := range reasons {
			if got := credentials.RefusalCategory(reason); got != want {
				t.Errorf("RefusalCategory(%q) = %q, want %q", reason, got, want)
			}
		}
	}
	if got := credentials.RefusalCategory(errors.New("x").Error()); got != "other" {
		t.Errorf("unknown reason: %q", got)
	}
}

// A refused key of a real credential is named (and is the event's target
// when it is the only key); a flood of other keys in the same category
// names at most three real credentials.
func TestRecordNamesKnownKeys(t *testing.T) {
	t.Parallel()
	c, u, _ := seeded(t)
	var keys []string
	for i := range 5 {
		cred, _ := create(t, c, u.Admin.ID, credentials.Basic, fmt.Sprint("k", i))
		keys = append(keys, cred.Key)
	}
	if err := c.Credentials.Record(ctx, nil, []credentials.Refusal{{Key: keys[0], Reason: "wrong secret", From: "127.0.0.1", Count: 2}}); err != nil {
		t.Fatal(err)
	}
	var target, detail string
	testkit.DB(t, c.Dir).QueryRow(`SELECT target, detail FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&target, &detail)
	if target != keys[0] || !strings.Contains(detail, "2 request(s) refused (wrong secret or signature)") || !strings.Contains(detail, keys[0]) {
		t.Fatalf("one known key: target %q detail %q", target, detail)
	}
	var rs []credentials.Refusal
	for i, k := range keys {
		rs = append(rs, credentials.Refusal{Key: k, Reason: "wrong secret", From: "127.0.0.1", Count: 10 - i})
	}
	for range 1000 {
		rs = append(rs, credentials.Refusal{Key: rand.Text(), Reason: "wrong secret", From: "127.0.0.1", Count: 20})
	}
	before := rowCount(t, c, "audit")
	if err := c.Credentials.Record(ctx, nil, rs); err != nil {
		t.Fatal(err)
	}
	if added := rowCount(t, c, "audit") - before; added != 1 {
		t.Fatalf("added %d rows, want 1", added)
	}
	testkit.DB(t, c.Dir).QueryRow(`SELECT target, detail FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&target, &detail)
	named := 0
	for _, k := range keys {
		if strings.Contains(detail, k) {
			named++
		}
	}
	if target != "" || named > 3 || !strings.Contains(detail, "1005 distinct key(s)") {
		t.Fatalf("many keys: target %q, %d credentials named, detail %q", target, named, detail)
	}
}

// Every category is written: a throttled Legacy username, a busy verifier
// and a tampered credential each leave their own audit row.
func TestRecordWritesEveryCategory(t *testing.T) {
	t.Parallel()
	c, _, _ := seeded(t)
	var rs []credentials.Refusal
	for _, err := range []error{credentials.ErrThrottled, credentials.ErrBusy, credentials.ErrStateTampered} {
		rs = append(rs, credentials.Refusal{Key: "shopuser", Reason: refusalReason(err), From: "127.0.0.1", Count: 3})
	}
	before := rowCount(t, c, "audit")
	if err := c.Credentials.Record(ctx, nil, rs); err != nil {
		t.Fatal(err)
	}
	rows, err := testkit.DB(t, c.Dir).Query(`SELECT detail FROM audit WHERE action = 'verify.refused' ORDER BY seq`)
	details, err := store.Collect(rows, err, func(rows *sql.Rows, d *string) error { return rows.Scan(d) })
	if err != nil {
		t.Fatal(err)
	}
	if n := rowCount(t, c, "audit") - before; n != 3 || len(details) != 3 {
		t.Fatalf("%d rows added: %q", n, details)
	}
	for i, want := range []string{"(throttled: repeated wrong Legacy passwords)", "(busy: Legacy password checks at their limit)", "(credential state does not verify)"} {
		if !strings.Contains(details[i], "3 request(s) refused "+want) {
			t.Errorf("row %d: %q, want %q", i, details[i], want)
		}
	}
}

// Last use merges the batches of every verifier on the account: the newest
// time wins with its client address, whichever machine records it and
// however late; a batch that comes late never moves it back.
func TestRecordMergesLastUseAcrossMachines(t *testing.T) {
	t.Parallel()
	a, u, clock := seeded(t)
	b := testkit.SecondMachine(t, a, clock)
	cred, _ := create(t, a, u.Admin.ID, credentials.Basic, "orders")
	t0 := clock.Now()
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	for _, st := range []struct {
		name     string
		by       *credentials.Service
		uses     []credentials.Use
		wantAt   time.Time
		wantFrom string
	}{
		{"first use, on A", a.Credentials, []credentials.Use{{ID: cred.ID, At: at(10), From: "10.0.0.1"}}, at(10), "10.0.0.1"},
		{"B flushes an older use late", b.Credentials, []credentials.Use{{ID: cred.ID, At: at(5), From: "10.0.0.2"}}, at(10), "10.0.0.1"},
		{"B has a newer one", b.Credentials, []credentials.Use{{ID: cred.ID, At: at(20), From: "10.0.0.2"}}, at(20), "10.0.0.2"},
		{"A, the same instant", a.Credentials, []credentials.Use{{ID: cred.ID, At: at(20), From: "10.0.0.3"}}, at(20), "10.0.0.2"},
		{"one batch, newest first", a.Credentials, []credentials.Use{{ID: cred.ID, At: at(30), From: "10.0.0.4"}, {ID: cred.ID, At: at(25), From: "10.0.0.5"}}, at(30), "10.0.0.4"},
		{"a nanosecond newer", b.Credentials, []credentials.Use{{ID: cred.ID, At: at(30).Add(time.Nanosecond), From: "10.0.0.6"}}, at(30).Add(time.Nanosecond), "10.0.0.6"},
	} {
		if err := st.by.Record(ctx, st.uses, nil); err != nil {
			t.Fatal(err)
		}
		for _, s := range []*credentials.Service{a.Credentials, b.Credentials} {
			got, err := s.Get(ctx, u.Admin.ID, cred.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.LastUsedAt == nil || !got.LastUsedAt.Equal(st.wantAt) || got.LastUsedFrom != st.wantFrom {
				t.Fatalf("%s: last used %v from %q, want %v from %q", st.name, got.LastUsedAt, got.LastUsedFrom, st.wantAt, st.wantFrom)
			}
		}
	}

	// Both machines flushing at once, in any order: the newest of all wins.
	var wg sync.WaitGroup
	newest := at(1000)
	for m, svc := range []*credentials.Service{a.Credentials, b.Credentials} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				s := 100 + (i*37+m*11)%800
				if i == 20 && m == 1 {
					s = 1000
				}
				use := credentials.Use{ID: cred.ID, At: at(s), From: fmt.Sprintf("10.%d.0.%d", m, i)}
				if err := svc.Record(ctx, []credentials.Use{use}, nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got, err := a.Credentials.Get(ctx, u.Admin.ID, cred.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.LastUsedAt.Equal(newest) || got.LastUsedFrom != "10.1.0.20" {
		t.Fatalf("after concurrent flushes: %v from %q, want %v from 10.1.0.20", got.LastUsedAt, got.LastUsedFrom, newest)
	}
}
