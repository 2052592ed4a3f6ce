package verifier_test

import (
	"context"
	"io"
	"net/http"
	"sort"
	"testing"
	"time"

	"keysmith/app/core/credentials"
	"keysmith/app/testkit"
)

// BenchmarkDisablePropagation is how long a disable made on one machine of
// a team (real PostgreSQL) takes to be enforced by two keysmith serve
// replicas on two other machines: from the disable's commit until both
// refuse the key over HTTP. Each iteration enables the key again (and waits
// until both accept it) before timing the next disable; p50 and p99 are
// reported in milliseconds (make bench: 100 changes).
func BenchmarkDisablePropagation(b *testing.B) {
	ctx := context.Background()
	acc := newAccount(b, testkit.OpenOnPostgres, credentials.Basic, "propagation")
	writer := acc.core
	var bases []string
	for range 2 {
		c := testkit.SecondMachine(b, writer, acc.clock)
		srv, base := serveEndpoint(b, c, io.Discard)
		b.Cleanup(srv.Close)
		bases = append(bases, base)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	statusOf := func(base string) int { return status(b, client, getMessages(base, acc.cred.Key, acc.secret)) }
	// until polls both replicas until each answers want, and returns when
	// the last one did.
	until := func(want int) time.Time {
		deadline := time.Now().Add(10 * time.Second)
		for _, base := range bases {
			for statusOf(base) != want {
				if time.Now().After(deadline) {
					b.Fatalf("%s did not answer %d within 10 s", base, want)
				}
			}
		}
		return time.Now()
	}
	set := func(disabled bool) {
		if _, err := writer.Credentials.SetDisabled(ctx, acc.users.Admin.ID, acc.cred.ID, disabled); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		set(false)
		until(200)
		b.StartTimer()
		start := time.Now()
		set(true)
		lat = append(lat, until(401).Sub(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
}
