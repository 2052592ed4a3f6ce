package credentials

import (
	"runtime"
	"syscall"
)

// checkNice is the nice value Legacy checks run at: the kernel then gives a
// core to request handling first, so a flood of checks slows valid Basic
// and HMAC requests little, while idle cores still run checks at full
// speed.
const checkNice = 10

// lowPriority runs fn on an OS thread of its own at checkNice, and waits
// for it. The thread ends with fn, so its priority never reaches other
// work.
func lowPriority(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread exits with this goroutine
		syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), checkNice)
		fn()
	}()
	<-done
}
