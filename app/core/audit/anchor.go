package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
)

// querier is what reading the chain needs: a database or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// mark is a sealed position in the chain: the database anchor (the newest
// entry and the number of entries in the table) or an archive checkpoint
// (the last archived entry and the number of entries that archive removed).
type mark struct {
	Seq   int64  `json:"seq"`
	Hash  []byte `json:"hash"`
	Count int64  `json:"count"`
	MAC   []byte `json:"mac"`
}

// Labels of the keys derived from the chain key, one per purpose.
const (
	anchorLabel     = "audit anchor v1"
	checkpointLabel = "audit checkpoint v1"
)

// seal returns the MAC of m under the key derived for label.
func (l *Log) seal(label string, m mark) []byte {
	k := hmac.New(sha256.New, l.key)
	k.Write([]byte(label))
	h := hmac.New(sha256.New, k.Sum(nil))
	putInt(h, m.Seq)
	putInt(h, m.Count)
	h.Write(m.Hash)
	return h.Sum(nil)
}

func (l *Log) sealed(label string, m mark) bool {
	return hmac.Equal(m.MAC, l.seal(label, m))
}

// pendingSeq marks the placeholder anchor a log from before anchors gets at
// its upgrade (migration 5), until its next append seals a real one.
const pendingSeq = -1

// readMark reads the one row of table (audit_anchor or audit_checkpoint);
// ok is false when there is none.
func readMark(ctx context.Context, q querier, table string) (m mark, ok bool, err error) {
	err = q.QueryRowContext(ctx, `SELECT seq, hash, count, mac FROM `+table+` WHERE id = 1`).Scan(&m.Seq, &m.Hash, &m.Count, &m.MAC)
	if errors.Is(err, sql.ErrNoRows) {
		return mark{}, false, nil
	}
	if err != nil {
		return mark{}, false, fmt.Errorf("read %s: %w", table, err)
	}
	return m, true, nil
}

// writeAnchor seals and stores the database anchor inside tx.
func (l *Log) writeAnchor(ctx context.Context, tx *sql.Tx, m mark) error {
	m.MAC = l.seal(anchorLabel, m)
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_anchor (id, seq, hash, count, mac) VALUES (1, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, count = excluded.count, mac = excluded.mac`,
		m.Seq, m.Hash, m.Count, m.MAC)
	if err != nil {
		return fmt.Errorf("audit anchor: %w", err)
	}
	return nil
}

// anchorMatches reports whether the database anchor is present, sealed
// under this log's key, names the newest entry and counts the entries
// present (true for an empty log). It counts the table: one pass over an
// index.
func (l *Log) anchorMatches(ctx context.Context, q querier) (bool, error) {
	var last mark
	err := q.QueryRowContext(ctx, `SELECT seq, hash, (SELECT COUNT(*) FROM audit) FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&last.Seq, &last.Hash, &last.Count)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	a, ok, err := readMark(ctx, q, "audit_anchor")
	if err != nil || !ok {
		return false, err
	}
	return l.sealed(anchorLabel, a) && a.Seq == last.Seq && a.Count == last.Count && hmac.Equal(a.Hash, last.Hash), nil
}
