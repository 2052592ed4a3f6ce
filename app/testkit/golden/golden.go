// Package golden compares what a test produces with a file kept in the
// repository (a golden file), so that a change of output cannot pass
// unnoticed. Run the test with -update to rewrite the file from the output
// when the change is meant; the file's diff then shows it in review.
package golden

import (
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files from what the tests produce")

// Check fails t unless the file at path holds got, listing the lines that
// differ. With -update it writes got to path first.
func Check(t testing.TB, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (a new golden file is written with -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from what the test produced (rerun with -update if the change is meant):\n%s",
			path, Diff(string(want), got))
	}
}

// Diff lists the lines only want has ("- ") and those only got has ("+ "),
// sorted.
func Diff(want, got string) string {
	count := map[string]int{}
	for _, l := range strings.Split(want, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(got, "\n") {
		count[l]--
	}
	var out []string
	for l, n := range count {
		switch {
		case n > 0:
			out = append(out, "- "+l)
		case n < 0:
			out = append(out, "+ "+l)
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}
