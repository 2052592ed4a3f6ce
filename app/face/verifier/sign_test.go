package verifier_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
)

func hmacSHA1(secret, s string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
