package desktop

import (
	"context"
	"errors"
	"sync"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/errs"
)

// Events of the database's change feed. They carry a topic's name or a
// state, never data: the window reloads what it shows through the bound
// methods, which check who asks.
const (
	// EventChanged: data of one topic changed, in this window or on another
	// machine; data: the topic ("credentials", "users", "settings",
	// "audit"). Every topic is sent again after the database comes back.
	EventChanged = "changed"
	// EventDatabase: the database cannot be reached, or can again; data:
	// {reachable}.
	EventDatabase = "database"
)

// The health check's pauses between tries while the database cannot be
// reached: from probeMin, doubling up to probeMax.
const (
	probeMin = 250 * time.Millisecond
	probeMax = 5 * time.Second
)

// health is the window's view of whether the database answers. It turns
// unreachable when a call fails as errs.ErrUnreachable, or when the change
// feed is lost and a ping fails too; from then on it pings with growing
// pauses until the database answers, then tells the window every topic
// changed.
type health struct {
	mu      sync.Mutex
	ctx     context.Context // set by Attach: probing stops when it ends
	ping    func(context.Context) error
	send    func(name string, data ...any)
	down    bool
	probing bool
}

// follow forwards c's change feed to the window until ctx ends.
func (a *App) follow(ctx context.Context, c *core.Core) {
	h := a.health
	h.mu.Lock()
	h.ctx, h.ping = ctx, c.Reachable
	h.mu.Unlock()
	c.Watch(ctx, func(c core.Change) {
		if c.Err != nil {
			h.suspect()
			return
		}
		h.up()
		for _, t := range c.Topics {
			a.send(EventChanged, string(t))
		}
	})
}

// send emits an event to the window.
func (a *App) send(name string, data ...any) {
	a.mu.Lock()
	emit := a.emit
	a.mu.Unlock()
	emit(name, data...)
}

// noteFailure marks the database unreachable when err says so.
func (h *health) noteFailure(err error) {
	if errors.Is(err, errs.ErrUnreachable) {
		h.lost()
	}
}

// suspect checks the database after the change feed lost it: unreachable
// only if a ping fails too (the feed's own connection may be all that was
// lost).
func (h *health) suspect() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.probe(true)
}

// lost marks the database unreachable and starts probing it.
func (h *health) lost() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.markDown()
	h.probe(false)
}

// markDown tells the window once; h.mu is held.
func (h *health) markDown() {
	if !h.down {
		h.down = true
		h.send(EventDatabase, map[string]any{"reachable": false})
	}
}

// up marks the database reachable again, telling the window, and reports
// whether it was down.
func (h *health) up() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down {
		return false
	}
	h.down = false
	h.send(EventDatabase, map[string]any{"reachable": true})
	return true
}

// probe starts, unless one runs, pinging the database (at once when first,
// else after a pause) until it answers; h.mu is held.
func (h *health) probe(first bool) {
	if h.probing || h.ctx == nil || h.ping == nil {
		return
	}
	h.probing = true
	ctx := h.ctx
	go func() {
		pause := probeMin
		wait := time.Duration(0)
		if !first {
			wait = pause
		}
		for {
			select {
			case <-ctx.Done():
				h.mu.Lock()
				h.probing = false
				h.mu.Unlock()
				return
			case <-time.After(wait):
			}
			err := h.ping(ctx)
			if err == nil {
				h.mu.Lock()
				h.probing = false
				h.mu.Unlock()
				if h.up() {
					for _, t := range core.Topics() {
						h.send(EventChanged, string(t))
					}
				}
				return
			}
			if errors.Is(err, errs.ErrUnreachable) {
				h.mu.Lock()
				h.markDown()
				h.mu.Unlock()
			}
			wait, pause = pause, min(2*pause, probeMax)
		}
	}()
}

// OpenLater keeps trying open, with growing pauses, while it fails because
// the team database cannot be reached, after the window started without
// its core (Opened with that error): the window shows the database as
// unreachable meanwhile, and once open succeeds the facade takes the core
// (opened and checked) and tells the window the database is back, so the
// screen that could not load loads. Another failure ends the tries and
// becomes the facade's error. It returns when open succeeded or failed
// otherwise, or ctx ended. (A function, not a method: never bound.)
func OpenLater(ctx context.Context, a *App, open func(context.Context) (*core.Core, error)) {
	a.await()
	a.health.mu.Lock()
	a.health.markDown()
	a.health.mu.Unlock()
	pause := probeMin
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		c, err := open(ctx)
		if ctx.Err() != nil { // the window is closing
			if c != nil {
				c.Close()
			}
			return
		}
		if errors.Is(err, errs.ErrUnreachable) {
			pause = min(2*pause, probeMax)
			continue
		}
		a.mu.Lock()
		a.core, a.openErr, a.checkErr = c, err, err
		if c != nil {
			a.clock = c.Clock
			a.keepHead()
		}
		a.mu.Unlock()
		if err != nil {
			a.log.Error("cannot open data directory", "err", err.Error())
			return
		}
		if a.health.up() {
			for _, t := range core.Topics() {
				a.send(EventChanged, string(t))
			}
		}
		return
	}
}
