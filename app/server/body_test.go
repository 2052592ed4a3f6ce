package server

import (
	"encoding/json"
	"testing"
	"time"

	"keysmith/app/credentials"
)

// jsonAccepted is the reference: what encoding/json writes for a 200 body.
func jsonAccepted(t testing.TB, c credentials.Credential) string {
	b, err := json.Marshal(struct {
		ID   int64  `json:"id"`
		Type string `json:"type"`
		Name string `json:"name"`
		Key  string `json:"key"`
	}{c.ID, string(c.Type), c.Name, c.Key})
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

var bodyNames = []string{
	"Order system", "", `quote " and \ backslash`, "<script>&amp;</script>",
	"tab\tnew\nline\rcr\bbs\fff", "\x00\x01\x1f\x7f", "Café ☕ 注文", "line\u2028para\u2029end",
	"bad \xff\xfe utf8 \xc3", "emoji 🔑", "\xed\xa0\x80 surrogate half",
}

func TestAppendAcceptedMatchesEncodingJSON(t *testing.T) {
	for i, name := range bodyNames {
		c := credentials.Credential{ID: int64(i) * 7919, Type: credentials.HMAC, Name: name, Key: "8F0b0VH00ZjKzXkBIE88"}
		if got, want := string(appendAccepted(nil, c)), jsonAccepted(t, c); got != want {
			t.Errorf("name %q:\n got %s\nwant %s", name, got, want)
		}
	}
}

func FuzzAppendAccepted(f *testing.F) {
	for _, n := range bodyNames {
		f.Add(int64(1), n)
	}
	f.Add(int64(-1), "")
	f.Fuzz(func(t *testing.T, id int64, name string) {
		c := credentials.Credential{ID: id, Type: credentials.Basic, Name: name, Key: name}
		if got, want := string(appendAccepted(nil, c)), jsonAccepted(t, c); got != want {
			t.Fatalf("name %q:\n got %s\nwant %s", name, got, want)
		}
	})
}

func TestFixedBodiesAreJSON(t *testing.T) {
	for _, b := range []string{healthBody, refusedBody} {
		var v map[string]string
		if err := json.Unmarshal([]byte(b), &v); err != nil || len(v) == 0 || b[len(b)-1] != '\n' {
			t.Errorf("%q: %v, %v", b, v, err)
		}
	}
}

func TestAppendStampMatchesAppendFormat(t *testing.T) {
	const layout = "2006-01-02T15:04:05.000Z"
	east := time.FixedZone("east", 11*3600)
	for _, tm := range []time.Time{
		time.Date(2026, 11, 27, 1, 2, 3, 4_000_000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2026, 1, 1, 9, 30, 0, 123_456_789, east), // the previous day in UTC
		time.Unix(0, 0),
	} {
		if got, want := string(appendStamp(nil, tm)), tm.UTC().Format(layout); got != want {
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
		if got, want := string(appendStamp(nil, tm)), tm.UTC().Format("2006-01-02T15:04:05.000Z"); got != want {
			t.Fatalf("%v: got %s, want %s", tm, got, want)
		}
	})
}
