package verify

import (
	"context"
	"sync"
	"time"
)

// Replays remembers the signatures a verifier accepted, so that each is
// accepted once while its request's date could still be accepted. Memory
// keeps them in this process; the verifiers of a team share a database
// table as well (verifiers.Replays), consulted after Memory.
type Replays interface {
	// FirstUse records sig as used until until and reports whether it was
	// not already in use at now. Full of signatures still in use, it
	// reports false rather than forget one. An error means it could not
	// tell: the request is refused.
	FirstUse(ctx context.Context, sig string, now, until time.Time) (bool, error)
}

// Memory is Replays in this process's memory, for at most max signatures.
type Memory struct {
	max int

	mu   sync.Mutex
	seen map[string]time.Time // signature → when it may be forgotten
}

// NewMemory returns an empty Memory holding at most max signatures.
func NewMemory(max int) *Memory { return &Memory{max: max, seen: map[string]time.Time{}} }

// FirstUse implements Replays; it never fails.
func (m *Memory) FirstUse(_ context.Context, sig string, now, until time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if exp, ok := m.seen[sig]; ok && now.Before(exp) {
		return false, nil
	}
	if len(m.seen) >= m.max {
		for k, exp := range m.seen {
			if !now.Before(exp) {
				delete(m.seen, k)
			}
		}
		if len(m.seen) >= m.max {
			return false, nil // refuse rather than forget a signature still in its window
		}
	}
	m.seen[sig] = until
	return true, nil
}

// forget removes sig if FirstUse recorded it until until: the shared window
// could not be asked, so the request was refused and may come again.
func (m *Memory) forget(sig string, until time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if exp, ok := m.seen[sig]; ok && exp.Equal(until) {
		delete(m.seen, sig)
	}
}
