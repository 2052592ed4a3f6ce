package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeT records what Check reports instead of failing the test.
type fakeT struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.failed = true
	f.msg = format
}
func (f *fakeT) Fatalf(format string, args ...any) { f.Errorf(format, args...) }
func (f *fakeT) Fatal(args ...any)                 { f.Errorf("fatal") }

func TestCheck(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "out.txt")
	os.WriteFile(path, []byte("a\nb\n"), 0o644)
	for _, tc := range []struct {
		name, got string
		fails     bool
	}{
		{"same", "a\nb\n", false},
		{"a line changed", "a\nc\n", true},
		{"a line more", "a\nb\nb\n", true},
		{"no final newline", "a\nb", true},
	} {
		f := &fakeT{TB: t}
		Check(f, path, tc.got)
		if f.failed != tc.fails {
			t.Errorf("%s: failed = %v, want %v", tc.name, f.failed, tc.fails)
		}
	}
	f := &fakeT{TB: t}
	Check(f, filepath.Join(t.TempDir(), "missing.txt"), "a\n")
	if !f.failed {
		t.Error("a missing golden file passed")
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	if got := Diff("a\nb\nc\n", "a\nc\nd\n"); got != "+ d\n- b" {
		t.Errorf("Diff = %q", got)
	}
	if got := Diff("x\n", "x\n"); strings.TrimSpace(got) != "" {
		t.Errorf("Diff of equal texts = %q", got)
	}
}
