package core_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"keysmith/app/core"
	"keysmith/app/core/accounts"
	"keysmith/app/core/credentials"
	"keysmith/app/core/errs"
	"keysmith/app/testkit"
)

// machines opens one account on two machines (testkit.Machines).
func machines(t *testing.T) (a, b *core.Core, u testkit.Users, clock *testkit.Clock) {
	t.Helper()
	return testkit.Machines(t)
}

// Two machines creating, renaming, rolling and disabling credentials and
// changing users at the same moment lose no change, and the audit log is
// one intact chain holding every change.
func TestTwoMachinesChangeAtOnce(t *testing.T) {
	a, b, u, _ := machines(t)
	ctx := context.Background()
	const per = 8
	auditBefore := auditCount(t, a)
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for m, c := range []*core.Core{a, b} {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range per {
				cred, _, err := c.Credentials.Create(ctx, u.Admin.ID, credentials.Basic, fmt.Sprintf("m%d-%d", m, i), nil)
				if err == nil {
					_, err = c.Credentials.Rename(ctx, u.Admin.ID, cred.ID, fmt.Sprintf("m%d-%d renamed", m, i))
				}
				if err == nil {
					_, _, err = c.Credentials.Roll(ctx, u.Admin.ID, cred.ID, 0)
				}
				if err == nil {
					_, err = c.Credentials.SetDisabled(ctx, u.Admin.ID, cred.ID, true)
				}
				if err != nil {
					errc <- fmt.Errorf("machine %d, credential %d: %w", m, i, err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := range per {
				nu, err := c.Accounts.AddUser(ctx, u.Admin.ID, accounts.NewUser{Name: fmt.Sprintf("User %d %d", m, i),
					Email: fmt.Sprintf("u%d-%d@acme.test", m, i), Role: accounts.Basic, Password: testkit.BasicPassword})
				if err == nil {
					_, err = c.Accounts.SetRole(ctx, u.Admin.ID, nu.ID, accounts.Advanced)
				}
				if err != nil {
					errc <- fmt.Errorf("machine %d, user %d: %w", m, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	db := testkit.DB(t, a.Dir)
	var creds, renamed, disabled, rolled, users, advanced int
	for q, n := range map[string]*int{
		`SELECT COUNT(*) FROM credentials`:                                       &creds,
		`SELECT COUNT(*) FROM credentials WHERE name LIKE '% renamed'`:           &renamed,
		`SELECT COUNT(*) FROM credentials WHERE disabled = 1`:                    &disabled,
		`SELECT COUNT(*) FROM credentials WHERE generation = 2`:                  &rolled,
		`SELECT COUNT(*) FROM users WHERE email LIKE 'u%'`:                       &users,
		`SELECT COUNT(*) FROM users WHERE email LIKE 'u%' AND role = 'Advanced'`: &advanced,
	} {
		if err := db.QueryRow(q).Scan(n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if want := 2 * per; creds != want || renamed != want || disabled != want || rolled != want || users != want || advanced != want {
		t.Errorf("credentials %d, renamed %d, disabled %d, rolled %d, users %d, advanced %d; want %d of each",
			creds, renamed, disabled, rolled, users, advanced, want)
	}
	// Every change is recorded once (beside the one-time sealing of
	// credential state, which the first change may bring).
	var sealed int
	db.QueryRow(`SELECT COUNT(*) FROM audit WHERE action = 'credentials.state-sealed'`).Scan(&sealed)
	if got, want := auditCount(t, a)-auditBefore-sealed, 2*per*6; got != want {
		t.Errorf("%d audit entries for the changes, want %d", got, want)
	}
	for _, c := range []*core.Core{a, b} {
		if r, err := c.VerifyAudit(ctx, u.Admin.ID); err != nil || !r.OK() {
			t.Errorf("audit chain seen from %s: %+v %v", c.Dir, r, err)
		}
	}
}

func auditCount(t *testing.T, c *core.Core) int {
	t.Helper()
	return testkit.Count(t, testkit.DB(t, c.Dir), "audit")
}

// The same Legacy username created on two machines at the same moment: one
// wins, the other gets the error a second attempt gets on one machine.
func TestTwoMachinesSameLegacyUsername(t *testing.T) {
	a, b, u, _ := machines(t)
	ctx := context.Background()
	for round := range 5 {
		name := fmt.Sprintf("shared%d", round)
		var wg sync.WaitGroup
		errs2 := make([]error, 2)
		for m, c := range []*core.Core{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs2[m] = c.Credentials.CreateLegacy(ctx, u.Admin.ID, name, "Passw0rdX", nil)
			}()
		}
		wg.Wait()
		_, again := a.Credentials.CreateLegacy(ctx, u.Admin.ID, name, "Passw0rdX", nil)
		won, lost := 0, 0
		for _, err := range errs2 {
			switch {
			case err == nil:
				won++
			case errs.ProblemOf(err) == errs.ProblemOf(again):
				lost++
			default:
				t.Errorf("round %d: the losing machine got %v, want %v", round, err, again)
			}
		}
		if won != 1 || lost != 1 || errs.ProblemOf(again).Field != "username" {
			t.Fatalf("round %d: %d created, %d refused (%v); want one of each", round, won, lost, errs2)
		}
	}
}

// Failed sign-ins count on every machine: failures spread over two
// machines throttle both.
func TestThrottlingCountsEveryMachine(t *testing.T) {
	a, b, _, _ := machines(t)
	ctx := context.Background()
	for i := range accounts.FreeFailures {
		c := []*core.Core{a, b}[i%2]
		if _, err := c.Accounts.SignIn(ctx, "ada@acme.test", "wrong-password-here", "test"); !errors.Is(err, errs.ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	for _, c := range []*core.Core{a, b} {
		_, err := c.Accounts.SignIn(ctx, "ada@acme.test", testkit.AdminPassword, "test")
		var th *errs.Throttle
		if !errors.As(err, &th) {
			t.Errorf("sign-in on %s after %d failures spread over two machines: %v, want throttled", c.Dir, accounts.FreeFailures, err)
		}
	}
}
