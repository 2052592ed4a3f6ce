package core

import (
	"context"

	"keysmith/app/core/store"
)

// Change is what the database's change feed reports (see Watch).
type Change = store.Change

// Topic names a kind of data whose changes the feed announces.
type Topic = store.Topic

// The topics.
const (
	TopicCredentials = store.TopicCredentials
	TopicUsers       = store.TopicUsers
	TopicSettings    = store.TopicSettings
	TopicAudit       = store.TopicAudit
)

// Topics lists every topic.
func Topics() []Topic { return store.Topics() }

// Watch calls fn with the database's changes until ctx ends or the core is
// closed: a change made on any machine of the account (on SQLite, by any
// process) is told within about a second, everything is told again after
// the database comes back, and an outage is told once (Change.Err). See
// store.Store.Watch for the guarantees.
func (c *Core) Watch(ctx context.Context, fn func(Change)) { c.store.Watch(ctx, fn) }

// Reachable reports whether the database answers now: nil, or why not
// (errors.Is(err, errs.ErrUnreachable) when it cannot be reached).
func (c *Core) Reachable(ctx context.Context) error { return c.store.DB.PingContext(ctx) }
