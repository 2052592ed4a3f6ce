package verifier_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"keysmith/app/core/credentials"
	"keysmith/app/core/verify"
	"keysmith/app/face/logfmt"
	"keysmith/app/face/verifier"
	"keysmith/app/testkit"
)

// BenchmarkServeBasic is one accepted Basic request and its answer on a
// kept-alive loopback connection: the whole path of keysmith serve.
func BenchmarkServeBasic(b *testing.B) {
	acc := newAccount(b, testkit.Open, credentials.Basic, "b")
	c := acc.core
	srv := verifier.New(c.Credentials, verify.New(c.Credentials.NewCache(time.Second), verify.Options{}), logfmt.Discard(), time.Now)
	srv.Start(time.Second)
	defer srv.Close()
	conn, br := dialRaw(b, strings.TrimPrefix(serveLoopback(b, srv), "http://"))
	conn.SetDeadline(time.Time{}) // the benchmark takes as long as b.N makes it
	req := "GET /v1/messages HTTP/1.1\r\nHost: bench\r\nAuthorization: " + basicAuth(acc.cred.Key, acc.secret) + "\r\n\r\n"
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		io.WriteString(conn, req)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatal(res.StatusCode)
		}
	}
}
