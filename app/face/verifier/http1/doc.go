// Package http1 reads HTTP/1.1 requests for keysmith serve: a strict
// reader of the subset of RFC 9112 that clients, the SDKs and nginx send.
//
// It exists, instead of net/http, because it is measured: in one run of
// scripts/bench-serve.sh beside nginx, keysmith serve answered at 0.65×
// nginx's rate with verification, and a bare net/http handler (no
// verification) at 0.42×. It reads a head without allocating for the common
// fields and lets pipelined requests be answered in one write.
//
// # Accepted
//
//   - At most one empty line (CRLF), then a request line: a token method, one
//     space, a request-target, one space, and HTTP/1.1 or HTTP/1.0. The target
//     is origin-form ("/..."), absolute-form with an http or https scheme
//     (any case), or "*" for OPTIONS; it holds no control byte, space or
//     DEL, and is what url.ParseRequestURI accepts: every % of the path
//     begins an escape (%XX), and an absolute form's authority is valid.
//   - Header fields "name: value": a token name right before the colon; the
//     value without leading and trailing spaces and tabs, holding no control
//     byte other than tab and no DEL (bytes 0x80-0xFF are kept as they are).
//     Names are canonical (textproto.CanonicalMIMEHeaderKey); repeated fields
//     keep their values in order.
//   - Exactly one Host field in HTTP/1.1 (at most one in HTTP/1.0).
//   - A body framed by one Content-Length (decimal digits, below 2^63) or by
//     Transfer-Encoding: chunked (HTTP/1.1 only), whose trailer section is
//     read with the rules of header fields and discarded (a Trailer field
//     may not announce Transfer-Encoding, Content-Length or Trailer); none
//     otherwise.
//   - Expect: 100-continue (any case); Request.Expect is set when a body is
//     to come in HTTP/1.1, and the caller sends Continue.
//   - Every line ends in CRLF.
//
// The connection ends after the request (Request.Close) when an HTTP/1.1
// request lists "close" in Connection, or an HTTP/1.0 one lacks
// "keep-alive" or lists "close" too. Tokens (chunked, close, keep-alive, 100-continue, the
// scheme) match in any ASCII case, never by Unicode folding.
//
// # Bounds
//
//   - A head (request line and fields, with their line endings) is at most
//     MaxHeaderBytes (16 KiB) in at most MaxFields (100) fields; more is a 431.
//     A chunked body's trailer section has the same bounds.
//   - ReadBody keeps at most the caller's limit of body bytes (the verifier
//     passes verify.MaxBody+1) and allocates with what arrives, not with what
//     is announced, above 64 KiB.
//   - The reader sets no deadline: the caller bounds the time (see the
//     verifier's Serve).
//
// # Refused where net/http accepts
//
// Every refusal is an *Error with its status (400 unless stated) and the
// connection is to be closed. Compared with http.ReadRequest (and reading its
// body), this reader deliberately refuses, because each is ambiguous between
// a proxy and a server or unused by any client of the endpoint:
//
//   - a line ending in a bare LF, anywhere in the head, the chunked framing
//     or the trailers (net/http accepts a bare LF outside the chunk lines);
//   - obsolete line folding (a field line starting with space or tab);
//   - a space between a field name and its colon;
//   - an HTTP/1.1 request without Host (the net/http server refuses it
//     too);
//   - more than one Content-Length field, even with equal values;
//   - Content-Length together with Transfer-Encoding;
//   - Transfer-Encoding in an HTTP/1.0 request (net/http ignores it);
//   - a version other than HTTP/1.1 and HTTP/1.0: 505 for HTTP/d.d and
//     HTTP/d (net/http reads HTTP/1.2 as 1.x, and HTTP/2.0 for its server to
//     refuse);
//   - a request-target in authority-form (CONNECT host:port), "*" for a
//     method other than OPTIONS, or absolute-form with a scheme other than
//     http and https;
//   - a repeated X-Original-Method or X-Original-URI field (the request line
//     nginx signed would be ambiguous);
//   - an expectation other than 100-continue, or two Expect fields: 417 (the
//     net/http server answers 417 to the first too);
//   - a head over MaxHeaderBytes or MaxFields, or a trailer section over the
//     same: 431.
//
// A transfer coding other than chunked is a 501, as in net/http.
//
// # Accepted where net/http refuses
//
// Where this reader is more lenient than http.ReadRequest, it is on purpose:
//
//   - one empty line before the request line (RFC 9112, 2.2: a server
//     SHOULD ignore it);
//   - a trailer section that does not fit in the bufio.Reader's buffer
//     (net/http refuses "a suspiciously long trailer"; here trailers are
//     bounded by MaxHeaderBytes).
//
// Both readers refuse the rest of what the list above might suggest: two
// empty lines before the request line, two Host fields, two differing
// Content-Length values, a control byte in a value or a target.
//
// FuzzAgainstNetHTTP checks the whole contract: for any input, both readers
// agree on accepting it and on its method, target, version, framing,
// connection fate, fields and body, or the input is one of the cases above
// and gets the refusal that case causes; TestSeedsMeetEveryDocumentedCase
// checks that each case is met by a seed.
package http1
