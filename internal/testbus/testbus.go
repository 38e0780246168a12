// Package testbus gives tests D-Bus session addresses that fail the way a
// broken desktop session does, so keyring code can be tested against them.
package testbus

import (
	"net"
	"path/filepath"
	"testing"
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
