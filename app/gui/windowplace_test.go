package gui

import (
	"testing"

	"fyne.io/fyne/v2"
)

// The window's size and split are kept when it closes and come back at the
// next start; sizes too small to use and splits that hide a side are not.
func TestWindowPlaceIsRemembered(t *testing.T) {
	h := newHarness(t, nil)
	if got := h.u.place.size(); got != defaultWindowSize || h.u.split.Offset != defaultSplit {
		t.Fatalf("a first start opens at %v, split %.2f", got, h.u.split.Offset)
	}
	h.u.win.Resize(fyne.NewSize(1000, 700))
	h.u.split.SetOffset(0.5)
	h.u.rememberPlace()

	again := newUI(h.u.app, h.u.app.NewWindow("Knocker"), h.u.book, uiOptions{dispatch: h.dispatch})
	if got := again.place.size(); got != fyne.NewSize(1000, 700) || again.split.Offset != 0.5 {
		t.Fatalf("the next start opens at %v, split %.2f; want 1000×700, 0.50", got, again.split.Offset)
	}

	again.place.remember(fyne.NewSize(10, 10), 0.99)
	if got := again.place.size(); got != smallestWindowSize || again.place.split() != maxSplit {
		t.Fatalf("a tiny window and a split at the edge come back as %v, %.2f", got, again.place.split())
	}
}
