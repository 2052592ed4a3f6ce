package verifier

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strconv"
	"strings"

	"keysmith/app/core/verify"
)

// The HTTP/1.1 wire: a strict reader of requests and a writer of the few
// responses the endpoint gives. It reads what clients and nginx send
// (RFC 9112): a request line, header fields, and a body framed by
// Content-Length or chunked transfer coding, every line ending in CRLF; it
// refuses anything ambiguous (a bare LF line ending, obsolete line folding,
// a repeated Content-Length, unknown codings, a malformed chunk) with a 4xx
// and closes the connection. Header bytes are bounded by MaxHeaderBytes and
// a body is read only up to verify.MaxBody+1 bytes.

// request is one parsed request head.
type request struct {
	method, uri string
	header      http.Header
	length      int64 // body bytes announced; -1 for chunked
	close       bool  // the connection ends after this request
	http10      bool
	expect      bool // Expect: 100-continue
}

// wireError is a request the wire refuses: the status to answer and why.
type wireError struct {
	code int
	why  string
}

func (e *wireError) Error() string { return e.why }

func badRequest(why string) error { return &wireError{http.StatusBadRequest, why} }

var (
	errBareLF         = badRequest("a line ends in LF, not CRLF")
	errHeaderTooLarge = &wireError{http.StatusRequestHeaderFieldsTooLarge, "the request head exceeds 16 KiB"}
	errTooManyFields  = &wireError{http.StatusRequestHeaderFieldsTooLarge, "the request has more than 100 header fields"}
)

// readRequest reads one request head from br into r, reusing r.header when
// set. A clean end of input before the first byte of a request returns
// io.EOF; a refusal is a *wireError.
func readRequest(br *bufio.Reader, r *request) error {
	budget := MaxHeaderBytes
	line, err := readLine(br, &budget)
	// One empty line before a request line is allowed (RFC 9112, 2.2).
	if err == nil && len(line) == 0 {
		line, err = readLine(br, &budget)
	}
	if err != nil {
		return err
	}
	if err := parseRequestLine(line, r); err != nil {
		return err
	}
	if r.header == nil {
		r.header = make(http.Header, 8)
	} else {
		clear(r.header) // a connection's map, reused: nothing keeps a request's header
	}
	vals := make([]string, 0, 8) // one allocation for the values of most heads
	fields := 0
	for {
		line, err := readLine(br, &budget)
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		if len(line) == 0 {
			break
		}
		if fields++; fields > MaxFields {
			return errTooManyFields
		}
		name, value, err := splitField(line)
		if err != nil {
			return err
		}
		key := canonicalKey(name)
		if prev, ok := r.header[key]; ok {
			r.header[key] = append(prev, string(value))
			continue
		}
		if len(vals) == cap(vals) {
			vals = make([]string, 0, 8)
		}
		vals = append(vals, string(value))
		r.header[key] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	return frame(r)
}

// splitField splits a header (or trailer) field line into its name and its
// value without surrounding whitespace.
func splitField(line []byte) (name, value []byte, err error) {
	if line[0] == ' ' || line[0] == '\t' {
		return nil, nil, badRequest("obsolete line folding in the header")
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 || !isToken(line[:colon]) {
		return nil, nil, badRequest("a malformed header field")
	}
	value = bytes.TrimRight(bytes.TrimLeft(line[colon+1:], " \t"), " \t")
	if !validValue(value) {
		return nil, nil, badRequest("a control character in a header value")
	}
	return line[:colon], value, nil
}

// commonKeys are the canonical names of the fields clients, the SDKs and
// nginx send, kept so reading them allocates nothing.
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"Host", "Authorization", "Date", "Content-Length", "Content-Type",
		"Content-Md5", "X-Content-Md5", "Transfer-Encoding", "Expect", "Connection", "User-Agent",
		"Accept", "Accept-Encoding", "Accept-Language", "Cache-Control", "Cookie", "Origin", "Referer",
		"X-Original-Method", "X-Original-Uri", "X-Real-Ip", "X-Forwarded-For", "X-Forwarded-Proto"} {
		m[k] = k
	}
	return m
}()

// canonicalKey is textproto.CanonicalMIMEHeaderKey of a token.
func canonicalKey(name []byte) string {
	var buf [32]byte
	if len(name) <= len(buf) {
		b := buf[:len(name)]
		upper := true
		for i, c := range name {
			if upper && 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			} else if !upper && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b[i], upper = c, c == '-'
		}
		if k, ok := commonKeys[string(b)]; ok {
			return k
		}
	}
	return textproto.CanonicalMIMEHeaderKey(string(name))
}

// ReadRequest reads one whole request from br with the same rules as the
// endpoint (keysmith verify uses it to check a request offline), its body
// up to verify.MaxBody+1 bytes.
func ReadRequest(br *bufio.Reader) (verify.Request, error) {
	var r request
	if err := readRequest(br, &r); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return verify.Request{}, errors.New("the request head ends early")
		}
		return verify.Request{}, err
	}
	body, _, err := readBody(br, &r, verify.MaxBody+1)
	if err != nil {
		var we *wireError
		if errors.As(err, &we) {
			return verify.Request{}, err
		}
		return verify.Request{}, errors.New("the body is shorter than announced")
	}
	return r.verifyRequest(body), nil
}

// readLine returns the next line without its CRLF, charging its length to
// budget; a line ending in a bare LF is refused (RFC 9112, 2.2 allows it).
// A line longer than br's buffer is copied.
func readLine(br *bufio.Reader, budget *int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) && len(long) <= *budget {
			line, err = br.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	*budget -= len(line)
	switch {
	case *budget < 0:
		return nil, errHeaderTooLarge
	case err == io.EOF && len(line) > 0:
		return nil, io.ErrUnexpectedEOF
	case err != nil:
		return nil, err
	}
	n := len(line)
	if n < 2 || line[n-2] != '\r' {
		return nil, errBareLF
	}
	return line[:n-2], nil
}

func parseRequestLine(line []byte, r *request) error {
	method, rest, ok1 := bytes.Cut(line, []byte{' '})
	uri, proto, ok2 := bytes.Cut(rest, []byte{' '})
	if !ok1 || !ok2 || !isToken(method) || len(uri) == 0 {
		return badRequest("a malformed request line")
	}
	switch string(proto) {
	case "HTTP/1.1":
	case "HTTP/1.0":
		r.http10 = true
	default:
		if isVersion(proto) {
			return &wireError{http.StatusHTTPVersionNotSupported, "only HTTP/1.1 and HTTP/1.0 are served"}
		}
		return badRequest("a malformed request line")
	}
	for _, c := range uri {
		if c <= ' ' || c == 0x7f {
			return badRequest("a malformed request target")
		}
	}
	switch {
	case uri[0] == '/':
	case len(uri) == 1 && uri[0] == '*' && string(method) == http.MethodOptions:
	case hasPrefixFold(uri, "http://") || hasPrefixFold(uri, "https://"):
	default:
		return badRequest("a malformed request target")
	}
	r.method, r.uri = string(method), string(uri)
	return nil
}

// isVersion reports whether b is an HTTP version: HTTP/d.d or HTTP/d.
func isVersion(b []byte) bool {
	v, ok := bytes.CutPrefix(b, []byte("HTTP/"))
	digit := func(c byte) bool { return '0' <= c && c <= '9' }
	return ok && (len(v) == 1 && digit(v[0]) || len(v) == 3 && digit(v[0]) && v[1] == '.' && digit(v[2]))
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && strings.EqualFold(string(b[:len(prefix)]), prefix)
}

// frame decides the body's framing and the connection's fate from the
// header (RFC 9112, 6.3 and 9.3).
func frame(r *request) error {
	h := r.header
	if hosts := h["Host"]; len(hosts) > 1 || (len(hosts) == 0 && !r.http10) {
		return badRequest("a request needs exactly one Host header")
	}
	conn := strings.ToLower(strings.Join(h["Connection"], ","))
	if r.http10 {
		r.close = !hasToken(conn, "keep-alive")
	} else {
		r.close = hasToken(conn, "close")
	}
	te, cl := h["Transfer-Encoding"], h["Content-Length"]
	switch {
	case len(te) > 0 && len(cl) > 0:
		return badRequest("both Transfer-Encoding and Content-Length")
	case len(te) > 0:
		if r.http10 {
			return badRequest("Transfer-Encoding in an HTTP/1.0 request")
		}
		if len(te) > 1 || !strings.EqualFold(te[0], "chunked") {
			return &wireError{http.StatusNotImplemented, "only the chunked transfer coding is supported"}
		}
		r.length = -1
	case len(cl) > 1:
		return badRequest("more than one Content-Length header")
	case len(cl) > 0:
		n, err := strconv.ParseUint(cl[0], 10, 63)
		if err != nil || cl[0][0] == '+' {
			return badRequest("an invalid Content-Length")
		}
		r.length = int64(n)
	default:
		r.length = 0
	}
	if len(h["X-Original-Method"]) > 1 || len(h["X-Original-Uri"]) > 1 {
		return badRequest("more than one X-Original-Method or X-Original-URI header")
	}
	if e := h["Expect"]; len(e) > 0 {
		if len(e) > 1 || !strings.EqualFold(e[0], "100-continue") {
			return &wireError{http.StatusExpectationFailed, "only Expect: 100-continue is supported"}
		}
		r.expect = r.length != 0 && !r.http10
	}
	return nil
}

// readBody reads the body r announces, keeping at most limit bytes. done
// reports whether the whole body was consumed, so the connection can carry
// another request. A malformed chunked body is a *wireError; any other error
// is the connection's (it ended or timed out).
func readBody(br *bufio.Reader, r *request, limit int64) (body []byte, done bool, err error) {
	if r.length >= 0 {
		n := min(r.length, limit)
		if n <= 64<<10 {
			body = make([]byte, n)
			_, err = io.ReadFull(br, body)
		} else { // grow with what arrives, not with what is announced
			body, err = io.ReadAll(io.LimitReader(br, n))
			if err == nil && int64(len(body)) < n {
				err = io.ErrUnexpectedEOF
			}
		}
		if err != nil {
			return nil, false, err
		}
		return body, n == r.length, nil
	}
	cr := httputil.NewChunkedReader(br)
	body, err = io.ReadAll(io.LimitReader(cr, limit))
	if err != nil {
		return nil, false, chunkError(err)
	}
	if int64(len(body)) == limit {
		return body, false, nil // more may follow: not worth reading
	}
	// The last chunk may be followed by trailer fields: check and skip them.
	budget, fields := MaxHeaderBytes, 0
	for {
		line, err := readLine(br, &budget)
		if err == io.EOF {
			return nil, false, io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, false, err
		}
		if len(line) == 0 {
			return body, true, nil
		}
		if fields++; fields > MaxFields {
			return nil, false, errTooManyFields
		}
		if _, _, err := splitField(line); err != nil {
			return nil, false, err
		}
	}
}

// chunkError is err of the chunked reader as readBody reports it: the
// connection's own errors as they are, any other a malformed body.
func chunkError(err error) error {
	var ne net.Error
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || errors.As(err, &ne) {
		return err
	}
	return errMalformedChunk
}

var errMalformedChunk = badRequest("a malformed chunked body")

// hasToken reports whether the comma-separated list (lower case) holds tok.
func hasToken(list, tok string) bool {
	for list != "" {
		var item string
		item, list, _ = strings.Cut(list, ",")
		if strings.TrimSpace(item) == tok {
			return true
		}
	}
	return false
}

// tokenChars are the bytes allowed in a token (RFC 9110, 5.6.2).
var tokenChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tokenChars[c] {
			return false
		}
	}
	return true
}

// validValue reports whether a field value holds no control character
// other than horizontal tab.
func validValue(b []byte) bool {
	for _, c := range b {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
