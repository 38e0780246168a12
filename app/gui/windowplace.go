package gui

import (
	"encoding/json"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"

	"github.com/knocker/knocker/app/profile"
)

// windowPlace is how the user left the main window: its size and where the
// list meets the detail view, kept between runs in a small file of its own
// beside Fyne's preferences. Not in the preferences themselves: Fyne 2.8
// writes them on quit from a queued event that the process may outlive,
// and then loses the last ones set (the size, set as Knocker quits).
// Its position is not kept: Fyne 2.8 can neither read nor set where a
// window is (only centre it), so that stays with the window manager.
type windowPlace struct {
	file string
	// legacy is where Knocker kept the place before (Fyne's preferences):
	// read once, so an update opens at the size the user left.
	legacy fyne.Preferences
}

// placeFileName is the file in Fyne's folder of the app (beside its
// preferences.json).
const placeFileName = "window.json"

// placeFile is where the window's place is kept for app a: Fyne's folder
// of the app (its storage root).
func placeFile(a fyne.App) string {
	root := a.Storage().RootURI()
	if root == nil || root.Scheme() != "file" {
		return ""
	}
	return filepath.Join(root.Path(), placeFileName)
}

type placeValues struct {
	Width  float32 `json:"width"`
	Height float32 `json:"height"`
	Split  float64 `json:"split"`
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
	// tiny (or a damaged file) would open as a sliver.
	smallestWindowSize = fyne.NewSize(480, 320)
)

// The split may move, within limits that leave both sides readable.
const (
	defaultSplit = 0.38
	minSplit     = 0.15
	maxSplit     = 0.85
)

// load is the place as last left: the file, else the old preferences,
// else the defaults; a damaged file counts as none.
func (w windowPlace) load() placeValues {
	v := placeValues{defaultWindowSize.Width, defaultWindowSize.Height, defaultSplit}
	if data, err := os.ReadFile(w.file); err == nil {
		var saved placeValues
		if json.Unmarshal(data, &saved) == nil {
			return saved
		}
		return v
	}
	if w.legacy != nil {
		v.Width = float32(w.legacy.FloatWithFallback(prefWidth, float64(v.Width)))
		v.Height = float32(w.legacy.FloatWithFallback(prefHeight, float64(v.Height)))
		v.Split = w.legacy.FloatWithFallback(prefSplit, v.Split)
	}
	return v
}

// size is the window's size as last left, or the default.
func (w windowPlace) size() fyne.Size {
	v := w.load()
	return fyne.NewSize(max(v.Width, smallestWindowSize.Width), max(v.Height, smallestWindowSize.Height))
}

// split is the list's share of the width as last left, or the default.
func (w windowPlace) split() float64 {
	s := w.load().Split
	if s != s || s == 0 { // NaN or missing from a damaged file
		return defaultSplit
	}
	return min(max(s, minSplit), maxSplit)
}

// remember keeps the window's size and split for the next run, written
// before it returns, since Knocker may be about to quit.
func (w windowPlace) remember(size fyne.Size, split float64) error {
	if w.file == "" {
		return nil
	}
	v := w.load()
	if size.Width > 0 && size.Height > 0 {
		v.Width, v.Height = size.Width, size.Height
	}
	v.Split = split
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(w.file), 0o700); err != nil {
		return err
	}
	return profile.WriteFileAtomic(w.file, data, 0o600)
}
