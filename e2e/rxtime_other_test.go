//go:build !linux

package e2e

import (
	"net"
	"time"
)

// stampedUDP stamps datagrams when they are read; only Linux offers the
// kernel's receive time here.
type stampedUDP struct{ *net.UDPConn }

func newStampedUDP(c *net.UDPConn) *stampedUDP { return &stampedUDP{c} }

func (s *stampedUDP) read(buf []byte) (int, time.Time, error) {
	n, _, err := s.ReadFromUDP(buf)
	return n, time.Now(), err
}

// connectedAt is when the connection was accepted; only Linux offers the
// kernel's time of the handshake here.
func connectedAt(net.Conn) time.Time { return time.Now() }
