// Command emptywindow is the yardstick for Knocker's GUI benchmarks: an empty
// Fyne window holding one label, built with the same toolchain and flags as
// bin/knocker, so its start time, memory and idle CPU show what Fyne itself
// costs. The label matters: the first text Fyne measures loads its fonts and
// a system fallback font (some 9 MiB per text style), which any real window
// pays. -button adds a button, whose bold text is a second style: the floor
// for any window with a button; -with-tray adds a tray icon and menu, as
// Knocker's window has, which in Fyne brings a hidden second window with
// an OpenGL context of its own. With -tray it shows no window and draws
// nothing, only a tray icon, as "knocker --tray" does.
package main

import (
	"flag"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

func main() {
	tray := flag.Bool("tray", false, "start hidden with a tray icon only")
	button := flag.Bool("button", false, "a button under the label")
	withTray := flag.Bool("with-tray", false, "a tray icon and menu beside the window")
	flag.Parse()
	a := app.NewWithID("io.knocker.bench.emptywindow")
	w := a.NewWindow("Empty")
	w.Resize(fyne.NewSize(920, 580))
	if !*tray {
		var content fyne.CanvasObject = widget.NewLabel("Empty")
		if *button {
			content = container.NewVBox(content, widget.NewButton("Button", func() {}))
		}
		w.SetContent(content)
		if *withTray {
			addTray(a, w)
		}
		w.ShowAndRun()
		return
	}
	addTray(a, w)
	a.Run()
}

func addTray(a fyne.App, w fyne.Window) {
	if d, ok := a.(desktop.App); ok {
		d.SetSystemTrayIcon(theme.ComputerIcon())
		d.SetSystemTrayMenu(fyne.NewMenu("Empty", fyne.NewMenuItem("Show", w.Show)))
	}
}
