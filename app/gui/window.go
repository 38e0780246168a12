// Package gui is Knocker's Fyne desktop front end. It turns user actions into
// engine calls and engine events into widget updates; it sends no packets itself.
package gui

import (
	"fmt"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/app/secret"
	"github.com/knocker/knocker/assets"
)

// ID is the application ID; it also names the keyring service.
const ID = "io.knocker.desktop"

// Run opens the main window (or, with hidden, only the tray icon) and
// blocks until the user quits. A second launch shows the first one's window.
func Run(hidden bool) {
	a := fyneapp.NewWithID(ID)
	a.SetIcon(assets.Icon)
	w := a.NewWindow("Knocker")
	var u *ui
	// Store warnings (a corrupt file moved aside) may come before the window
	// exists; they wait for it.
	var early []string
	warn := func(msg string) {
		if u == nil {
			early = append(early, msg)
			return
		}
		u.bridge.post("warning", func() { u.showWarning(msg) })
	}
	first, err := claimInstance(func() {
		if u != nil {
			u.bridge.post("show", u.showWindow)
		}
	})
	if !first {
		return // the running Knocker shows its window instead
	}
	if err != nil {
		early = append(early, "Another launch of Knocker may start a second copy: "+err.Error())
	}
	dir, dirErr := profile.DefaultDir()
	book := &profile.Book{Store: profile.NewStore(dir, warn), Secrets: secret.NewKeyring(secret.DefaultTimeout)}
	// Hidden at start only where a tray shows the way back.
	hidden = hidden && trayAvailable()
	u = newUI(a, w, book, uiOptions{hidden: hidden})
	for _, msg := range early {
		u.showWarning(msg)
	}
	if dirErr != nil {
		u.showError(dirErr)
	}
	u.run(true, hidden)
}

// run starts automatic re-knocking and, withTray, the tray icon, shows the
// window (or, hidden, only the tray icon) and blocks until the user quits.
// Run and RunDemo (demo.go) share it; the demo has no tray, so closing its
// window quits.
func (u *ui) run(withTray, hidden bool) {
	if err := u.startRefresh(nil, true); err != nil {
		u.showError(fmt.Errorf("automatic re-knocking is off: %w", err))
	}
	if desk, ok := u.app.(desktop.App); ok && withTray {
		// Started hidden, Run has just seen a tray; otherwise the watch
		// learns within milliseconds, without holding up the window.
		available, stop := watchTray(hidden)
		defer stop()
		u.setupTray(desk, available)
	}
	u.win.SetCloseIntercept(u.closeWindow)
	u.win.Resize(fyne.NewSize(920, 580))
	if hidden && u.tray.host != nil {
		u.app.Run()
	} else {
		u.redraw()
		u.startTicking()
		u.win.ShowAndRun()
	}
	u.cancelAll()
	u.stopRefresh()
}
