package credentials_test

import (
	"sort"
	"testing"
	"time"

	"keysmith/app/core/credentials"
	"keysmith/app/testkit"
)

// BenchmarkCreate measures one Basic create (a transaction with its audit
// row) and reports p50 and p99 latencies.
func BenchmarkCreate(b *testing.B) {
	c, u, _ := seeded(b)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, _, err := c.Credentials.Create(ctx, u.Admin.ID, credentials.Basic, "bench", nil); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

func seed10k(b *testing.B) (*credentials.Service, int64) {
	c, u, _ := seeded(b)
	testkit.Fill(b, c, 10000)
	return c.Credentials, u.Admin.ID
}

// BenchmarkList10k lists the first page of one section among 10,000.
func BenchmarkList10k(b *testing.B) {
	s, admin := seed10k(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, total, err := s.List(ctx, admin, credentials.Filter{Type: credentials.Basic, Limit: 100}); err != nil || total != 3334 {
			b.Fatal(total, err)
		}
	}
}

// BenchmarkFilter10k filters 10,000 credentials by a name fragment.
func BenchmarkFilter10k(b *testing.B) {
	s, admin := seed10k(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, total, err := s.List(ctx, admin, credentials.Filter{Query: "ice 0999", Limit: 100}); err != nil || total != 10 {
			b.Fatal(total, err)
		}
	}
}
