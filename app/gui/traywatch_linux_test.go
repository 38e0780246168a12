package gui

import (
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/knocker/knocker/internal/testbus"
)

// Closing the window asks watchTray whether a tray host is there; it must
// follow a StatusNotifierWatcher that comes, goes and crashes.
func TestTrayWatchFollowsTheWatcher(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", testbus.Private(t))
	if trayAvailable() {
		t.Fatal("a tray on a bus where nobody owns the watcher name")
	}
	available, stop := watchTray(true) // a wrong start, corrected from the bus
	defer stop()
	waitTray := func(want bool, what string) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); available() != want; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: available() stayed %v", what, !want)
			}
		}
	}
	waitTray(false, "no watcher at start")

	host := testbus.Connect(t)
	claim := func() {
		t.Helper()
		if reply, err := host.RequestName(sniWatcher, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
			t.Fatalf("cannot own %s: %v %v", sniWatcher, reply, err)
		}
	}
	claim()
	waitTray(true, "a watcher appeared")
	if !trayAvailable() {
		t.Fatal("trayAvailable() misses the watcher")
	}
	if _, err := host.ReleaseName(sniWatcher); err != nil {
		t.Fatal(err)
	}
	waitTray(false, "the watcher left")
	claim()
	waitTray(true, "the watcher came back")
	host.Close() // a panel that crashes drops its names with its connection
	waitTray(false, "the watcher's process died")
}
