// Package autostart starts Knocker, hidden in the tray, when the user logs
// in: an XDG autostart entry on Linux and the BSDs, a Run registry value on
// Windows, a LaunchAgent on macOS. It never imports the UI toolkit.
package autostart

// ID names the entry on every system; it is the application ID.
const ID = "io.knocker.desktop"

// HiddenFlag is the argument the login entry passes, so Knocker starts in
// the tray without showing its window.
const HiddenFlag = "--tray"
