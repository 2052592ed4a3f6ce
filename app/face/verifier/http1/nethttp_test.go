package http1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzAgainstNetHTTP holds the package doc's contract: for any input, this
// reader and http.ReadRequest (its body read to the end) read the same
// requests, one after another as pipelined on a connection. Where both
// accept, the method, target, version, framing, connection fate, header
// fields and body are the same; where this reader refuses and net/http
// accepts, the input is one of the doc's "Refused where net/http accepts"
// cases (stricter) and the refusal is the one that case causes; where this
// reader accepts and net/http refuses, the input is one of the doc's
// "Accepted where net/http refuses" cases (lenient).
func FuzzAgainstNetHTTP(f *testing.F) {
	for _, s := range seedRequests() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) { compareWithNetHTTP(t, in) })
}

// documented are the names of the doc's stricter and lenient cases, as
// stricter and lenient call them.
var documented = []string{
	"bare LF", "obsolete line folding", "space before the colon", "HTTP/1.1 without Host",
	"more than one Content-Length", "Content-Length and Transfer-Encoding", "Transfer-Encoding in HTTP/1.0",
	"version other than 1.1 and 1.0", "authority-form, asterisk or other scheme",
	"repeated X-Original-Method or X-Original-URI", "other expectation", "head over MaxHeaderBytes",
	"over MaxFields", "one empty line first", "a trailer section longer than net/http's buffer",
}

// Each case of the doc is met by a seed, where net/http reads the input: the
// classification is not dead code.
func TestSeedsMeetEveryDocumentedCase(t *testing.T) {
	met := map[string]bool{}
	for _, in := range seedRequests() {
		for _, c := range compareWithNetHTTP(t, []byte(in)) {
			met[c] = true
		}
	}
	for _, c := range documented {
		if !met[c] {
			t.Errorf("no seed is a case of %q", c)
		}
	}
	if len(met) != len(documented) {
		t.Errorf("cases met %v, documented %q", met, documented)
	}
}

// seedRequests are every request of this package's tests: accepted, refused,
// with bodies, and pipelined.
func seedRequests() []string {
	var seeds []string
	for _, tc := range headCases {
		seeds = append(seeds, tc.raw)
	}
	for _, tc := range refusedHeads {
		seeds = append(seeds, tc.raw)
	}
	const post = "POST / HTTP/1.1\r\nHost: a\r\n"
	for _, tc := range bodyCases {
		seeds = append(seeds, post+tc.head+"\r\n\r\n"+tc.rest)
	}
	for _, tc := range refusedBodies {
		seeds = append(seeds, post+tc.raw)
	}
	seeds = append(seeds, fuzzSeeds...)
	return append(seeds,
		"GET /a HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"+
			"PUT /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-T: 1\r\n\r\nGET /d HTTP/1.0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nPragma: no-cache\r\nConnection: keep-alive, Upgrade\r\n\r\n",
		"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n1\r\nx\r\n0\r\nX-Sum: 1\r\n\r\n",
		"GET /caf\xc3\xa9?q=\xff HTTP/1.1\r\nHost: a\r\nX-A: caf\xc3\xa9\xff\r\n\r\n",
		"GET http://user@api.example:8080/v1?x HTTP/1.1\r\nHost: b\r\n\r\n",
		"CONNECT api.example:443 HTTP/1.1\r\nHost: api.example\r\n\r\n",
		"GET / HTTP/1.2\r\nHost: a\r\n\r\n",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi",
		"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nhi",
		"GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nExpect: 100-continue\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"+strings.Repeat("X-Long: "+strings.Repeat("t", 90)+"\r\n", 50)+"\r\n",
	)
}

// compareWithNetHTTP reads in with both readers, request by request, and
// returns the doc's cases it met.
func compareWithNetHTTP(t *testing.T, in []byte) (met []string) {
	t.Helper()
	ours := bufio.NewReaderSize(bytes.NewReader(in), 4096)
	src := bytes.NewReader(in)
	theirs := bufio.NewReader(src)
	for range 8 {
		at := len(in) - src.Len() - theirs.Buffered() // where this request begins
		rest := in[at:]
		// One empty line before a request is read here (the doc's first
		// lenient case) and refused by net/http: skip it for net/http.
		if bytes.HasPrefix(rest, []byte("\r\n")) {
			theirs.Discard(2)
			met = append(met, "one empty line first")
		}
		var r Request
		stage, err := "head", ReadHead(ours, &r)
		if err == io.EOF {
			if _, err := theirs.Peek(1); err != io.EOF {
				t.Fatalf("request %.300q: this reader sees no request, net/http sees more input", rest)
			}
			return met
		}
		var body []byte
		if err == nil && r.Length != 0 {
			stage = "body"
			var done bool
			body, done, err = ReadBody(ours, &r, int64(len(in))+1)
			if err == nil && !done {
				t.Fatalf("request %.300q: a body shorter than the limit is not done", rest)
			}
		}
		req, theirErr := http.ReadRequest(theirs)
		var theirBody []byte
		if theirErr == nil {
			theirBody, theirErr = io.ReadAll(req.Body)
		}
		switch {
		case err != nil && theirErr != nil:
			return met // both refuse (or both see the input end)
		case err != nil:
			var he *Error
			if !errors.As(err, &he) {
				t.Fatalf("request %.300q: %v, where net/http reads it", rest, err)
			}
			cases := stricter(rest, stage, req)
			n := len(met)
			for _, c := range cases {
				if slices.Contains(c.reasons, he.Reason) {
					met = append(met, c.name)
				}
			}
			if len(met) == n {
				t.Fatalf("request %.300q: refused (%d %s), where net/http reads it, and not as a stricter case of the doc would be (%v)",
					rest, he.Status, he.Reason, cases)
			}
			return met
		case theirErr != nil:
			why := lenient(theirErr)
			if why == "" {
				t.Fatalf("request %.300q: read, where net/http refuses it: %v", rest, theirErr)
			}
			return append(met, why)
		}
		same(t, rest, &r, body, req, theirBody)
	}
	return met
}

// same checks that both readers read the same request.
func same(t *testing.T, raw []byte, r *Request, body []byte, req *http.Request, theirBody []byte) {
	t.Helper()
	if r.Method != req.Method || r.Target != req.RequestURI {
		t.Fatalf("request %.300q: %s %s, net/http %s %s", raw, r.Method, r.Target, req.Method, req.RequestURI)
	}
	if req.ProtoMajor != 1 || r.HTTP10 != (req.ProtoMinor == 0) {
		t.Fatalf("request %.300q: HTTP/1.0 %v, net/http %s", raw, r.HTTP10, req.Proto)
	}
	if r.Length != req.ContentLength || (r.Length < 0) != slices.Equal(req.TransferEncoding, []string{"chunked"}) {
		t.Fatalf("request %.300q: length %d, net/http %d %q", raw, r.Length, req.ContentLength, req.TransferEncoding)
	}
	if r.Close != req.Close {
		t.Fatalf("request %.300q: close %v, net/http %v", raw, r.Close, req.Close)
	}
	// net/http moves Host to req.Host (unless the target names a host),
	// takes the framing fields out of a chunked request's header, and adds
	// Cache-Control for Pragma: no-cache.
	want := r.Header.Clone()
	if host := strings.Join(want["Host"], ""); req.URL.Host == "" && host != req.Host {
		t.Fatalf("request %.300q: Host %q, net/http %q", raw, host, req.Host)
	}
	delete(want, "Host")
	if r.Length < 0 {
		delete(want, "Transfer-Encoding")
		delete(want, "Trailer")
	}
	if p := want["Pragma"]; len(p) > 0 && p[0] == "no-cache" && want["Cache-Control"] == nil {
		want["Cache-Control"] = []string{"no-cache"}
	}
	if len(want) != len(req.Header) {
		t.Fatalf("request %.300q: fields %q, net/http %q", raw, want, req.Header)
	}
	for k, vs := range want {
		if !slices.Equal(vs, req.Header[k]) {
			t.Fatalf("request %.300q: %s %q, net/http %q", raw, k, vs, req.Header[k])
		}
	}
	if !bytes.Equal(body, theirBody) {
		t.Fatalf("request %.300q: body %q, net/http %q", raw, body, theirBody)
	}
}

// lenient names the doc's lenient case net/http's refusal is, or "".
func lenient(err error) string {
	// net/http looks for a trailer section's end in its read buffer only.
	if strings.Contains(err.Error(), "suspiciously long trailer") {
		return "a trailer section longer than net/http's buffer"
	}
	return ""
}

// stricterCase is a case of the doc's "Refused where net/http accepts" list
// and the refusals it may cause.
type stricterCase struct {
	name    string
	reasons []string
}

// Refusals of the stricter cases.
var (
	whyBareLF   = errBareLF.(*Error).Reason
	whyFolding  = "obsolete line folding in the header"
	whyField    = "a malformed header field"
	whyTarget   = "a malformed request target"
	whyTooLarge = errHeaderTooLarge.Reason
	whyTooMany  = errTooManyFields.Reason
)

// stricter names the stricter cases of the doc that raw, one request that
// net/http reads (req), falls in; stage is "head" when this reader refused
// its head, "body" when its body or trailer section.
func stricter(raw []byte, stage string, req *http.Request) []stricterCase {
	var cases []stricterCase
	add := func(name string, reasons ...string) { cases = append(cases, stricterCase{name, reasons}) }
	lines := fieldLines(raw, stage, req)
	size := 0
	if stage == "head" && bytes.HasPrefix(raw, []byte("\r\n")) {
		size = 2 // the empty line before the request line counts
	}
	for i, l := range lines {
		size += len(l)
		if l == nil {
			continue // the trailer section has no request line
		}
		if !bytes.HasSuffix(l, []byte("\r\n")) {
			add("bare LF", whyBareLF)
		}
		if i > 0 && (l[0] == ' ' || l[0] == '\t') {
			add("obsolete line folding", whyFolding)
		}
		if name, _, ok := bytes.Cut(l, []byte(":")); ok && i > 0 && bytes.ContainsAny(name, " ") {
			add("space before the colon", whyField)
		}
	}
	if size > MaxHeaderBytes {
		add("head over MaxHeaderBytes", whyTooLarge)
	}
	if len(lines)-2 > MaxFields { // less the request line (or none) and the empty line
		add("over MaxFields", whyTooMany)
	}
	if stage == "body" {
		return cases
	}
	count := map[string]int{}
	for _, l := range lines[1:] {
		name, _, _ := bytes.Cut(l, []byte(":"))
		count[http.CanonicalHeaderKey(string(name))]++
	}
	h := req.Header
	switch {
	case req.ProtoMajor != 1 || req.ProtoMinor > 1:
		add("version other than 1.1 and 1.0", "only HTTP/1.1 and HTTP/1.0 are served")
	case req.ProtoMinor == 1 && len(h["Host"]) == 0:
		add("HTTP/1.1 without Host", "a request needs exactly one Host header")
	}
	if count["Content-Length"] > 1 {
		add("more than one Content-Length", "more than one Content-Length header")
	}
	if count["Content-Length"] > 0 && count["Transfer-Encoding"] > 0 {
		add("Content-Length and Transfer-Encoding", "both Transfer-Encoding and Content-Length")
	}
	if count["Transfer-Encoding"] > 0 && req.ProtoMinor == 0 {
		add("Transfer-Encoding in HTTP/1.0", "Transfer-Encoding in an HTTP/1.0 request")
	}
	if u := req.RequestURI; !strings.HasPrefix(u, "/") && !(u == "*" && req.Method == http.MethodOptions) &&
		!hasPrefixFold([]byte(u), "http://") && !hasPrefixFold([]byte(u), "https://") {
		add("authority-form, asterisk or other scheme", whyTarget)
	}
	if len(h["X-Original-Method"]) > 1 || len(h["X-Original-Uri"]) > 1 {
		add("repeated X-Original-Method or X-Original-URI", "more than one X-Original-Method or X-Original-URI header")
	}
	if e := h["Expect"]; len(e) > 1 || len(e) == 1 && !equalFoldASCII(e[0], "100-continue") {
		add("other expectation", "only Expect: 100-continue is supported")
	}
	return cases
}

// fieldLines are the lines of raw's head (from its request line, after
// one empty line, to the empty line that ends it), or, for stage "body", of
// its chunked body's trailer section (to its empty line), each with its line
// ending. The head of a stage "body" is made of CRLF lines: this reader read
// it.
func fieldLines(raw []byte, stage string, req *http.Request) [][]byte {
	lines := func(b []byte, first bool) [][]byte {
		var ls [][]byte
		for len(b) > 0 {
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				return append(ls, b)
			}
			l := b[:i+1]
			if ls = append(ls, l); len(ls) > 1 || !first {
				if string(l) == "\n" || string(l) == "\r\n" {
					break
				}
			}
			b = b[i+1:]
		}
		return ls
	}
	raw = bytes.TrimPrefix(raw, []byte("\r\n"))
	head := lines(raw, true)
	if stage == "head" {
		return head
	}
	// Skip the head, then walk the chunks, which net/http read.
	p := raw[len(bytes.Join(head, nil)):]
	if req.ContentLength >= 0 {
		return nil
	}
	for {
		line, after, ok := bytes.Cut(p, []byte("\r\n"))
		if !ok {
			return nil
		}
		hex, _, _ := bytes.Cut(line, []byte(";"))
		n, err := strconv.ParseUint(string(bytes.TrimRight(hex, " \t")), 16, 63)
		if err != nil {
			return nil
		}
		if n == 0 {
			return append([][]byte{nil}, lines(after, false)...) // no request line
		}
		if uint64(len(after)) < n+2 {
			return nil
		}
		p = after[n+2:]
	}
}
