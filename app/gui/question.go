package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// question is a yes-or-no dialog the keyboard can answer: Escape says no,
// and Enter says yes where yes is safe to give by reflex.
type question struct {
	dialog *dialog.ConfirmDialog
	enter  enterKey
}

// enterKey says what Enter does on a question.
type enterKey bool

const (
	enterConfirms enterKey = true
	enterIgnored  enterKey = false // the answer destroys something: it takes the button
)

// ask shows a question over the window. Fyne's dialogs take no keys
// themselves; the window's key handler passes them on while one is up.
func (u *ui) ask(title, confirm, dismiss string, content fyne.CanvasObject, enter enterKey, answer func(yes bool)) *dialog.ConfirmDialog {
	var q *question
	d := dialog.NewCustomConfirm(title, confirm, dismiss, content, func(yes bool) {
		if u.asking == q {
			u.asking = nil
		}
		answer(yes)
	}, u.win)
	q = &question{dialog: d, enter: enter}
	u.asking = q
	d.Show()
	return d
}

// askText is ask with a message.
func (u *ui) askText(title, confirm, dismiss, message string, enter enterKey, answer func(yes bool)) *dialog.ConfirmDialog {
	text := widget.NewLabel(message)
	text.Wrapping = fyne.TextWrapWord
	return u.ask(title, confirm, dismiss, text, enter, answer)
}

// questionKey answers the open question with a key, and reports whether
// one was open: keys meant for the list must not act under a dialog.
func (u *ui) questionKey(key fyne.KeyName) bool {
	if u.win.Canvas().Overlays().Top() == nil {
		u.asking = nil // closed some other way
		return false
	}
	if q := u.asking; q != nil {
		switch {
		case key == fyne.KeyEscape:
			q.dialog.Dismiss()
		case (key == fyne.KeyReturn || key == fyne.KeyEnter) && q.enter == enterConfirms:
			q.dialog.Confirm()
		}
	}
	return true
}
