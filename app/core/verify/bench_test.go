package verify_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"net/http"
	"strconv"
	"testing"
	"time"

	"keysmith/app/core/verify"
	"keysmith/app/testkit"
)

// BenchmarkVerifyHMAC is one full HMAC verification of a bodiless SDK-style
// request as keysmith serve makes it (parse, date check, the credential
// cache's lookup, MAC with the key state kept for the cached secret,
// compare); compare it with BenchmarkRawHMACSHA1, the keying and MAC of the
// same signing string alone.
func BenchmarkVerifyHMAC(b *testing.B) {
	c, _, clock, cred, secret := withHMAC(b, "bench")
	o := signOpts{algorithm: "hmac-sha1", dateName: "date", md5Name: "x-Content-MD5", secret: secret, key: cred.Key,
		method: "GET", signMethod: "GET", uri: "/v1/messages/877c19ef-fa2e-4cec-827a-e1df9b5509f7", date: clock.Now()}
	req := signedRequest(o)
	ver := verify.New(c.Credentials.NewCache(250*time.Millisecond), verify.Options{Clock: clock.Now})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ver.Verify(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawHMACSHA1(b *testing.B) {
	clock := testkit.NewClock()
	s := "date: " + clock.Now().UTC().Format(http.TimeFormat) + "\nGET /v1/messages/877c19ef-fa2e-4cec-827a-e1df9b5509f7 HTTP/1.1"
	key := []byte("sEcReT0123456789abcdefGHIJKLmn")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := hmac.New(sha1.New, key)
		m.Write([]byte(s))
		m.Sum(nil)
	}
}

// BenchmarkVerifyHMACBody is one HMAC verification of a request with a
// body (signing it included, alike in both), whose signature the replay
// window records: in this process's memory only (one machine), and then in
// the replay window shared through a team's PostgreSQL database too (one
// statement on a loopback connection). The difference is what sharing the
// window costs each such request.
func BenchmarkVerifyHMACBody(b *testing.B) {
	clock := testkit.NewClock()
	c := testkit.OpenOnPostgres(b, clock)
	u := testkit.Seed(b, c)
	cred, secret := newHMAC(b, c, u.Admin.ID, "bench")
	for _, bc := range []struct {
		name   string
		shared verify.Replays
	}{
		{"memory", nil},
		{"shared", c.Verifiers.SharedReplays(verify.DefaultSkew)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ver := verify.New(c.Credentials.NewCache(250*time.Millisecond), verify.Options{Clock: clock.Now, Shared: bc.shared})
			o := signOpts{algorithm: "hmac-sha1", dateName: "date", md5Name: "x-Content-MD5", secret: secret, key: cred.Key,
				method: "POST", signMethod: "POST", uri: "/v1/messages", date: clock.Now()}
			for i := 0; b.Loop(); i++ {
				o.body = bc.name + strconv.Itoa(i)
				if _, err := ver.Verify(ctx, signedRequest(o)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
