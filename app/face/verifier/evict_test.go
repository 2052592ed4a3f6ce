package verifier

import (
	"net"
	"testing"
)

// A connection closed to make room (or at shutdown) ends the context its
// verification runs under, so a Legacy check waiting for a slot or holding
// a throttled answer gives the connection's slot back at once instead of
// keeping it while its socket is already closed.
func TestEvictedConnectionEndsItsVerification(t *testing.T) {
	s := New(nil, nil, nil, nil)
	a, b := net.Pipe()
	defer b.Close()
	c := newConn(s, a)
	if c.ctx.Err() != nil {
		t.Fatal("a new connection's context has already ended")
	}
	s.mu.Lock()
	s.evict(c)
	s.mu.Unlock()
	if c.ctx.Err() == nil {
		t.Fatal("evicting a connection left its verification context running")
	}
}
