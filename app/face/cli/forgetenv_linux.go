//go:build linux

package cli

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// forgetEnv removes name from the environment and overwrites its value in
// the process's original environment block, so /proc/PID/environ no longer
// shows it. (unsetenv alone changes only the process's own copy.)
func forgetEnv(name string) {
	os.Unsetenv(name)
	start, end, ok := envBlock()
	if !ok || end <= start || end-start > 1<<20 {
		return
	}
	mem, err := os.OpenFile("/proc/self/mem", os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer mem.Close()
	block := make([]byte, end-start)
	if _, err := mem.ReadAt(block, int64(start)); err != nil {
		return
	}
	prefix := []byte(name + "=")
	for i := 0; i < len(block); {
		n := bytes.IndexByte(block[i:], 0)
		if n < 0 {
			n = len(block) - i
		}
		if bytes.HasPrefix(block[i:i+n], prefix) {
			v := i + len(prefix)
			mem.WriteAt(make([]byte, n-len(prefix)), int64(start)+int64(v))
		}
		i += n + 1
	}
	clear(block)
}

// envBlock reads env_start and env_end (fields 50 and 51) from
// /proc/self/stat.
func envBlock() (start, end uintptr, ok bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, 0, false
	}
	// The command name (field 2) may hold spaces; count fields after its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3
	if len(f) < 49 {
		return 0, 0, false
	}
	s, err1 := strconv.ParseUint(f[50-3], 10, 64)
	e, err2 := strconv.ParseUint(f[51-3], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uintptr(s), uintptr(e), true
}
