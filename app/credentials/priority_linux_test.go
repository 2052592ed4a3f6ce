package credentials

import (
	"syscall"
	"testing"
)

func TestLowPriorityRunsAtCheckNice(t *testing.T) {
	nice := func() int {
		prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
		if err != nil {
			t.Fatal(err)
		}
		return 20 - prio // the raw system call returns 20 - nice
	}
	before := nice()
	var during int
	lowPriority(func() { during = nice() })
	if during != checkNice {
		t.Fatalf("a check ran at nice %d, want %d", during, checkNice)
	}
	if after := nice(); after != before {
		t.Fatalf("the caller's thread left at nice %d, was %d", after, before)
	}
}
