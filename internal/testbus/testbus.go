// Package testbus gives tests D-Bus session addresses that fail the way a
// broken desktop session does, so keyring code can be tested against them.
package testbus

import (
	"bufio"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
)

// Missing is a bus address whose socket does not exist. (With the variable
// unset instead, godbus would launch a bus and a keyring that outlive the test.)
func Missing(t testing.TB) string {
	return "unix:path=" + filepath.Join(t.TempDir(), "missing-bus")
}

// Silent is a bus address that accepts connections and never says a word,
// like a wedged daemon: every call on it can only time out.
func Silent(t testing.TB) string {
	path := filepath.Join(t.TempDir(), "silent-bus")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	return "unix:path=" + path
}

// Private starts a session bus of the test's own, so that names claimed on
// it are seen by nothing else running at the time, and returns its address.
// The test is skipped where dbus-daemon is not installed.
func Private(t testing.TB) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("dbus-daemon is not installed (Debian package dbus; make test installs it)")
	}
	cmd := exec.Command(daemon, "--session", "--nofork", "--nosyslog", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(addr)
}

// Connect opens a private connection to the session bus in
// DBUS_SESSION_BUS_ADDRESS, closed at the test's end (closing it earlier,
// as a crashing program would, is fine).
func Connect(t testing.TB) *dbus.Conn {
	t.Helper()
	conn, err := dbus.SessionBusPrivate()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Auth(nil); err != nil {
		t.Fatal(err)
	}
	if err := conn.Hello(); err != nil {
		t.Fatal(err)
	}
	return conn
}
