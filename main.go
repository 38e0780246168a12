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
	// Both faces work over the same saved profiles and keyring.
	notices := new(profile.Notices)
	dir, dirErr := profile.DefaultDir()
	book := &profile.Book{Store: profile.NewStore(dir, notices.Add), Secrets: secret.NewKeyring(secret.DefaultTimeout)}
	switch {
	case len(os.Args) < 2:
		gui.Run(book, notices, dirErr, gui.Shown)
	case len(os.Args) == 2 && os.Args[1] == autostart.HiddenFlag:
		gui.Run(book, notices, dirErr, gui.InTray) // started at login
	default:
		attachConsole() // Windows: print to the console we were started from
		env := &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
			Book: book, BookErr: dirErr, Notices: notices, Window: gui.RunDemo}
		os.Exit(cli.Main(env, os.Args[1:]))
	}
}
