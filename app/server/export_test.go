package server

import "time"

// SetBodyTimeout shortens the body deadline for tests.
func SetBodyTimeout(s *Server, d time.Duration) { s.bodyTimeout = d }
