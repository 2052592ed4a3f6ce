// Package audit is Keysmith's append-only, hash-chained event log.
//
// Each row carries the hash of the row before it and its own hash, an
// HMAC-SHA256 (keyed by the local key file, outside the database) over the
// previous hash and every field of the row. Verify recomputes the chain, so an
// edited, deleted, inserted or reordered row is detected, and nobody holding
// only the database can forge a consistent chain. Events never carry a
// password or secret.
//
// The newest entry is anchored twice, so removing the newest rows (which
// leaves a chain intact in itself) is detected: in the head file beside the
// database (as of the last SaveHead: on close, after an archive, and
// periodically while a face runs), and in the database's audit_anchor row, a MAC (key derived from
// the chain key) over the newest entry's seq and hash and the entry count,
// rewritten in the same transaction as every append. An anchor that does
// not match the chain is tampering; a missing one, while entries exist,
// makes the result Unproven, never OK. Recreating a missing anchor is
// logged first (audit.anchor, audit.head).
//
// Triggers refuse UPDATE and DELETE on the table, with one exception: rows
// at or before the archive checkpoint (audit_checkpoint) may be deleted.
// Archive moves the checkpoint forward and deletes the rows it covers in one
// transaction, after writing them to an archive file; the checkpoint is
// sealed (MAC under a key derived from the chain key over the last archived
// entry's seq and hash and the count removed), only moves forward, cannot be
// deleted, and is recorded as an audit.archive event. Verify starts the
// chain after a valid checkpoint and reports a forged or altered one.
package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"

	"keysmith/app/core/store"
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
	key       []byte
	clock     func() time.Time
	headPath  string
	upgrading bool // see Upgrading
}

// KeyLabel is the label under which the data directory's key file derives
// the key of its audit chain (keyfile.Key.Derive).
const KeyLabel = "audit chain v1"

// New returns a Log whose chain is keyed by key.
func New(key []byte, clock func() time.Time) *Log {
	return &Log{key: key, clock: clock}
}

// Upgrading says whether the data directory's one-time upgrade runs now
// (the core decides from a marker beside the database, which someone
// holding only the database cannot write). Only then does the placeholder
// anchor of a log from before anchors become its first anchor; otherwise
// a placeholder is a missing anchor, made again and recorded as
// ActionAnchorRebuilt.
func (l *Log) Upgrading(on bool) { l.upgrading = on }

// SealUpgrade makes the first database anchor of an upgraded log (one
// holding the placeholder) now, by appending its ActionAnchorNew event;
// otherwise it does nothing.
func (l *Log) SealUpgrade(ctx context.Context, db *sql.DB) error {
	a, ok, err := readMark(ctx, db, "audit_anchor")
	if err != nil || !ok || a.Seq != pendingSeq || !l.upgrading {
		return err
	}
	return store.Tx(ctx, db, func(tx *sql.Tx) error {
		_, err := l.anchorFor(ctx, tx)
		return err
	})
}

// The events that record an anchor being made: first made over an older log
// (ActionAnchorNew), or made again after it went missing: the database
// anchor (ActionAnchorRebuilt) or the head file (ActionHeadRebuilt). Verify
// reports a log with a rebuilt anchor as unproven before that entry.
const (
	ActionAnchorNew     = "audit.anchor-new"
	ActionAnchorRebuilt = "audit.anchor"
	ActionHeadRebuilt   = "audit.head"
)

// Append records e inside tx, so the event commits with the change it
// describes or not at all, and reseals the database anchor in the same
// transaction. An anchor that is missing while the table holds entries (a
// database from before the anchor existed, or one whose anchor was removed)
// is resealed over what is there, and that is itself recorded first, as an
// audit.anchor event.
func (l *Log) Append(ctx context.Context, tx *sql.Tx, e Event) error {
	a, err := l.anchorFor(ctx, tx)
	if err != nil {
		return err
	}
	_, err = l.append(ctx, tx, e, a.Count)
	return err
}

// anchorFor returns the anchor the next entry reseals. A missing one (or
// the placeholder of a log from before anchors, outside its upgrade) is
// made over the entries present, recorded first as ActionAnchorRebuilt; the
// placeholder during the upgrade is recorded as ActionAnchorNew.
func (l *Log) anchorFor(ctx context.Context, tx *sql.Tx) (mark, error) {
	a, ok, err := readMark(ctx, tx, "audit_anchor")
	if err != nil || ok && a.Seq != pendingSeq {
		return a, err
	}
	pending := ok && l.upgrading
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit`).Scan(&n); err != nil {
		return mark{}, fmt.Errorf("audit count: %w", err)
	}
	a = mark{Count: n}
	if n == 0 {
		return a, nil
	}
	note := Event{Actor: "keysmith", Action: ActionAnchorNew, Target: "audit",
		Detail: fmt.Sprintf("The database anchor is sealed over the %d entries of a log from before anchors.", n)}
	if !pending {
		note.Action, note.Detail = ActionAnchorRebuilt, fmt.Sprintf("The database anchor was missing; sealed again over the %d entries present. Removal of entries before this cannot be ruled out.", n)
	}
	return l.append(ctx, tx, note, a.Count)
}

// append writes one row after the newest and seals the anchor with count
// as the number of entries before it.
func (l *Log) append(ctx context.Context, tx *sql.Tx, e Event, count int64) (mark, error) {
	return l.appendAll(ctx, tx, []Event{e}, count)
}

// AppendAll records events, in order, inside tx, as that many Appends
// would, and reseals the database anchor once, after the last: for writing
// many entries at once.
func (l *Log) AppendAll(ctx context.Context, tx *sql.Tx, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	a, err := l.anchorFor(ctx, tx)
	if err != nil {
		return err
	}
	_, err = l.appendAll(ctx, tx, events, a.Count)
	return err
}

// appendBatch is how many rows one INSERT of appendAll carries.
const appendBatch = 200

// appendAll writes events after the newest row and seals the anchor with
// count as the number of entries before them.
func (l *Log) appendAll(ctx context.Context, tx *sql.Tx, events []Event, count int64) (mark, error) {
	var prev []byte
	var seq int64
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
	if errors.Is(err, sql.ErrNoRows) {
		// Empty: the chain starts at zero, or after the archive checkpoint.
		cp, ok, err := readMark(ctx, tx, "audit_checkpoint")
		if err != nil {
			return mark{}, err
		}
		seq, prev = cp.Seq, cp.Hash
		if !ok {
			seq, prev = 0, make([]byte, sha256.Size)
		}
	} else if err != nil {
		return mark{}, fmt.Errorf("audit head: %w", err)
	}
	for len(events) > 0 {
		n := min(len(events), appendBatch)
		args := make([]any, 0, 9*n)
		for _, e := range events[:n] {
			seq++
			en := Entry{Event: e, Seq: seq, At: l.clock().UTC().Truncate(time.Millisecond)}
			h := l.hash(prev, en)
			args = append(args, en.Seq, en.At.Format(time.RFC3339Nano), nullID(e.ActorID), e.Actor, e.Action, e.Target, e.Detail, prev, h)
			prev = h
		}
		row := "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit (seq, at, actor_id, actor, action, target, detail, prev_hash, hash)
			VALUES `+row+strings.Repeat(", "+row, n-1), args...); err != nil {
			return mark{}, fmt.Errorf("audit append: %w", err)
		}
		events, count = events[n:], count+int64(n)
	}
	a := mark{Seq: seq, Hash: prev, Count: count}
	return a, l.writeAnchor(ctx, tx, a)
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
	field := func(s string) {
		putInt(m, int64(len(s)))
		m.Write([]byte(s))
	}
	putInt(m, e.Seq)
	putInt(m, e.ActorID)
	field(e.At.Format(time.RFC3339Nano))
	field(e.Actor)
	field(e.Action)
	field(e.Target)
	field(e.Detail)
	return m.Sum(nil)
}

// putInt writes v to m as 8 bytes, big-endian: how every MAC of the log
// encodes a number.
func putInt(m hash.Hash, v int64) { m.Write(binary.BigEndian.AppendUint64(nil, uint64(v))) }

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

// Filter narrows List. Query matches a part of the actor, action, target
// or detail, in any case, through an index (store.AuditMatch).
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
		cond, a := store.AuditMatch(db, f.Query)
		where = append(where, cond)
		args = append(args, a...)
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

// Result is the outcome of Verify.
type Result struct {
	Checked int
	Start   int64  // the first entry in the database: 1, or the one after the archive checkpoint
	BadSeq  int64  // first failing row, 0 when nothing was found altered
	Problem string // one sentence when the log was altered, empty otherwise
	// Unproven is one sentence when nothing was found altered but an anchor
	// that would show the newest entries were removed is missing, or was
	// made again at entry Rebuilt (then the only reason).
	Unproven string
	Rebuilt  int64
}

// OK reports whether the chain is intact and provably complete.
func (r Result) OK() bool { return r.Problem == "" && r.Unproven == "" }

// Tampered reports whether the log was found altered.
func (r Result) Tampered() bool { return r.Problem != "" }

// Verify walks the chain oldest first from its start (entry 1, or the entry
// after a valid archive checkpoint) and reports the first break, then checks
// the chain ends where the head file and the database anchor say it does.
// A missing anchor, with entries present, makes the result Unproven.
func (l *Log) Verify(ctx context.Context, db *sql.DB) (Result, error) {
	return l.verify(ctx, db)
}

// VerifyTx is Verify inside tx, which sees what tx wrote before it commits
// (a copy of the log, say).
func (l *Log) VerifyTx(ctx context.Context, tx *sql.Tx) (Result, error) {
	return l.verify(ctx, tx)
}

func (l *Log) verify(ctx context.Context, q querier) (Result, error) {
	var res Result
	prev := make([]byte, sha256.Size)
	want := int64(1)
	cp, hasCP, err := readMark(ctx, q, "audit_checkpoint")
	if err != nil {
		return Result{}, fmt.Errorf("audit verify: %w", err)
	}
	if hasCP {
		if !l.sealed(checkpointLabel, cp) || cp.Seq < 1 {
			res.BadSeq, res.Problem = max(cp.Seq, 1), "The archive checkpoint was altered or forged."
			return res, nil
		}
		prev, want = cp.Hash, cp.Seq+1
	}
	res.Start = want
	start := mark{Seq: want - 1, Hash: prev}
	var rebuilt int64 // the newest entry that records an anchor made again
	h, hasHead, headErr := l.readHead()
	var headHash []byte

	rows, err := q.QueryContext(ctx, `SELECT seq, at, COALESCE(actor_id, 0), actor, action, target, detail, prev_hash, hash
		FROM audit ORDER BY seq`)
	if err != nil {
		return Result{}, fmt.Errorf("audit verify: %w", err)
	}
	defer rows.Close()
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
		if e.Seq < want {
			return fail(fmt.Sprintf("Entry %d lies before the start of the log (entry %d): it was inserted.", e.Seq, want))
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
		if hasHead && e.Seq == h.seq {
			headHash = stored
		}
		if e.Action == ActionAnchorRebuilt || e.Action == ActionHeadRebuilt {
			rebuilt = e.Seq
		}
		want++
		res.Checked++
	}
	if err := rows.Err(); err != nil {
		return Result{}, err
	}
	last := mark{Seq: want - 1, Hash: prev, Count: int64(res.Checked)}
	if headErr != nil {
		res.BadSeq, res.Problem = last.Seq, "The audit head file is damaged or was edited."
		return res, nil
	}
	if hasHead {
		switch {
		case h.seq == start.Seq:
			headHash = start.Hash
		case h.seq < start.Seq:
			headHash = h.hash // archived since: checked when it was archived
		}
		if res = checkEnd(res, last, "", h.seq, h.hash, headHash); res.Problem != "" {
			return res, nil
		}
	}
	a, hasAnchor, err := readMark(ctx, q, "audit_anchor")
	if err != nil {
		return Result{}, fmt.Errorf("audit verify: %w", err)
	}
	if hasAnchor && a.Seq == pendingSeq {
		hasAnchor = false // the placeholder of an upgraded log, sealed at its next append
	}
	if hasAnchor {
		if !l.sealed(anchorLabel, a) {
			res.BadSeq, res.Problem = last.Seq, "The audit anchor in the database was altered or forged."
			return res, nil
		}
		var at []byte
		if a.Seq == last.Seq {
			at = last.Hash
		}
		if res = checkEnd(res, last, "in the database ", a.Seq, a.Hash, at); res.Problem != "" {
			return res, nil
		}
		if a.Seq < last.Seq {
			res.BadSeq, res.Problem = a.Seq+1, fmt.Sprintf("Entries after %d were added without updating the audit anchor in the database.", a.Seq)
			return res, nil
		}
		if a.Count != last.Count {
			how := "entries were removed"
			if a.Count < last.Count {
				how = "entries were inserted"
			}
			res.BadSeq, res.Problem = last.Seq, fmt.Sprintf("The audit anchor in the database counts %d entries, but %d are present: %s.", a.Count, last.Count, how)
			return res, nil
		}
	} else if res.Checked > 0 {
		res.Unproven = "The database holds no audit anchor, so removal of the newest entries cannot be ruled out."
	}
	if !hasHead && l.headPath != "" && res.Checked > 0 {
		res.Unproven = "The audit head file (" + HeadFileName + ") is missing, so removal of the newest entries cannot be ruled out."
	}
	if rebuilt > 0 && res.Unproven == "" {
		res.BadSeq, res.Rebuilt = rebuilt, rebuilt
		res.Unproven = fmt.Sprintf("An audit anchor went missing and was made again at entry %d, so removal of entries before it cannot be ruled out. Archiving the log through entry %d starts a chain that can be proven again.", rebuilt, rebuilt)
	}
	return res, nil
}

// checkEnd compares the chain's last entry with an anchor that records seq
// and hash; at is the verified hash of entry seq (nil when not seen).
func checkEnd(res Result, last mark, where string, seq int64, hash, at []byte) Result {
	if seq > last.Seq {
		res.BadSeq = last.Seq + 1
		res.Problem = fmt.Sprintf("Entries %d to %d are missing: the newest entries were removed.", last.Seq+1, seq)
		return res
	}
	if at != nil && !hmac.Equal(at, hash) {
		res.BadSeq, res.Problem = seq, fmt.Sprintf("Entry %d is not the entry recorded %searlier: the log was rewritten.", seq, where)
	}
	return res
}
