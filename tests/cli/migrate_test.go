package clitest

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"keysmith/app/testkit/pgtest"
)

// TestBinaryMigrate: the built binary moves a local account to an empty
// team database: it reports every table and the verification, the data
// directory then holds the team settings and the renamed local file, and
// a key created before the move still authenticates (verify) against the
// team database, where the audit log verifies.
func TestBinaryMigrate(t *testing.T) {
	t.Parallel()
	binary(t)
	db := pgtest.DB(t)
	dir, auth := newAccount(t)
	key, secret := newKey(t, auth, "Orders")
	p := runBin(t, append(auth, "KEYSMITH_DATABASE_PASSWORD=db-Passw0rd"), "", "migrate", "--to", db)
	if p.code != 0 || !strings.Contains(p.stdout, "Moved the account to the team database") ||
		!strings.Contains(p.stdout, "Verified: every row") || !strings.Contains(p.stderr, "Copied credentials: 1 row\n") {
		t.Fatalf("migrate: %+v", p)
	}
	for _, name := range []string{"credentials", "audit", "vaults", "keysmith.db.migrated"} {
		if !strings.Contains(p.stdout, name) {
			t.Errorf("migrate does not name %s: %s", name, p.stdout)
		}
	}
	for name, want := range map[string]bool{"keysmith.db": false, "keysmith.db.migrated": true, "keysmith.team": true, "keysmith.key": true} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != want {
			t.Errorf("%s present %v after the move, want %v", name, err == nil, want)
		}
	}
	req := "GET /v1/messages HTTP/1.1\r\nHost: api.example.com\r\nAuthorization: Basic " +
		base64.StdEncoding.EncodeToString([]byte(key+":"+secret)) + "\r\n\r\n"
	if p := runBin(t, auth, req, "verify"); p.code != 0 {
		t.Errorf("the key on the team database: %+v", p)
	}
	if p := runBin(t, auth, "", "team", "status"); p.code != 0 || !strings.Contains(p.stdout, "team database") {
		t.Errorf("team status: %+v", p)
	}
	if p := runBin(t, auth, "", "audit", "verify"); p.code != 0 || !strings.Contains(p.stdout, "Audit chain intact") {
		t.Errorf("audit verify: %+v", p)
	}
}
