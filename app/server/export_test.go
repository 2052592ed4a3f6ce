package server

import "time"

// SetTimeouts shortens the connection deadlines for tests.
func SetTimeouts(s *Server, header, body, idle time.Duration) {
	s.headerTimeout, s.bodyTimeout, s.idleTimeout = header, body, idle
}

// SetMaxConns lowers the open-connection limit for tests (before Serve).
func SetMaxConns(s *Server, n int) { s.slots = make(chan struct{}, n) }
