package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Why CopyToPostgres refused or failed, for a face to say plainly.
var (
	// ErrNotEmpty: the target database holds a table (Keysmith's or
	// another program's), or one appeared there during the copy.
	ErrNotEmpty = errors.New("target database not empty")
	// ErrUnreachable: no connection to the target (not running, a wrong
	// address, or the user or password refused).
	ErrUnreachable = errors.New("target database unreachable")
	// ErrDenied: the target's user may not create the schema there.
	ErrDenied = errors.New("target database denied creating the schema")
)

// CopyProgress reports how far CopyToPostgres is: Rows of Table copied so
// far, and Done once the table is complete.
type CopyProgress struct {
	Table string
	Rows  int64
	Done  bool
}

// TableCount is how many rows one table holds.
type TableCount struct {
	Table string
	Rows  int64
}

// CopyOptions adjust CopyToPostgres.
type CopyOptions struct {
	// Progress, when set, is told at the start of each table, after each
	// batch and when the table is done.
	Progress func(CopyProgress)
	// Finish, when set, runs in the target's transaction once every table
	// is copied and found equal, before the commit, with the rows of each
	// table; its error undoes everything.
	Finish func(ctx context.Context, tx *sql.Tx, copied []TableCount) error

	batch  int                                         // rows per INSERT; 0 is copyBatch
	tamper func(ctx context.Context, tx *sql.Tx) error // tests: changes the copy before it is compared
}

// copyBatch is how many rows one INSERT carries (fewer for a table whose
// columns would pass maxParams).
const copyBatch = 250

// maxParams is PostgreSQL's bound on the parameters of one statement.
const maxParams = 65535

// Hold runs fn in a transaction of db that keeps every other writer out
// while fn runs (SQLite's BEGIN IMMEDIATE, or PostgreSQL's write lock, as
// Tx) and is always rolled back: fn reads one consistent state that nobody
// changes before it returns, and the database is left exactly as it was.
func Hold(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if isPostgres(db) {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, writeLock); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
	}
	return fn(tx)
}

// CopyToPostgres copies the Keysmith database that src reads (a
// transaction on a SQLite store, see Hold) into the empty PostgreSQL
// database at rawURL, and checks the copy, all in one transaction on the
// target, which commits only if everything below holds; otherwise the
// target is left as it was. src is only read.
//
//   - The target must hold no table: checked under the migration lock
//     (ErrNotEmpty), and again before the commit, so a table someone else
//     made meanwhile fails the copy too.
//   - The schema is made there by the migrations, then every table of
//     src's schema (the two must list the same tables and columns, so no
//     table is left behind) is copied, each table before those whose
//     foreign keys name it: every column as it is, ids included. Identity
//     columns then continue after the largest id copied. Rows go in
//     batches: memory holds one batch, whatever the size of a table.
//   - Every table is then read back from the target and must hold the same
//     rows: a SHA-256 over every column of every row, in primary key
//     order, taken while src was read, must match the target's.
//   - Finish runs last, in the same transaction.
//
// It returns the number of rows of each table, in the order copied.
func CopyToPostgres(ctx context.Context, src *sql.Tx, rawURL string, o CopyOptions) ([]TableCount, error) {
	db, _, err := pgDB(rawURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	var counts []TableCount
	err = once(ctx, db, "", func(tx *sql.Tx) error {
		counts = nil
		for _, lock := range []int64{migrateLock, writeLock} {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, lock); err != nil {
				return err
			}
		}
		version, others, err := pgState(ctx, tx)
		if err != nil {
			return err
		}
		if version != 0 || others != 0 {
			return fmt.Errorf("%w: schema %d, %d tables", ErrNotEmpty, version, others)
		}
		if err := pgMigrate(ctx, tx, 0, migrations(Postgres)); err != nil {
			if denied(err) {
				return fmt.Errorf("%w: %w", ErrDenied, err)
			}
			return err
		}
		plan, err := copyPlan(ctx, src, tx)
		if err != nil {
			return err
		}
		// Rows the migrations put in place (a counter's first value, say)
		// give way to the source's.
		for i := len(plan) - 1; i >= 0; i-- {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+ident(plan[i].name)); err != nil {
				return err
			}
		}
		sums := make([][]byte, len(plan))
		for i, t := range plan {
			n, sum, err := t.copy(ctx, src, tx, o)
			if err != nil {
				return fmt.Errorf("copy %s: %w", t.name, err)
			}
			counts, sums[i] = append(counts, TableCount{t.name, n}), sum
		}
		if err := resetIdentities(ctx, tx); err != nil {
			return err
		}
		if o.tamper != nil {
			if err := o.tamper(ctx, tx); err != nil {
				return err
			}
		}
		for i, t := range plan {
			h := sha256.New()
			n, err := t.read(ctx, tx, Postgres, h)
			if err != nil {
				return fmt.Errorf("compare %s: %w", t.name, err)
			}
			if n != counts[i].Rows || !slices.Equal(h.Sum(nil), sums[i]) {
				return fmt.Errorf("the copy of table %s differs from the source (%d rows copied, %d read back)", t.name, counts[i].Rows, n)
			}
		}
		if o.Finish != nil {
			if err := o.Finish(ctx, tx, counts); err != nil {
				return err
			}
		}
		if _, others, err = pgState(ctx, tx); err != nil {
			return err
		}
		if others != len(plan) {
			return fmt.Errorf("%w: %d tables appeared during the copy", ErrNotEmpty, others-len(plan))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

// denied reports whether err is PostgreSQL refusing for lack of privilege.
func denied(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42501"
}

// tableCopy is how one table is copied and compared.
type tableCopy struct {
	name  string
	cols  []string        // in the target's column order
	order []string        // the primary key, or every column
	text  map[string]bool // columns of a text type on the target
}

// copyPlan lists the tables to copy, each before the tables whose foreign
// keys name it. src and dst must hold the same tables with the same
// columns.
func copyPlan(ctx context.Context, src, dst *sql.Tx) ([]*tableCopy, error) {
	have, err := tables(ctx, src, SQLite)
	if err != nil {
		return nil, err
	}
	want, err := tables(ctx, dst, Postgres)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(have, want) {
		return nil, fmt.Errorf("the schemas differ: tables %v here, %v in the target", have, want)
	}
	byName := map[string]*tableCopy{}
	for _, name := range want {
		t := &tableCopy{name: name, text: map[string]bool{}}
		type column struct{ name, typ string }
		rows, err := dst.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`, name)
		cols, err := Collect(rows, err, func(rs *sql.Rows, c *column) error { return rs.Scan(&c.name, &c.typ) })
		if err != nil {
			return nil, err
		}
		for _, c := range cols {
			t.cols = append(t.cols, c.name)
			t.text[c.name] = c.typ == "text" || c.typ == "character varying" || c.typ == "character"
		}
		srcCols, err := texts(ctx, src, `SELECT name FROM pragma_table_info(?)`, name)
		if err != nil {
			return nil, err
		}
		if a, b := slices.Sorted(slices.Values(srcCols)), slices.Sorted(slices.Values(t.cols)); !slices.Equal(a, b) {
			return nil, fmt.Errorf("the schemas differ: table %s has columns %v here, %v in the target", name, a, b)
		}
		t.order, err = texts(ctx, dst, `SELECT a.attname FROM pg_index i
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
			WHERE i.indrelid = (quote_ident(current_schema()) || '.' || quote_ident(?))::regclass AND i.indisprimary
			ORDER BY array_position(i.indkey::int2[], a.attnum)`, name)
		if err != nil {
			return nil, err
		}
		if len(t.order) == 0 {
			t.order = t.cols
		}
		byName[name] = t
	}
	type edge struct{ child, parent string }
	rows, err := dst.QueryContext(ctx, `SELECT ch.relname, pa.relname FROM pg_constraint c
		JOIN pg_class ch ON ch.oid = c.conrelid JOIN pg_class pa ON pa.oid = c.confrelid
		WHERE c.contype = 'f' AND ch.relnamespace = current_schema()::regnamespace`)
	edges, err := Collect(rows, err, func(rs *sql.Rows, e *edge) error { return rs.Scan(&e.child, &e.parent) })
	if err != nil {
		return nil, err
	}
	parents := map[string][]string{}
	for _, e := range edges {
		if e.child != e.parent {
			parents[e.child] = append(parents[e.child], e.parent)
		}
	}
	// Depth-first, in name order: a table after its parents.
	var plan []*tableCopy
	state := map[string]int{} // 1 visiting, 2 placed
	var visit func(string) error
	visit = func(name string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("foreign keys form a cycle through %s", name)
		case 2:
			return nil
		}
		state[name] = 1
		ps := parents[name]
		sort.Strings(ps)
		for _, p := range ps {
			if err := visit(p); err != nil {
				return err
			}
		}
		state[name] = 2
		if t := byName[name]; t != nil {
			plan = append(plan, t)
		}
		return nil
	}
	for _, name := range want {
		if err := visit(name); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// copy streams the table's rows from src into dst in batches, and returns
// how many it copied and the digest of what it read.
func (t *tableCopy) copy(ctx context.Context, src, dst *sql.Tx, o CopyOptions) (int64, []byte, error) {
	per := o.batch
	if per <= 0 {
		per = copyBatch
	}
	per = max(1, min(per, maxParams/len(t.cols)))
	report := func(n int64, done bool) {
		if o.Progress != nil {
			o.Progress(CopyProgress{Table: t.name, Rows: n, Done: done})
		}
	}
	report(0, false)
	var n int64
	args := make([]any, 0, per*len(t.cols))
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		if _, err := dst.ExecContext(ctx, t.insert(len(args)/len(t.cols)), args...); err != nil {
			return err
		}
		clear(args)
		args = args[:0]
		report(n, false)
		return nil
	}
	h := sha256.New()
	err := t.scan(ctx, src, SQLite, h, func(row []any) error {
		args = append(args, row...)
		n++
		if len(args) == cap(args) {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return 0, nil, err
	}
	report(n, true)
	return n, h.Sum(nil), nil
}

// read digests the table's rows as q holds them, and counts them.
func (t *tableCopy) read(ctx context.Context, q querier, e Engine, h hash.Hash) (int64, error) {
	var n int64
	err := t.scan(ctx, q, e, h, func([]any) error { n++; return nil })
	return n, err
}

// scan reads every row of the table in primary key order, writes each to
// h and hands it to fn (which may keep it: each row is new).
func (t *tableCopy) scan(ctx context.Context, q querier, e Engine, h hash.Hash, fn func([]any) error) error {
	keys := make([]string, len(t.order))
	for i, c := range t.order {
		// Text in byte order on both engines: SQLite's BINARY, PostgreSQL's "C".
		switch {
		case e == SQLite:
			keys[i] = ident(c) + ` COLLATE BINARY NULLS FIRST`
		case t.text[c]:
			keys[i] = ident(c) + ` COLLATE "C" NULLS FIRST`
		default:
			keys[i] = ident(c) + ` NULLS FIRST`
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT `+t.columns()+` FROM `+ident(t.name)+` ORDER BY `+strings.Join(keys, ", "))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		row := make([]any, len(t.cols))
		ptrs := make([]any, len(row))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := digestRow(h, row); err != nil {
			return err
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (t *tableCopy) columns() string {
	q := make([]string, len(t.cols))
	for i, c := range t.cols {
		q[i] = ident(c)
	}
	return strings.Join(q, ", ")
}

// insert is the statement that inserts n rows.
func (t *tableCopy) insert(n int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ") + ")"
	return `INSERT INTO ` + ident(t.name) + ` (` + t.columns() + `) VALUES ` + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
}

// digestRow writes row to h, each value with its kind and length, and
// makes each value what both engines store alike: an empty BLOB (which
// SQLite's driver reads as a nil []byte, and PostgreSQL's would write as
// NULL) is an empty []byte, and every integer an int64.
func digestRow(h hash.Hash, row []any) error {
	var b [9]byte
	for i, v := range row {
		switch x := v.(type) {
		case []byte:
			if x == nil {
				row[i] = []byte{}
			}
		case int32:
			row[i] = int64(x)
		case int16:
			row[i] = int64(x)
		}
		switch x := row[i].(type) {
		case nil:
			h.Write([]byte{'n'})
		case int64:
			b[0] = 'i'
			binary.BigEndian.PutUint64(b[1:], uint64(x))
			h.Write(b[:])
		case float64:
			b[0] = 'f'
			binary.BigEndian.PutUint64(b[1:], math.Float64bits(x))
			h.Write(b[:])
		case string:
			b[0] = 's'
			binary.BigEndian.PutUint64(b[1:], uint64(len(x)))
			h.Write(b[:])
			io.WriteString(h, x)
		case []byte:
			b[0] = 'b'
			binary.BigEndian.PutUint64(b[1:], uint64(len(x)))
			h.Write(b[:])
			h.Write(x)
		default:
			return fmt.Errorf("a value of type %T", v)
		}
	}
	return nil
}

// resetIdentities makes every identity column continue after the largest
// value its table holds.
func resetIdentities(ctx context.Context, tx *sql.Tx) error {
	type column struct{ table, name string }
	rows, err := tx.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES' ORDER BY table_name, column_name`)
	cols, err := Collect(rows, err, func(rs *sql.Rows, c *column) error { return rs.Scan(&c.table, &c.name) })
	if err != nil {
		return err
	}
	for _, c := range cols {
		if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence(?, ?), COALESCE((SELECT MAX(`+ident(c.name)+`) FROM `+ident(c.table)+`), 0) + 1, false)`,
			ident(c.table), c.name); err != nil {
			return fmt.Errorf("reset %s.%s: %w", c.table, c.name, err)
		}
	}
	return nil
}

// ident quotes a table or column name.
func ident(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
