package credentials

import (
	"context"
	"time"
)

// Loads is how many times c looked a key up in the database.
func (c *Cache) Loads() int64 { return c.loads.Load() }

// LegacyCheck is an argon2id check of a Legacy password.
type LegacyCheck = func(password, phc, owner string) (bool, error)

// WrapLegacyCheck makes s's verifier paths check Legacy passwords with
// wrap(the real check); call it before s checks any.
func (s *Service) WrapLegacyCheck(wrap func(LegacyCheck) LegacyCheck) {
	g := s.legacyGuard()
	g.check = wrap(g.check)
}

// LegacyWaiting is how many callers wait for another caller's check.
func (s *Service) LegacyWaiting() int64 { return s.legacyGuard().waiting.Load() }

// SetLegacySleep replaces the wait before a throttled refusal is answered.
func (s *Service) SetLegacySleep(fn func(d time.Duration)) {
	s.legacyGuard().sleep = func(_ context.Context, d time.Duration) { fn(d) }
}
