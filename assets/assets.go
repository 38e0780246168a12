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

//go:embed icon-failing.png
var iconFailingPNG []byte

// IconFailing has a warning badge, for the tray while a re-knock keeps failing.
var IconFailing = fyne.NewStaticResource("icon-failing.png", iconFailingPNG)
