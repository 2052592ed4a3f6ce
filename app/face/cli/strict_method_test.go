package cli

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// keysmith verify accepts an HMAC signature under another method only for
// the SDKs' PUT signed as POST, and --strict-method refuses that too.
func TestVerifyStrictMethod(t *testing.T) {
	t.Parallel()
	h := seeded(t)
	var k struct{ Key, Secret string }
	json.Unmarshal([]byte(h.run("", "keys", "create", "--type", "hmac", "--name", "Methods", "--json").stdout), &k)
	raw := func(method, signed, body string) string {
		date := time.Now().UTC().Format(http.TimeFormat)
		lines, names, head := "date: "+date+"\n", "date ", "Date: "+date+"\r\n"
		if body != "" {
			sum := md5.Sum([]byte(body))
			hx := hex.EncodeToString(sum[:])
			lines, names = lines+"x-Content-MD5: "+hx+"\n", names+"x-Content-MD5 "
			head += "x-Content-MD5: " + hx + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n"
		}
		m := hmac.New(sha1.New, []byte(k.Secret))
		m.Write([]byte(lines + signed + " /v1/messages/123 HTTP/1.1"))
		sig := base64.StdEncoding.EncodeToString(m.Sum(nil))
		return method + " /v1/messages/123 HTTP/1.1\r\nHost: api\r\n" + head + `Authorization: hmac username="` + k.Key +
			`", algorithm="hmac-sha1", headers="` + names + `request-line", signature="` + sig + "\"\r\n\r\n" + body
	}
	for _, tc := range []struct {
		name                 string
		input                string
		loose, strictAccepts bool
	}{
		{"GET", raw("GET", "GET", ""), true, true},
		{"DELETE signed as GET", raw("DELETE", "GET", ""), false, false},
		{"PUT signed as POST", raw("PUT", "POST", `{"status":"cancelled"}`), true, false},
		{"PATCH signed as POST", raw("PATCH", "POST", `{"status":"cancelled"}`), false, false},
	} {
		for _, strict := range []bool{false, true} {
			args := []string{"verify"}
			want := tc.loose
			if strict {
				args, want = append(args, "--strict-method"), tc.strictAccepts
			}
			r := h.run(tc.input, args...)
			if want && (r.code != 0 || !strings.Contains(r.stdout, "Accepted: ")) ||
				!want && (r.code != 1 || !strings.Contains(r.stdout, "Refused: signature does not match")) {
				t.Errorf("%s, strict=%v: %+v", tc.name, strict, r)
			}
		}
	}
}
