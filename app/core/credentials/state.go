package credentials

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"

	"keysmith/app/core/audit"
	"keysmith/app/core/store"
)

// ErrStateTampered is why a credential whose stored state does not verify
// is refused: it was changed, restored or re-inserted outside Keysmith.
var ErrStateTampered = errors.New("credential state does not verify")

// stateActions are the audit actions that change a credential's security
// state; change refuses to append any other. A row is trusted only while no
// such event targets its key after the one its MAC names.
var stateActions = []string{
	"credential.create", "credential.rename", "credential.enable", "credential.disable",
	"credential.delete", "credential.roll", "credential.password-change",
}

// The audit event recording that state MACs are in force in this database,
// appended once, when rows written before they existed were sealed as found.
const (
	sealedAction = "credentials.state-sealed"
	sealedTarget = "credentials"
)

// stateFields are the stored fields behind the state MAC that Credential
// does not show as such.
type stateFields struct {
	generation int64
	expires    sql.NullString // expires_at as stored
	seq        int64          // state_seq
	mac        []byte         // state_mac, nil when unset
}

// secretRow is one stored secret generation as the state MAC covers it.
type secretRow struct {
	gen            int64
	digest, sealed []byte
	phc, retires   sql.NullString
}

type reader interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// stateMAC is HMAC-SHA256 under the state key over a length-prefixed
// encoding of c's security state as stored, seq, and every secret row in
// generation order (generation, retirement, digest, sealed, phc).
func (s *Service) stateMAC(c *Credential, seq int64, secs []secretRow) []byte {
	w := stateWriter{hmac.New(sha256.New, s.stateKey)}
	w.str("keysmith credential state v1")
	w.u64(uint64(c.ID))
	w.str(string(c.Type))
	w.str(c.Key)
	w.str(c.Name)
	w.flag(c.Disabled)
	w.u64(uint64(c.state.generation))
	w.opt(c.state.expires)
	w.u64(uint64(seq))
	secs = slices.SortedFunc(slices.Values(secs), func(a, b secretRow) int { return cmp.Compare(a.gen, b.gen) })
	w.u64(uint64(len(secs)))
	for _, r := range secs {
		w.u64(uint64(r.gen))
		w.opt(r.retires)
		w.blob(r.digest)
		w.blob(r.sealed)
		w.opt(r.phc)
	}
	return w.Sum(nil)
}

type stateWriter struct{ hash.Hash }

func (w stateWriter) u64(n uint64) { w.Write(binary.BigEndian.AppendUint64(nil, n)) }
func (w stateWriter) flag(b bool) {
	if b {
		w.Write([]byte{1})
	} else {
		w.Write([]byte{0})
	}
}
func (w stateWriter) str(v string) { w.u64(uint64(len(v))); w.Write([]byte(v)) }
func (w stateWriter) opt(v sql.NullString) {
	w.flag(v.Valid)
	w.str(v.String)
}
func (w stateWriter) blob(b []byte) {
	w.flag(b != nil)
	w.u64(uint64(len(b)))
	w.Write(b)
}

// readSecrets returns credential id's stored secrets.
func readSecrets(ctx context.Context, q reader, id int64) ([]secretRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT generation, digest, sealed, phc, retires_at FROM credential_secrets
		WHERE credential_id = ? ORDER BY generation`, id)
	return store.Collect(rows, err, func(rs *sql.Rows, r *secretRow) error {
		return rs.Scan(&r.gen, &r.digest, &r.sealed, &r.phc, &r.retires)
	})
}

var laterEventQuery = `SELECT EXISTS (SELECT 1 FROM audit WHERE target = ? AND seq > ? AND action IN (?` +
	strings.Repeat(", ?", len(stateActions)-1) + `))`

// checkState sets c.Tampered unless c's MAC covers exactly c and secs as
// stored and no state-changing audit event targets c's key after the one
// the MAC names (so a deleted row put back, or a row restored to an older
// state, is refused).
func (s *Service) checkState(ctx context.Context, q reader, c *Credential, secs []secretRow) error {
	c.Tampered = true
	if c.state.mac == nil || !hmac.Equal(c.state.mac, s.stateMAC(c, c.state.seq, secs)) {
		return nil
	}
	floor, err := archivedThrough(ctx, q)
	if err != nil {
		return err
	}
	if c.state.seq <= floor {
		return nil // sealed by an event the archive removed, and not resealed by it
	}
	args := []any{c.Key, c.state.seq}
	for _, a := range stateActions {
		args = append(args, a)
	}
	var later bool
	if err := q.QueryRowContext(ctx, laterEventQuery, args...).Scan(&later); err != nil {
		return fmt.Errorf("credential state: %w", err)
	}
	c.Tampered = later
	return nil
}

// verifyPage checks the state of every credential in cs (a page of List,
// at most 1000) with two queries in all rather than two per credential.
func (s *Service) verifyPage(ctx context.Context, q reader, cs []Credential) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]any, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	in := "?" + strings.Repeat(", ?", len(ids)-1)
	secs := map[int64][]secretRow{}
	rows, err := q.QueryContext(ctx, `SELECT credential_id, generation, digest, sealed, phc, retires_at FROM credential_secrets
		WHERE credential_id IN (`+in+`)`, ids...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var r secretRow
		if err := rows.Scan(&id, &r.gen, &r.digest, &r.sealed, &r.phc, &r.retires); err != nil {
			rows.Close()
			return err
		}
		secs[id] = append(secs[id], r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	args := append([]any{}, ids...)
	for _, a := range stateActions {
		args = append(args, a)
	}
	rows, err = q.QueryContext(ctx, `SELECT c.id FROM credentials c WHERE c.id IN (`+in+`) AND EXISTS (SELECT 1 FROM audit a
		WHERE a.target = c.key AND a.seq > c.state_seq AND a.action IN (?`+strings.Repeat(", ?", len(stateActions)-1)+`))`, args...)
	if err != nil {
		return err
	}
	later := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		later[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	floor, err := archivedThrough(ctx, q)
	if err != nil {
		return err
	}
	for i := range cs {
		c := &cs[i]
		c.Tampered = later[c.ID] || c.state.seq <= floor || c.state.mac == nil || !hmac.Equal(c.state.mac, s.stateMAC(c, c.state.seq, secs[c.ID]))
	}
	return nil
}

// archivedThrough is the seq of the newest archived audit entry (0 when
// none was): events up to it are gone from the table, so a state sealed by
// one of them can no longer be checked against later events. The archive
// reseals every credential that verifies (ResealAfterArchive), so a state
// sealed at or before it is one the archive did not vouch for: a deleted
// row put back, or a row restored to an older state.
func archivedThrough(ctx context.Context, q reader) (int64, error) {
	var seq int64
	err := q.QueryRowContext(ctx, `SELECT COALESCE((SELECT seq FROM audit_checkpoint WHERE id = 1), 0)`).Scan(&seq)
	return seq, err
}

// Verifying returns the ids of the credentials whose stored state
// verifies, read in tx. The archive calls it before it removes entries, and
// ResealAfterArchive after.
func (s *Service) Verifying(ctx context.Context, tx *sql.Tx) (map[int64]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+credCols+` FROM credentials c ORDER BY c.id`)
	if err != nil {
		return nil, err
	}
	var all []Credential
	for rows.Next() {
		c, err := scan(rows, s.now())
		if err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ok := map[int64]bool{}
	for len(all) > 0 {
		page := all[:min(len(all), 500)]
		all = all[len(page):]
		if err := s.verifyPage(ctx, tx, page); err != nil {
			return nil, err
		}
		for _, c := range page {
			if !c.Tampered {
				ok[c.ID] = true
			}
		}
	}
	return ok, nil
}

// ResealAfterArchive, in the archive's transaction and after its audit
// event, reseals under that event's seq every credential in ok (those that
// verified before the archive); any other stays as it is, and so tampered.
func (s *Service) ResealAfterArchive(ctx context.Context, tx *sql.Tx, ok map[int64]bool) error {
	seq, err := lastSeq(ctx, tx)
	if err != nil {
		return err
	}
	for id := range ok {
		if err := s.sealState(ctx, tx, id, seq); err != nil {
			return err
		}
	}
	return nil
}

// verify reads c's secrets through q and checks its state.
func (s *Service) verify(ctx context.Context, q reader, c *Credential) error {
	secs, err := readSecrets(ctx, q, c.ID)
	if err != nil {
		return err
	}
	return s.checkState(ctx, q, c, secs)
}

// sealState records credential id's state as it now stands in tx, produced by the
// audit event seq.
func (s *Service) sealState(ctx context.Context, tx *sql.Tx, id, seq int64) error {
	c, err := scan(tx.QueryRowContext(ctx, `SELECT `+credCols+` FROM credentials c WHERE c.id = ?`, id), s.now())
	if err != nil {
		return fmt.Errorf("seal credential state: %w", err)
	}
	secs, err := readSecrets(ctx, tx, id)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE credentials SET state_seq = ?, state_mac = ? WHERE id = ?`, seq, s.stateMAC(&c, seq, secs), id)
	return err
}

// lastSeq is the seq of the newest audit event, the one just appended in tx.
func lastSeq(ctx context.Context, tx *sql.Tx) (int64, error) {
	var seq int64
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM audit`).Scan(&seq)
	return seq, err
}

// sealExisting brings a database from before state MACs under them, once:
// unless the audit log already records that they are in force, it records
// so and seals every row without a MAC as found (those rows were trusted
// until then). Afterwards a row without a MAC is tampered.
func (s *Service) sealExisting(ctx context.Context, tx *sql.Tx) error {
	var done bool
	// An archive checkpoint also says so: archives only exist where state
	// MACs do, and the archive may have removed the event.
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM audit WHERE target = ? AND action = ?)
		OR EXISTS (SELECT 1 FROM audit_checkpoint)`,
		sealedTarget, sealedAction).Scan(&done); err != nil || done {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM credentials WHERE state_mac IS NULL ORDER BY id`)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := s.log.Append(ctx, tx, audit.Event{Actor: "keysmith", Action: sealedAction, Target: sealedTarget,
		Detail: fmt.Sprintf("credential state is sealed from now on; %d existing credential(s) sealed as found", len(ids))}); err != nil {
		return err
	}
	seq, err := lastSeq(ctx, tx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.sealState(ctx, tx, id, seq); err != nil {
			return err
		}
	}
	return nil
}

// SealExisting seals, once per database, the state of credentials stored
// before state MACs existed (see the package doc). Open runs it with the key
// file; it is a no-op on a database that has no audit entry yet or has
// already been sealed.
func (s *Service) SealExisting(ctx context.Context) error {
	var skip bool
	if err := s.db.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM audit) OR EXISTS (SELECT 1 FROM audit WHERE target = ? AND action = ?)
		OR EXISTS (SELECT 1 FROM audit_checkpoint)`,
		sealedTarget, sealedAction).Scan(&skip); err != nil || skip {
		return err
	}
	return store.Tx(ctx, s.db, func(tx *sql.Tx) error { return s.sealExisting(ctx, tx) })
}

// VerifyAll checks the stored state of every credential (Administrators
// only) and returns how many it checked and those that do not verify.
func (s *Service) VerifyAll(ctx context.Context, actorID int64) (int, []Credential, error) {
	tampered := []Credential{}
	checked := 0
	for {
		page, total, err := s.List(ctx, actorID, Filter{Limit: 1000, Offset: checked})
		if err != nil {
			return checked, nil, err
		}
		for _, c := range page {
			if c.Tampered {
				tampered = append(tampered, c)
			}
		}
		checked += len(page)
		if len(page) == 0 || checked >= total {
			return checked, tampered, nil
		}
	}
}
