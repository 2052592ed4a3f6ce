package credentials

import (
	"context"
	"errors"
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
// credentials change rereads the revision at once; while the feed is down,
// or the last read failed, the revision is reread every poll interval.
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
			c.recheck(ctx)
		}
	})
	go func() {
		defer c.following.Store(false)
		t := time.NewTicker(max(c.poll, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if !c.feedLive.Load() || c.offline.Load() {
				c.recheck(ctx)
			}
		}
	}()
}

// recheck rereads the revision (starting over if it moved) and records
// whether the database could be read.
func (c *Cache) recheck(ctx context.Context) {
	c.recheckMu.Lock()
	defer c.recheckMu.Unlock()
	err := c.reread(ctx)
	switch {
	case err == nil:
		c.current.Store(c.s.clock().UnixNano())
		if c.offline.Swap(false) {
			c.report("database reachable again; credentials are up to date", nil)
		}
	case ctx.Err() != nil:
	case errors.Is(err, errs.ErrUnreachable):
		c.lost(err)
	default:
		c.report("cannot read the credential revision", err)
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
