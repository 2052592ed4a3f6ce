package logfmt_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"keysmith/app/face/logfmt"
)

// writes records each Write separately.
type writes struct {
	mu sync.Mutex
	w  []string
}

func (w *writes) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.w = append(w.w, string(b))
	return len(b), nil
}

func TestLineShape(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 27, 5, 26, 40, 879_500_000, time.UTC)
	var buf bytes.Buffer
	base := logfmt.New(&buf, func() time.Time { return at })
	l := base.With("component", "verifier")
	l.Warn("request failed", "op", "keys.create", "err", "two\nlines \"quoted\" \x00", "odd")
	base.Error("plain")
	base.Info("")
	want := `2026-11-27T05:26:40.879Z warn msg="request failed" component="verifier" op="keys.create" err="two\nlines \"quoted\" \x00" odd=""
2026-11-27T05:26:40.879Z error msg="plain"
2026-11-27T05:26:40.879Z info msg=""
`
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

// TestLinesWhole: concurrent lines arrive one per Write, each a single line,
// whatever the values hold.
func TestLinesWhole(t *testing.T) {
	t.Parallel()
	var w writes
	l := logfmt.New(&w, nil).With("component", "c\nd")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				l.Error("event", "g", strings.Repeat("x\n", g), "i", strings.Repeat("\r", i%3))
			}
		}()
	}
	wg.Wait()
	if len(w.w) != 8*200 {
		t.Fatalf("%d writes, want %d", len(w.w), 8*200)
	}
	for _, line := range w.w {
		if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") || !strings.Contains(line, ` error msg="event" component="c\nd" g="`) {
			t.Fatalf("not one whole line: %q", line)
		}
	}
}

func TestAppendStampMatchesAppendFormat(t *testing.T) {
	t.Parallel()
	const layout = "2006-01-02T15:04:05.000Z"
	east := time.FixedZone("east", 11*3600)
	for _, tm := range []time.Time{
		time.Date(2026, 11, 27, 1, 2, 3, 4_000_000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2026, 1, 1, 9, 30, 0, 123_456_789, east), // the previous day in UTC
		time.Unix(0, 0),
	} {
		if got, want := string(logfmt.AppendStamp(nil, tm)), tm.UTC().Format(layout); got != want {
			t.Errorf("%v: got %s, want %s", tm, got, want)
		}
	}
}

func FuzzAppendStamp(f *testing.F) {
	f.Add(int64(0), int64(0))
	f.Add(int64(1795000000), int64(999_999_999))
	f.Fuzz(func(t *testing.T, sec, nsec int64) {
		tm := time.Unix(sec%253402300799, nsec%1_000_000_000) // years 1..9999
		if tm.Year() < 1 || tm.Year() > 9999 {
			return
		}
		if got, want := string(logfmt.AppendStamp(nil, tm)), tm.UTC().Format("2006-01-02T15:04:05.000Z"); got != want {
			t.Fatalf("%v: got %s, want %s", tm, got, want)
		}
	})
}
