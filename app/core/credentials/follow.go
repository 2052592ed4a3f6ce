package credentials

import (
	"context"
	"fmt"
	"slices"
	"time"

	"keysmith/app/core/errs"
	"keysmith/app/core/store"
)

// MaxStale is how long a Cache that follows the change feed keeps
// answering from memory after it was last known to be up to date, while
// the database cannot be reached: the longest a change made elsewhere in
// the meantime (a disable, a delete, a roll) can go unseen by this
// verifier. Expiry and grace periods need no database: they hold
// throughout.
const MaxStale = 5 * time.Minute

// Refusals while the database cannot be reached (both wrap
// errs.ErrUnreachable).
var (
	// ErrNotInMemory: the key is not in this verifier's memory, so it cannot
	// be checked until the database is back.
	ErrNotInMemory = fmt.Errorf("%w, and the key is not in this verifier's memory", errs.ErrUnreachable)
	// ErrStale: the database has been out of reach for longer than MaxStale.
	ErrStale = fmt.Errorf("%w for longer than %v: credentials in memory are no longer trusted", errs.ErrUnreachable, MaxStale)
)

var (
	errNotInMemory = fmt.Errorf("%w: %w", errs.ErrBadCredentials, ErrNotInMemory)
	errStale       = fmt.Errorf("%w: %w", errs.ErrBadCredentials, ErrStale)
)

// Watch is the database's change feed (store.Store.Watch, through the core).
type Watch func(ctx context.Context, fn func(store.Change))

// Follow keeps c up to date from watch until ctx ends (see Cache): each
// credentials change rereads the revision at once (off the feed's own
// goroutine, so a slow read never holds the feed); while the feed is down,
// or the last read failed, the revision is reread every poll interval, and
// even while the feed runs it is reread every LivePoll, so a feed that
// stays connected but delivers nothing still catches up. A reread that
// takes longer than RereadTimeout, or fails in any way, counts as the
// database unreachable: MaxStale then runs from the last good read.
// report is told of each change of state, in one sentence for a log: the
// feed lost or back, the database unreachable (err set) or reachable
// again. Follow returns at once; c stays usable after ctx ends, rereading
// the revision on requests again.
func (c *Cache) Follow(ctx context.Context, watch Watch, report func(msg string, err error)) {
	if report == nil {
		report = func(string, error) {}
	}
	c.report = report
	c.following.Store(true)
	c.current.Store(c.s.clock().UnixNano())
	kick := make(chan struct{}, 1) // a reread is due; one pending is enough
	go watch(ctx, func(ch store.Change) {
		if ch.Err != nil {
			if c.feedLive.Swap(false) {
				if !c.offline.Load() {
					c.current.Store(c.s.clock().UnixNano()) // up to date until now
				}
				c.report(fmt.Sprintf("change notifications lost; rereading the credential revision every %v", c.poll), ch.Err)
			}
			return
		}
		if !c.feedLive.Swap(true) {
			c.report("change notifications running", nil)
		}
		if slices.Contains(ch.Topics, store.TopicCredentials) {
			select {
			case kick <- struct{}{}:
			default:
			}
		}
	})
	go func() {
		defer c.following.Store(false)
		t := time.NewTicker(max(c.poll, time.Millisecond))
		defer t.Stop()
		last := time.Now() // of the last reread, on the monotonic clock
		for {
			select {
			case <-ctx.Done():
				return
			case <-kick:
			case <-t.C:
				if c.feedLive.Load() && !c.offline.Load() && time.Since(last) < LivePoll {
					continue
				}
			}
			c.recheck(ctx)
			last = time.Now()
		}
	}()
}

// LivePoll is how often a Cache that follows a running change feed rereads
// the revision all the same; RereadTimeout bounds one reread.
const (
	LivePoll      = 5 * time.Second
	RereadTimeout = 2 * time.Second
)

// recheck rereads the revision (starting over if it moved) and records
// whether the database could be read.
func (c *Cache) recheck(ctx context.Context) {
	c.recheckMu.Lock()
	defer c.recheckMu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, RereadTimeout)
	err := c.reread(rctx)
	cancel()
	switch {
	case err == nil:
		c.current.Store(c.s.clock().UnixNano())
		if c.offline.Swap(false) {
			c.report("database reachable again; credentials are up to date", nil)
		}
	case ctx.Err() != nil:
	default: // unreachable, too slow, or refusing: what c holds ages from now on
		c.lost(err)
	}
}

// lost records that the database could not be reached (by a read of the
// revision or of a key), reporting it if it could until now.
func (c *Cache) lost(err error) {
	if !c.offline.Swap(true) {
		c.report(fmt.Sprintf("database unreachable; answering for credentials in memory for up to %v, refusing others", MaxStale), err)
	}
}

// fresh reports whether what c holds may be answered from: always when it
// does not follow the feed (it reread the revision itself, or failed the
// request), else while the feed and the database are up or for MaxStale
// after it was last known up to date.
func (c *Cache) fresh() bool {
	if !c.following.Load() || c.feedLive.Load() && !c.offline.Load() {
		return true
	}
	return c.s.clock().UnixNano()-c.current.Load() <= int64(MaxStale)
}
