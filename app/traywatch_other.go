//go:build !linux

package app

// trayAvailable is true where the system itself draws tray icons.
func trayAvailable() bool { return true }
