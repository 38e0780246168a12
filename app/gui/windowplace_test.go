package gui

import (
	"os"
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

	// Written by the time rememberPlace returns: Knocker may exit next.
	again := newUI(h.u.app, h.u.app.NewWindow("Knocker"), h.u.book, uiOptions{dispatch: h.dispatch, placeFile: h.u.place.file})
	if got := again.place.size(); got != fyne.NewSize(1000, 700) || again.split.Offset != 0.5 {
		t.Fatalf("the next start opens at %v, split %.2f; want 1000×700, 0.50", got, again.split.Offset)
	}

	if err := again.place.remember(fyne.NewSize(10, 10), 0.99); err != nil {
		t.Fatal(err)
	}
	if got := again.place.size(); got != smallestWindowSize || again.place.split() != maxSplit {
		t.Fatalf("a tiny window and a split at the edge come back as %v, %.2f", got, again.place.split())
	}
}

// A Knocker that kept its size in Fyne's preferences opens, once updated,
// at that size; a damaged file gives the defaults.
func TestWindowPlaceFromOlderVersionsAndDamagedFiles(t *testing.T) {
	h := newHarness(t, nil)
	prefs := h.u.app.Preferences()
	prefs.SetFloat(prefWidth, 1100)
	prefs.SetFloat(prefHeight, 750)
	prefs.SetFloat(prefSplit, 0.3)
	place := windowPlace{file: h.u.place.file, legacy: prefs}
	if got := place.size(); got != fyne.NewSize(1100, 750) || place.split() != 0.3 {
		t.Fatalf("the size kept by an older Knocker comes back as %v, %.2f", got, place.split())
	}
	if err := os.WriteFile(place.file, []byte(`{"width": "wide"`), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := place.size(); got != defaultWindowSize || place.split() != defaultSplit {
		t.Fatalf("a damaged file gives %v, %.2f; want the defaults", got, place.split())
	}
}
