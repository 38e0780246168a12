//go:build !windows

package gui

// showNoWindow has nothing more to do where standard error reaches the
// user: the line is there.
func showNoWindow(string) {}
