package verifier

import (
	"bufio"
	"strings"
	"testing"
)

// ReadRequest (keysmith verify) applies the endpoint's auth_request rules.
func TestReadRequestAsTheEndpointSeesIt(t *testing.T) {
	sub := "GET /_keysmith HTTP/1.0\r\nHost: a\r\nX-Original-Method: POST\r\nX-Original-URI: /v1/messages?x=1\r\nAuthorization: Basic eDp5\r\n\r\n"
	req, err := ReadRequest(bufio.NewReader(strings.NewReader(sub)))
	if err != nil || req.Method != "POST" || req.RequestURI != "/v1/messages?x=1" || req.HasBody || req.Header.Get("Authorization") != "Basic eDp5" {
		t.Fatalf("auth_request subrequest: %+v %v", req, err)
	}
	direct := "PUT /v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"
	req, err = ReadRequest(bufio.NewReader(strings.NewReader(direct)))
	if err != nil || req.Method != "PUT" || req.RequestURI != "/v1/x" || !req.HasBody || string(req.Body) != "hi" {
		t.Fatalf("direct request: %+v %v", req, err)
	}
}
