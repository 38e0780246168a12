//go:build !linux

package demorouter

import (
	"net"
	"net/netip"
)

// gate does nothing outside Linux, which lacks its socket filters: the kernel
// completes every handshake, and the accept-time check resets unlisted
// sources at once. A client's connect then succeeds before the reset, so
// a verify probe there cannot tell a refused source from a listed one.
func gate(*net.TCPListener, []netip.Addr) error { return nil }
