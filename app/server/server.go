// Package server is the loopback verification endpoint (keysmith serve): a
// thin HTTP face over the verifier.
//
// Guarantees:
//   - A valid request gets 200 and a JSON body naming the credential; every
//     refusal gets the same 401 with WWW-Authenticate and a JSON error. The
//     reason goes to the request log and, aggregated each second, to the
//     audit log; never a secret.
//   - Behind nginx auth_request, X-Original-Method and X-Original-URI are the
//     request line that was signed.
//   - Last use (time, client address) is recorded in batches off the request
//     path; when the batch queue is full, a use is dropped, never waited for.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"keysmith/app/credentials"
	"keysmith/app/verify"
)

// HealthPath answers 200 without authentication.
const HealthPath = "/keysmith/health"

// Server serves verification requests.
type Server struct {
	ver    *verify.Verifier
	creds  *credentials.Service
	log    *slog.Logger
	reqLog io.Writer // one line per request; nil for none
	clock  func() time.Time

	events chan event
	done   chan struct{}
	wg     sync.WaitGroup
}

type event struct {
	use     *credentials.Use
	refusal *credentials.Refusal
}

// New returns a Server; Start begins its bookkeeping and Close ends it.
func New(creds *credentials.Service, ver *verify.Verifier, log *slog.Logger, clock func() time.Time) *Server {
	return &Server{ver: ver, creds: creds, log: log, clock: clock, events: make(chan event, 8192), done: make(chan struct{})}
}

// LogRequests writes the request log to w (one logfmt line per request).
func (s *Server) LogRequests(w io.Writer) { s.reqLog = w }

// Start begins recording uses and refusals every interval.
func (s *Server) Start(interval time.Duration) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.flush()
			case <-s.done:
				s.flush()
				return
			}
		}
	}()
}

// Close flushes what is pending and stops the bookkeeping.
func (s *Server) Close() {
	close(s.done)
	s.wg.Wait()
}

func (s *Server) flush() {
	latest := map[int64]credentials.Use{}
	refusals := map[credentials.Refusal]int{}
	for {
		select {
		case e := <-s.events:
			if e.use != nil {
				latest[e.use.ID] = *e.use
			} else {
				refusals[*e.refusal]++
			}
			continue
		default:
		}
		break
	}
	var uses []credentials.Use
	for _, u := range latest {
		uses = append(uses, u)
	}
	var rs []credentials.Refusal
	for r, n := range refusals {
		r.Count = n
		rs = append(rs, r)
	}
	if err := s.creds.Record(context.Background(), uses, rs); err != nil {
		s.log.Error("record verifier activity", "err", err.Error())
	}
}

func (s *Server) queue(e event) {
	select {
	case s.events <- e:
	default: // never slow a request for bookkeeping
	}
}

// ServeHTTP verifies one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == HealthPath {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	}
	start := s.clock()
	req := verify.Request{Method: r.Method, RequestURI: r.RequestURI, Header: r.Header, HasBody: true}
	if m, u := r.Header.Get("X-Original-Method"), r.Header.Get("X-Original-URI"); m != "" && u != "" {
		req.Method, req.RequestURI = m, u
		req.HasBody = r.ContentLength != 0
	}
	from := clientAddr(r)
	if r.ContentLength != 0 { // unknown (-1) or announced
		body, err := io.ReadAll(io.LimitReader(r.Body, verify.MaxBody+1))
		if err != nil {
			s.refuse(w, r, from, "", "body unreadable", start)
			return
		}
		req.Body = body
	}
	c, err := s.ver.Verify(r.Context(), req)
	if err != nil {
		s.refuse(w, r, from, namedKey(r.Header.Get("Authorization")), verify.Reason(err), start)
		return
	}
	s.queue(event{use: &credentials.Use{ID: c.ID, At: start, From: from}})
	s.logLine(start, "accepted", req.Method, req.RequestURI, c.Key, from, "")
	writeJSON(w, http.StatusOK, accepted{c.ID, string(c.Type), c.Name, c.Key})
}

// logLine writes one request-log line (logfmt, no secrets) without the
// allocations of a structured logger: this runs for every request.
func (s *Server) logLine(start time.Time, verdict, method, uri, key, from, reason string) {
	if s.reqLog == nil {
		return
	}
	bp := linePool.Get().(*[]byte)
	b := (*bp)[:0]
	b = start.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, ' ')
	b = append(b, verdict...)
	b = append(b, " method="...)
	b = strconv.AppendQuote(b, method)
	b = append(b, " uri="...)
	b = strconv.AppendQuote(b, uri)
	b = append(b, " key="...)
	b = strconv.AppendQuote(b, key)
	b = append(b, " from="...)
	b = append(b, from...)
	if reason != "" {
		b = append(b, " reason="...)
		b = strconv.AppendQuote(b, reason)
	}
	b = append(b, " took="...)
	b = strconv.AppendInt(b, s.clock().Sub(start).Microseconds(), 10)
	b = append(b, "µs\n"...)
	s.reqLog.Write(b)
	*bp = b
	linePool.Put(bp)
}

var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// accepted is the body of a 200.
type accepted struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
	Name string `json:"name"`
	Key  string `json:"key"`
}

func (s *Server) refuse(w http.ResponseWriter, r *http.Request, from, key, why string, start time.Time) {
	s.queue(event{refusal: &credentials.Refusal{Key: key, Reason: why, From: from}})
	s.logLine(start, "refused", r.Method, r.RequestURI, key, from, why)
	w.Header().Add("WWW-Authenticate", `Basic realm="Keysmith"`)
	w.Header().Add("WWW-Authenticate", `hmac realm="Keysmith"`)
	writeJSON(w, http.StatusUnauthorized, refusedBody)
}

// namedKey extracts the key or username a request claims, for the log: the
// hmac username, or the user part of Basic (never the password).
func namedKey(h string) string {
	if len(h) > verify.MaxAuthorization {
		return ""
	}
	if k := verify.ClaimedKey(h); len(k) <= 64 {
		return k
	}
	return ""
}

func clientAddr(r *http.Request) string {
	if ip := r.Header.Get("X-Real-IP"); ip != "" && isLoopback(r.RemoteAddr) {
		return ip // set by a local reverse proxy
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckListen refuses a non-loopback address unless TLS is configured.
func CheckListen(addr string, tls bool) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return errors.New("the listen address must be host:port, like 127.0.0.1:8787")
	}
	if !isLoopback(addr) && !tls {
		return errors.New("serving beyond loopback needs --tls-cert and --tls-key")
	}
	return nil
}

var refusedBody = struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}{"unauthorized", "The request's credentials were not accepted."}

// Shared header values: assigning them directly avoids a canonicalization
// and an allocation per response.
var (
	jsonType = []string{"application/json"}
	noStore  = []string{"no-store"}
)

func writeJSON(w http.ResponseWriter, code int, v any) {
	h := w.Header()
	h["Content-Type"] = jsonType
	h["Cache-Control"] = noStore
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"error":"internal"}`)
	}
	h["Content-Length"] = []string{strconv.Itoa(len(b) + 1)}
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
