package http1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
)

// Bounds of a request head (and of a chunked body's trailer section).
const (
	MaxHeaderBytes = 16 << 10 // bytes, line endings included
	MaxFields      = 100      // header fields
)

// Request is one request head as read.
type Request struct {
	Method string
	Target string      // the request-target as sent (RequestURI)
	Header http.Header // canonical names; values in the order received
	Length int64       // body bytes announced; -1 for chunked
	Close  bool        // the connection ends after this request
	HTTP10 bool        // the request line says HTTP/1.0
	Expect bool        // Expect: 100-continue and a body to come
}

// Error is a request the reader refuses: the status to answer, and why in
// words that may be shown to the client.
type Error struct {
	Status int
	Reason string
}

func (e *Error) Error() string { return e.Reason }

func badRequest(why string) error { return &Error{http.StatusBadRequest, why} }

var (
	errBareLF         = badRequest("a line ends in LF, not CRLF")
	errHeaderTooLarge = &Error{http.StatusRequestHeaderFieldsTooLarge, "the request head exceeds 16 KiB"}
	errTooManyFields  = &Error{http.StatusRequestHeaderFieldsTooLarge, "the request has more than 100 header fields"}
)

// ReadHead reads one request head from br into r, reusing r.Header when
// set (it is cleared first). A clean end of input before the first byte of
// a request returns io.EOF, an end within it io.ErrUnexpectedEOF; a refusal
// is an *Error; any other error is br's.
func ReadHead(br *bufio.Reader, r *Request) error {
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
	if r.Header == nil {
		r.Header = make(http.Header, 8)
	} else {
		clear(r.Header) // a connection's map, reused: nothing keeps a request's header
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
		if prev, ok := r.Header[key]; ok {
			r.Header[key] = append(prev, string(value))
			continue
		}
		if len(vals) == cap(vals) {
			vals = make([]string, 0, 8)
		}
		vals = append(vals, string(value))
		r.Header[key] = vals[len(vals)-1 : len(vals) : len(vals)]
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

func parseRequestLine(line []byte, r *Request) error {
	method, rest, ok1 := bytes.Cut(line, []byte{' '})
	uri, proto, ok2 := bytes.Cut(rest, []byte{' '})
	if !ok1 || !ok2 || !isToken(method) || len(uri) == 0 {
		return badRequest("a malformed request line")
	}
	switch string(proto) {
	case "HTTP/1.1":
	case "HTTP/1.0":
		r.HTTP10 = true
	default:
		if isVersion(proto) {
			return &Error{http.StatusHTTPVersionNotSupported, "only HTTP/1.1 and HTTP/1.0 are served"}
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
		// What url.ParseRequestURI checks of an origin form, without its
		// allocations: each % of the path begins an escape.
		path, _, _ := bytes.Cut(uri, []byte{'?'})
		if !validEscapes(path) {
			return badRequest("a malformed request target")
		}
	case len(uri) == 1 && uri[0] == '*' && string(method) == http.MethodOptions:
	case hasPrefixFold(uri, "http://") || hasPrefixFold(uri, "https://"):
		// Rare (a request meant for a proxy): the URL parser checks the
		// authority and the path.
		if _, err := url.ParseRequestURI(string(uri)); err != nil {
			return badRequest("a malformed request target")
		}
	default:
		return badRequest("a malformed request target")
	}
	r.Method, r.Target = string(method), string(uri)
	return nil
}

// validEscapes reports whether every % in b is followed by two hex digits.
func validEscapes(b []byte) bool {
	for {
		i := bytes.IndexByte(b, '%')
		if i < 0 {
			return true
		}
		if len(b) < i+3 || !isHex(b[i+1]) || !isHex(b[i+2]) {
			return false
		}
		b = b[i+3:]
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isVersion reports whether b is an HTTP version: HTTP/d.d or HTTP/d.
func isVersion(b []byte) bool {
	v, ok := bytes.CutPrefix(b, []byte("HTTP/"))
	digit := func(c byte) bool { return '0' <= c && c <= '9' }
	return ok && (len(v) == 1 && digit(v[0]) || len(v) == 3 && digit(v[0]) && v[1] == '.' && digit(v[2]))
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && equalFoldASCII(string(b[:len(prefix)]), prefix)
}

// frame decides the body's framing and the connection's fate from the
// header (RFC 9112, 6.3 and 9.3).
func frame(r *Request) error {
	h := r.Header
	if hosts := h["Host"]; len(hosts) > 1 || (len(hosts) == 0 && !r.HTTP10) {
		return badRequest("a request needs exactly one Host header")
	}
	r.Close = hasToken(h["Connection"], "close") || r.HTTP10 && !hasToken(h["Connection"], "keep-alive")
	te, cl := h["Transfer-Encoding"], h["Content-Length"]
	switch {
	case len(te) > 0 && len(cl) > 0:
		return badRequest("both Transfer-Encoding and Content-Length")
	case len(te) > 0:
		if r.HTTP10 {
			return badRequest("Transfer-Encoding in an HTTP/1.0 request")
		}
		if len(te) > 1 || !equalFoldASCII(te[0], "chunked") {
			return &Error{http.StatusNotImplemented, "only the chunked transfer coding is supported"}
		}
		if t := h["Trailer"]; hasToken(t, "transfer-encoding") || hasToken(t, "content-length") || hasToken(t, "trailer") {
			return badRequest("a Trailer header announces a framing field")
		}
		r.Length = -1
	case len(cl) > 1:
		return badRequest("more than one Content-Length header")
	case len(cl) > 0:
		n, err := strconv.ParseUint(cl[0], 10, 63)
		if err != nil || cl[0][0] == '+' {
			return badRequest("an invalid Content-Length")
		}
		r.Length = int64(n)
	default:
		r.Length = 0
	}
	if len(h["X-Original-Method"]) > 1 || len(h["X-Original-Uri"]) > 1 {
		return badRequest("more than one X-Original-Method or X-Original-URI header")
	}
	if e := h["Expect"]; len(e) > 0 {
		if len(e) > 1 || !equalFoldASCII(e[0], "100-continue") {
			return &Error{http.StatusExpectationFailed, "only Expect: 100-continue is supported"}
		}
		r.Expect = r.Length != 0 && !r.HTTP10
	}
	return nil
}

// ReadBody reads the body r announces, keeping at most limit bytes (limit
// > 0). done reports whether the whole body, and the trailer section of a
// chunked one, was consumed, so that br holds the next request. A malformed
// chunked body or trailer section is an *Error; any other error is br's
// (the input ended, io.ErrUnexpectedEOF, or timed out).
func ReadBody(br *bufio.Reader, r *Request, limit int64) (body []byte, done bool, err error) {
	if r.Length >= 0 {
		n := min(r.Length, limit)
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
		return body, n == r.Length, nil
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

// hasToken reports whether a field's comma-separated values hold tok (in
// lower case), compared as ASCII: a token is never matched by its Unicode
// folding ("\u212aeep-alive" is not "keep-alive").
func hasToken(values []string, tok string) bool {
	for _, list := range values {
		for list != "" {
			var item string
			item, list, _ = strings.Cut(list, ",")
			if equalFoldASCII(strings.Trim(item, " \t"), tok) {
				return true
			}
		}
	}
	return false
}

// equalFoldASCII reports whether s is t (in lower case) but for the case of
// ASCII letters.
func equalFoldASCII(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != t[i] {
			return false
		}
	}
	return true
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

// HeadBuffered reports whether br's buffered input holds a whole request
// head (it ends with an empty line), so that ReadHead will not wait for the
// connection.
func HeadBuffered(br *bufio.Reader) bool {
	b, _ := br.Peek(br.Buffered())
	return bytes.Contains(b, []byte("\n\r\n")) || bytes.Contains(b, []byte("\n\n"))
}

// Continue is the interim response that asks a client sending Expect:
// 100-continue for its body.
const Continue = "HTTP/1.1 100 Continue\r\n\r\n"
