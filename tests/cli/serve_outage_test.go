package clitest

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"keysmith/app/testkit"
	"keysmith/app/testkit/pgtest"
)

// keysmith serve started while its team database is down says so and
// waits; once the database is back it answers, without a restart.
func TestBinaryServeWaitsForTheDatabase(t *testing.T) {
	bin := binary(t)
	srv := pgtest.Own(t)
	_, env := newAccount(t, "--database", srv.DB(t))
	key, secret := newKey(t, env, "Served")
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--listen", addr)
	// A database password in the environment (the test cluster trusts
	// loopback and asks for none): serve drops it once the database is open.
	cmd.Env = append(env, "PATH="+os.Getenv("PATH"), "HOME="+t.TempDir(), "KEYSMITH_DATABASE_PASSWORD=team-db-password-in-env")
	logs := &testkit.SyncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(logs.String(), "cannot reach the team database; trying again"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not say it waits for the database:\n%s", logs)
		}
	}
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		req, _ := http.NewRequest("GET", "http://"+addr+"/v1/messages", nil)
		req.SetBasicAuth(key, secret)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("serve answered %d for a valid key once the database was back\n%s", res.StatusCode, logs)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer within 60 s of the database coming back:\n%s", logs)
		}
	}
	checkEnviron(t, cmd.Process.Pid, testkit.AdminPassword, "team-db-password-in-env")
	if strings.Contains(logs.String(), testkit.AdminPassword) || strings.Contains(logs.String(), secret) {
		t.Fatalf("serve logged a secret:\n%s", logs)
	}
}
