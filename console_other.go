//go:build !windows

package main

// attachConsole is needed only on Windows, where the GUI build has no console
// of its own (see console_windows.go).
func attachConsole() {}
