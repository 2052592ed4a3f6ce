package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"keysmith/app/testkit/pgtest"
)

// copySource is a SQLite store holding rows that are easy to get wrong
// across engines: ids with gaps, NULLs, empty and binary BLOBs, text keys
// whose byte order is not their case-folded order, text outside ASCII.
func copySource(t *testing.T) *Store {
	t.Helper()
	s := openT(t, newTarget(t, SQLite))
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO account (id, name, created_at) VALUES (1, ?, 'now')`, []any{"Acme Ü ☃"}},
		{`INSERT INTO users (id, name, email, email_key, role, password_hash, created_at, updated_at) VALUES (3, 'A', 'a@x', 'a@x', 'Administrator', 'h', 't', 't')`, nil},
		{`INSERT INTO users (id, name, email, email_key, role, password_hash, created_at, updated_at) VALUES (9, 'B', 'b@x', 'b@x', 'Basic', 'h', 't', 't')`, nil},
		{`INSERT INTO sign_in_failures (email_key, failures, last_at) VALUES ('b', 1, 't'), ('B', 2, 't'), ('é', 3, 't'), ('Z', 4, 't'), ('a b', 5, 't')`, nil},
		{`INSERT INTO credentials (id, type, name, key, generation, expires_at, created_at, created_by, updated_at, state_mac) VALUES (5, 'hmac', 'n', 'K1', 2, NULL, 't', 'by', 't', ?)`, []any{[]byte{0, 0xff, 1}}},
		{`INSERT INTO credential_secrets (id, credential_id, generation, sealed, created_at) VALUES (7, 5, 1, ?, 't'), (8, 5, 2, ?, 't')`, []any{[]byte{1, 2}, []byte{3}}},
		{`UPDATE credential_revision SET n = 41`, nil},
		{`INSERT INTO key_check (id, mac) VALUES (1, ?)`, []any{[]byte{}}},
		{`INSERT INTO audit (seq, at, actor_id, actor, action, target, detail, prev_hash, hash) VALUES (1, 't', NULL, 'x', 'a', 't', '', ?, ?), (2, 't', 3, 'y', 'b', 't', 'd', ?, ?)`,
			[]any{[]byte{}, []byte{1}, []byte{1}, []byte{2}}},
	} {
		if _, err := s.DB.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	return s
}

// copyOf runs CopyToPostgres from s into target, holding s.
func copyOf(t *testing.T, s *Store, target string, o CopyOptions) ([]TableCount, error) {
	t.Helper()
	var counts []TableCount
	err := Hold(context.Background(), s.DB, func(tx *sql.Tx) error {
		var err error
		counts, err = CopyToPostgres(context.Background(), tx, target, o)
		return err
	})
	return counts, err
}

// dump renders every row of every table, sorted, as plain values, read
// with SELECT * apart from the code under test.
func dump(t *testing.T, db *sql.DB) map[string][]string {
	t.Helper()
	names, err := Tables(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, name := range names {
		rows, err := db.Query(`SELECT * FROM ` + ident(name))
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		lines := []string{}
		for rows.Next() {
			vals, dest := Values(len(cols))
			if err := rows.Scan(dest...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = fmt.Sprintf("blob %x", bs) // an empty BLOB is not NULL
				}
				fmt.Fprintf(&b, "%s=%v (%T); ", cols[i], v, v)
			}
			lines = append(lines, b.String())
		}
		rows.Close()
		sort.Strings(lines)
		out[name] = lines
	}
	return out
}

// TestCopyToPostgres: every table arrives with every row and column as it
// was, ids included; a table's identity continues after its largest id;
// progress is told in batches; the source is not changed.
func TestCopyToPostgres(t *testing.T) {
	t.Parallel()
	s := copySource(t)
	before := dump(t, s.DB)
	target := pgtest.DB(t)
	var mu sync.Mutex
	batches := map[string]int{}
	done := map[string]int64{}
	counts, err := copyOf(t, s, target, CopyOptions{batch: 2, Progress: func(p CopyProgress) {
		mu.Lock()
		defer mu.Unlock()
		batches[p.Table]++
		if p.Done {
			done[p.Table] = p.Rows
		}
	}})
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	if got := dump(t, s.DB); !reflect.DeepEqual(got, before) {
		t.Fatalf("the source changed:\n%v\n%v", before, got)
	}
	dst := openT(t, target)
	after := dump(t, dst.DB)
	// Both drivers read integers as int64, text as string, BLOB and BYTEA
	// as []byte: the renderings compare as they are.
	if !reflect.DeepEqual(after, before) {
		t.Fatalf("the copy differs:\nsource %v\ntarget %v", before, after)
	}
	names, _ := Tables(context.Background(), s.DB)
	if len(counts) != len(names) {
		t.Fatalf("counts for %d tables, the schema has %d: %v", len(counts), len(names), counts)
	}
	pos := map[string]int{}
	for i, c := range counts {
		pos[c.Table] = i
		if c.Rows != int64(len(before[c.Table])) || done[c.Table] != c.Rows {
			t.Errorf("%s: counted %d, reported done at %d, holds %d", c.Table, c.Rows, done[c.Table], len(before[c.Table]))
		}
	}
	if pos["credentials"] > pos["credential_secrets"] || pos["users"] > pos["vaults"] || pos["vaults"] > pos["vault_items"] {
		t.Errorf("a table copied before the table its foreign key names: %v", counts)
	}
	if batches["sign_in_failures"] != 5 { // start, after 2, after 4, after 5, done
		t.Errorf("sign_in_failures reported %d times in batches of 2, want 5", batches["sign_in_failures"])
	}
	var id int64
	if err := dst.DB.QueryRow(`INSERT INTO users (name, email, email_key, role, password_hash, created_at, updated_at)
		VALUES ('C', 'c@x', 'c@x', 'Basic', 'h', 't', 't') RETURNING id`).Scan(&id); err != nil || id != 10 {
		t.Errorf("a new user after the copy got id %d (%v), want 10", id, err)
	}
	if v, err := dst.UserVersion(context.Background()); err != nil || v != LatestVersion() {
		t.Errorf("target schema %d, %v", v, err)
	}
}

// A target that is not empty is refused and left as it was; so is one
// where a table appears during the copy, one whose connection is cut, one
// whose copy reads back different, and one where Finish fails.
func TestCopyToPostgresRefusesAndUndoes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := copySource(t)
	before := dump(t, s.DB)
	for _, tt := range []struct {
		name    string
		prepare func(t *testing.T, target string) CopyOptions
		want    error  // errors.Is, or nil for a message
		msg     string // part of the error
		kept    []string
	}{
		{"another program's table", func(t *testing.T, target string) CopyOptions {
			pgtest.Open(t, target).Exec(`CREATE TABLE theirs (x int)`)
			return CopyOptions{}
		}, ErrNotEmpty, "", []string{"theirs"}},
		{"a Keysmith schema", func(t *testing.T, target string) CopyOptions {
			openT(t, target).Close()
			return CopyOptions{}
		}, ErrNotEmpty, "", nil},
		{"a table made during the copy", func(t *testing.T, target string) CopyOptions {
			db := pgtest.Open(t, target)
			var once sync.Once
			return CopyOptions{Progress: func(CopyProgress) {
				once.Do(func() {
					if _, err := db.Exec(`CREATE TABLE intruder (x int)`); err != nil {
						t.Error(err)
					}
				})
			}}
		}, ErrNotEmpty, "appeared", []string{"intruder"}},
		{"the connection cut mid-copy", func(t *testing.T, target string) CopyOptions {
			db := pgtest.Open(t, target)
			return CopyOptions{batch: 1, Progress: func(p CopyProgress) {
				if p.Table == "sign_in_failures" && p.Rows == 2 {
					db.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
				}
			}}
		}, nil, "", nil},
		{"a copy that reads back different", func(t *testing.T, target string) CopyOptions {
			return CopyOptions{tamper: func(ctx context.Context, tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE sign_in_failures SET failures = 6 WHERE email_key = 'Z'`)
				return err
			}}
		}, nil, "table sign_in_failures differs", nil},
		{"an empty BLOB read back as NULL", func(t *testing.T, target string) CopyOptions {
			return CopyOptions{tamper: func(ctx context.Context, tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `ALTER TABLE key_check ALTER COLUMN mac DROP NOT NULL; UPDATE key_check SET mac = NULL`)
				return err
			}}
		}, nil, "table key_check differs", nil},
		{"Finish fails", func(t *testing.T, target string) CopyOptions {
			return CopyOptions{Finish: func(ctx context.Context, tx *sql.Tx, copied []TableCount) error {
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit`).Scan(&n); err != nil || n != 2 {
					t.Errorf("Finish sees %d audit rows, %v", n, err)
				}
				if names, _ := Tables(ctx, s.DB); len(copied) != len(names) {
					t.Errorf("Finish told of %d tables, want %d", len(copied), len(names))
				}
				return errors.New("finish refused")
			}}
		}, nil, "finish refused", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			target := pgtest.DB(t)
			o := tt.prepare(t, target)
			var was []string
			if tt.kept == nil {
				was, _ = texts(ctx, pgtest.Open(t, target), `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`)
			}
			_, err := copyOf(t, s, target, o)
			if err == nil || tt.want != nil && !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("copy: %v, want %v %q", err, tt.want, tt.msg)
			}
			now, err := texts(ctx, pgtest.Open(t, target), `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`)
			if err != nil {
				t.Fatal(err)
			}
			if tt.kept != nil {
				was = tt.kept
			}
			if !sameTables(now, was) {
				t.Errorf("target tables %v after the failed copy, want %v", now, was)
			}
			if got := dump(t, s.DB); !reflect.DeepEqual(got, before) {
				t.Errorf("the source changed")
			}
		})
	}
}

func sameTables(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

// A server that is not there is ErrUnreachable, and its address's password
// is not in the error.
func TestCopyToPostgresUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = copyOf(t, copySource(t), "postgres://u:hunter2-secret@"+addr+"/x?sslmode=disable&connect_timeout=5", CopyOptions{})
	if !errors.Is(err, ErrUnreachable) || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("copy to nowhere: %v", err)
	}
}

// Hold keeps other writers out while it runs and leaves nothing behind.
func TestHold(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, target string) {
		s := openT(t, target)
		ctx := context.Background()
		// Another writer, asking without waiting: SQLite with no busy
		// timeout, PostgreSQL with a try of the write lock.
		var other *sql.DB
		try := `BEGIN IMMEDIATE; ROLLBACK`
		if s.Engine == Postgres {
			other = openT(t, target).DB
			try = fmt.Sprintf(`SELECT 1 / CASE WHEN pg_try_advisory_lock(%d) THEN 1 ELSE 0 END`, writeLock)
		} else {
			var err error
			if other, err = sql.Open("sqlite", "file:"+s.Path+"?_pragma=busy_timeout(0)"); err != nil {
				t.Fatal(err)
			}
			defer other.Close()
		}
		err := Hold(ctx, s.DB, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO key_check (id, mac) VALUES (1, ?)`, []byte{1}); err != nil {
				return err
			}
			if _, err := other.ExecContext(ctx, try); err == nil {
				return errors.New("another writer got in during Hold")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.ExecContext(ctx, try); err != nil {
			t.Fatalf("a writer still kept out after Hold: %v", err)
		}
		var n int
		if err := s.DB.QueryRow(`SELECT COUNT(*) FROM key_check`).Scan(&n); err != nil || n != 0 {
			t.Errorf("Hold kept a write: %d rows, %v", n, err)
		}
	})
}
