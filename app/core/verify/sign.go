package verify

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// SignHMAC returns what an official MessageMedia SDK sends to authenticate
// a request with an HMAC key: the Authorization header, and the
// x-Content-MD5 header ("" for a request without a body). Like the SDKs it
// signs with hmac-sha1 the date, the body's MD5 when there is a body, and
// the request line with POST for a request with a body and GET for one
// without, whatever method is sent (see sdkSignedMethod). date is the
// request's Date header; uri its path and query as sent.
func SignHMAC(key, secret, date, uri string, body []byte) (authorization, contentMD5 string) {
	m := hmac.New(sha1.New, []byte(secret))
	headers, method := "date request-line", "GET"
	fmt.Fprintf(m, "date: %s\n", date)
	if body != nil {
		sum := md5.Sum(body)
		contentMD5 = hex.EncodeToString(sum[:])
		headers, method = "date x-Content-MD5 request-line", "POST"
		fmt.Fprintf(m, "x-Content-MD5: %s\n", contentMD5)
	}
	fmt.Fprintf(m, "%s %s HTTP/1.1", method, uri)
	return fmt.Sprintf(`hmac username="%s", algorithm="hmac-sha1", headers="%s", signature="%s"`,
		key, headers, base64.StdEncoding.EncodeToString(m.Sum(nil))), contentMD5
}
