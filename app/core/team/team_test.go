package team_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"keysmith/app/core/errs"
	"keysmith/app/core/team"
	"keysmith/app/core/vault"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestCheckDatabaseURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in, clean, password, err string
	}{
		{in: "postgres://keysmith@db.example.com/keysmith?sslmode=verify-full", clean: "postgres://keysmith@db.example.com/keysmith?sslmode=verify-full"},
		{in: "postgresql://k:s3cret@db.example.com:5433/ks?sslmode=verify-ca&sslrootcert=%2Fetc%2Fkeysmith%2Fca.crt", clean: "postgresql://k@db.example.com:5433/ks?sslmode=verify-ca&sslrootcert=%2Fetc%2Fkeysmith%2Fca.crt", password: "s3cret"},
		{in: "postgres://k@db.example.com/ks?sslmode=verify-ca", err: "verify-ca without sslrootcert"},
		{in: "postgres://k@db.example.com/ks?sslmode=verify-ca&sslrootcert=system", err: "verify-ca without sslrootcert"},
		{in: "postgres://k@127.0.0.1:5432/ks", clean: "postgres://k@127.0.0.1:5432/ks"},
		{in: "postgres://k@[::1]/ks?sslmode=disable", clean: "postgres://k@[::1]/ks?sslmode=disable"},
		{in: "postgres://k@localhost/ks?password=p%40ss", clean: "postgres://k@localhost/ks", password: "p@ss"},
		{in: "postgres:///ks?host=/run/postgresql", clean: "postgres:///ks?host=%2Frun%2Fpostgresql"},
		{in: "", err: "is empty"},
		{in: "mysql://k@db/ks", err: "must start with postgres://"},
		{in: "postgres://k@db.example.com/ks", err: "without checking its certificate"},
		{in: "postgres://k@db.example.com/ks?sslmode=require", err: "without checking its certificate"},
		{in: "postgres://k@db.example.com/ks?sslmode=verify-fully", err: "unknown sslmode"},
		{in: "postgres://k@localhost/", err: "names no database"},
		{in: "postgres:///ks", err: "names no host"},
		{in: "postgres://k@localhost/ks\n", err: "control character"},
		{in: "postgres://k@local host/ks", err: "is not a URL"},
		// What the driver would read differently from what the address shows.
		{in: "postgres://u@db.example.com/db?sslmode=verify-full&sslmode=disable", err: "gives sslmode more than once"},
		{in: "postgres://localhost/db?host=evil.example.com", err: "gives a host parameter"},
		{in: "postgres:///db?host=/tmp&host=evil.example.com", err: "gives host more than once"},
		{in: "postgres:///db?host=evil.example.com", err: "gives a host parameter"},
		{in: "postgres://a.example.com,b.example.com/db?sslmode=verify-full", err: "names several hosts"},
		{in: "postgres://localhost/db?service=evil", err: "has the parameter service"},
		{in: "postgres://localhost/db?passfile=/etc/shadow", err: "has the parameter passfile"},
		{in: "postgres://localhost/db?sslpassword=x", err: "has the parameter sslpassword"},
		{in: "postgres://localhost/db?hostaddr=10.0.0.9", err: "has the parameter hostaddr"},
		{in: "postgres://localhost/db?port=6543", err: "has the parameter port"},
		{in: "postgres://localhost/db?%zz=1", err: "malformed query"},
	} {
		clean, password, err := team.CheckDatabaseURL(tt.in)
		if tt.err != "" {
			var inv *errs.Invalid
			if !errors.As(err, &inv) || inv.Field != "database" || !strings.Contains(inv.Message, tt.err) {
				t.Errorf("%q: %v, want %q", tt.in, err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("%q: the message quotes the password", tt.in)
			}
			continue
		}
		if err != nil || clean != tt.clean || password != tt.password {
			t.Errorf("%q: %q %q %v; want %q %q", tt.in, clean, password, err, tt.clean, tt.password)
		}
	}
}

func TestNewPassphrase(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 20 {
		p := team.NewPassphrase()
		if len(p) != 35 || strings.Count(p, "-") != 5 || strings.ContainsAny(p, "ILOU") {
			t.Fatalf("shape: %q", p)
		}
		if seen[p] {
			t.Fatalf("drawn twice: %q", p)
		}
		seen[p] = true
	}
	for p := range seen {
		if err := vault.CheckPassphrase(p); err != nil {
			t.Fatalf("%q fails the passphrase rules: %v", p, err)
		}
		break
	}
}

var (
	key    = bytes.Repeat([]byte{7}, 32)
	issued = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
)

func TestInvitationRoundTrip(t *testing.T) {
	t.Parallel()
	inv, err := team.New("Acme", "Ada Admin <ada@acme.test>", "postgres://k:dbpass-77@db.example.com/ks?sslmode=verify-full", "", key, issued)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Password != "dbpass-77" || strings.Contains(inv.Database, "dbpass") || len(inv.ID) != 32 || !inv.Expires.Equal(issued.Add(team.InvitationLifetime)) {
		t.Fatalf("new: %+v", inv)
	}
	pass := team.NewPassphrase()
	data, err := team.Seal(inv, pass)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("dbpass-77")) || bytes.Contains(data, []byte("db.example.com")) {
		t.Fatal("the sealed file shows the password or the address")
	}
	got, err := team.Open(data, pass, issued.Add(time.Hour))
	if err != nil || got.ID != inv.ID || !bytes.Equal(got.Key, key) || got.Password != "dbpass-77" || got.Database != inv.Database || got.Account != "Acme" {
		t.Fatalf("open: %+v %v", got, err)
	}
	for name, tt := range map[string]struct {
		pass  string
		at    time.Time
		field string
		want  string
	}{
		"wrong passphrase":  {"ABCDE-FGHJK-MNPQR-STVWX-YZ012-34567", issued, "passphrase", "passphrase is wrong"},
		"after its expiry":  {pass, inv.Expires, "invitation", "expired on 2026-12-08"},
		"long after expiry": {pass, issued.AddDate(1, 0, 0), "invitation", "expired"},
	} {
		_, err := team.Open(data, tt.pass, tt.at)
		var e *errs.Invalid
		if !errors.As(err, &e) || e.Field != tt.field || !strings.Contains(e.Message, tt.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := team.Seal(inv, "password1"); err == nil {
		t.Fatal("sealed to a weak passphrase")
	}
	if _, err := team.New("Acme", "ada", "postgres://k@db.example.com/ks", "", key, issued); err == nil {
		t.Fatal("an address without certificate checks was accepted")
	}
	if _, err := team.New("Acme", "ada", "postgres://k@localhost/ks", "", key[:16], issued); err == nil {
		t.Fatal("a short key was accepted")
	}
}

// TestOpenRefusesWhatIsNotAnInvitation: a file that opens with the right
// passphrase but holds something else, or a damaged invitation, is refused
// with a message that says so (checked on the opened contents: sealing each
// would cost a second of scrypt), and a file that is not age at all too.
func TestOpenRefusesWhatIsNotAnInvitation(t *testing.T) {
	t.Parallel()
	good := map[string]any{"format": "keysmith-team-invitation", "version": 1, "id": strings.Repeat("ab", 16), "account": "Acme", "by": "Ada Admin <ada@acme.test>",
		"database": "postgres://k@localhost/ks", "key": key, "issued": issued, "expires": issued.Add(time.Hour)}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range good {
			m[a] = b
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for name, tt := range map[string]struct {
		doc  any
		want string
	}{
		"a vault export":           {map[string]any{"format": "keysmith-vault-export", "version": 1, "items": []any{}}, "not a Keysmith invitation"},
		"not JSON":                 {"just text", "not a Keysmith invitation"},
		"a newer version":          {with("version", 2), "newer version of Keysmith"},
		"a short key":              {with("key", key[:31]), "damaged"},
		"no id":                    {with("id", nil), "damaged"},
		"no issue date":            {with("issued", nil), "damaged"},
		"expiring at issue":        {with("expires", issued), "damaged"},
		"an address via TLS":       {with("database", "postgres://k@db.example.com/ks"), "without checking its certificate"},
		"a name with a line break": {with("by", "Ada\nAdmin"), "damaged"},
		"an overlong account name": {with("account", strings.Repeat("A", 301)), "damaged"},
		"no issuer":                {with("by", nil), "damaged"},
	} {
		plain, _ := json.Marshal(tt.doc)
		if _, err := team.Decode(plain, issued); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", name, err, tt.want)
		}
	}
	if _, err := team.Open([]byte("postgres://k:pw@db/ks"), team.NewPassphrase(), issued); err == nil || strings.Contains(err.Error(), "pw@db") {
		t.Errorf("a plain file: %v", err)
	}
}

// FuzzDatabaseURLAsTheDriverReadsIt: an address CheckDatabaseURL accepts is
// read by the PostgreSQL driver as it shows: one host, the one the check
// judged, and for another machine TLS that checks the certificate, with no
// plain fallback.
func FuzzDatabaseURLAsTheDriverReadsIt(f *testing.F) {
	for _, s := range []string{
		"postgres://keysmith@db.example.com/keysmith?sslmode=verify-full",
		"postgres://k@127.0.0.1:5432/ks", "postgres:///ks?host=/run/postgresql",
		"postgres://u@db.example.com/db?sslmode=verify-full&sslmode=disable",
		"postgres://localhost/db?host=evil.example.com", "postgresql://k:pw@[::1]/ks?sslmode=disable",
		"postgres://db.example.com/ks?sslmode=verify-ca&sslrootcert=/etc/ca.pem&connect_timeout=5",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		clean, _, err := team.CheckDatabaseURL(s)
		if err != nil {
			return
		}
		cfg, err := pgconn.ParseConfig(clean)
		if err != nil {
			return // the driver refuses it: nothing to connect to
		}
		u, _ := url.Parse(clean)
		want := u.Hostname()
		if want == "" {
			want = u.Query().Get("host")
		}
		if want == "" || want == "localhost" {
			want = cfg.Host // the driver's default socket or localhost
		}
		if cfg.Host != want && !(strings.HasPrefix(want, "/") && strings.HasPrefix(cfg.Host, "/")) {
			t.Fatalf("%q: the driver connects to %q, the check judged %q", clean, cfg.Host, want)
		}
		for _, fb := range cfg.Fallbacks {
			if fb.Host != cfg.Host {
				t.Fatalf("%q: the driver falls back to host %q", clean, fb.Host)
			}
		}
		remote := !strings.HasPrefix(cfg.Host, "/") && cfg.Host != "localhost" && !(net.ParseIP(cfg.Host) != nil && net.ParseIP(cfg.Host).IsLoopback())
		if remote {
			if cfg.TLSConfig == nil || cfg.TLSConfig.InsecureSkipVerify && cfg.TLSConfig.VerifyPeerCertificate == nil {
				t.Fatalf("%q: another machine without a checked certificate", clean)
			}
			for _, fb := range cfg.Fallbacks {
				if fb.TLSConfig == nil {
					t.Fatalf("%q: a plain-text fallback to another machine", clean)
				}
			}
		}
	})
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want team.Address
	}{
		{"postgres://ks:s3cret@db.example.com:5433/keysmith?sslmode=verify-full",
			team.Address{Host: "db.example.com", Port: "5433", Database: "keysmith", User: "ks", SSLMode: "verify-full"}},
		{"postgres://127.0.0.1/k", team.Address{Host: "127.0.0.1", Database: "k"}},
		{"postgres:///ks?host=/run/postgresql&sslmode=disable", team.Address{Host: "/run/postgresql", Database: "ks", SSLMode: "disable"}},
	} {
		got, err := team.Describe(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("%q: %+v %v, want %+v", tt.in, got, err, tt.want)
		}
	}
	if _, err := team.Describe("postgres://db.example.com/k"); err == nil {
		t.Error("an address CheckDatabaseURL refuses was described")
	}
}
