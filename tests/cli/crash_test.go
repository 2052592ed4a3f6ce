package clitest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"keysmith/app/core"
	"keysmith/app/core/credentials"
	"keysmith/app/testkit"
)

// TestCrashDuringCreatesAndDeletes runs the real binary for creates and
// deletes and kills it with SIGKILL at random moments. Afterwards the
// database must pass PRAGMA integrity_check, its audit chain must verify,
// and every credential whose creation was reported (printed) must exist
// unless a reported delete removed it. KEYSMITH_CRASH_OPS sets the number of
// operations (make test: 40; make bench: 1000).
func TestCrashDuringCreatesAndDeletes(t *testing.T) {
	ops := 40
	if s := os.Getenv("KEYSMITH_CRASH_OPS"); s != "" {
		ops, _ = strconv.Atoi(s)
	}
	bin := binary(t)
	dir, env := newAccount(t)
	env = append(env, "PATH="+os.Getenv("PATH"), "HOME="+t.TempDir())

	// Kill at a random moment within twice a typical run, measured here, so
	// runs are cut at every stage and about half complete, however busy the
	// machine is.
	start := time.Now()
	timing := exec.Command(bin, "keys", "create", "--type", "basic", "--name", "timing", "--json")
	timing.Env = env
	if out, _, err := startAndMaybeKill(timing, time.Hour); err != nil {
		t.Fatalf("a timing run failed: %v %s", err, out)
	}
	typical := time.Since(start)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	reported := map[string]bool{} // key → still expected to exist
	var live []string
	killed, completed := 0, 0
	for i := 0; i < ops; i++ {
		args := []string{"keys", "create", "--type", "basic", "--name", "crash " + strconv.Itoa(i), "--json"}
		deleting := ""
		if len(live) > 0 && rng.IntN(3) == 0 {
			deleting = live[rng.IntN(len(live))]
			args = []string{"keys", "delete", "--key", deleting, "--yes"}
		}
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, wasKilled, err := startAndMaybeKill(cmd, time.Duration(rng.Int64N(int64(2*typical))))
		if wasKilled {
			killed++
			if deleting != "" {
				// The delete may have committed before the kill: the key is
				// neither required to exist nor safe to delete again.
				delete(reported, deleting)
				live = slices.DeleteFunc(live, func(k string) bool { return k == deleting })
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v failed without being killed: %v", args, err)
		}
		completed++
		if deleting != "" {
			delete(reported, deleting)
			live = slices.DeleteFunc(live, func(k string) bool { return k == deleting })
			continue
		}
		var k struct{ Key string }
		if json.Unmarshal(out, &k) != nil || k.Key == "" {
			t.Fatalf("a completed create printed %q", out)
		}
		reported[k.Key] = true
		live = append(live, k.Key)
	}
	t.Logf("%d operations: %d completed, %d killed (kills within %v)", ops, completed, killed, 2*typical)
	if killed == 0 || completed == 0 {
		t.Logf("warning: the random kills did not hit both outcomes")
	}

	c, err := core.Open(context.Background(), dir, core.Options{})
	if err != nil {
		t.Fatalf("reopen after crashes: %v", err)
	}
	defer c.Close()
	var check string
	if err := testkit.DB(t, c.Dir).QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
	u, err := c.Accounts.SignIn(context.Background(), "ada@acme.test", testkit.AdminPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	for key := range reported {
		if _, err := c.Credentials.ByKey(context.Background(), u.ID, key); err != nil {
			t.Errorf("reported credential %s is missing: %v", key, err)
		}
	}
	list, _, _ := c.Credentials.List(context.Background(), u.ID, credentials.Filter{Limit: 1000})
	for _, cr := range list {
		var n int
		testkit.DB(t, c.Dir).QueryRow(`SELECT COUNT(*) FROM credential_secrets WHERE credential_id = ? AND retires_at IS NULL`, cr.ID).Scan(&n)
		if n != 1 {
			t.Errorf("credential %s has %d current secrets: half-saved", cr.Key, n)
		}
	}
	if r, err := testkit.VerifyAudit(t, c.Dir); err != nil || !r.OK() {
		t.Fatalf("audit chain after crashes: %+v %v", r, err)
	}
}

// startAndMaybeKill runs cmd; if it is still running after d it is killed
// with SIGKILL. It returns the output of a run that finished.
func startAndMaybeKill(cmd *exec.Cmd, d time.Duration) (output []byte, killed bool, err error) {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, false, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, false, err
	}
	done := make(chan []byte, 1)
	go func() {
		b := make([]byte, 0, 4096)
		buf := make([]byte, 4096)
		for {
			n, err := out.Read(buf)
			b = append(b, buf[:n]...)
			if err != nil {
				done <- b
				return
			}
		}
	}()
	timer := time.AfterFunc(d, func() { cmd.Process.Signal(syscall.SIGKILL) })
	b := <-done
	err = cmd.Wait()
	timer.Stop()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("%w: %s", err, stderr.String())
	}
	return b, false, nil
}
