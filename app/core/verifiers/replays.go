package verifiers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"io"
	"sync"
	"time"

	"keysmith/app/core/verify"
)

// Bounds and timing of the shared replay window.
const (
	// MaxReplayRows bounds the rows of the shared replay window: once it
	// holds that many signatures still in their window, a new one is
	// refused, never one forgotten (as verify.Memory does).
	MaxReplayRows = 1 << 20
	// ClockMargin is how long a row outlives its expiry before it is
	// purged, so that a verifier whose clock runs behind another's still
	// finds it while it would accept the request's date.
	ClockMargin = time.Minute
	// purgeEvery is how often a verifier purges expired rows and counts the
	// table; recountFull is how soon it counts again while the table looks
	// full.
	purgeEvery  = 10 * time.Second
	recountFull = time.Second
	// replayTimeout bounds the one statement a request waits for.
	replayTimeout = 2 * time.Second
	purgeTimeout  = 30 * time.Second
)

// Replays is the replay window of a team, a verify.Replays kept in the
// database that every verifier of the account shares.
//
// FirstUse writes a signature's digest, with its expiry, in one statement
// that inserts it when absent or when its earlier row has expired, and
// reports whether it did: two verifiers presented the same signature at the
// same moment see one of them write it, and the other refused. The verifier
// asks only about signatures that verified.
//
// A row is kept until the request's date would be refused by every verifier
// of the team, whatever --skew each was started with: a verifier extends
// the expiry it was given (its own skew past the date) to the largest skew
// among the team's registered verifiers not stopped, read at each purge
// (so within 10 seconds of a verifier with a larger skew registering), and
// its own from the start.
//
// The table's bound: each verifier purges rows expired for ClockMargin and
// counts the table every 10 seconds, and counts the rows it adds itself
// since; when that reaches MaxReplayRows it counts again (at most every
// second) and refuses new signatures while the table is full. So the table
// holds at most MaxReplayRows rows, plus what other verifiers added since
// this one last counted: with the table near full, at most a second of
// their accepted requests with a body.
type Replays struct {
	db   *sql.DB
	key  []byte
	max  int
	work *sync.WaitGroup // background purges, waited for by Service.Close

	mu        sync.Mutex
	counted   int           // rows at the last count
	added     int           // rows this process added since it began
	countedAt time.Time     // when; zero before the first
	counting  bool          // a purge and count is under way
	horizon   time.Duration // the largest skew of the team's verifiers, and of this process's
	local     time.Duration // the largest skew of this process's verifiers
}

// skewed is the window as one verifier, accepting dates within skew, uses it.
type skewed struct {
	r    *Replays
	skew time.Duration
}

// forSkew returns the window for a verifier accepting dates within skew.
func (r *Replays) forSkew(skew time.Duration) verify.Replays {
	r.mu.Lock()
	r.local = max(r.local, skew)
	r.horizon = max(r.horizon, skew)
	r.mu.Unlock()
	return skewed{r, skew}
}

// FirstUse implements verify.Replays: until, the date plus the verifier's
// skew, is moved to the date plus the team's largest skew.
func (s skewed) FirstUse(ctx context.Context, sig string, now, until time.Time) (bool, error) {
	s.r.mu.Lock()
	extra := s.r.horizon - s.skew
	s.r.mu.Unlock()
	if extra > 0 {
		until = until.Add(extra)
	}
	return s.r.FirstUse(ctx, sig, now, until)
}

func newReplays(db *sql.DB, key []byte, max int, work *sync.WaitGroup) *Replays {
	return &Replays{db: db, key: key, max: max, work: work}
}

// FirstUse implements verify.Replays.
func (r *Replays) FirstUse(ctx context.Context, sig string, now, until time.Time) (bool, error) {
	if !r.room(now) {
		return false, nil
	}
	m := hmac.New(sha256.New, r.key)
	io.WriteString(m, sig)
	ctx, cancel := context.WithTimeout(ctx, replayTimeout)
	defer cancel()
	res, err := r.db.ExecContext(ctx, `INSERT INTO replay_signatures (digest, expires_at) VALUES (?, ?)
		ON CONFLICT (digest) DO UPDATE SET expires_at = excluded.expires_at
		WHERE replay_signatures.expires_at <= ?`, m.Sum(nil), until.UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	r.mu.Lock()
	r.added++
	r.mu.Unlock()
	return true, nil
}

// room reports whether the table may take another row. It starts a purge
// and count in the background every purgeEvery; while the table looks
// full, it counts at once (at most every recountFull) and looks again.
func (r *Replays) room(now time.Time) bool {
	r.mu.Lock()
	since := now.Sub(r.countedAt)
	if r.counted+r.added < r.max {
		if since >= purgeEvery && !r.counting {
			r.counting = true
			r.work.Go(func() { r.purge(now) })
		}
		r.mu.Unlock()
		return true
	}
	if since < recountFull || r.counting {
		r.mu.Unlock()
		return false
	}
	r.counting = true
	r.mu.Unlock()
	r.purge(now)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counted+r.added < r.max
}

// purge removes the rows expired for ClockMargin at now and counts the
// rest. Rows this process adds meanwhile may be counted twice, never not
// at all.
func (r *Replays) purge(now time.Time) {
	r.mu.Lock()
	before := r.added
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), purgeTimeout)
	defer cancel()
	var n int
	var skewMS int64
	_, err := r.db.ExecContext(ctx, `DELETE FROM replay_signatures WHERE expires_at <= ?`, now.Add(-ClockMargin).UnixMilli())
	if err == nil {
		err = r.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM replay_signatures`).Scan(&n)
	}
	if err == nil {
		err = r.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(skew_ms), 0) FROM verifiers WHERE stopped_at IS NULL`).Scan(&skewMS)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counting, r.countedAt = false, now
	if err == nil {
		r.counted, r.added = n, r.added-before
		r.horizon = max(r.local, min(time.Duration(skewMS)*time.Millisecond, verify.MaxSkew))
	}
}
