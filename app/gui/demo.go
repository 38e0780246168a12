package gui

import (
	"context"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/assets"
)

// RunDemo opens the window over book for knocker demo, and returns when the
// user quits or ctx ends. Unlike Run it claims no single instance (a running
// Knocker stays as it is), shows no tray icon (closing the window quits), and
// keeps Fyne's settings under an app ID of its own. Like Run, it returns
// ErrNoWindow when the window cannot open.
func RunDemo(ctx context.Context, book *profile.Book) (err error) {
	watch := watchWindowStart()
	defer func() { err = watch.end(recover()) }()
	a := fyneapp.NewWithID(ID + ".demo")
	a.SetIcon(assets.Icon)
	u := newUI(a, a.NewWindow("Knocker"), book, uiOptions{})
	a.Lifecycle().SetOnStarted(watch.onStarted(a, func() { u.opened = true }))
	stop := context.AfterFunc(ctx, func() { u.bridge.post("quit", u.quit) })
	defer stop()
	u.run(withoutTray, false)
	return nil
}
