package verifier

import (
	"encoding/json"
	"testing"

	"keysmith/app/core/credentials"
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
