package store

import (
	"context"
	"strings"
	"sync"
)

// Topic names a kind of data whose changes a Store announces (see Watch).
// A topic is all a change says: never which row, never a value.
type Topic string

// The topics.
const (
	// TopicCredentials: a credential was created, renamed, disabled,
	// enabled, rolled, given a new password, expired by a change of its
	// expiry, or deleted (every change that bumps the credential revision).
	TopicCredentials Topic = "credentials"
	// TopicUsers: a user was added, changed or deleted.
	TopicUsers Topic = "users"
	// TopicSettings: the account's settings changed.
	TopicSettings Topic = "settings"
	// TopicAudit: the audit log has new entries (or was archived).
	TopicAudit Topic = "audit"
)

// topics lists every topic; a topicSet's bit i stands for topics[i].
var topics = [...]Topic{TopicCredentials, TopicUsers, TopicSettings, TopicAudit}

// Topics lists every topic.
func Topics() []Topic { return append([]Topic(nil), topics[:]...) }

// topicSet is a set of topics, one bit each.
type topicSet uint8

const allTopics topicSet = 1<<len(topics) - 1

func (s topicSet) list() []Topic {
	var out []Topic
	for i, t := range topics {
		if s&(1<<i) != 0 {
			out = append(out, t)
		}
	}
	return out
}

// topicNamed returns the set holding the topic called name, or 0.
func topicNamed(name string) topicSet {
	for i, t := range topics {
		if string(t) == name {
			return 1 << i
		}
	}
	return 0
}

// tableTopic returns the topic whose data table holds, or 0: the tables a
// change is announced for. Credentials are announced by their revision
// (bumped by every change of a credential's state), not by the
// credentials table, which the verifiers also write with each last use.
func tableTopic(table string) topicSet {
	if i := strings.LastIndexByte(table, '.'); i >= 0 {
		table = table[i+1:] // schema-qualified
	}
	switch strings.ToLower(table) {
	case "credential_revision":
		return topicNamed(string(TopicCredentials))
	case "users":
		return topicNamed(string(TopicUsers))
	case "account":
		return topicNamed(string(TopicSettings))
	case "audit":
		return topicNamed(string(TopicAudit))
	}
	return 0
}

// writtenTopics returns the topics of the tables query writes: the table
// after INSERT INTO, UPDATE, DELETE FROM, TRUNCATE [TABLE] or MERGE INTO,
// outside strings and comments.
func writtenTopics(query string) topicSet {
	lower := strings.ToLower(query)
	if !strings.Contains(lower, "insert") && !strings.Contains(lower, "update") && !strings.Contains(lower, "delete") &&
		!strings.Contains(lower, "truncate") && !strings.Contains(lower, "merge") {
		return 0
	}
	var set topicSet
	var prev, prev2 string // the two words before, lower case
	lexSQL(lower, func(kind token, word string) {
		if kind != tokWord {
			return
		}
		switch {
		case prev == "update", prev == "truncate",
			prev == "into" && (prev2 == "insert" || prev2 == "merge"),
			prev == "from" && prev2 == "delete",
			prev == "table" && prev2 == "truncate",
			prev == "only" && (prev2 == "update" || prev2 == "from" || prev2 == "truncate" || prev2 == "table"):
			set |= tableTopic(word)
		}
		prev2, prev = prev, word
	})
	return set
}

// Change is what a watcher learns from the database's change feed.
type Change struct {
	// Topics may have changed since the previous Change: read them again.
	// After the feed starts and after every reconnection it names every
	// topic, since changes made meanwhile were not seen.
	Topics []Topic
	// Err is set, and Topics empty, while the feed cannot reach the
	// database (errors.Is(Err, errs.ErrUnreachable)); the feed keeps
	// retrying, and its next Change without Err names every topic.
	Err error
}

// feed is a Store's change feed: one source (a PostgreSQL listener or a
// SQLite poll, started by the first Watch and stopped by Close) and the
// watchers it fans out to.
type feed struct {
	mu       sync.Mutex
	watchers map[*watcher]struct{}
	started  bool
	down     error // the source's state: non-nil while it cannot reach the database
	live     bool  // the source has reached the database and not lost it since
	stop     context.CancelFunc
	stopped  chan struct{} // closed when the source has returned
	closed   chan struct{} // closed by Close: every Watch returns
}

// watcher is one Watch: what it has not been told yet.
type watcher struct {
	wake    chan struct{} // one pending wake-up at most
	pending topicSet
	down    error
}

func (w *watcher) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Watch calls fn with every Change of the database until ctx ends or the
// store is closed, then returns.
//
// Guarantees:
//   - A committed change of a topic's data, made through any Store on this
//     database on any machine (on SQLite: any process), is followed within
//     about a second, while the database can be reached, by a call naming
//     that topic. Calls may name a topic that did not change: a watcher
//     reads the data again, it never infers it.
//   - The first call names every topic once the feed reaches the database,
//     and so does the first call after each reconnection: a watcher that
//     reloads what the topics name is up to date after every call.
//   - While the database cannot be reached, fn is told once (Change.Err),
//     and the feed retries with growing pauses (up to a few seconds).
//   - Calls to one fn never overlap; changes that arrive while fn runs are
//     merged into its next call. A slow fn delays no other watcher.
//   - Nothing but topic names travels: on PostgreSQL a notification's
//     payload is a topic name, on one channel of the database.
//
// On PostgreSQL the feed is a LISTEN on a connection of its own, checked
// every few seconds when idle, and every transaction that writes a
// topic's table sends the notification inside that transaction (see
// writtenTopics). On SQLite it polls the database's data version (and then
// a digest of each topic's rows) every sqlitePoll.
func (s *Store) Watch(ctx context.Context, fn func(Change)) {
	w := &watcher{wake: make(chan struct{}, 1)}
	closed := s.feed.join(w, s.runFeed)
	defer s.feed.leave(w)
	for {
		select {
		case <-ctx.Done():
			return
		case <-closed:
			return
		case <-w.wake:
		}
		if c, ok := s.feed.take(w); ok {
			fn(c)
		}
	}
}

// runFeed runs the engine's source until ctx ends.
func (s *Store) runFeed(ctx context.Context, publish func(topicSet, error)) {
	if s.Engine == Postgres {
		s.pgFeed(ctx, publish)
	} else {
		s.sqliteFeed(ctx, publish)
	}
}

// join adds w, starting the source on first use, and returns the channel
// closed when the store closes.
func (f *feed) join(w *watcher, run func(context.Context, func(topicSet, error))) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed == nil {
		f.closed = make(chan struct{})
	}
	if f.watchers == nil {
		f.watchers = map[*watcher]struct{}{}
	}
	f.watchers[w] = struct{}{}
	select {
	case <-f.closed:
		return f.closed
	default:
	}
	switch {
	case !f.started:
		f.started = true
		ctx, stop := context.WithCancel(context.Background())
		f.stop, f.stopped = stop, make(chan struct{})
		go func() {
			defer close(f.stopped)
			run(ctx, f.publish)
		}()
	case f.down != nil:
		w.down = f.down
		w.signal()
	case f.live:
		w.pending = allTopics // it missed the source's first report
		w.signal()
	}
	return f.closed
}

func (f *feed) leave(w *watcher) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.watchers, w)
}

// publish is the source's report: topics that may have changed, or err
// while the database cannot be reached. Every report after a failure must
// name every topic.
func (f *feed) publish(set topicSet, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		wasDown := f.down != nil
		f.down, f.live = err, false
		if wasDown {
			return // watchers were told
		}
		for w := range f.watchers {
			w.down, w.pending = err, 0
			w.signal()
		}
		return
	}
	f.down, f.live = nil, true
	if set == 0 {
		return
	}
	for w := range f.watchers {
		w.down = nil
		w.pending |= set
		w.signal()
	}
}

// take returns what w has not been told yet, if anything.
func (f *feed) take(w *watcher) (Change, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if w.down != nil {
		c := Change{Err: w.down}
		w.down = nil
		return c, true
	}
	if w.pending == 0 {
		return Change{}, false
	}
	c := Change{Topics: w.pending.list()}
	w.pending = 0
	return c, true
}

// close stops the source and ends every Watch.
func (f *feed) close() {
	f.mu.Lock()
	if f.closed == nil {
		f.closed = make(chan struct{})
	}
	select {
	case <-f.closed:
		f.mu.Unlock()
		return
	default:
	}
	close(f.closed)
	stop, stopped := f.stop, f.stopped
	f.mu.Unlock()
	if stop != nil {
		stop()
		<-stopped
	}
}
