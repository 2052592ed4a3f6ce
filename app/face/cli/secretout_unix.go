//go:build unix

package cli

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// unusableOutput says why f cannot carry a secret, or "".
func unusableOutput(f *os.File) string {
	if sameFile(f, os.DevNull) {
		return "is closed or is " + os.DevNull
	}
	// The write end of a pipe whose reader has gone polls as an error.
	fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLOUT}}
	if n, err := unix.Poll(fds, 0); err == nil && n > 0 && fds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
		return "is a pipe that nothing reads"
	}
	return ""
}

// ignoreSIGPIPE makes a write to a closed pipe on standard output fail with
// EPIPE, which the command reports, instead of killing the process silently.
func ignoreSIGPIPE() { signal.Ignore(syscall.SIGPIPE) }
