package server_test

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"keysmith/app/credentials"
	"keysmith/app/server"
	"keysmith/app/testkit"
	"keysmith/app/verify"
)

// BenchmarkServeBasic is one accepted Basic request through the handler.
func BenchmarkServeBasic(b *testing.B) {
	c := testkit.Open(b, testkit.NewClock())
	u := testkit.Seed(b, c)
	cred, secret, _ := c.Credentials.Create(context.Background(), u.Admin.ID, credentials.Basic, "b", nil)
	srv := server.New(c.Credentials, verify.New(c.Credentials.NewCache(time.Second), verify.Options{}), slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	srv.Start(time.Second)
	defer srv.Close()
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(cred.Key+":"+secret))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := httptest.NewRequest("GET", "/v1/messages", nil)
		r.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
