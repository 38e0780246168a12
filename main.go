// Command knocker is a port-knocking client: with no arguments it opens the
// window, with a subcommand it runs headless (see "knocker help").
//
// Built with -tags headless (make cli) it is the command line alone: no
// window, no cgo, no GUI library, a static binary for servers.
package main

import (
	"os"

	"github.com/knocker/knocker/app/cli"
	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/app/secret"
)

func main() {
	// Both faces work over the same saved profiles and keyring.
	notices := new(profile.Notices)
	book, bookErr := openBook(notices)
	if opened, err := openWindow(os.Args[1:], book, notices, bookErr); opened {
		if err != nil {
			os.Exit(1) // the window said why
		}
		return
	}
	attachConsole() // Windows: print to the console we were started from
	env := &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Book: book, BookErr: bookErr, Notices: notices, Window: demoWindow}
	os.Exit(cli.Main(env, os.Args[1:]))
}

// openBook is the saved profiles: profiles.json in the config folder with
// the steps in the OS keyring, or, where KNOCKER_PROFILES names a file (a
// server without a keyring, a systemd credential), that file alone.
func openBook(notices *profile.Notices) (*profile.Book, error) {
	if file := os.Getenv(profile.FileEnv); file != "" {
		return profile.OpenFile(file)
	}
	dir, err := profile.DefaultDir()
	return &profile.Book{Store: profile.NewStore(dir, notices.Add), Secrets: secret.NewKeyring(secret.DefaultTimeout)}, err
}
