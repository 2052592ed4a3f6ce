package verify_test

import (
	"testing"

	"keysmith/app/core/verify"
)

// SignHMAC sends exactly what the official SDK's own signing code sent for
// each known-answer vector.
func TestSignHMACMatchesTheSDK(t *testing.T) {
	t.Parallel()
	v := loadVectors(t)
	for _, vec := range v.Vectors {
		t.Run(vec.Name, func(t *testing.T) {
			var body []byte
			if _, ok := vec.Headers["x-Content-MD5"]; ok {
				body = []byte(vec.Body)
			}
			auth, md5 := verify.SignHMAC(v.Key, v.Secret, vec.Headers["date"], vec.URL, body)
			if auth != vec.Headers["Authorization"] || md5 != vec.Headers["x-Content-MD5"] {
				t.Fatalf("SignHMAC = %q, %q\n  the SDK: %q, %q", auth, md5, vec.Headers["Authorization"], vec.Headers["x-Content-MD5"])
			}
		})
	}
}
