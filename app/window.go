// Package app is Knocker's Fyne desktop front end. It turns user actions into
// engine calls and engine events into widget updates; it sends no packets itself.
package app

import (
	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/knocker/knocker/assets"
)

// ID is the application ID; it also names the keyring service.
const ID = "io.knocker.desktop"

// Run opens the main window and blocks until the user quits.
func Run() {
	a := fyneapp.NewWithID(ID)
	a.SetIcon(assets.Icon)
	w := a.NewWindow("Knocker")
	w.SetContent(newMainView().content)
	w.Resize(fyne.NewSize(560, 380))
	w.ShowAndRun()
}
