package audit_test

import "testing"

var knownBugs = flagBool("knownbugs", "run tests of known, unfixed gaps")

// The package comment says a deleted row is detected, but removing the newest
// rows leaves a shorter chain that still verifies: nothing outside the table
// anchors the head (count or last hash). Run with -knownbugs.
func TestKnownBugTailTruncationUndetected(t *testing.T) {
	if !*knownBugs {
		t.Skip("known gap, reported; run with -knownbugs")
	}
	s, l := seeded(t)
	dropTriggers(t, s.DB)
	if _, err := s.DB.Exec(`DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)`); err != nil {
		t.Fatal(err)
	}
	if got := verify(t, s, l); got.OK() {
		t.Errorf("Verify after deleting the newest row = %+v: deletion not detected", got)
	}
}
