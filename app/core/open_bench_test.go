package core_test

import (
	"context"
	"testing"

	"keysmith/app/core"
	"keysmith/app/testkit"
)

// BenchmarkOpen10k opens the core on an up-to-date database holding 10,000
// credentials: with the whole-database check (the CLI), and with the check
// deferred as the window does before its first screen. Nothing on the second
// path may grow with the data or run a KDF.
func BenchmarkOpen10k(b *testing.B) {
	dir := b.TempDir()
	c := testkit.OpenDir(b, dir, testkit.NewClock())
	testkit.Seed(b, c)
	testkit.Fill(b, c, 10000)
	c.Close()
	for _, later := range []bool{false, true} {
		name := "checked"
		if later {
			name = "check-later"
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				c, err := core.Open(context.Background(), dir, core.Options{CheckLater: later})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				c.Close()
				b.StartTimer()
			}
		})
	}
}
