//go:build windows

package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// The Windows build is a GUI program, which starts without a console. When
// run with a command from cmd or PowerShell, attach to the parent's console
// so the CLI's output and prompts appear there; streams that are already
// redirected to a file or pipe are left alone.
func init() {
	if len(os.Args) < 2 {
		return
	}
	attach := windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")
	const attachParentProcess = ^uintptr(0) // ATTACH_PARENT_PROCESS, (DWORD)-1
	if r, _, _ := attach.Call(attachParentProcess); r == 0 {
		return // no parent console (started from Explorer)
	}
	unset := func(f *os.File) bool {
		t, err := windows.GetFileType(windows.Handle(f.Fd()))
		return err != nil || t == windows.FILE_TYPE_UNKNOWN
	}
	if out, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
		if unset(os.Stdout) {
			os.Stdout = out
		}
		if unset(os.Stderr) {
			os.Stderr = out
		}
	}
	if in, err := os.OpenFile("CONIN$", os.O_RDWR, 0); err == nil && unset(os.Stdin) {
		os.Stdin = in
	}
}
