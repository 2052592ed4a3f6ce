//go:build !linux

package credentials

// lowPriority runs fn (Legacy checks run at normal priority here).
func lowPriority(fn func()) { fn() }
