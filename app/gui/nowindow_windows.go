//go:build windows

package gui

import "golang.org/x/sys/windows"

// showNoWindow also puts the message in a box: the desktop build is a GUI
// program, and started from the Start menu its standard error goes nowhere.
func showNoWindow(msg string) {
	text, err1 := windows.UTF16PtrFromString(msg)
	title, err2 := windows.UTF16PtrFromString("Knocker")
	if err1 == nil && err2 == nil {
		windows.MessageBox(0, text, title, windows.MB_OK|windows.MB_ICONERROR)
	}
}
