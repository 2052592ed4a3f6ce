package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"keysmith/app/core/errs"
)

// open opens a store in a fresh temporary directory and closes it at the end.
func open(t *testing.T) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	return fi.Mode().Perm()
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return sha256.Sum256(b)
}

func TestOpenCreatesPrivateDirAndFiles(t *testing.T) {
	s, dir := open(t)
	if !s.Fresh {
		t.Error("Fresh = false for a database this Open created")
	}
	if s.Path != filepath.Join(dir, FileName) {
		t.Errorf("Path = %q, want %q", s.Path, filepath.Join(dir, FileName))
	}
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("data dir mode = %v, want 0700", m)
	}
	if m := mode(t, s.Path); m != 0o600 {
		t.Errorf("database mode = %v, want 0600", m)
	}
	// After a write the WAL and shared-memory files exist while the database is
	// open; they hold the same data and must be just as private.
	if _, err := s.DB.Exec(`INSERT INTO account (id, name, created_at) VALUES (1, 'Acme', 'now')`); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, suffix := range []string{"-wal", "-shm"} {
		p := s.Path + suffix
		if _, err := os.Stat(p); err != nil {
			continue
		}
		seen++
		if m := mode(t, p); m != 0o600 {
			t.Errorf("%s mode = %v, want 0600", filepath.Base(p), m)
		}
	}
	if seen == 0 {
		t.Error("no -wal or -shm file after a write: WAL mode is not in effect")
	}
}

func TestOpenTightensExistingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // defeat the umask
		t.Fatal(err)
	}
	if m := modeAfterOpen(t, dir); m != 0o700 {
		t.Errorf("existing data dir mode = %v after Open, want 0700", m)
	}
}

func TestOpenCreatesNestedDirs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "c")
	if m := modeAfterOpen(t, dir); m != 0o700 {
		t.Errorf("nested data dir mode = %v, want 0700", m)
	}
}

// modeAfterOpen opens the database in the data directory dir and returns
// the directory's mode.
func modeAfterOpen(t *testing.T, dir string) fs.FileMode {
	t.Helper()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	return mode(t, dir)
}

func TestPragmas(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	tests := []struct {
		name, pragma, want string
	}{
		{"journal mode is WAL", "PRAGMA journal_mode", "wal"},
		{"foreign keys on", "PRAGMA foreign_keys", "1"},
		{"busy timeout set", "PRAGMA busy_timeout", "10000"},
		{"schema at latest version", "PRAGMA user_version", fmt.Sprint(LatestVersion())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			if err := s.DB.QueryRowContext(ctx, tt.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("%s = %q, want %q", tt.pragma, got, tt.want)
			}
		})
	}
	if v, err := s.UserVersion(ctx); err != nil || v != LatestVersion() || v < 1 {
		t.Errorf("UserVersion = %d, %v; want %d (>= 1)", v, err, LatestVersion())
	}
}

// Every pooled connection, not just the first, must enforce foreign keys and
// wait on a busy database.
func TestPragmasOnEveryConnection(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	s.DB.SetMaxOpenConns(4)
	var conns []*sql.Conn
	for i := 0; i < 4; i++ {
		c, err := s.DB.Conn(ctx) // held, so each is a distinct connection
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var fk, busy int
			if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
				t.Errorf("conn %d: %v", i, err)
				return
			}
			if err := c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
				t.Errorf("conn %d: %v", i, err)
				return
			}
			if fk != 1 {
				t.Errorf("conn %d: foreign_keys = %d, want 1", i, fk)
			}
			if busy <= 0 {
				t.Errorf("conn %d: busy_timeout = %d, want > 0", i, busy)
			}
		}()
	}
	wg.Wait()
}

// Foreign keys are not only reported on but enforced.
func TestForeignKeysEnforced(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	if _, err := s.DB.ExecContext(ctx, `CREATE TABLE parent (id INTEGER PRIMARY KEY);
		CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id))`); err != nil {
		t.Fatal(err)
	}
	_, err := s.DB.ExecContext(ctx, `INSERT INTO child (parent_id) VALUES (42)`)
	if err == nil {
		t.Fatal("insert referencing a missing parent succeeded; foreign keys are not enforced")
	}
}

func TestSchemaTables(t *testing.T) {
	s, _ := open(t)
	for _, table := range []string{"account", "users", "sign_in_failures", "audit"} {
		var n int
		err := s.DB.QueryRow(`SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&n)
		if err != nil || n != 1 {
			t.Errorf("table %s: count %d, err %v", table, n, err)
		}
	}
}

func TestReopenIsIdempotent(t *testing.T) {
	onEngines(t, testReopenIsIdempotent)
}

func testReopenIsIdempotent(t *testing.T, target string) {
	ctx := context.Background()
	s, err := Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Fresh {
		t.Error("Fresh = false for a database this Open created")
	}
	if _, err := s.DB.Exec(`INSERT INTO account (id, name, created_at) VALUES (?, ?, 'now')`, 1, "Acme"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		s, err := Open(ctx, target)
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		if s.Fresh {
			t.Errorf("reopen %d: Fresh = true for an existing database", i)
		}
		if v, _ := s.UserVersion(ctx); v != LatestVersion() {
			t.Errorf("reopen %d: user_version = %d, want %d", i, v, LatestVersion())
		}
		var name string
		if err := s.DB.QueryRow(`SELECT name FROM account WHERE id = 1`).Scan(&name); err != nil || name != "Acme" {
			t.Errorf("reopen %d: account name = %q, %v; want Acme", i, name, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if IsURL(target) {
		return
	}
	if m := mode(t, filepath.Join(target, FileName)); m != 0o600 {
		t.Errorf("database mode after reopen = %v, want 0600", m)
	}
}

func TestMigrationsNumbered(t *testing.T) {
	ms := migrations(SQLite)
	if len(ms) == 0 {
		t.Fatal("no embedded migrations")
	}
	for i, m := range ms {
		if m.version != i+1 || strings.TrimSpace(m.sql) == "" {
			t.Errorf("migration %d: version %d, %d bytes", i, m.version, len(m.sql))
		}
	}
	if LatestVersion() != len(ms) {
		t.Errorf("LatestVersion = %d, want %d", LatestVersion(), len(ms))
	}
}

// makeRawDB writes a plain SQLite database at path (not through Open).
func makeRawDB(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// listDir returns the names in dir.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func assertRefused(t *testing.T, dir string, err error, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("Open error = %v, want %v", err, want)
	}
	msg := errs.Message(err)
	if msg == "" {
		t.Fatal("empty user message")
	}
	for _, leak := range []string{dir, FileName, string(os.PathSeparator), "sqlite", "SQL"} {
		if strings.Contains(msg, leak) {
			t.Errorf("user message %q contains %q", msg, leak)
		}
	}
	if !strings.Contains(msg, "Nothing was changed") {
		t.Errorf("user message %q does not say that nothing was changed", msg)
	}
}

func TestRefusesNewerDatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data-newer")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, FileName)
	makeRawDB(t, path,
		`CREATE TABLE future (x TEXT)`,
		`INSERT INTO future VALUES ('from tomorrow')`,
		fmt.Sprintf(`PRAGMA user_version = %d`, LatestVersion()+1))
	before := fileSum(t, path)
	names := listDir(t, dir)

	s, err := Open(context.Background(), dir)
	if err == nil {
		s.Close()
	}
	assertRefused(t, dir, err, errs.ErrNewerDatabase)
	if errors.Is(err, errs.ErrCorruptDatabase) {
		t.Error("a newer database is also reported as corrupt")
	}
	if fileSum(t, path) != before {
		t.Error("refused newer database was modified")
	}
	if after := listDir(t, dir); strings.Join(after, ",") != strings.Join(names, ",") {
		t.Errorf("files beside the refused database changed: %v -> %v", names, after)
	}

	// A much newer version too.
	makeRawDB(t, path, `PRAGMA user_version = 99`)
	before = fileSum(t, path)
	_, err = Open(context.Background(), dir)
	assertRefused(t, dir, err, errs.ErrNewerDatabase)
	if fileSum(t, path) != before {
		t.Error("refused user_version=99 database was modified")
	}
}

// dataDirWith returns a new data directory whose database file holds
// content, and the file's path.
func dataDirWith(t *testing.T, content []byte) (dir, path string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, FileName)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// validDBBytes builds a Keysmith database spanning many pages and returns its
// bytes.
func validDBBytes(t *testing.T) []byte {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "src")
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		for i := 0; i < 400; i++ {
			_, err := tx.Exec(`INSERT INTO users (name, email, email_key, role, password_hash, created_at, updated_at)
				VALUES (?, ?, ?, 'Basic', ?, 'now', 'now')`,
				fmt.Sprintf("User %d", i), fmt.Sprintf("u%d@example.com", i), fmt.Sprintf("u%d@example.com", i),
				strings.Repeat("h", 200))
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 20*4096 {
		t.Fatalf("source database only %d bytes; want several pages", len(b))
	}
	return b
}

func TestRefusesCorruptDatabase(t *testing.T) {
	random := make([]byte, 8192)
	rand.Read(random)
	valid := validDBBytes(t)
	header := append([]byte(nil), valid[:4096]...)

	tests := []struct {
		name    string
		content []byte
	}{
		{"random bytes", random},
		{"junk text", []byte("this is not a database, just some notes\n")},
		{"valid database truncated to half", valid[:len(valid)/2]},
		{"only the first page of a database", header},
		{"valid database with pages overwritten", func() []byte {
			b := append([]byte(nil), valid...)
			for i := 4096; i < len(b)/2; i++ {
				b[i] = 0xA5
			}
			return b
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, path := dataDirWith(t, tt.content)
			before := sha256.Sum256(tt.content)
			s, err := Open(context.Background(), dir)
			if err == nil {
				s.Close()
			}
			assertRefused(t, dir, err, errs.ErrCorruptDatabase)
			if fileSum(t, path) != before {
				t.Error("refused corrupt database was modified")
			}
			if names := listDir(t, dir); len(names) != 1 {
				t.Errorf("files left beside refused database: %v", names)
			}
		})
	}
}

// leafPages returns where the leaf pages of table lie in the database file
// content (read through SQLite's dbstat), so that a test can damage rows
// and leave the schema whole.
func leafPages(t *testing.T, content []byte, table string) []struct{ offset, size int } {
	t.Helper()
	dir, _ := dataDirWith(t, content)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT (pageno - 1) * pgsize, pgsize FROM dbstat WHERE name = ? AND pagetype = 'leaf'`, table)
	pages, err := Collect(rows, err, func(rs *sql.Rows, p *struct{ offset, size int }) error { return rs.Scan(&p.offset, &p.size) })
	if err != nil || len(pages) < 5 {
		t.Fatalf("%d leaf pages of %s, %v", len(pages), table, err)
	}
	return pages
}

// OpenUnchecked defers the whole-file check of an up-to-date database; Check
// then refuses a corrupt one, and nothing has been written to it.
func TestOpenUncheckedThenCheck(t *testing.T) {
	ctx := context.Background()
	valid := validDBBytes(t)
	corrupt := append([]byte(nil), valid...)
	for _, page := range leafPages(t, valid, "users") {
		for i := range page.size {
			corrupt[page.offset+i] = 0xA5
		}
	}
	for _, tt := range []struct {
		name    string
		content []byte
		wantErr bool
	}{{"valid", valid, false}, {"pages overwritten", corrupt, true}} {
		t.Run(tt.name, func(t *testing.T) {
			dir, path := dataDirWith(t, tt.content)
			before := sha256.Sum256(tt.content)
			s, err := OpenUnchecked(ctx, dir)
			if err != nil {
				t.Fatalf("OpenUnchecked: %v (the header and schema are intact)", err)
			}
			var n int
			if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master`).Scan(&n); err != nil || n == 0 {
				t.Errorf("schema not readable before Check: %d, %v", n, err)
			}
			err = s.Check(ctx)
			if tt.wantErr {
				assertRefused(t, dir, err, errs.ErrCorruptDatabase)
			} else if err != nil {
				t.Fatalf("Check: %v", err)
			}
			s.Close()
			if fileSum(t, path) != before {
				t.Error("database written before or by Check")
			}
		})
	}
}

func TestRefusesDirectoryAtDatabasePath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(filepath.Join(dir, FileName, "inner"), 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), dir)
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded with a directory at the database path")
	}
	assertRefused(t, dir, err, errs.ErrCorruptDatabase)
	if fi, err := os.Stat(filepath.Join(dir, FileName, "inner")); err != nil || !fi.IsDir() {
		t.Errorf("directory at database path was disturbed: %v", err)
	}
}

func TestDataDirIsAFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(dir, []byte("a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), dir)
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded with a file as the data directory")
	}
	if msg := errs.Message(err); strings.Contains(msg, dir) {
		t.Errorf("message %q contains the path", msg)
	}
	if b, _ := os.ReadFile(dir); string(b) != "a file" {
		t.Error("file at data dir path was modified")
	}
}

func TestTx(t *testing.T) {
	onEngines(t, testTx)
}

func testTx(t *testing.T, target string) {
	s := openT(t, target)
	ctx := context.Background()
	count := func() int {
		var n int
		if err := s.DB.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	insert := func(tx *sql.Tx, email string) error {
		_, err := tx.Exec(`INSERT INTO users (name, email, email_key, role, password_hash, created_at, updated_at)
			VALUES ('n', ?, ?, 'Basic', 'h', 'now', 'now')`, email, email)
		return err
	}
	boom := errors.New("boom")
	tests := []struct {
		name    string
		fn      func(*sql.Tx) error
		wantErr error
		wantAdd int
	}{
		{"commit on success", func(tx *sql.Tx) error {
			if err := insert(tx, "a@x.co"); err != nil {
				return err
			}
			return insert(tx, "b@x.co")
		}, nil, 2},
		{"roll back when fn fails after writing", func(tx *sql.Tx) error {
			if err := insert(tx, "c@x.co"); err != nil {
				return err
			}
			if err := insert(tx, "d@x.co"); err != nil {
				return err
			}
			return boom
		}, boom, 0},
		{"roll back on constraint failure midway", func(tx *sql.Tx) error {
			if err := insert(tx, "e@x.co"); err != nil {
				return err
			}
			return insert(tx, "a@x.co") // duplicate email_key
		}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := count()
			err := s.Tx(ctx, tt.fn)
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Tx error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantAdd == 0 && err == nil {
				t.Error("Tx returned nil for a failing fn")
			}
			if tt.wantAdd > 0 && err != nil {
				t.Errorf("Tx error = %v", err)
			}
			if got := count() - before; got != tt.wantAdd {
				t.Errorf("rows added = %d, want %d", got, tt.wantAdd)
			}
		})
	}
}

// Two stores on the same database (two processes or machines, in effect)
// serialize their write transactions instead of one failing with "database
// is locked" or losing the other's update.
func TestTxSerializesAcrossHandles(t *testing.T) {
	onEngines(t, testTxSerializesAcrossHandles)
}

func testTxSerializesAcrossHandles(t *testing.T, target string) {
	a, b := openT(t, target), openT(t, target)
	ctx := context.Background()
	if _, err := a.DB.Exec(`CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0)`); err != nil {
		t.Fatal(err)
	}
	const per = 20
	var wg sync.WaitGroup
	for _, s := range []*Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				err := s.Tx(ctx, func(tx *sql.Tx) error {
					var n int
					if err := tx.QueryRow(`SELECT n FROM counter`).Scan(&n); err != nil {
						return err
					}
					_, err := tx.Exec(`UPDATE counter SET n = ?`, n+1)
					return err
				})
				if err != nil {
					t.Errorf("Tx: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	var n int
	if err := a.DB.QueryRow(`SELECT n FROM counter`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2*per {
		t.Errorf("counter = %d after %d increments: lost updates", n, 2*per)
	}
}

func TestCloseCheckpointsWAL(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.Exec(`INSERT INTO account (id, name, created_at) VALUES (1, 'Acme', 'now')`); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, FileName+"-wal")); err == nil && fi.Size() > 0 {
		t.Errorf("WAL holds %d bytes after Close; a copy of keysmith.db alone would miss data", fi.Size())
	}
	// The main file alone carries the data.
	copyDir := filepath.Join(t.TempDir(), "copy")
	os.Mkdir(copyDir, 0o700)
	b, _ := os.ReadFile(filepath.Join(dir, FileName))
	os.WriteFile(filepath.Join(copyDir, FileName), b, 0o600)
	c, err := Open(ctx, copyDir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var name string
	if err := c.DB.QueryRow(`SELECT name FROM account`).Scan(&name); err != nil || name != "Acme" {
		t.Errorf("copy of keysmith.db: name = %q, %v", name, err)
	}
}

// TestConcurrentFirstOpens: processes that open a new database at the
// same moment all succeed; each migration is applied once (on PostgreSQL:
// exactly one of them created the schema).
func TestConcurrentFirstOpens(t *testing.T) {
	for _, e := range []Engine{SQLite, Postgres} {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			for range 5 {
				target := newTarget(t, e)
				var wg sync.WaitGroup
				errc := make(chan error, 4)
				var fresh atomic.Int32
				for range 4 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						s, err := Open(context.Background(), target)
						if err == nil {
							if s.Fresh {
								fresh.Add(1)
							}
							s.Close()
						}
						errc <- err
					}()
				}
				wg.Wait()
				close(errc)
				for err := range errc {
					if err != nil {
						t.Fatalf("concurrent first open: %v", err)
					}
				}
				if n := fresh.Load(); e == Postgres && n != 1 {
					t.Fatalf("%d opens created the schema, want 1", n)
				}
			}
		})
	}
}

// TestCollect reads every row, and passes on a failed query's error and a
// scan's.
func TestCollect(t *testing.T) {
	onEngines(t, func(t *testing.T, target string) {
		s := openT(t, target)
		scan := func(rs *sql.Rows, v *int64) error { return rs.Scan(v) }
		rows, err := s.DB.Query(`SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3`)
		if got, err := Collect(rows, err, scan); err != nil || !slices.Equal(got, []int64{1, 2, 3}) {
			t.Fatalf("rows: %v %v", got, err)
		}
		rows, err = s.DB.Query(`SELECT 1 WHERE 1 = 0`)
		if got, err := Collect(rows, err, scan); err != nil || len(got) != 0 {
			t.Fatalf("no rows: %v %v", got, err)
		}
		rows, err = s.DB.Query(`SELECT nonsense FROM nowhere`)
		if _, err := Collect(rows, err, scan); err == nil {
			t.Fatal("a failed query collected")
		}
		rows, err = s.DB.Query(`SELECT 'x'`)
		if _, err := Collect(rows, err, scan); err == nil {
			t.Fatal("a failed scan collected")
		}
	})
}
