package verifier

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"keysmith/app/core/verify"
	"keysmith/app/face/verifier/http1"
)

// ErrClosed is what Serve returns once Shutdown was called.
var ErrClosed = errors.New("server: shut down")

// Serve answers HTTP/1.1 connections accepted on ln (plain TCP, or a TLS
// listener) until Shutdown. Each connection is served by one goroutine;
// keep-alive and pipelined requests are answered in order.
//
// Limits: a new connection has HeaderTimeout to send its first request
// head, and a kept-alive one IdleTimeout (give or take a second;
// PressureIdleTimeout while more than half the slots are in use) to begin
// the next; once a head has begun arriving it has HeaderTimeout to
// complete, and a body BodyTimeout. The same deadline bounds writes. Which
// connections are let in, and which are closed to make room, is stated in
// the package guarantees.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		ln.Close()
		return ErrClosed
	}
	s.listeners = append(s.listeners, ln)
	s.mu.Unlock()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.shuttingDown() {
				return ErrClosed
			}
			if retryable(err) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("verifier cannot accept a connection; retrying", "err", err.Error(), "in", backoff.String())
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		c := newConn(s, nc)
		if !s.admit(c) {
			nc.Close()
			if s.shuttingDown() {
				return ErrClosed
			}
			continue
		}
		go c.serve()
	}
}

// retryable reports whether Accept may succeed later: a timeout, too many
// open files, or a connection aborted before it was accepted.
func retryable(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) ||
		errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.ENOBUFS)
}

// Shutdown stops accepting connections, closes idle ones, and waits for
// requests in progress to be answered; when ctx ends first, it closes the
// rest and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing.Store(true)
	for _, ln := range s.listeners {
		ln.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.connWG.Wait(); close(done) }()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		s.closeConns(false)
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			s.closeConns(true)
			<-done
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func (s *Server) closeConns(all bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if all || c.state.CompareAndSwap(idle, closed) {
			c.nc.Close()
		}
	}
}

// shuttingDown reports whether Shutdown began; it takes no lock, since
// every request asks.
func (s *Server) shuttingDown() bool { return s.closing.Load() }

// conn is one client connection.
type conn struct {
	s        *Server
	nc       net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	remote   string       // host of the peer
	loopback bool         // the peer is on this machine
	state    atomic.Int32 // idle, busy or closed (by Shutdown or to make room)
	idleAt   atomic.Int64 // when it last turned idle, in Unix nanoseconds
	authed   bool         // one of its requests was accepted
	// ctx ends when the connection is closed to make room or shut down, so
	// a verification waiting on it (a Legacy check's slot or its delay)
	// gives its slot back at once.
	ctx    context.Context
	cancel context.CancelFunc

	// Under Server.mu: its place in the server's unauth list.
	older, newer *conn
	listed       bool

	header   http.Header // reused by each request
	now      time.Time   // when the current request began arriving
	deadline time.Time   // of nc, for reads and writes
	dateSec  int64       // the second date holds
	date     []byte      // Date header value
	buf      []byte      // response body
}

// Connection states: Shutdown closes a connection only while it is idle,
// and a connection answers only what it began while not closed.
const (
	idle int32 = iota
	busy
	closed
)

func newConn(s *Server, nc net.Conn) *conn {
	addr := nc.RemoteAddr().String()
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &conn{s: s, nc: nc, br: bufio.NewReaderSize(nc, 4096), bw: bufio.NewWriterSize(nc, 4096),
		remote: host, loopback: isLoopback(addr), dateSec: -1, ctx: ctx, cancel: cancel}
}

func (c *conn) serve() {
	s := c.s
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("verifier connection panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
		c.cancel()
		c.nc.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.unauth.remove(c)
		s.mu.Unlock()
		<-s.slots
		s.connWG.Done()
	}()
	c.setDeadline(time.Now().Add(s.headerTimeout))
	for {
		// Wait for the next request under the idle (or first-request)
		// deadline; a head that has not fully arrived with its first bytes
		// gets HeaderTimeout to complete.
		if _, err := c.br.Peek(1); err != nil || !c.state.CompareAndSwap(idle, busy) {
			return
		}
		now := time.Now()
		c.now = now
		short := !http1.HeadBuffered(c.br)
		if short {
			c.flush() // answers to earlier pipelined requests go first
			c.setDeadline(now.Add(s.headerTimeout))
		}
		keep, slow, unread := c.next(now, short)
		if !keep {
			if c.bw.Flush() == nil && (unread || c.br.Buffered() > 0) {
				c.linger()
			}
			return
		}
		// Pipelined requests whose heads are all here are answered in one
		// write; anything else is flushed now.
		if !http1.HeadBuffered(c.br) && c.bw.Flush() != nil {
			return
		}
		if slow {
			now = time.Now() // the body took a while: idle from here
		}
		c.idleAt.Store(now.UnixNano())
		if !c.state.CompareAndSwap(busy, idle) || s.shuttingDown() {
			c.bw.Flush()
			return
		}
		// Refresh the idle deadline at most once a second while requests
		// flow: setting a deadline costs more than verifying a request.
		idleFor := s.idleFor()
		slack := min(time.Second, idleFor/8)
		if idle := now.Add(idleFor); short || slow || c.deadline.Before(idle.Add(-slack)) || c.deadline.After(idle) {
			c.setDeadline(idle)
		}
	}
}

// flush sends buffered answers; a failure surfaces at the next write.
func (c *conn) flush() {
	if c.bw.Buffered() > 0 {
		c.bw.Flush()
	}
}

// reserve makes sure the deadline leaves HeaderTimeout after now to answer:
// a request that arrived just before its deadline is still answered.
func (c *conn) reserve(now time.Time) {
	if c.deadline.Sub(now) < c.s.headerTimeout {
		c.setDeadline(now.Add(c.s.headerTimeout))
	}
}

func (c *conn) setDeadline(t time.Time) {
	c.deadline = t
	c.nc.SetDeadline(t)
}

// next reads and answers one request that began arriving at now (its head
// not all buffered then when short). keep reports whether the connection
// can carry another; slow whether a body deadline was set; unread whether
// the client may still be sending what was not read.
func (c *conn) next(now time.Time, short bool) (keep, slow, unread bool) {
	s := c.s
	r := http1.Request{Header: c.header}
	err := http1.ReadHead(c.br, &r)
	c.header = r.Header
	if err != nil {
		var we *http1.Error
		if errors.As(err, &we) {
			c.reserve(time.Now())
			s.logLine(s.clock(), "malformed", r.Method, r.Target, "", c.remote, we.Reason)
			c.respond(&r, we.Status, c.errorBody(we), true)
			return false, false, true
		}
		return false, false, false
	}
	start := s.clock()
	from := c.from(r.Header)
	if short { // the head took more reads: now is stale
		now = time.Now()
	}
	c.reserve(now)
	var body []byte
	complete := true
	if r.Length != 0 {
		if r.Expect {
			c.bw.WriteString(http1.Continue)
			if c.bw.Flush() != nil {
				return false, false, false
			}
		}
		if r.Length < 0 || int64(c.br.Buffered()) < r.Length {
			c.flush()
			c.setDeadline(now.Add(s.bodyTimeout))
			slow = true
		}
		var err error
		body, complete, err = http1.ReadBody(c.br, &r, verify.MaxBody+1)
		if slow {
			c.reserve(time.Now())
		}
		if err != nil {
			var we *http1.Error
			if errors.As(err, &we) {
				s.logLine(start, "malformed", r.Method, r.Target, "", c.remote, we.Reason)
				c.respond(&r, we.Status, c.errorBody(we), true)
				return false, slow, true
			}
			code, b := s.refuse(&r, from, "", "body unreadable", start, c.buf[:0])
			c.respond(&r, code, b, true)
			return false, slow, true
		}
	}
	code, b, accepted := s.answer(c.ctx, &r, body, from, start, c.buf[:0])
	c.buf = b[:0]
	if accepted && !c.authed {
		c.authed = true
		s.authenticated(c)
	}
	keep = complete && !r.Close && !s.shuttingDown()
	c.respond(&r, code, b, !keep)
	return keep, slow, !complete
}

// linger ends a connection whose client may still be sending: closing with
// unread input would reset it and could destroy the answer before the
// client reads it. So stop sending, then discard input for a moment.
func (c *conn) linger() {
	type closeWriter interface{ CloseWrite() error }
	if cw, ok := c.nc.(closeWriter); ok && cw.CloseWrite() == nil {
		c.nc.SetReadDeadline(time.Now().Add(lingerTime))
		io.CopyN(io.Discard, c.nc, lingerBytes)
	}
}

// How long and how much a closing connection's input is discarded.
const (
	lingerTime  = 500 * time.Millisecond
	lingerBytes = 256 << 10
)

// from is the client address to record: the peer, or the X-Real-IP a
// reverse proxy on this machine set, when the server trusts one.
func (c *conn) from(h http.Header) string {
	if v := h["X-Real-Ip"]; c.s.trustProxy && c.loopback && len(v) == 1 {
		// No zone: its text is free-form and would reach the log as is.
		if ip, err := netip.ParseAddr(v[0]); err == nil && ip.Zone() == "" {
			return ip.String()
		}
	}
	return c.remote
}

func (c *conn) errorBody(we *http1.Error) []byte {
	c.buf = appendJSON(c.buf[:0], struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}{errorName(we.Status), "Keysmith cannot read this request: " + we.Reason + "."})
	return c.buf
}

// errorName is the status text in snake case, e.g. "bad_request".
func errorName(code int) string {
	b := []byte(http.StatusText(code))
	for i, ch := range b {
		switch {
		case ch == ' ' || ch == '-':
			b[i] = '_'
		case 'A' <= ch && ch <= 'Z':
			b[i] = ch + 'a' - 'A'
		}
	}
	return string(b)
}

// Status lines and headers of every response.
const (
	line200     = "HTTP/1.1 200 OK\r\n"
	line401     = "HTTP/1.1 401 Unauthorized\r\n"
	fixedHeader = "Content-Type: application/json\r\nCache-Control: no-store\r\n"
	challenge   = "WWW-Authenticate: Basic realm=\"Keysmith\"\r\nWWW-Authenticate: hmac realm=\"Keysmith\"\r\n"
)

// respond writes one response into the connection's buffer; the caller
// flushes. A HEAD request gets the head only.
func (c *conn) respond(r *http1.Request, code int, body []byte, closing bool) {
	w := c.bw
	switch code {
	case http.StatusOK:
		w.WriteString(line200)
	case http.StatusUnauthorized:
		w.WriteString(line401)
	default:
		w.WriteString("HTTP/1.1 ")
		w.WriteString(strconv.Itoa(code))
		w.WriteByte(' ')
		w.WriteString(http.StatusText(code))
		w.WriteString("\r\n")
	}
	w.WriteString(fixedHeader)
	if code == http.StatusUnauthorized {
		w.WriteString(challenge)
	}
	w.WriteString("Date: ")
	w.Write(c.httpDate())
	w.WriteString("\r\nContent-Length: ")
	w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(len(body)), 10))
	switch {
	case closing:
		w.WriteString("\r\nConnection: close")
	case r.HTTP10:
		w.WriteString("\r\nConnection: keep-alive")
	}
	w.WriteString("\r\n\r\n")
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// httpDate is the time the request began arriving in the Date header's
// format, formatted once a second.
func (c *conn) httpDate() []byte {
	now := c.now
	if sec := now.Unix(); sec != c.dateSec {
		c.dateSec = sec
		c.date = now.UTC().AppendFormat(c.date[:0], http.TimeFormat)
	}
	return c.date
}
