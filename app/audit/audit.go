// Package audit is Keysmith's append-only, hash-chained event log.
//
// Each row carries the hash of the row before it and its own hash, an
// HMAC-SHA256 (keyed by the local key file, outside the database) over the
// previous hash and every field of the row. Verify recomputes the chain, so an
// edited, deleted, inserted or reordered row is detected, and nobody holding
// only the database can forge a consistent chain. Triggers refuse UPDATE and
// DELETE on the table. Events never carry a password or secret.
package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Event is one thing that happened.
type Event struct {
	ActorID int64  // 0 when nobody is signed in
	Actor   string // "Name <email>", or what was typed at a failed sign-in
	Action  string // e.g. "user.add"
	Target  string // what was acted on, e.g. an email
	Detail  string // free text, never a secret
}

// Entry is a stored event.
type Entry struct {
	Event
	Seq int64
	At  time.Time
}

// Log appends to and reads the audit table.
type Log struct {
	key      []byte
	clock    func() time.Time
	headPath string
}

// New returns a Log whose chain is keyed by key.
func New(key []byte, clock func() time.Time) *Log {
	return &Log{key: key, clock: clock}
}

// Append records e inside tx, so the event commits with the change it
// describes or not at all.
func (l *Log) Append(ctx context.Context, tx *sql.Tx, e Event) error {
	var prev []byte
	err := tx.QueryRowContext(ctx, `SELECT hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&prev)
	if errors.Is(err, sql.ErrNoRows) {
		prev = make([]byte, sha256.Size)
	} else if err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM audit`).Scan(&seq); err != nil {
		return fmt.Errorf("audit seq: %w", err)
	}
	en := Entry{Event: e, Seq: seq, At: l.clock().UTC().Truncate(time.Millisecond)}
	h := l.hash(prev, en)
	_, err = tx.ExecContext(ctx, `INSERT INTO audit (seq, at, actor_id, actor, action, target, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		en.Seq, en.At.Format(time.RFC3339Nano), nullID(e.ActorID), e.Actor, e.Action, e.Target, e.Detail, prev, h)
	if err != nil {
		return fmt.Errorf("audit append: %w", err)
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// hash is HMAC-SHA256(key, prev || len-prefixed fields).
func (l *Log) hash(prev []byte, e Entry) []byte {
	m := hmac.New(sha256.New, l.key)
	m.Write(prev)
	var n [8]byte
	field := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		m.Write(n[:])
		m.Write([]byte(s))
	}
	binary.BigEndian.PutUint64(n[:], uint64(e.Seq))
	m.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(e.ActorID))
	m.Write(n[:])
	field(e.At.Format(time.RFC3339Nano))
	field(e.Actor)
	field(e.Action)
	field(e.Target)
	field(e.Detail)
	return m.Sum(nil)
}

// FirstEntryKeyed reports whether the oldest entry was written under this
// log's key (true when there is none): how a database from before key_check
// tells which key file is its own.
func (l *Log) FirstEntryKeyed(ctx context.Context, db *sql.DB) (bool, error) {
	var e Entry
	var at string
	var prev, stored []byte
	err := db.QueryRowContext(ctx, `SELECT seq, at, COALESCE(actor_id, 0), actor, action, target, detail, prev_hash, hash
		FROM audit ORDER BY seq LIMIT 1`).Scan(&e.Seq, &at, &e.ActorID, &e.Actor, &e.Action, &e.Target, &e.Detail, &prev, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if e.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
		return false, nil
	}
	return hmac.Equal(stored, l.hash(prev, e)), nil
}

// Filter narrows List. Query matches actor, action, target or detail.
type Filter struct {
	Query  string
	Target string // exact target, e.g. one credential's key
	Limit  int
	Offset int
}

// List returns entries newest first and the number of entries matching f.
func (l *Log) List(ctx context.Context, db *sql.DB, f Filter) ([]Entry, int, error) {
	switch {
	case f.Limit <= 0:
		f.Limit = 100
	case f.Limit > 500:
		f.Limit = 500
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	where := []string{"1=1"}
	var args []any
	if f.Query != "" {
		like := "%" + escapeLike(f.Query) + "%"
		where = append(where, `(actor LIKE ? ESCAPE '\' OR action LIKE ? ESCAPE '\' OR target LIKE ? ESCAPE '\' OR detail LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like, like)
	}
	if f.Target != "" {
		where = append(where, "target = ?")
		args = append(args, f.Target)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit WHERE "+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit count: %w", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT seq, at, COALESCE(actor_id, 0), actor, action, target, detail
		FROM audit WHERE `+cond+` ORDER BY seq DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("audit list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at string
		if err := rows.Scan(&e.Seq, &at, &e.ActorID, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, 0, fmt.Errorf("audit scan: %w", err)
		}
		e.At, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, e)
	}
	return out, total, rows.Err()
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// Result is the outcome of Verify.
type Result struct {
	Checked int
	BadSeq  int64  // first failing row, 0 when the chain is intact
	Problem string // one sentence, empty when intact
}

// OK reports whether the chain is intact.
func (r Result) OK() bool { return r.Problem == "" }

// Verify walks the whole chain oldest first and reports the first break,
// then checks the chain still reaches the head saved by SaveHead.
func (l *Log) Verify(ctx context.Context, db *sql.DB) (Result, error) {
	rows, err := db.QueryContext(ctx, `SELECT seq, at, COALESCE(actor_id, 0), actor, action, target, detail, prev_hash, hash
		FROM audit ORDER BY seq`)
	if err != nil {
		return Result{}, fmt.Errorf("audit verify: %w", err)
	}
	defer rows.Close()
	var res Result
	prev := make([]byte, sha256.Size)
	want := int64(1)
	hashes := map[int64][]byte{}
	for rows.Next() {
		var e Entry
		var at string
		var storedPrev, stored []byte
		if err := rows.Scan(&e.Seq, &at, &e.ActorID, &e.Actor, &e.Action, &e.Target, &e.Detail, &storedPrev, &stored); err != nil {
			return Result{}, fmt.Errorf("audit verify scan: %w", err)
		}
		fail := func(problem string) (Result, error) {
			res.BadSeq, res.Problem = e.Seq, problem
			return res, nil
		}
		if e.Seq != want {
			return fail(fmt.Sprintf("Entry %d is missing: the log jumps from %d to %d.", want, want-1, e.Seq))
		}
		e.At, err = time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return fail(fmt.Sprintf("Entry %d has an unreadable time.", e.Seq))
		}
		if !hmac.Equal(storedPrev, prev) {
			return fail(fmt.Sprintf("Entry %d does not follow entry %d: a row was removed or replaced.", e.Seq, e.Seq-1))
		}
		if !hmac.Equal(stored, l.hash(prev, e)) {
			return fail(fmt.Sprintf("Entry %d was altered after it was written.", e.Seq))
		}
		prev = stored
		hashes[e.Seq] = stored
		want++
		res.Checked++
	}
	if err := rows.Err(); err != nil {
		return Result{}, err
	}
	return l.checkHead(res, want-1, func(seq int64) []byte { return hashes[seq] }), nil
}
