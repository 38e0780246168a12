package gui

import (
	"fyne.io/fyne/v2"
)

// windowPlace is how the user left the main window: its size and where the
// list meets the detail view, kept in Fyne's preferences between runs.
// Its position is not: Fyne 2.8 can neither read nor set where a window is
// (only centre it), so that stays with the window manager.
type windowPlace struct {
	prefs fyne.Preferences
}

const (
	prefWidth  = "window.width"
	prefHeight = "window.height"
	prefSplit  = "window.split"
)

var (
	// defaultWindowSize shows the list, a profile and its last knocks.
	defaultWindowSize = fyne.NewSize(920, 580)
	// smallestWindowSize keeps a remembered size usable: a window saved
	// tiny (or a damaged preference) would open as a sliver.
	smallestWindowSize = fyne.NewSize(480, 320)
)

// The split may move, within limits that leave both sides readable.
const (
	defaultSplit = 0.38
	minSplit     = 0.15
	maxSplit     = 0.85
)

// size is the window's size as last left, or the default.
func (w windowPlace) size() fyne.Size {
	width := w.prefs.FloatWithFallback(prefWidth, float64(defaultWindowSize.Width))
	height := w.prefs.FloatWithFallback(prefHeight, float64(defaultWindowSize.Height))
	return fyne.NewSize(max(float32(width), smallestWindowSize.Width), max(float32(height), smallestWindowSize.Height))
}

// split is the list's share of the width as last left, or the default.
func (w windowPlace) split() float64 {
	s := w.prefs.FloatWithFallback(prefSplit, defaultSplit)
	if s != s { // NaN from a damaged file
		return defaultSplit
	}
	return min(max(s, minSplit), maxSplit)
}

// remember keeps the window's size and split for the next run.
func (w windowPlace) remember(size fyne.Size, split float64) {
	if size.Width > 0 && size.Height > 0 {
		w.prefs.SetFloat(prefWidth, float64(size.Width))
		w.prefs.SetFloat(prefHeight, float64(size.Height))
	}
	w.prefs.SetFloat(prefSplit, split)
}
