package http1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
)

func parse(raw string) (Request, error) {
	var r Request
	err := ReadHead(bufio.NewReaderSize(strings.NewReader(raw), 4096), &r)
	return r, err
}

// long is longer than the read buffer, within the head limit.
var long = strings.Repeat("a", 6000)

// headCases are heads read, and what is read of them.
var headCases = []struct {
	name, raw            string
	method, uri          string
	length               int64
	close, http10, expec bool
	header               http.Header
}{
	{name: "GET", raw: "GET /v1/messages?page=2 HTTP/1.1\r\nHost: api\r\nauthorization: Basic eDp5\r\nx-content-md5: ab\r\n\r\n",
		method: "GET", uri: "/v1/messages?page=2",
		header: http.Header{"Host": {"api"}, "Authorization": {"Basic eDp5"}, "X-Content-Md5": {"ab"}}},
	{name: "value whitespace trimmed", raw: "GET / HTTP/1.1\r\nHost:\t api \t\r\n\r\n", method: "GET", uri: "/",
		header: http.Header{"Host": {"api"}}},
	{name: "repeated field keeps order", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\n\r\n", method: "GET", uri: "/",
		header: http.Header{"Host": {"a"}, "X-A": {"1", "2"}}},
	{name: "leading empty line", raw: "\r\nPOST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n", method: "POST", uri: "/a", length: 12,
		header: http.Header{"Host": {"a"}, "Content-Length": {"12"}}},
	{name: "chunked", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n", method: "POST", uri: "/", length: -1,
		header: http.Header{"Host": {"a"}, "Transfer-Encoding": {"Chunked"}}},
	{name: "close", raw: "GET / HTTP/1.1\r\nHost: a\r\nConnection: TE, Close\r\n\r\n", method: "GET", uri: "/", close: true,
		header: http.Header{"Host": {"a"}, "Connection": {"TE, Close"}}},
	{name: "HTTP/1.0 closes", raw: "GET / HTTP/1.0\r\n\r\n", method: "GET", uri: "/", close: true, http10: true, header: http.Header{}},
	{name: "a Unicode folding is not close", raw: "GET / HTTP/1.1\r\nHost: a\r\nConnection: \u212alose, close\u00a0\r\n\r\n", method: "GET", uri: "/",
		header: http.Header{"Host": {"a"}, "Connection": {"\u212alose, close\u00a0"}}},
	{name: "a Unicode folding is not keep-alive", raw: "GET / HTTP/1.0\r\nConnection: \u212aeep-alive\r\n\r\n", method: "GET", uri: "/", close: true, http10: true,
		header: http.Header{"Connection": {"\u212aeep-alive"}}},
	{name: "HTTP/1.0 close wins", raw: "GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", method: "GET", uri: "/", close: true, http10: true,
		header: http.Header{"Connection": {"keep-alive", "close"}}},
	{name: "HTTP/1.0 keep-alive", raw: "HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", method: "HEAD", uri: "/", http10: true,
		header: http.Header{"Connection": {"keep-alive"}}},
	{name: "100-continue", raw: "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nExpect: 100-Continue\r\n\r\n", method: "PUT", uri: "/x", length: 1, expec: true,
		header: http.Header{"Host": {"a"}, "Content-Length": {"1"}, "Expect": {"100-Continue"}}},
	{name: "100-continue without a body", raw: "GET /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", method: "GET", uri: "/x",
		header: http.Header{"Host": {"a"}, "Expect": {"100-continue"}}},
	{name: "absolute form", raw: "GET http://api.example/v1 HTTP/1.1\r\nHost: api.example\r\n\r\n", method: "GET", uri: "http://api.example/v1",
		header: http.Header{"Host": {"api.example"}}},
	{name: "OPTIONS *", raw: "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", method: "OPTIONS", uri: "*",
		header: http.Header{"Host": {"a"}}},
	{name: "escapes", raw: "GET /a%2Fb%e9?q=%zz HTTP/1.1\r\nHost: a\r\n\r\n", method: "GET", uri: "/a%2Fb%e9?q=%zz",
		header: http.Header{"Host": {"a"}}},
	{name: "upper-case scheme", raw: "GET HTTP://api.example/v1 HTTP/1.1\r\nHost: api.example\r\n\r\n", method: "GET", uri: "HTTP://api.example/v1",
		header: http.Header{"Host": {"api.example"}}},
	{name: "a hundred fields", raw: "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X-A: 1\r\n", MaxFields-1) + "\r\n", method: "GET", uri: "/",
		header: http.Header{"Host": {"a"}, "X-A": strings.Split(strings.Repeat("1 ", MaxFields-1)[:2*(MaxFields-1)-1], " ")}},
	{name: "a long field", raw: "GET / HTTP/1.1\r\nHost: a\r\nCookie: " + long + "\r\n\r\n", method: "GET", uri: "/",
		header: http.Header{"Host": {"a"}, "Cookie": {long}}},
}

func TestReadRequest(t *testing.T) {
	for _, tc := range headCases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parse(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			if r.Method != tc.method || r.Target != tc.uri || r.Length != tc.length || r.Close != tc.close || r.HTTP10 != tc.http10 || r.Expect != tc.expec {
				t.Fatalf("got %+v", r)
			}
			if len(r.Header) != len(tc.header) {
				t.Fatalf("header %v, want %v", r.Header, tc.header)
			}
			for k, v := range tc.header {
				if strings.Join(r.Header[k], "|") != strings.Join(v, "|") {
					t.Fatalf("header %s = %q, want %q", k, r.Header[k], v)
				}
			}
		})
	}
}

// refusedHeads are heads refused, and the status of each refusal.
var refusedHeads = []struct {
	name, raw string
	code      int
}{
	{"line folding", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  2\r\n\r\n", 400},
	{"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
	{"no colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", 400},
	{"empty name", "GET / HTTP/1.1\r\n: a\r\n\r\n", 400},
	{"NUL in a value", "GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n", 400},
	{"CR in a value", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400},
	{"no Host", "GET / HTTP/1.1\r\n\r\n", 400},
	{"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
	{"both framings", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
	{"gzip coding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
	{"a Unicode folding of chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chun\u212aed\r\n\r\n", 501},
	{"a framing field as a trailer", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum, content-LENGTH\r\n\r\n", 400},
	{"chunked in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
	{"conflicting lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400},
	{"same length twice", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", 400},
	{"a length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\n", 400},
	{"bare LF after the request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400},
	{"bare LF after a field", "GET / HTTP/1.1\r\nHost: a\n\r\n", 400},
	{"bare LF ending the head", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400},
	{"bare LF before the request", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	{"all bare LF", "POST /a HTTP/1.1\nHost: a\nContent-Length: 12\n\n", 400},
	{"two X-Original-Method", "GET / HTTP/1.1\r\nHost: a\r\nX-Original-Method: GET\r\nX-Original-Method: DELETE\r\n\r\n", 400},
	{"two X-Original-URI", "GET / HTTP/1.1\r\nHost: a\r\nX-Original-URI: /a\r\nx-original-uri: /b\r\n\r\n", 400},
	{"signed length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n", 400},
	{"negative length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400},
	{"huge length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
	{"other expectation", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", 417},
	{"HTTP/2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
	{"no version", "GET /\r\n\r\n", 400},
	{"lower-case version", "GET / http/1.1\r\n\r\n", 400},
	{"double space", "GET  / HTTP/1.1\r\n\r\n", 400},
	{"relative target", "GET v1/messages HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	{"control in target", "GET /a\x01b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	{"bad method", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	{"two empty lines first", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	{"head too large", "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X-Filler: "+strings.Repeat("f", 100)+"\r\n", 160) + "\r\n", 431},
	{"too many fields", "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X-A: 1\r\n", MaxFields) + "\r\n", 431},
	{"zero with a sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -0\r\n\r\n", 400},
	{"length with spaces inside", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", 400},
	{"space after the version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400},
	{"CR after the version", "GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", 400},
	{"asterisk for GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	{"bad escape in the path", "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	{"cut escape in the path", "GET /a%4 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	{"bad host in an absolute form", "GET http://a:b/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	{"HTTP/3", "GET / HTTP/3\r\nHost: a\r\n\r\n", 505},
	{"one line too large", "GET /" + strings.Repeat("a", MaxHeaderBytes) + " HTTP/1.1\r\nHost: a\r\n\r\n", 431},
}

func TestReadRequestRefuses(t *testing.T) {
	for _, tc := range refusedHeads {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(tc.raw)
			var we *Error
			if !errors.As(err, &we) || we.Status != tc.code || we.Reason == "" {
				t.Fatalf("got %v, want a %d", err, tc.code)
			}
		})
	}
}

func TestReadRequestEnds(t *testing.T) {
	if _, err := parse(""); err != io.EOF {
		t.Fatalf("no input: %v, want io.EOF", err)
	}
	for _, raw := range []string{"GET / HT", "GET / HTTP/1.1\r\nHost: a\r\n", "GET / HTTP/1.1\r\nHo"} {
		if _, err := parse(raw); err != io.ErrUnexpectedEOF {
			t.Fatalf("%q: %v, want io.ErrUnexpectedEOF", raw, err)
		}
	}
}

// bodyCases are bodies read after "POST / HTTP/1.1\r\nHost: a\r\n" + head
// + "\r\n\r\n", with the limit given.
var bodyCases = []struct {
	name, head, rest string
	limit            int64
	body             string
	done             bool
	next             string // what is left for the next request
}{
	{"length", "Content-Length: 5", "hello" + "GET", 100, "hello", true, "GET"},
	{"length over the limit", "Content-Length: 5", "hello", 3, "hel", false, "lo"},
	{"chunked", "Transfer-Encoding: chunked", "3\r\nhel\r\n2;ext=1\r\nlo\r\n0\r\n\r\nGET", 100, "hello", true, "GET"},
	{"chunked with trailers", "Transfer-Encoding: chunked", "5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\nGET", 100, "hello", true, "GET"},
	{"chunked over the limit", "Transfer-Encoding: chunked", "5\r\nhello\r\n0\r\n\r\n", 4, "hell", false, ""},
}

// big is a body read as it arrives, not allocated up front.
var big = strings.Repeat("b", 100_000)

// refusedBodies are heads and bodies after "POST / HTTP/1.1\r\nHost: a\r\n"
// whose body is not read.
var refusedBodies = []struct {
	name, raw string
	code      int // of the refusal; 0: the input ends early
}{
	{"truncated", "Content-Length: 9\r\n\r\nshort", 0},
	{"large, truncated", "Content-Length: 100001\r\n\r\n" + big, 0},
	{"chunk cut short", "Transfer-Encoding: chunked\r\n\r\n5\r\nhel", 0},
	{"unended trailers", "Transfer-Encoding: chunked\r\n\r\n0\r\nX-A: 1\r\n", 0},
	{"malformed chunk", "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
	{"chunk size overflows", "Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", 400},
	{"chunk longer than its size", "Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", 400},
	{"bare LF after a chunk size", "Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", 400},
	{"bare LF after chunk data", "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n", 400},
	{"bare LF after the last chunk", "Transfer-Encoding: chunked\r\n\r\n0\n\r\n", 400},
	{"bare LF ending the trailers", "Transfer-Encoding: chunked\r\n\r\n0\r\n\n", 400},
	{"request as a trailer", "Transfer-Encoding: chunked\r\n\r\n0\r\nGET /smuggled HTTP/1.1\r\n\r\n", 400},
	{"control in a trailer", "Transfer-Encoding: chunked\r\n\r\n0\r\nX-A: \x01\r\n\r\n", 400},
}

func TestReadBody(t *testing.T) {
	for _, tc := range bodyCases {
		t.Run(tc.name, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader("POST / HTTP/1.1\r\nHost: a\r\n" + tc.head + "\r\n\r\n" + tc.rest))
			var r Request
			if err := ReadHead(br, &r); err != nil {
				t.Fatal(err)
			}
			body, done, err := ReadBody(br, &r, tc.limit)
			if err != nil || string(body) != tc.body || done != tc.done {
				t.Fatalf("got %q done=%v err=%v", body, done, err)
			}
			if left, _ := io.ReadAll(br); done && string(left) != tc.next {
				t.Fatalf("left %q, want %q", left, tc.next)
			}
		})
	}
	for _, tc := range refusedBodies {
		br := bufio.NewReader(strings.NewReader("POST / HTTP/1.1\r\nHost: a\r\n" + tc.raw))
		var r Request
		if err := ReadHead(br, &r); err != nil {
			t.Fatalf("%s: head: %v", tc.name, err)
		}
		_, _, err := ReadBody(br, &r, 200_000)
		var we *Error
		switch {
		case err == nil:
			t.Errorf("%s: read without error", tc.name)
		case tc.code == 0 && (errors.As(err, &we) || !errors.Is(err, io.ErrUnexpectedEOF)):
			t.Errorf("%s: %v, want the input's early end", tc.name, err)
		case tc.code != 0 && (!errors.As(err, &we) || we.Status != tc.code || we.Reason == ""):
			t.Errorf("%s: %v, want a %d", tc.name, err, tc.code)
		}
	}
	br := bufio.NewReader(strings.NewReader("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n" + big))
	var r Request
	ReadHead(br, &r)
	if body, done, err := ReadBody(br, &r, 200_000); err != nil || !done || string(body) != big {
		t.Fatalf("large body: %d bytes, done=%v, %v", len(body), done, err)
	}
}

// fuzzSeeds are inputs of both fuzz tests.
var fuzzSeeds = []string{
	"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST /v1 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\nT: 1\r\n\r\n",
	"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n",
	"\r\nGET http://x/ HTTP/1.1\nHost: a\nExpect: 100-continue\nContent-Length: 1\n\nx",
	"\r\nGET http://x/ HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\nbody\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX-Original-Method: GET\r\nX-Original-Method: DELETE\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: hmac username=\"k\", algorithm=\"hmac-sha1\", headers=\"date request-line\", signature=\"c2ln\"\r\n\r\n",
}

// FuzzReadRequest: any input is read or refused without a panic, a request
// head never costs more than MaxHeaderBytes, and a body never more than the
// limit.
func FuzzReadRequest(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 64
		br := bufio.NewReaderSize(bytes.NewReader(data), 4096)
		for range 4 { // pipelined requests
			var r Request
			if err := ReadHead(br, &r); err != nil {
				var we *Error
				if errors.As(err, &we) && (we.Status < 400 || we.Status > 505 || we.Reason == "") {
					t.Fatalf("refusal %d %q", we.Status, we.Reason)
				}
				return
			}
			size := len(r.Method) + len(r.Target)
			for k, vs := range r.Header {
				for _, v := range vs {
					size += len(k) + len(v)
				}
			}
			if size > MaxHeaderBytes {
				t.Fatalf("head of %d bytes read", size)
			}
			if r.Length == 0 {
				continue
			}
			body, done, err := ReadBody(br, &r, limit)
			if len(body) > limit {
				t.Fatalf("body of %d bytes kept", len(body))
			}
			var we *Error
			if err != nil && !errors.As(err, &we) && !errors.Is(err, io.ErrUnexpectedEOF) && err != io.EOF {
				t.Fatalf("body error %v: neither a refusal nor the input's end", err)
			}
			if err != nil || !done {
				return
			}
		}
	})
}

func TestCanonicalKey(t *testing.T) {
	for _, name := range []string{"host", "HOST", "x-content-md5", "X-CONTENT-MD5", "x-original-uri", "authorization",
		"content-length", "x-custom-thing", "a", "-x-", "x--y", "accept-encoding", strings.Repeat("long-", 10), "x_y", "1abc"} {
		if got, want := canonicalKey([]byte(name)), textproto.CanonicalMIMEHeaderKey(name); got != want {
			t.Errorf("%q: %q, want %q", name, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { canonicalKey([]byte("x-content-md5")) }); n != 0 {
		t.Errorf("a common key allocates %v times", n)
	}
}
