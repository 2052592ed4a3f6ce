package server

import "time"

// SetTimeouts shortens the connection deadlines for tests.
func SetTimeouts(s *Server, header, body, idle time.Duration) {
	s.headerTimeout, s.bodyTimeout, s.idleTimeout = header, body, idle
}
