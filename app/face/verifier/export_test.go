package verifier

import (
	"time"

	"keysmith/app/core/credentials"
)

// SetTimeouts shortens the connection deadlines for tests.
func SetTimeouts(s *Server, header, body, idle time.Duration) {
	s.headerTimeout, s.bodyTimeout, s.idleTimeout = header, body, idle
}

// SetMaxConns lowers the open-connection limit for tests (before Serve).
func SetMaxConns(s *Server, n int) { s.slots = make(chan struct{}, n) }

// SetMaxUnauthenticated lowers the unauthenticated-connection limit for
// tests (before Serve).
func SetMaxUnauthenticated(s *Server, n int) { s.maxUnauth = n }

// SetPressureIdle sets the idle timeout under pressure for tests.
func SetPressureIdle(s *Server, d time.Duration) { s.pressureIdle = d }

// IdleConns counts the open connections waiting for a request.
func IdleConns(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.conns {
		if c.state.Load() == idle {
			n++
		}
	}
	return n
}

// QueueUse queues an accepted request's use, as answering one does.
func QueueUse(s *Server, u credentials.Use) { s.queue(event{use: &u}) }
