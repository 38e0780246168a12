//go:build !linux

package gui

// trayAvailable is true where the system itself draws tray icons.
func trayAvailable() bool { return true }

// watchTray has nothing to follow where the tray is always there.
func watchTray(present bool) (available func() bool, stop func()) {
	return func() bool { return present }, func() {}
}
