package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"keysmith/app/core/errs"
	"keysmith/app/testkit/pgtest"
)

func TestMain(m *testing.M) {
	if u := os.Getenv(helperEnv); u != "" {
		os.Exit(helperOpen(u))
	}
	os.Exit(pgtest.Main(m))
}

// onEngines runs fn once per engine, in parallel subtests, each on a new
// database: a data directory for SQLite, a database of its own on the test
// cluster for PostgreSQL.
func onEngines(t *testing.T, fn func(t *testing.T, target string)) {
	t.Helper()
	for _, e := range []Engine{SQLite, Postgres} {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			fn(t, newTarget(t, e))
		})
	}
}

func newTarget(t *testing.T, e Engine) string {
	t.Helper()
	if e == Postgres {
		return pgtest.DB(t)
	}
	return filepath.Join(t.TempDir(), "data")
}

func openT(t *testing.T, target string) *Store {
	t.Helper()
	s, err := Open(context.Background(), target)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// columns lists table.column (in name order) of every table of the schema.
func columns(t *testing.T, s *Store) []string {
	t.Helper()
	q := `SELECT m.name || '.' || p.name FROM pragma_table_list m, pragma_table_info(m.name) p
		WHERE m.schema = 'main' AND m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`
	if s.Engine == Postgres {
		q = `SELECT table_name || '.' || column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name <> 'schema_version'`
	}
	rows, err := s.DB.Query(q)
	out, err := Collect(rows, err, func(rows *sql.Rows, c *string) error { return rows.Scan(c) })
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// Both engines' migrations are numbered alike and build the same tables
// with the same columns.
func TestEnginesSameSchema(t *testing.T) {
	lite, pg := migrations(SQLite), migrations(Postgres)
	if len(lite) != len(pg) {
		t.Fatalf("%d SQLite migrations, %d PostgreSQL ones", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].name != pg[i].name {
			t.Errorf("migration %d: %s beside %s", i+1, lite[i].name, pg[i].name)
		}
	}
	a := columns(t, openT(t, newTarget(t, SQLite)))
	b := columns(t, openT(t, newTarget(t, Postgres)))
	if !reflect.DeepEqual(a, b) {
		t.Errorf("schemas differ:\nSQLite:     %v\nPostgreSQL: %v", a, b)
	}
	if len(a) < 40 {
		t.Errorf("only %d columns: the schema was not read", len(a))
	}
}

func TestEnginesForeignKeys(t *testing.T) {
	onEngines(t, func(t *testing.T, target string) {
		s := openT(t, target)
		_, err := s.DB.Exec(`INSERT INTO credential_secrets (credential_id, generation, phc, created_at) VALUES (?, 1, 'x', 'now')`, 42)
		if err == nil {
			t.Fatal("a secret of a missing credential was stored: foreign keys are not enforced")
		}
	})
}

// The services' SQL runs unchanged: `?` placeholders, 0/1 for booleans,
// RETURNING, upserts, and `?` inside a literal left alone.
func TestEnginesPortableSQL(t *testing.T) {
	onEngines(t, func(t *testing.T, target string) {
		s := openT(t, target)
		var id int64
		err := s.DB.QueryRow(`INSERT INTO users (name, email, email_key, role, password_hash, disabled, created_at, updated_at)
			VALUES (?, ?, ?, 'Basic', 'h?', ?, 'now', 'now') RETURNING id`, "Q?", "q@x.co", "q@x.co", true).Scan(&id)
		if err != nil || id == 0 {
			t.Fatalf("insert returning id: %d, %v", id, err)
		}
		var name, hash string
		var disabled bool
		if err := s.DB.QueryRow(`SELECT name, password_hash, disabled FROM users WHERE id = ?`, id).Scan(&name, &hash, &disabled); err != nil {
			t.Fatal(err)
		}
		if name != "Q?" || hash != "h?" || !disabled {
			t.Errorf("read back %q %q %v", name, hash, disabled)
		}
		var n int
		if err := s.DB.QueryRow(`SELECT COUNT(*) FROM users WHERE name LIKE ? AND email NOT LIKE 'Z%'`, "q_").Scan(&n); err != nil || n != 1 {
			t.Errorf("LIKE ignoring case found %d, %v; want 1", n, err)
		}
		for range 2 {
			if _, err := s.DB.Exec(`INSERT INTO sign_in_failures (email_key, failures, last_at) VALUES (?, 1, ?)
				ON CONFLICT (email_key) DO UPDATE SET failures = sign_in_failures.failures + 1, last_at = excluded.last_at`, "q@x.co", "now"); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DB.QueryRow(`SELECT failures FROM sign_in_failures WHERE email_key = ?`, "q@x.co").Scan(&n); err != nil || n != 2 {
			t.Errorf("upserted failures = %d, %v; want 2", n, err)
		}
		blob := []byte{0, 1, 2, 0xff}
		if _, err := s.DB.Exec(`INSERT INTO key_check (id, mac) VALUES (1, ?)`, blob); err != nil {
			t.Fatal(err)
		}
		var got []byte
		if err := s.DB.QueryRow(`SELECT mac FROM key_check WHERE id = 1`).Scan(&got); err != nil || string(got) != string(blob) {
			t.Errorf("blob read back %x, %v", got, err)
		}
	})
}

func TestPgSQL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT ? , ?`, `SELECT $1 , $2`},
		{`WHERE a = ? AND b LIKE '%?%' ESCAPE '\' AND c = ?`, `WHERE a = $1 AND b ILIKE '%?%' ESCAPE '\' AND c = $2`},
		{`SELECT unlikely, liked FROM t WHERE x NOT like 'LIKE' AND y ILIKE z`, `SELECT unlikely, liked FROM t WHERE x NOT ILIKE 'LIKE' AND y ILIKE z`},
		{`SELECT "like" FROM t -- like`, `SELECT "like" FROM t -- like`},
		{`SELECT 'it''s ?', "col?" FROM t WHERE x = ?`, `SELECT 'it''s ?', "col?" FROM t WHERE x = $1`},
		{"SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2"},
		{`SELECT /* ? */ ?`, `SELECT /* ? */ $1`},
		{`DO $$ BEGIN PERFORM '?'; END $$; SELECT ?`, `DO $$ BEGIN PERFORM '?'; END $$; SELECT $1`},
		{`SELECT $tag$ ? $tag$, ?`, `SELECT $tag$ ? $tag$, $1`},
		{`SELECT 'open ?`, `SELECT 'open ?`},
	} {
		if got := pgSQL(tt.in); got != tt.want {
			t.Errorf("pgSQL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A transaction PostgreSQL aborts as a serialization failure runs again, a
// bounded number of times; other errors are returned at once.
func TestTxRetries(t *testing.T) {
	s := openT(t, newTarget(t, Postgres))
	ctx := context.Background()
	serial := &pgconn.PgError{Code: "40001", Message: "could not serialize access"}
	for _, tt := range []struct {
		name      string
		failFirst int
		err       error
		wantRuns  int
		wantErr   bool
	}{
		{"succeeds on the second run", 1, serial, 2, false},
		{"deadlock retried too", 2, &pgconn.PgError{Code: "40P01"}, 3, false},
		{"gives up after the bound", 1000, serial, txAttempts, true},
		{"other errors not retried", 1000, errors.New("boom"), 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			runs := 0
			err := s.Tx(ctx, func(tx *sql.Tx) error {
				runs++
				if runs <= tt.failFirst {
					return fmt.Errorf("wrapped: %w", tt.err)
				}
				return nil
			})
			if runs != tt.wantRuns || (err != nil) != tt.wantErr {
				t.Errorf("ran %d times, err %v; want %d runs, error %v", runs, err, tt.wantRuns, tt.wantErr)
			}
		})
	}
	if retryable(errors.New("40001")) || !retryable(fmt.Errorf("x: %w", serial)) {
		t.Error("Retryable decides on anything but a PostgreSQL error code")
	}
}

// pgObjects lists the tables of a PostgreSQL database and the recorded
// schema version, to see that a refused Open wrote nothing.
func pgObjects(t *testing.T, url string) string {
	t.Helper()
	db := pgtest.Open(t, url)
	var s string
	err := db.QueryRow(`SELECT COALESCE(string_agg(tablename, ',' ORDER BY tablename), '') FROM pg_tables WHERE schemaname = 'public'`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	v, err := pgVersion(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s v%d", s, v)
}

func rawPG(t *testing.T, url string, stmts ...string) {
	t.Helper()
	db := pgtest.Open(t, url)
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// A newer schema is refused as on SQLite (errs.ErrNewerDatabase), another
// program's database as corrupt, and neither is written to.
func TestPostgresRefuses(t *testing.T) {
	for _, tt := range []struct {
		name  string
		stmts []string
		want  error
	}{
		{"newer schema", []string{`CREATE TABLE future (x text)`, `CREATE TABLE schema_version (version bigint NOT NULL)`,
			fmt.Sprintf(`INSERT INTO schema_version VALUES (%d)`, LatestVersion()+1)}, errs.ErrNewerDatabase},
		{"much newer schema", []string{`CREATE TABLE schema_version (version bigint NOT NULL)`, `INSERT INTO schema_version VALUES (99)`}, errs.ErrNewerDatabase},
		{"another program's tables", []string{`CREATE TABLE orders (id int)`}, errs.ErrCorruptDatabase},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := pgtest.DB(t)
			rawPG(t, url, tt.stmts...)
			before := pgObjects(t, url)
			s, err := Open(context.Background(), url)
			if err == nil {
				s.Close()
			}
			assertRefused(t, url, err, tt.want)
			if after := pgObjects(t, url); after != before {
				t.Errorf("refused database changed: %s -> %s", before, after)
			}
		})
	}
	// An older Keysmith meets the schema a newer one left: the same refusal
	// after a real migration.
	url := pgtest.DB(t)
	openT(t, url)
	rawPG(t, url, fmt.Sprintf(`UPDATE schema_version SET version = %d`, LatestVersion()+1))
	_, err := Open(context.Background(), url)
	assertRefused(t, url, err, errs.ErrNewerDatabase)
}

const helperEnv = "KEYSMITH_STORE_TEST_OPEN"

// helperOpen is the child process of TestPostgresConcurrentProcesses: it
// opens url and says whether it created the schema.
func helperOpen(url string) int {
	s, err := Open(context.Background(), url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	fmt.Println("fresh", s.Fresh)
	return 0
}

func TestPostgresConcurrentProcesses(t *testing.T) {
	url := pgtest.DB(t)
	const n = 4
	outs := make([][]byte, n)
	errc := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"="+url)
			outs[i], errc[i] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	fresh := 0
	for i := range n {
		if errc[i] != nil {
			t.Fatalf("process %d: %v: %s", i, errc[i], outs[i])
		}
		if strings.Contains(string(outs[i]), "fresh true") {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d processes created the schema, want exactly 1", fresh)
	}
	s := openT(t, url)
	if v, err := s.UserVersion(context.Background()); err != nil || v != LatestVersion() {
		t.Errorf("version %d, %v", v, err)
	}
}

// The engines' differences stay in this package: no other package of the
// core imports a driver or asks which engine it runs on.
func TestNoEngineBranchesOutsideStore(t *testing.T) {
	var files []string
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "store" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("only %d files of the core found", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{`"modernc.org/sqlite`, `"github.com/jackc/`, "store.Postgres", "store.SQLite", "store.EngineOf", ".Engine ==", ".Engine !="} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s holds %s: engine differences belong in the store", f, bad)
			}
		}
	}
}

// An address's sslrootcert is read whole by the driver: anything but a
// regular file of bounded size is refused before it is read, with the
// field the window marks.
func TestRootCertBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := filepath.Join(dir, "big.crt")
	if err := os.WriteFile(big, make([]byte, 1<<20+1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path, want string }{
		{"a device", "/dev/zero", "not a regular file"},
		{"a directory", dir, "not a regular file"},
		{"too large", big, "not a regular file of at most 1 MiB"},
		{"missing", filepath.Join(dir, "none.crt"), "Cannot read the certificate authority file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(context.Background(), "postgres://k@db.example.com/k?sslmode=verify-full&sslrootcert="+url.QueryEscape(tc.path))
			var inv *errs.Invalid
			if !errors.As(err, &inv) || inv.Field != "database" || !strings.Contains(inv.Message, tc.want) {
				t.Fatalf("open with sslrootcert %s: %v, want a refusal on field database saying %q", tc.path, err, tc.want)
			}
		})
	}
}
