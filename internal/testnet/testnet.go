// Package testnet holds network helpers shared by tests that knock on loopback.
package testnet

import (
	"net"
	"testing"
)

// FreePort returns a loopback port that was free for both TCP and UDP a
// moment ago, for tests that need one port number on both.
func FreePort(t testing.TB) uint16 {
	t.Helper()
	for range 20 {
		ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		ln.Close()
		if err == nil {
			u.Close()
			return uint16(port)
		}
	}
	t.Fatal("no port free for both TCP and UDP")
	return 0
}

// OpenTCPPort returns a loopback port that answers like an open service: it
// accepts each connection and closes it. It stops at the test's end.
func OpenTCPPort(t testing.TB) uint16 {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

// ListenUDP listens on a free UDP port of 127.0.0.1, standing in for the
// router a test knocks; it closes at the test's end.
func ListenUDP(t testing.TB) *net.UDPConn {
	t.Helper()
	ln, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}
