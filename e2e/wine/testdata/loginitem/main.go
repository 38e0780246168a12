//go:build windows

// Command loginitem drives Knocker's start-at-login code (app/autostart), as
// the tray menu's "Start at login" does, so the Wine tests can check the
// Run value it writes and removes, and what it makes of the installer's.
//
//	loginitem enable EXE | disable | enabled
package main

import (
	"fmt"
	"os"

	"github.com/knocker/knocker/app/autostart"
)

func main() {
	var err error
	switch {
	case len(os.Args) == 3 && os.Args[1] == "enable":
		err = autostart.Enable(os.Args[2])
	case len(os.Args) == 2 && os.Args[1] == "disable":
		err = autostart.Disable()
	case len(os.Args) == 2 && os.Args[1] == "enabled":
		var on bool
		if on, err = autostart.Enabled(); err == nil {
			fmt.Println(on)
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: loginitem enable EXE | disable | enabled")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loginitem:", err)
		os.Exit(1)
	}
}
