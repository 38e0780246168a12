// Package app is Knocker's Fyne desktop front end. It turns user actions into
// engine calls and engine events into widget updates; it sends no packets itself.
package app

import (
	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/app/secret"
	"github.com/knocker/knocker/assets"
)

// ID is the application ID; it also names the keyring service.
const ID = "io.knocker.desktop"

// Run opens the main window and blocks until the user quits.
func Run() {
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
	dir, err := profile.DefaultDir()
	book := &profile.Book{Store: profile.NewStore(dir, warn), Secrets: secret.NewKeyring(secret.DefaultTimeout)}
	u = newUI(a, w, book)
	for _, msg := range early {
		u.showWarning(msg)
	}
	if err != nil {
		u.showError(err)
	}
	w.Resize(fyne.NewSize(920, 580))
	u.startTicking()
	w.ShowAndRun()
}
