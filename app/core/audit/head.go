package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"keysmith/app/core/store"
)

// The head file anchors the chain's newest entry outside the database, so
// removing the newest rows (which leaves a shorter chain that is intact in
// itself) is detected even when the database is rolled back as a whole. It
// is advanced, never rewound, by SaveHead, and authenticated with the chain
// key.

// HeadFileName is the head file's name beside the database.
const HeadFileName = "keysmith.audit-head"

// AnchorHead makes the Log keep its head file at path.
func (l *Log) AnchorHead(path string) { l.headPath = path }

type head struct {
	seq  int64
	hash []byte
}

func (l *Log) headMAC(h head) []byte {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte("audit head"))
	putInt(m, h.seq)
	m.Write(h.hash)
	return m.Sum(nil)
}

var errBadHead = errors.New("audit head file damaged")

// readHead returns the saved head; ok is false when there is none yet.
func (l *Log) readHead() (h head, ok bool, err error) {
	if l.headPath == "" {
		return head{}, false, nil
	}
	b, err := os.ReadFile(l.headPath)
	if errors.Is(err, fs.ErrNotExist) {
		return head{}, false, nil
	}
	if err != nil {
		return head{}, false, err
	}
	f := strings.Fields(string(b))
	if len(f) != 3 {
		return head{}, false, errBadHead
	}
	h.seq, err = strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return head{}, false, errBadHead
	}
	if h.hash, err = hex.DecodeString(f[1]); err != nil {
		return head{}, false, errBadHead
	}
	mac, err := hex.DecodeString(f[2])
	if err != nil || !hmac.Equal(mac, l.headMAC(h)) {
		return head{}, false, errBadHead
	}
	return h, true, nil
}

// SaveHead records the newest entry in the head file, or entry 0 while the
// log is empty (so a new data directory has a head file from the start). It
// never moves the head backwards, and writes nothing while the database
// anchor is missing or does not match the newest entry: the file is kept as
// the evidence Verify reports. A head file missing while the log has
// entries is recreated only after an audit.head event records that.
func (l *Log) SaveHead(ctx context.Context, db *sql.DB) error { return l.saveHead(ctx, db, false) }

// AdoptHead writes the head file of a machine that joins a team database:
// it has seen no entry before, so the newest entry present becomes its
// first anchor, without the audit.head event of a head file gone missing.
// It refuses a path that already has a head file, and a log whose
// database anchor does not match its newest entry.
func (l *Log) AdoptHead(ctx context.Context, db *sql.DB) error {
	if _, ok, err := l.readHead(); err != nil || ok {
		return errors.Join(err, errors.New("audit head: this machine already has a head file"))
	}
	if match, err := l.anchorMatches(ctx, db); err != nil || !match {
		return errors.Join(err, errors.New("audit head: the database anchor does not match the newest entry"))
	}
	if err := l.saveHead(ctx, db, true); err != nil {
		return err
	}
	if _, ok, err := l.readHead(); err != nil || !ok {
		// Another machine appended meanwhile: nothing was written.
		return errors.Join(err, errors.New("audit head: the log moved while this machine joined; try again"))
	}
	return nil
}

func (l *Log) saveHead(ctx context.Context, db *sql.DB, adopt bool) error {
	if l.headPath == "" {
		return nil
	}
	h := head{hash: make([]byte, sha256.Size)}
	err := db.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&h.seq, &h.hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("audit head: %w", err)
	}
	old, ok, err := l.readHead()
	if err != nil || (ok && old.seq >= h.seq) {
		return err
	}
	if match, err := l.anchorMatches(ctx, db); err != nil || !match {
		return err
	}
	if !ok && h.seq > 0 && !adopt {
		// Entries without a head file: recreate it, and say so in the log,
		// since removals before now can no longer be ruled out.
		err := store.Tx(ctx, db, func(tx *sql.Tx) error {
			return l.Append(ctx, tx, Event{Actor: "keysmith", Action: ActionHeadRebuilt, Target: "audit",
				Detail: fmt.Sprintf("The audit head file was missing with %d entries in the log; recreated. Removal of the newest entries before this cannot be ruled out.", h.seq)})
		})
		if err != nil {
			return err
		}
		if err := db.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&h.seq, &h.hash); err != nil {
			return fmt.Errorf("audit head: %w", err)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(l.headPath), ".audit-head-*")
	if err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	fmt.Fprintf(tmp, "%d %x %x\n", h.seq, h.hash, l.headMAC(h))
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), l.headPath)
}

// HeadRecorded reports whether the head file at path records at least one
// entry (whatever key it was written under): the data directory has held
// an audit log.
func HeadRecorded(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	seq, err := strconv.ParseInt(strings.Fields(string(b) + " 0")[0], 10, 64)
	return err == nil && seq >= 1
}
