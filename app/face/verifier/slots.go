package verifier

import (
	"net"
	"time"
)

// Connection slots (see the package guarantees): every open connection
// holds one of MaxConns slots; those without an accepted request are also
// in the server's unauth list, at most MaxUnauthenticated long.

// connList is a list of connections, oldest first, linked through the
// connections themselves; it is guarded by Server.mu.
type connList struct {
	head, tail *conn
	n          int
}

func (l *connList) push(c *conn) {
	c.older, c.newer, c.listed = l.tail, nil, true
	if l.tail != nil {
		l.tail.newer = c
	} else {
		l.head = c
	}
	l.tail = c
	l.n++
}

// remove takes c out of the list; it does nothing if c is not in it.
func (l *connList) remove(c *conn) {
	if !c.listed {
		return
	}
	if c.older != nil {
		c.older.newer = c.newer
	} else {
		l.head = c.newer
	}
	if c.newer != nil {
		c.newer.older = c.older
	} else {
		l.tail = c.older
	}
	c.older, c.newer, c.listed = nil, nil, false
	l.n--
}

// slotPoll is how often a connection waiting for a slot looks again for an
// idle connection to close, while every open one is busy.
const slotPoll = 50 * time.Millisecond

// admit makes room for c as the limits say, takes a slot for it and
// registers it as unauthenticated; false when c is not to be served (Shutdown
// began, or a newer connection took its place while it waited).
func (s *Server) admit(c *conn) bool {
	now := time.Now()
	c.idleAt.Store(now.UnixNano())
	s.mu.Lock()
	for s.unauth.n >= max(s.maxUnauth, 1) {
		s.evict(s.unauth.head)
	}
	s.unauth.push(c)
	if s.underPressure() && now.Sub(s.lastSweep) >= s.pressureIdle/5 {
		s.lastSweep = now
		s.sweep(now)
	}
	s.mu.Unlock()
	s.takeSlot()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() || !c.listed { // shutting down, or already made room for a newer one
		s.unauth.remove(c)
		<-s.slots
		return false
	}
	s.conns[c] = struct{}{}
	s.connWG.Add(1)
	return true
}

// takeSlot waits for a free slot; while there is none, it closes the
// longest idle connection, unauthenticated ones first.
func (s *Server) takeSlot() {
	var t *time.Timer
	for {
		select {
		case s.slots <- struct{}{}:
			if t != nil {
				t.Stop()
			}
			return
		default:
		}
		s.evictIdle() // its slot frees as its goroutine ends
		if t == nil {
			t = time.NewTimer(slotPoll)
		} else {
			t.Reset(slotPoll)
		}
		select {
		case s.slots <- struct{}{}:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// underPressure reports whether more than half the slots are in use.
func (s *Server) underPressure() bool { return 2*len(s.slots) > cap(s.slots) }

// idleFor is how long a connection may now stay idle.
func (s *Server) idleFor() time.Duration {
	if s.underPressure() {
		return min(s.idleTimeout, s.pressureIdle)
	}
	return s.idleTimeout
}

// evict closes c, whatever it is doing, and takes it out of the unauth
// list. Called with s.mu held.
func (s *Server) evict(c *conn) {
	s.unauth.remove(c)
	c.state.Store(closed)
	c.abort()
}

// evictIdle closes the idle connection that waited longest, preferring one
// without an accepted request; it reports whether it found one.
func (s *Server) evictIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range 3 { // a connection may turn busy between the scan and the close
		var victim *conn
		var since int64
		for c := range s.conns {
			if c.state.Load() != idle {
				continue
			}
			at := c.idleAt.Load()
			if victim == nil || c.listed && !victim.listed || c.listed == victim.listed && at < since {
				victim, since = c, at
			}
		}
		if victim == nil {
			return false
		}
		if victim.state.CompareAndSwap(idle, closed) {
			s.unauth.remove(victim)
			victim.abort()
			return true
		}
	}
	return false
}

// sweep closes every connection idle since before now-pressureIdle.
// Called with s.mu held.
func (s *Server) sweep(now time.Time) {
	limit := now.Add(-s.pressureIdle).UnixNano()
	for c := range s.conns {
		if c.idleAt.Load() < limit && c.state.CompareAndSwap(idle, closed) {
			s.unauth.remove(c)
			c.abort()
		}
	}
}

// authenticated records that a request on c was accepted: c no longer
// counts against MaxUnauthenticated.
func (s *Server) authenticated(c *conn) {
	s.mu.Lock()
	s.unauth.remove(c)
	s.mu.Unlock()
}

// abort closes c's connection at once; for TLS, the connection under it,
// so that no close_notify waits behind a blocked write.
func (c *conn) abort() {
	c.cancel()
	nc := c.nc
	if t, ok := nc.(interface{ NetConn() net.Conn }); ok {
		nc = t.NetConn()
	}
	nc.Close()
}
