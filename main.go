// Command knocker is a port-knocking client: with no arguments it opens the
// window, with a subcommand it runs headless (see "knocker help").
package main

import (
	"os"

	"github.com/knocker/knocker/app/autostart"
	"github.com/knocker/knocker/app/cli"
	"github.com/knocker/knocker/app/gui"
	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/app/secret"
)

func main() {
	// knocker demo opens the window, which the headless CLI cannot import.
	cli.DemoWindow = gui.RunDemo
	switch {
	case len(os.Args) < 2:
		runWindow(gui.Shown)
	case len(os.Args) == 2 && os.Args[1] == autostart.HiddenFlag:
		runWindow(gui.InTray) // started at login
	default:
		attachConsole() // Windows: print to the console we were started from
		os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
}

// runWindow opens the window over the saved profiles and the keyring.
func runWindow(start gui.Start) {
	notices := new(profile.Notices)
	dir, dirErr := profile.DefaultDir()
	book := &profile.Book{Store: profile.NewStore(dir, notices.Add), Secrets: secret.NewKeyring(secret.DefaultTimeout)}
	gui.Run(book, notices, dirErr, start)
}
