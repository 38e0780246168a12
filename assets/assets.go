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
