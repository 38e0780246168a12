//go:build windows

package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// attachParentProcess is ATTACH_PARENT_PROCESS, (DWORD)-1.
const attachParentProcess = ^uint32(0)

// attachConsole lets a CLI subcommand print to the console it was started
// from. The release build is a GUI-subsystem program (-H=windowsgui), so
// Windows gives it no console and no standard handles; this attaches to the
// parent's console, if there is one, and opens CONIN$/CONOUT$ for the
// standard files that have no usable handle. Handles that already lead
// somewhere (a pipe or a file, as in "knocker list > out.txt") are kept.
// Started from Explorer there is no parent console and nothing changes.
func attachConsole() {
	if usable(os.Stdin) && usable(os.Stdout) && usable(os.Stderr) {
		return
	}
	attach := windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")
	if r, _, _ := attach.Call(uintptr(attachParentProcess)); r == 0 {
		return
	}
	if !usable(os.Stdin) {
		if f := openConsole("CONIN$", windows.STD_INPUT_HANDLE); f != nil {
			os.Stdin = f
		}
	}
	if !usable(os.Stdout) {
		if f := openConsole("CONOUT$", windows.STD_OUTPUT_HANDLE); f != nil {
			os.Stdout = f
		}
	}
	if !usable(os.Stderr) {
		if f := openConsole("CONOUT$", windows.STD_ERROR_HANDLE); f != nil {
			os.Stderr = f
		}
	}
}

// usable reports whether f has a handle that leads somewhere.
func usable(f *os.File) bool {
	if f == nil {
		return false
	}
	h := windows.Handle(f.Fd())
	if h == 0 || h == windows.InvalidHandle {
		return false
	}
	t, err := windows.GetFileType(h)
	return err == nil && t != windows.FILE_TYPE_UNKNOWN
}

// openConsole opens the console device name and makes it the process's
// standard handle std, so child processes inherit it too.
func openConsole(name string, std uint32) *os.File {
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		return nil
	}
	_ = windows.SetStdHandle(std, h)
	return os.NewFile(uintptr(h), name)
}
