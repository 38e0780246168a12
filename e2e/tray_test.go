package e2e

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/knocker/knocker/internal/testbus"
	"github.com/knocker/knocker/internal/testnet"
)

// sniWatcher stands in for a desktop's tray: it owns the
// StatusNotifierWatcher name on the session bus and records the items that
// register, as a panel would before drawing their icons.
type sniWatcher struct{ registered chan string }

func (w *sniWatcher) RegisterStatusNotifierItem(sender dbus.Sender, item string) *dbus.Error {
	w.registered <- string(sender) + " " + item
	return nil
}

func startWatcher(t *testing.T) *sniWatcher {
	t.Helper()
	conn := testbus.Connect(t)
	w := &sniWatcher{registered: make(chan string, 10)}
	if err := conn.Export(w, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("cannot own the watcher name: %v %v", reply, err)
	}
	return w
}

// The tray's whole promise, with no click: a one-minute router entry is
// knocked at start and again before the minute is over, while the window is
// closed to a tray that a StatusNotifierWatcher shows; a second launch
// brings the window back instead of starting another Knocker.
func TestTrayKeepsKnockingWhileHidden(t *testing.T) {
	needDesktop(t)
	t.Parallel() // half a minute of waiting for the re-knock, beside the lab's
	watcher := startWatcher(t)
	ln := testnet.ListenUDP(t)
	config := importProfiles(t, fmt.Sprintf(`{"version": 1, "profiles": [{"name": "lab", "host": "127.0.0.1", "timeout": "1m", "auto_refresh": true,
		"steps": [{"proto": "udp", "port": %d, "payload": "tray-knock", "encoding": "text"}]}]}`, ln.LocalAddr().(*net.UDPAddr).Port))

	g := startGUI(t, nil, "KNOCKER_CONFIG_DIR="+config)
	select {
	case item := <-watcher.registered:
		t.Logf("tray item registered: %s", item)
	case <-time.After(15 * time.Second):
		t.Fatal("Knocker never registered a tray item with the watcher")
	}
	knocks := make(chan time.Time, 10)
	go func() {
		buf := make([]byte, 100)
		for {
			n, _, err := ln.ReadFromUDP(buf)
			if err != nil {
				return
			}
			if string(buf[:n]) == "tray-knock" {
				knocks <- time.Now()
			}
		}
	}()
	var first time.Time
	select {
	case first = <-knocks:
	case <-time.After(15 * time.Second):
		t.Fatal("an auto-refresh profile with no known entry must be knocked at start")
	}

	g.key(t, "ctrl+w")
	waitViewable(t, g.display, false)
	select {
	case err := <-g.exited:
		t.Fatalf("closing the window with a tray present must not quit: %v", err)
	default:
	}

	select {
	case again := <-knocks:
		// A one-minute entry is re-knocked 30 s before it expires.
		if gap := again.Sub(first); gap < 25*time.Second || gap > 45*time.Second {
			t.Fatalf("re-knocked %v after the first knock, want about 30s", gap)
		}
	case <-time.After(50 * time.Second):
		t.Fatal("no re-knock while hidden in the tray")
	}

	g.launchAgain(t)
	waitViewable(t, g.display, true)
}

// "knocker --tray", as autostart runs it at login: only the tray icon, no
// window. The window is drawn for the first time when a second launch asks
// for it, and then works: Ctrl+K knocks the first profile.
func TestTrayStartShowsAWorkingWindowOnDemand(t *testing.T) {
	needDesktop(t)
	watcher := startWatcher(t)
	ln := testnet.ListenUDP(t)
	config := importProfiles(t, fmt.Sprintf(`{"version": 1, "profiles": [{"name": "lab", "host": "127.0.0.1", "timeout": "2h",
		"steps": [{"proto": "udp", "port": %d, "payload": "shown-from-tray", "encoding": "text"}]}]}`, ln.LocalAddr().(*net.UDPAddr).Port))
	g := launchGUI(t, []string{"--tray"}, []string{"KNOCKER_CONFIG_DIR=" + config}, func(g *gui) bool {
		select {
		case <-watcher.registered:
			return true
		case <-g.exited:
		case <-time.After(15 * time.Second):
		}
		return false
	}, "knocker --tray never registered a tray item")
	time.Sleep(500 * time.Millisecond) // a window shown by mistake would be mapped by now
	if windowViewable(t, g.display, "Knocker") {
		t.Fatal("knocker --tray must start with no window on screen")
	}

	g.launchAgain(t)
	waitViewable(t, g.display, true)
	g.knockWithCtrlK(t, ln, "shown-from-tray")
	g.screenshot(t, "window-shown-from-tray.png")
}
