package verifier

import (
	"bufio"
	"errors"
	"io"

	"keysmith/app/core/verify"
	"keysmith/app/face/verifier/http1"
)

// ReadRequest reads one whole request from br with the same rules as the
// endpoint (keysmith verify uses it to check a request offline), its body
// up to verify.MaxBody+1 bytes.
func ReadRequest(br *bufio.Reader) (verify.Request, error) {
	var r http1.Request
	if err := http1.ReadHead(br, &r); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return verify.Request{}, errors.New("the request head ends early")
		}
		return verify.Request{}, err
	}
	body, _, err := http1.ReadBody(br, &r, verify.MaxBody+1)
	if err != nil {
		var he *http1.Error
		if errors.As(err, &he) {
			return verify.Request{}, err
		}
		return verify.Request{}, errors.New("the body is shorter than announced")
	}
	return verifyRequest(&r, body), nil
}

// verifyRequest is what the verifier checks of r: the request as received,
// or, behind nginx auth_request (X-Original-Method and X-Original-URI set),
// the original request line, whose body was forwarded only when r has one.
func verifyRequest(r *http1.Request, body []byte) verify.Request {
	req := verify.Request{Method: r.Method, RequestURI: r.Target, Header: r.Header, Body: body, HasBody: true}
	if m, u := first(r.Header["X-Original-Method"]), first(r.Header["X-Original-Uri"]); m != "" && u != "" {
		req.Method, req.RequestURI = m, u
		req.HasBody = r.Length != 0
	}
	return req
}
