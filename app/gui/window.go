// Package gui is Knocker's Fyne desktop front end. It turns user actions into
// engine calls and engine events into widget updates; it sends no packets itself.
package gui

import (
	"fmt"

	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/assets"
)

// ID is the application ID; it also names the keyring service.
const ID = "io.knocker.desktop"

// Start says how the window starts.
type Start int

const (
	Shown  Start = iota // the window opens
	InTray              // only the tray icon, as at login; the window opens from it
)

// Run opens the main window over book (or, InTray, only the tray icon) and
// blocks until the user quits. A second launch shows the first one's
// window. notices brings the store's messages to the window; bookErr, if
// not nil, says why the profiles cannot be found. It returns ErrNoWindow,
// after telling the user, when there is no display or OpenGL to open on.
func Run(book *profile.Book, notices *profile.Notices, bookErr error, start Start) (err error) {
	watch := watchWindowStart()
	defer func() { err = watch.end(recover()) }()
	a := fyneapp.NewWithID(ID)
	a.SetIcon(assets.Icon)
	var u *ui
	first, instanceErr := claimInstance(func() {
		if u != nil {
			u.bridge.post("show", u.showWindow)
		}
	})
	if !first {
		return nil // the running Knocker shows its window instead
	}
	// Hidden at start only where a tray shows the way back.
	hidden := start == InTray && trayAvailable()
	u = newUI(a, a.NewWindow("Knocker"), book, uiOptions{hidden: hidden})
	a.Lifecycle().SetOnStarted(watch.onStarted(a, func() { u.opened = true }))
	notices.ShowWith(func(msg string) { u.bridge.post("warning", func() { u.banner.showWarning(msg) }) })
	if instanceErr != nil {
		u.banner.showWarning(lang.L("Another launch of Knocker may start a second copy: {{.Err}}", tmpl{"Err": instanceErr}))
	}
	if bookErr != nil {
		u.banner.showError(bookErr)
	}
	u.run(withTray, hidden)
	return nil
}

// trayUse says whether a window puts Knocker in the system tray.
type trayUse bool

const (
	withTray    trayUse = true
	withoutTray trayUse = false // the demo: closing its window quits
)

// run starts automatic re-knocking and the tray icon if asked, shows the
// window (or, hidden, only the tray icon) and blocks until the user quits.
func (u *ui) run(tray trayUse, hidden bool) {
	if err := u.startRefresh(nil, watchNetwork); err != nil {
		u.banner.showError(fmt.Errorf("%s: %w", lang.L("automatic re-knocking is off"), err))
	}
	if desk, ok := u.app.(desktop.App); ok && tray == withTray {
		// Started hidden, Run has just seen a tray; otherwise the watch
		// learns within milliseconds, without holding up the window.
		available, stop := watchTray(hidden)
		defer stop()
		u.setupTray(desk, available)
	}
	u.win.SetCloseIntercept(u.closeWindow)
	u.win.Resize(u.place.size())
	if hidden && u.tray.host != nil {
		u.app.Run()
	} else {
		u.redraw()
		u.startTicking()
		u.win.ShowAndRun()
	}
	u.cancelAll()
	u.auto.stop()
}
