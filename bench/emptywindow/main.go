// Command emptywindow is the yardstick for Knocker's GUI benchmarks: an empty
// Fyne window holding one label, built with the same toolchain and flags as
// bin/knocker, so its start time, memory and idle CPU show what Fyne itself
// costs. The label matters: the first text Fyne measures loads its fonts and
// a system fallback font per style, some 17 MiB that any real window pays.
// With -tray it shows no window and draws nothing, only a tray icon, as
// "knocker --tray" does.
package main

import (
	"flag"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

func main() {
	tray := flag.Bool("tray", false, "start hidden with a tray icon only")
	flag.Parse()
	a := app.NewWithID("io.knocker.bench.emptywindow")
	w := a.NewWindow("Empty")
	w.Resize(fyne.NewSize(920, 580))
	if !*tray {
		w.SetContent(widget.NewLabel("Empty"))
		w.ShowAndRun()
		return
	}
	if d, ok := a.(desktop.App); ok {
		d.SetSystemTrayIcon(theme.ComputerIcon())
		d.SetSystemTrayMenu(fyne.NewMenu("Empty", fyne.NewMenuItem("Show", w.Show)))
	}
	a.Run()
}
