// Command knocker is a port-knocking client: with no arguments it opens the
// window, with a subcommand it runs headless (see "knocker help").
package main

import (
	"os"

	"github.com/knocker/knocker/app/autostart"
	"github.com/knocker/knocker/app/cli"
	"github.com/knocker/knocker/app/gui"
)

func main() {
	// knocker demo opens the window, which the headless CLI cannot import.
	cli.DemoWindow = gui.RunDemo
	switch {
	case len(os.Args) < 2:
		gui.Run(false)
	case len(os.Args) == 2 && os.Args[1] == autostart.HiddenFlag:
		gui.Run(true) // started at login: only the tray icon
	default:
		attachConsole() // Windows: print to the console we were started from
		os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
}
