//go:build linux

package gui

import (
	"context"
	"os"
	"sync/atomic"
	"time"

	"github.com/godbus/dbus/v5"
)

// sniWatcher is the bus name of the desktop's tray host.
const sniWatcher = "org.kde.StatusNotifierWatcher"

// trayAvailable reports whether a StatusNotifierWatcher runs on the session
// bus: without one, Linux desktops show no tray icon, and hiding the window
// would leave no way back to it. A bus that does not answer within two
// seconds counts as none.
func trayAvailable() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := sessionBus(ctx)
	if err != nil {
		return false
	}
	defer conn.Close()
	return hasWatcher(conn)
}

// watchTray follows the StatusNotifierWatcher's coming and going from the
// bus's NameOwnerChanged signals, so that closing the window learns at once
// whether it may hide, without a D-Bus round trip on the UI goroutine. It
// starts from present; stop ends the watch.
func watchTray(present bool) (available func() bool, stop func()) {
	var state atomic.Bool
	state.Store(present)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		conn, err := sessionBus(ctx) // closed when ctx ends
		if err != nil {
			return
		}
		signals := make(chan *dbus.Signal, 8)
		conn.Signal(signals)
		if conn.AddMatchSignal(dbus.WithMatchInterface("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged"),
			dbus.WithMatchArg(0, sniWatcher)) != nil {
			return
		}
		// Asked after subscribing, so a change in between is not missed.
		state.Store(hasWatcher(conn))
		for {
			select {
			case s := <-signals:
				if s == nil {
					return // the bus went away; keep the last answer
				}
				if name, owner, ok := ownerChange(s); ok && name == sniWatcher {
					state.Store(owner != "")
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return state.Load, cancel
}

// ownerChange reads NameOwnerChanged's name and new owner.
func ownerChange(s *dbus.Signal) (name, owner string, ok bool) {
	if s.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(s.Body) != 3 {
		return "", "", false
	}
	name, ok1 := s.Body[0].(string)
	owner, ok2 := s.Body[2].(string)
	return name, owner, ok1 && ok2
}

// sessionBus connects privately to the session bus; ending ctx closes the
// connection, also while it is still being set up.
func sessionBus(ctx context.Context) (*dbus.Conn, error) {
	// Without an address godbus would launch a bus of its own, which has no tray.
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return nil, os.ErrNotExist
	}
	conn, err := dbus.SessionBusPrivate(dbus.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	if err := conn.Auth(nil); err != nil {
		conn.Close()
		return nil, err
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

func hasWatcher(conn *dbus.Conn) bool {
	var has bool
	err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, sniWatcher).Store(&has)
	return err == nil && has
}
