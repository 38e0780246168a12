//go:build !headless

package main

import (
	"github.com/knocker/knocker/app/autostart"
	"github.com/knocker/knocker/app/gui"
	"github.com/knocker/knocker/app/profile"
)

// openWindow runs the window when args ask for it (none, or the login
// entry's flag), and reports whether it did and whether it could open.
func openWindow(args []string, book *profile.Book, notices *profile.Notices, bookErr error) (opened bool, err error) {
	switch {
	case len(args) == 0:
		return true, gui.Run(book, notices, bookErr, gui.Shown)
	case len(args) == 1 && args[0] == autostart.HiddenFlag:
		return true, gui.Run(book, notices, bookErr, gui.InTray) // started at login
	}
	return false, nil
}

// demoWindow is the window knocker demo opens.
var demoWindow = gui.RunDemo
