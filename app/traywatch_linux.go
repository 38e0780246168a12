//go:build linux

package app

import (
	"os"
	"time"

	"github.com/godbus/dbus/v5"
)

// trayAvailable reports whether a StatusNotifierWatcher runs on the session
// bus: without one, Linux desktops show no tray icon, and hiding the window
// would leave no way back to it. A bus that does not answer within two
// seconds counts as none.
func trayAvailable() bool {
	// Without an address godbus would launch a bus of its own, which has no tray.
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return false
	}
	found := make(chan bool, 1)
	go func() { found <- hasWatcher() }()
	select {
	case ok := <-found:
		return ok
	case <-time.After(2 * time.Second):
		return false
	}
}

func hasWatcher() bool {
	conn, err := dbus.SessionBusPrivate()
	if err != nil {
		return false
	}
	defer conn.Close()
	if conn.Auth(nil) != nil || conn.Hello() != nil {
		return false
	}
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has)
	return err == nil && has
}
