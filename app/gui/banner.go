package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// banner is the line above everything that says what went wrong (or what
// the user should know), until it is closed or replaced.
type banner struct {
	label   *widget.Label
	content *fyne.Container
	text    string // the message, "" for none; kept while the window is hidden
	hidden  func() bool
}

func newBanner(hidden func() bool) *banner {
	b := &banner{label: widget.NewLabel(""), hidden: hidden}
	b.label.Wrapping = fyne.TextWrapWord
	b.label.Importance = widget.DangerImportance
	dismiss := widget.NewButtonWithIcon("", theme.CancelIcon(), func() { b.showError(nil) })
	dismiss.Importance = widget.LowImportance
	b.content = container.NewBorder(nil, nil, nil, dismiss, b.label)
	b.content.Hide()
	return b
}

// showWarning puts a message that is not an error in the banner.
func (b *banner) showWarning(msg string) {
	b.text = msg
	b.redraw()
}

// showError puts err in plain words in the banner; nil hides it.
func (b *banner) showError(err error) {
	b.text = ""
	if err != nil {
		b.text = err.Error()
	}
	b.redraw()
}

// redraw shows the current message; a hidden window is not drawn, and gets
// its message when it shows.
func (b *banner) redraw() {
	switch {
	case b.hidden():
	case b.text == "":
		b.content.Hide()
	default:
		b.label.SetText(b.text)
		b.content.Show()
	}
}
