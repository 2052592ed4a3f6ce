package audit

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"keysmith/app/core/errs"
)

// Archiving moves the oldest entries out of the database without breaking
// verification. Archive, in one transaction: verifies the whole chain
// (a damaged or unprovable log is never archived), writes the entries to a
// JSON-lines file (0600, written under a temporary name, synced, then
// linked to its name, so an existing file is never replaced),
// moves the checkpoint in audit_checkpoint forward to the last archived
// entry (its seq and hash and the number removed, sealed with a key derived
// from keysmith.key), deletes the rows at or before the checkpoint (the only
// DELETE the database's trigger lets through) and appends an audit.archive
// event naming the checkpoint. Verify then starts the chain at the
// checkpoint; a forged or altered checkpoint is reported as tampering.
// VerifyArchive checks that a file's entries chain into its checkpoint.

// archiveFormat is the first line's format number.
const archiveFormat = 1

// archiveHeader is an archive file's first line: where its chain starts
// (the previous checkpoint; none when the file starts at entry 1).
type archiveHeader struct {
	Format int   `json:"keysmithAuditArchive"`
	After  *mark `json:"after,omitempty"`
}

// archiveRow is one archived entry.
type archiveRow struct {
	Seq      int64  `json:"seq"`
	At       string `json:"at"`
	ActorID  int64  `json:"actorId,omitempty"`
	Actor    string `json:"actor"`
	Action   string `json:"action"`
	Target   string `json:"target"`
	Detail   string `json:"detail"`
	PrevHash []byte `json:"prevHash"`
	Hash     []byte `json:"hash"`
}

// archiveTrailer is the last line: the checkpoint the entries chain into.
type archiveTrailer struct {
	Checkpoint *mark `json:"checkpoint"`
}

// Archived describes one archive.
type Archived struct {
	Count int64 // entries moved to the file (0: nothing was old enough)
	First int64 // first and last archived entry
	Last  int64
}

// maxArchiveLine bounds one line of an archive file when it is read back.
const maxArchiveLine = 1 << 20

// Archive moves every entry older than before, from the start of the chain
// up to the first entry that is not, to a new file at out, inside tx (which
// must be a write transaction), and records the checkpoint as an
// audit.archive event by actor. out must not exist. When nothing is old
// enough, nothing is written. If the transaction does not commit, the
// caller removes out.
func (l *Log) Archive(ctx context.Context, tx *sql.Tx, before time.Time, out string, actor Event) (Archived, error) {
	res, err := l.verify(ctx, tx)
	if err != nil {
		return Archived{}, err
	}
	// A log whose only doubt is an anchor made again may be archived: that
	// is how its chain becomes provable again (see Result.Rebuilt).
	if !res.OK() && res.Rebuilt == 0 {
		return Archived{}, errs.Invalidf("audit", "The audit log does not verify, so it cannot be archived: %s%s", res.Problem, res.Unproven)
	}
	cp, hasCP, err := readMark(ctx, tx, "audit_checkpoint")
	if err != nil {
		return Archived{}, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT seq, at, COALESCE(actor_id, 0), actor, action, target, detail, prev_hash, hash
		FROM audit ORDER BY seq`)
	if err != nil {
		return Archived{}, fmt.Errorf("audit archive: %w", err)
	}
	defer rows.Close()
	var w *archiveWriter
	var got Archived
	var lastHash []byte
	for rows.Next() {
		var r archiveRow
		if err := rows.Scan(&r.Seq, &r.At, &r.ActorID, &r.Actor, &r.Action, &r.Target, &r.Detail, &r.PrevHash, &r.Hash); err != nil {
			return Archived{}, fmt.Errorf("audit archive: %w", err)
		}
		at, err := time.Parse(time.RFC3339Nano, r.At)
		if err != nil || !at.Before(before) {
			break
		}
		if w == nil {
			h := archiveHeader{Format: archiveFormat}
			if hasCP {
				h.After = &cp
			}
			if w, err = createArchive(out, h); err != nil {
				return Archived{}, err
			}
			defer w.abort()
			got.First = r.Seq
		}
		if err := w.enc.Encode(r); err != nil {
			return Archived{}, fmt.Errorf("write the archive: %w", err)
		}
		got.Count++
		got.Last, lastHash = r.Seq, r.Hash
	}
	if err := rows.Err(); err != nil {
		return Archived{}, err
	}
	rows.Close()
	if got.Count == 0 {
		return got, nil
	}
	next := mark{Seq: got.Last, Hash: lastHash, Count: got.Count}
	next.MAC = l.seal(checkpointLabel, next)
	if err := w.enc.Encode(archiveTrailer{Checkpoint: &next}); err != nil {
		return Archived{}, fmt.Errorf("write the archive: %w", err)
	}
	if err := w.commit(); err != nil {
		return Archived{}, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_checkpoint (id, seq, hash, count, mac) VALUES (1, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, count = excluded.count, mac = excluded.mac`,
		next.Seq, next.Hash, next.Count, next.MAC); err != nil {
		return Archived{}, fmt.Errorf("audit checkpoint: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM audit WHERE seq <= ?`, next.Seq); err != nil {
		return Archived{}, fmt.Errorf("audit archive: %w", err)
	}
	a, _, err := readMark(ctx, tx, "audit_anchor")
	if err != nil {
		return Archived{}, err
	}
	actor.Action = "audit.archive"
	actor.Target = "audit"
	actor.Detail = fmt.Sprintf("Archived entries %d to %d (%d) to %s; the log now starts after checkpoint %d %x (MAC %x).",
		got.First, got.Last, got.Count, filepath.Base(out), next.Seq, next.Hash, next.MAC)
	if _, err := l.append(ctx, tx, actor, a.Count-got.Count); err != nil {
		return Archived{}, err
	}
	return got, nil
}

// archiveWriter writes an archive under a temporary name until commit.
type archiveWriter struct {
	f    *os.File
	buf  *bufio.Writer
	enc  *json.Encoder
	out  string
	done bool
}

func createArchive(out string, h archiveHeader) (*archiveWriter, error) {
	if _, err := os.Lstat(out); err == nil {
		return nil, errs.Invalidf("out", "%s already exists; choose a new file for the archive.", out)
	}
	f, err := os.CreateTemp(filepath.Dir(out), ".audit-archive-*")
	if err != nil {
		return nil, fmt.Errorf("create the archive: %w", err)
	}
	w := &archiveWriter{f: f, out: out}
	if err := f.Chmod(0o600); err != nil {
		w.abort()
		return nil, fmt.Errorf("create the archive: %w", err)
	}
	w.buf = bufio.NewWriter(f)
	w.enc = json.NewEncoder(w.buf)
	w.enc.SetEscapeHTML(false)
	if err := w.enc.Encode(h); err != nil {
		w.abort()
		return nil, fmt.Errorf("write the archive: %w", err)
	}
	return w, nil
}

// commit flushes and syncs the file and gives it its name.
func (w *archiveWriter) commit() error {
	err := w.buf.Flush()
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// A link, not a rename: an existing file is never replaced.
		if err = os.Link(w.f.Name(), w.out); err == nil {
			os.Remove(w.f.Name())
		}
	}
	if err != nil {
		return fmt.Errorf("write the archive: %w", err)
	}
	w.done = true
	return nil
}

// abort removes the temporary file unless it was committed.
func (w *archiveWriter) abort() {
	if !w.done {
		w.f.Close()
		os.Remove(w.f.Name())
	}
}

// ArchiveResult is the outcome of VerifyArchive.
type ArchiveResult struct {
	Checked    int
	First      int64 // first and last entry in the file
	Last       int64
	Checkpoint []byte // the checkpoint's MAC, as the audit.archive event names it
	BadSeq     int64  // first failing entry, 0 when the file is intact
	Problem    string // one sentence, empty when intact
}

// OK reports whether the archive is intact.
func (r ArchiveResult) OK() bool { return r.Problem == "" }

// VerifyArchive checks an archive file read from r: every entry chains
// from the start it names (entry 1, or a sealed earlier checkpoint) into
// its sealed checkpoint, under this log's key. A line longer than 1 MiB is
// refused.
func (l *Log) VerifyArchive(r io.Reader) (ArchiveResult, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxArchiveLine)
	var res ArchiveResult
	bad := func(seq int64, problem string) (ArchiveResult, error) {
		res.BadSeq, res.Problem = seq, problem
		return res, nil
	}
	var h archiveHeader
	if !sc.Scan() || json.Unmarshal(sc.Bytes(), &h) != nil || h.Format != archiveFormat {
		if err := sc.Err(); err != nil && !errors.Is(err, bufio.ErrTooLong) {
			return ArchiveResult{}, err
		}
		return bad(0, "This is not a Keysmith audit archive.")
	}
	prev := make([]byte, sha256.Size)
	want := int64(1)
	if h.After != nil {
		if !l.sealed(checkpointLabel, *h.After) {
			return bad(0, "The checkpoint the archive starts after was altered or forged.")
		}
		prev, want = h.After.Hash, h.After.Seq+1
	}
	res.First = want
	for sc.Scan() {
		line := sc.Bytes()
		var t archiveTrailer
		if json.Unmarshal(line, &t) == nil && t.Checkpoint != nil {
			cp := *t.Checkpoint
			switch {
			case !l.sealed(checkpointLabel, cp):
				return bad(cp.Seq, "The archive's checkpoint was altered or forged.")
			case cp.Seq != want-1 || cp.Count != int64(res.Checked) || !hmac.Equal(cp.Hash, prev):
				return bad(want, "The archived entries do not end at the archive's checkpoint: entries were added or removed.")
			case sc.Scan():
				return bad(want, "The archive has lines after its checkpoint.")
			}
			res.Last, res.Checkpoint = cp.Seq, cp.MAC
			return res, sc.Err()
		}
		var row archiveRow
		if err := json.Unmarshal(line, &row); err != nil {
			return bad(want, fmt.Sprintf("Entry %d is unreadable.", want))
		}
		e := Entry{Event: Event{ActorID: row.ActorID, Actor: row.Actor, Action: row.Action, Target: row.Target, Detail: row.Detail}, Seq: row.Seq}
		var err error
		switch e.At, err = time.Parse(time.RFC3339Nano, row.At); {
		case row.Seq != want:
			return bad(want, fmt.Sprintf("Entry %d is missing: the archive jumps from %d to %d.", want, want-1, row.Seq))
		case err != nil:
			return bad(row.Seq, fmt.Sprintf("Entry %d has an unreadable time.", row.Seq))
		case !hmac.Equal(row.PrevHash, prev):
			return bad(row.Seq, fmt.Sprintf("Entry %d does not follow entry %d: a row was removed or replaced.", row.Seq, row.Seq-1))
		case !hmac.Equal(row.Hash, l.hash(prev, e)):
			return bad(row.Seq, fmt.Sprintf("Entry %d was altered after it was written.", row.Seq))
		}
		prev = row.Hash
		want++
		res.Checked++
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return bad(want, fmt.Sprintf("Entry %d is longer than an archive line may be.", want))
		}
		return ArchiveResult{}, err
	}
	return bad(want, "The archive ends without its checkpoint: it was cut short.")
}
