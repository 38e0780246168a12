// Package assets embeds Knocker's icons so the binary needs no files beside it.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed icon.png
var iconPNG []byte

// Icon is the application icon (window, tray, packages).
var Icon = fyne.NewStaticResource("icon.png", iconPNG)

//go:embed icon-128.png
var iconSmallPNG []byte

// IconSmall is the application icon at 128 px, for drawing in the window
// (at 64 px, or 128 on a 2× screen): decoding and scaling the 512 px one
// kept about 1.5 MiB more of the window's memory.
var IconSmall = fyne.NewStaticResource("icon-128.png", iconSmallPNG)

// The tray icons are 64 px: panels draw them at 16 to 48, and the tray sends
// the whole bitmap over D-Bus (as 4 bytes a pixel) on every change, so the
// 512 px application icon would cost 1 MiB each time.

//go:embed tray.png
var trayPNG []byte

// Tray is the tray icon while all is well.
var Tray = fyne.NewStaticResource("tray.png", trayPNG)

//go:embed icon-failing.png
var iconFailingPNG []byte

// IconFailing has a warning badge, for the tray while a re-knock keeps failing.
var IconFailing = fyne.NewStaticResource("icon-failing.png", iconFailingPNG)
