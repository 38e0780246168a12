package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// mainView is the window's content. It holds its widgets so tests can inspect them.
type mainView struct {
	empty   *widget.Label
	content fyne.CanvasObject
}

func newMainView() *mainView {
	v := &mainView{
		empty: widget.NewLabel("No profiles yet.\nUse “knocker send HOST STEP…” from a terminal to knock a router today;\nsaved profiles arrive in a later release."),
	}
	v.empty.Alignment = fyne.TextAlignCenter
	v.empty.Wrapping = fyne.TextWrapWord
	v.content = container.NewCenter(v.empty)
	return v
}
