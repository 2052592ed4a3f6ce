package verifier_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"io"
	"net"
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
	c := testkit.Open(b, testkit.NewClock())
	u := testkit.Seed(b, c)
	cred, secret, _ := c.Credentials.Create(context.Background(), u.Admin.ID, credentials.Basic, "b", nil)
	srv := verifier.New(c.Credentials, verify.New(c.Credentials.NewCache(time.Second), verify.Options{}), logfmt.Discard(), time.Now)
	srv.Start(time.Second)
	defer srv.Close()
	addr := strings.TrimPrefix(serveLoopback(b, srv), "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	req := "GET /v1/messages HTTP/1.1\r\nHost: bench\r\nAuthorization: Basic " +
		base64.StdEncoding.EncodeToString([]byte(cred.Key+":"+secret)) + "\r\n\r\n"
	br := bufio.NewReader(conn)
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
