package team_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"keysmith/app/core/keyfile"
	"keysmith/app/core/team"
)

func TestConfigKeepsThePasswordSealed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, err := keyfile.Load(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := team.LoadConfig(dir); ok || err != nil {
		t.Fatalf("a directory without settings: %v %v", ok, err)
	}
	c, err := team.NewConfig(key, "postgres://ks:pw-in-url-9@db.example.com/ks?sslmode=verify-full", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(dir); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, team.ConfigFile))
	if strings.Contains(string(raw), "pw-in-url-9") {
		t.Fatalf("the password is in the file: %s", raw)
	}
	if fi, _ := os.Stat(filepath.Join(dir, team.ConfigFile)); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	got, ok, err := team.LoadConfig(dir)
	if !ok || err != nil {
		t.Fatalf("load: %v %v", ok, err)
	}
	none := func(string) string { return "" }
	if u, err := got.URL(key, none); err != nil || u != "postgres://ks:pw-in-url-9@db.example.com/ks?sslmode=verify-full" {
		t.Fatalf("url: %q %v", u, err)
	}
	env := map[string]string{team.EnvDatabasePassword: "from-env"}
	if u, _ := got.URL(key, func(k string) string { return env[k] }); !strings.Contains(u, ":from-env@") {
		t.Fatalf("the environment's password does not win: %q", u)
	}
	file := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(file, []byte("from-file\n"), 0o600)
	byFile := func(k string) string { return map[string]string{team.EnvDatabasePasswordFile: file}[k] }
	if u, err := got.URL(key, byFile); err != nil || !strings.Contains(u, ":from-file@") {
		t.Fatalf("password file: %q %v", u, err)
	}
	os.Chmod(file, 0o644)
	if _, err := got.URL(key, byFile); err == nil || !strings.Contains(err.Error(), "other users") {
		t.Fatalf("a password file others can read: %v", err)
	}
	// The sealed password is bound to its address and to this key.
	moved := got
	moved.Database = "postgres://ks@evil.example.com/ks?sslmode=verify-full"
	if _, err := moved.URL(key, none); err == nil {
		t.Fatal("the sealed password opened for another address")
	}
	other, _ := keyfile.Load(t.TempDir(), true)
	if _, err := got.URL(other, none); err == nil {
		t.Fatal("the sealed password opened with another key")
	}
	os.WriteFile(filepath.Join(dir, team.ConfigFile), []byte("{"), 0o600)
	if _, _, err := team.LoadConfig(dir); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged settings: %v", err)
	}
}
