package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// wheelScrolled puts content in a vertical scroller that the mouse wheel
// moves from anywhere over it, at a pace of about three lines a notch.
//
// Fyne hands a wheel event to the innermost scrollable object under the
// pointer, and every one-line Entry holds a scroller of its own (for text
// wider than the field) that takes the event even when it has nothing to
// scroll. A form of entries in a plain VScroll therefore moves only while
// the pointer happens to be over a gap between fields, by 25 px a notch:
// turning the wheel over a form seems to move it a few pixels at a time,
// or not at all. wheelCatcher, laid over the scroller, is the last
// scrollable under the pointer, so Fyne gives it the wheel; it is neither
// tappable, nor hoverable, nor draggable, so every other event still
// reaches the fields below.
func wheelScrolled(content fyne.CanvasObject) (*container.Scroll, fyne.CanvasObject) {
	s := container.NewVScroll(content)
	return s, container.NewStack(s, newWheelCatcher(s))
}

// wheelPace scales Fyne's step (25 px a notch on Linux and Windows, a
// line and a half) to the three lines or so desktop toolkits move.
const wheelPace = 2

type wheelCatcher struct {
	widget.BaseWidget
	target fyne.Scrollable
}

func newWheelCatcher(target fyne.Scrollable) *wheelCatcher {
	c := &wheelCatcher{target: target}
	c.ExtendBaseWidget(c)
	return c
}

func (c *wheelCatcher) Scrolled(ev *fyne.ScrollEvent) {
	paced := *ev
	paced.Scrolled = fyne.NewDelta(ev.Scrolled.DX*wheelPace, ev.Scrolled.DY*wheelPace)
	c.target.Scrolled(&paced)
}

func (c *wheelCatcher) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewWithoutLayout())
}
