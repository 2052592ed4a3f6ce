package verifier

import (
	"encoding/json"
	"testing"

	"keysmith/app/core/credentials"
)

// The body of a 200 is the JSON object clients parse: these keys, in this
// order, HTML-safe, one line.
func TestAcceptedBody(t *testing.T) {
	c := credentials.Credential{ID: 7919, Type: credentials.HMAC, Name: "<Order> \"system\" \xff", Key: "8F0b0VH00ZjKzXkBIE88"}
	want := `{"id":7919,"type":"hmac","name":"\u003cOrder\u003e \"system\" \ufffd","key":"8F0b0VH00ZjKzXkBIE88"}` + "\n"
	if got := string(appendAccepted([]byte("kept"), c)); got != "kept"+want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
}

func TestFixedBodiesAreJSON(t *testing.T) {
	for _, b := range []string{healthBody, refusedBody} {
		var v map[string]string
		if err := json.Unmarshal([]byte(b), &v); err != nil || len(v) == 0 || b[len(b)-1] != '\n' {
			t.Errorf("%q: %v, %v", b, v, err)
		}
	}
}

// BenchmarkAcceptedBody is the body of a 200, written into a connection's
// reused buffer as for every accepted request.
func BenchmarkAcceptedBody(b *testing.B) {
	c := credentials.Credential{ID: 4242, Type: credentials.HMAC, Name: "Order system", Key: "8F0b0VH00ZjKzXkBIE88"}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendAccepted(buf[:0], c)
	}
}
