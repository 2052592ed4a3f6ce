// Package verifier is the loopback verification endpoint (keysmith serve): a
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
//   - An announced endpoint (Announce) is in the account's list of
//     verifiers while it runs: its heartbeat rides on the bookkeeping, and
//     Close marks it stopped.
//   - Connections cannot be hoarded without credentials. A connection counts
//     as unauthenticated until one of its requests is accepted (a health
//     check or a refusal does not count). At most MaxUnauthenticated of them
//     are open: a new connection beyond that closes the oldest, whatever it is
//     doing. So connections without valid credentials never hold more than
//     MaxUnauthenticated of the MaxConns slots; the rest are left to
//     connections that authenticated, and a new client gets in as long as
//     its first request is answered before MaxUnauthenticated newer
//     connections arrive. While more than half the slots are in use, an idle
//     connection is closed after PressureIdleTimeout instead of IdleTimeout;
//     with every slot in use, a new connection takes the slot of an idle one
//     (the longest idle unauthenticated one first), or waits to be accepted
//     while none is idle.
//   - It reads HTTP/1.1 itself (package http1, which states what it
//     accepts and refuses; conn.go), strictly: an ambiguous
//     request (bare LF line endings, a repeated Content-Length, a malformed
//     chunked body, ...) gets a 4xx (501 for a coding other than chunked, 505
//     for a version other than 1.x) and its connection is closed; heads,
//     bodies, connections and the time each may take are bounded (see the
//     limits).
package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"keysmith/app/core/credentials"
	"keysmith/app/core/verifiers"
	"keysmith/app/core/verify"
	"keysmith/app/face/logfmt"
	"keysmith/app/face/verifier/http1"
	"keysmith/app/version"
)

// HealthPath answers 200 without authentication.
const HealthPath = "/keysmith/health"

// Server serves verification requests.
type Server struct {
	ver    *verify.Verifier
	creds  *credentials.Service
	log    *logfmt.Logger
	reqLog io.Writer // one line per request; nil for none
	clock  func() time.Time

	headerTimeout, bodyTimeout, idleTimeout time.Duration

	events   chan event
	done     chan struct{}
	wg       sync.WaitGroup
	unfollow func() // stops the cache following the change feed, if it does

	reg         atomic.Pointer[verifiers.Registration] // set by Announce
	beatFailing bool                                   // the last heartbeat failed (logged once)

	trustProxy   bool          // record X-Real-IP from a local reverse proxy
	slots        chan struct{} // one per open connection, at most MaxConns
	maxUnauth    int           // MaxUnauthenticated
	pressureIdle time.Duration // PressureIdleTimeout

	mu        sync.Mutex
	closing   atomic.Bool // set under mu, read without it
	listeners []net.Listener
	conns     map[*conn]struct{}
	unauth    connList  // connections without an accepted request, oldest first
	lastSweep time.Time // of idle connections under pressure
	connWG    sync.WaitGroup
}

type event struct {
	use     *credentials.Use
	refusal *credentials.Refusal
}

// Limits of the HTTP face (see Serve and the package guarantees): a client
// has HeaderTimeout to send a request head of at most MaxHeaderBytes in
// MaxFields fields, and BodyTimeout for a body; an idle keep-alive
// connection is closed after IdleTimeout, or PressureIdleTimeout while more
// than half of MaxConns are open. At most MaxConns connections are open, at
// most MaxUnauthenticated of them without an accepted request.
const (
	HeaderTimeout       = 5 * time.Second
	BodyTimeout         = 15 * time.Second
	IdleTimeout         = 2 * time.Minute
	PressureIdleTimeout = 5 * time.Second
	MaxHeaderBytes      = http1.MaxHeaderBytes
	MaxFields           = http1.MaxFields // header fields in one request head
	MaxConns            = 4096            // open connections
	MaxUnauthenticated  = 1024            // open connections none of whose requests was accepted yet
)

// New returns a Server; Start begins its bookkeeping and Close ends it;
// Serve answers connections and Shutdown ends them.
func New(creds *credentials.Service, ver *verify.Verifier, log *logfmt.Logger, clock func() time.Time) *Server {
	return &Server{ver: ver, creds: creds, log: log, clock: clock,
		headerTimeout: HeaderTimeout, bodyTimeout: BodyTimeout, idleTimeout: IdleTimeout,
		events: make(chan event, 8192), done: make(chan struct{}), conns: map[*conn]struct{}{}, slots: make(chan struct{}, MaxConns),
		maxUnauth: MaxUnauthenticated, pressureIdle: PressureIdleTimeout}
}

// TrustProxy records the X-Real-IP header as the client address when the
// request comes from this machine (a reverse proxy such as nginx); without
// it, the peer's address is recorded.
func (s *Server) TrustProxy(on bool) { s.trustProxy = on }

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
				s.beat()
			case <-s.done:
				s.flush()
				return
			}
		}
	}()
}

// Close flushes what is pending, stops the bookkeeping (and the cache's
// following of the change feed) and marks an announced endpoint stopped.
func (s *Server) Close() {
	if s.unfollow != nil {
		s.unfollow()
	}
	close(s.done)
	s.wg.Wait()
	if reg := s.reg.Load(); reg != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := reg.Stop(ctx); err != nil {
			s.log.Warn("verifier not marked stopped", "err", err.Error())
		}
	}
}

// Announce registers the endpoint, listening on addr, in the account's list
// of verifiers as actorID (an Administrator; verifiers.Service.Register),
// with this machine's host name, Keysmith's version and the date
// difference it accepts. The bookkeeping
// started by Start keeps it seen, and Close marks it stopped.
func (s *Server) Announce(ctx context.Context, vs *verifiers.Service, actorID int64, kind verifiers.Kind, addr string) error {
	host, err := os.Hostname()
	if err != nil {
		host = ""
	}
	reg, err := vs.Register(ctx, actorID, verifiers.Info{Kind: kind, Host: host, Address: addr, Version: version.Version, Skew: s.ver.Skew()})
	if err != nil {
		return err
	}
	s.reg.Store(reg)
	return nil
}

// Registration is the endpoint's row in the account's list of verifiers,
// nil until Announce.
func (s *Server) Registration() *verifiers.Registration { return s.reg.Load() }

// beat sends the heartbeat of an announced endpoint when it is due,
// logging the first failure of a run of them.
func (s *Server) beat() {
	reg := s.reg.Load()
	if reg == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), verifiers.HeartbeatEvery)
	defer cancel()
	err := reg.Beat(ctx)
	if err != nil && !s.beatFailing {
		s.log.Warn("verifier heartbeat not recorded", "err", err.Error())
	}
	s.beatFailing = err != nil
}

func (s *Server) flush() {
	latest := map[int64]credentials.Use{}
	refusals := map[credentials.Refusal]int{}
	for {
		select {
		case e := <-s.events:
			if e.use != nil {
				// Requests finish out of order: keep the one that came
				// last, whichever was queued last.
				if u, ok := latest[e.use.ID]; !ok || e.use.At.After(u.At) {
					latest[e.use.ID] = *e.use
				}
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

// answer verifies one request whose body (when it has one) was read, and
// returns the status and the body of the reply, appended to buf, and whether
// its credentials were accepted.
func (s *Server) answer(ctx context.Context, r *http1.Request, body []byte, from string, start time.Time, buf []byte) (int, []byte, bool) {
	if path, _, _ := strings.Cut(r.Target, "?"); path == HealthPath {
		return http.StatusOK, append(buf, healthBody...), false
	}
	req := verifyRequest(r, body)
	c, err := s.ver.Verify(ctx, req)
	if err != nil {
		code, b := s.refuse(r, from, s.loggedKey(first(r.Header["Authorization"]), err), verify.Reason(err), start, buf)
		return code, b, false
	}
	s.queue(event{use: &credentials.Use{ID: c.ID, At: start, From: from}})
	s.logLine(start, "accepted", req.Method, req.RequestURI, c.Key, from, "")
	return http.StatusOK, appendAccepted(buf, c), true
}

// logLine writes one request-log line (logfmt, no secrets) without the
// allocations of a structured logger: this runs for every request.
func (s *Server) logLine(start time.Time, verdict, method, uri, key, from, reason string) {
	if s.reqLog == nil {
		return
	}
	bp := bufPool.Get().(*[]byte)
	b := (*bp)[:0]
	b = logfmt.AppendStamp(b, start)
	b = append(b, ' ')
	b = append(b, verdict...)
	b = logfmt.AppendField(b, "method", method)
	b = logfmt.AppendField(b, "uri", uri)
	b = logfmt.AppendField(b, "key", key)
	b = append(append(b, " from="...), from...)
	if reason != "" {
		b = logfmt.AppendField(b, "reason", reason)
	}
	b = append(b, " took="...)
	b = strconv.AppendInt(b, s.clock().Sub(start).Microseconds(), 10)
	b = append(b, "µs\n"...)
	s.reqLog.Write(b)
	*bp = b
	bufPool.Put(bp)
}

// bufPool holds buffers for request-log lines and response bodies.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// first is the first value of a header field, or "" (http.Header.Get
// without canonicalizing a key that already is).
func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// refuse records and logs a refusal and returns the 401 to send, its body
// appended to buf.
func (s *Server) refuse(r *http1.Request, from, key, why string, start time.Time, buf []byte) (int, []byte) {
	s.queue(event{refusal: &credentials.Refusal{Key: key, Reason: why, From: from}})
	s.logLine(start, "refused", r.Method, r.Target, key, from, why)
	return http.StatusUnauthorized, append(buf, refusedBody...)
}

// loggedKey is what the log and the audit record of the key a refused
// request claims (the hmac username, or the user part of Basic; never the
// password). A key of an existing credential is recorded as is; any other
// may be a secret sent in the wrong place (key and secret swapped), so only
// its credentials.Fingerprint is kept. A refusal costs at most the one
// lookup the verifier would make: none more when it already found the key
// unknown.
func (s *Server) loggedKey(h string, err error) string {
	if len(h) > verify.MaxAuthorization {
		return ""
	}
	k := verify.ClaimedKey(h)
	if k == "" || !errors.Is(err, credentials.ErrUnknownKey) && len(k) <= 64 && s.ver.Known(context.Background(), k) {
		return k
	}
	return s.creds.Fingerprint(k)
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

// CheckListen checks a listen address: host:port, the host an IP address
// or localhost (empty: every interface), the port 0-65535 (0: a free one),
// and a non-loopback host only with TLS.
func CheckListen(addr string, tls bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("the listen address must be host:port, like " + DefaultListen)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || port != strconv.Itoa(n) {
		return fmt.Errorf("the port must be a number from 0 to 65535 (0 picks a free one), not %q", port)
	}
	if _, err := netip.ParseAddr(host); host != "" && host != "localhost" && err != nil {
		return fmt.Errorf("the listen host must be an IP address or localhost, not %q", host)
	}
	if !isLoopback(addr) && !tls {
		return errors.New("serving beyond loopback needs --tls-cert and --tls-key")
	}
	return nil
}

// Unlistenable says why a listen on an address failed, in words for the
// user: "another program is already listening on it", and so on.
func Unlistenable(err error) string {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return "another program is already listening on it"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "it is not an address of this machine"
	case errors.Is(err, syscall.EACCES):
		return "ports below 1024 need administrator rights"
	}
	return "it is not available here"
}

// Fixed bodies.
const (
	healthBody  = `{"status":"ok"}` + "\n"
	refusedBody = `{"error":"unauthorized","message":"The request's credentials were not accepted."}` + "\n"
)

// acceptedBody is the body of a 200.
type acceptedBody struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
	Name string `json:"name"`
	Key  string `json:"key"`
}

// appendAccepted appends the body of a 200, the JSON object
// {"id","type","name","key"} of c and a newline. encoding/json costs about
// 0.7 µs and 2 allocations (144 B) more per accepted request than the
// hand-written encoder it replaced (BenchmarkAcceptedBody), which the whole
// request path does not show (BenchmarkServeBasic, p=0.85, n=10).
func appendAccepted(b []byte, c credentials.Credential) []byte {
	return appendJSON(b, acceptedBody{c.ID, string(c.Type), c.Name, c.Key})
}

// appendJSON appends v, a struct of strings and integers, as JSON and a
// newline.
func appendJSON(b []byte, v any) []byte {
	j, err := json.Marshal(v)
	if err != nil {
		panic(err) // cannot happen: strings and integers always encode
	}
	return append(append(b, j...), '\n')
}
