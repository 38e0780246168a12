package knock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Network is the seam between the engine and the operating system, so the
// engine can be tested without sockets.
type Network interface {
	// Open prepares to send steps to remote; the engine closes the Conn after the knock.
	Open(ctx context.Context, remote netip.Addr) (Conn, error)
	// Probe reports whether a TCP connection to addr succeeds within timeout.
	// A refused or unanswered connection is (false, nil).
	Probe(ctx context.Context, addr netip.AddrPort, timeout time.Duration) (bool, error)
}

// Conn sends the steps of one knock to one address.
type Conn interface {
	// Send puts one step's packet on the wire and returns the local address it left from.
	Send(ctx context.Context, s Step) (netip.AddrPort, error)
	Close() error
}

// DefaultTCPWait is how long a TCP step waits for an answer to its SYN before
// abandoning the connection attempt.
const DefaultTCPWait = 10 * time.Millisecond

// SystemNetwork sends real packets through the operating system's sockets.
type SystemNetwork struct {
	// TCPWait bounds how long a TCP step waits for SYN-ACK or RST; 0 means
	// DefaultTCPWait. The SYN is on the wire before the wait starts, and a
	// closed or silent port is the normal case for a knock.
	TCPWait time.Duration
}

// ErrICMPNotPermitted means the OS allows neither unprivileged ICMP sockets
// nor raw sockets to this process.
var ErrICMPNotPermitted = errors.New(icmpNotPermitted)

// Open finds the local address the route to remote uses, which also fails
// early and clearly when there is no route at all.
func (n SystemNetwork) Open(ctx context.Context, remote netip.Addr) (Conn, error) {
	// A connected UDP socket sends nothing; connecting only asks the kernel
	// for a route. Where UDP sockets cannot be had at all (Wine), the local
	// address stays unknown and the steps find out for themselves.
	var local netip.Addr
	probe, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(remote, 9)))
	switch {
	case err == nil:
		local = probe.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
		probe.Close()
	case !isAny(err, udpUnsupported):
		return nil, fmt.Errorf("no route to %v: %w", remote, unwrapSyscall(err))
	}
	wait := n.TCPWait
	if wait <= 0 {
		wait = DefaultTCPWait
	}
	// A random first echo identifier keeps this knock's echoes apart from
	// a knock a moment ago, whose tracked "connections" may still live.
	return &sysConn{remote: remote, local: local, tcpWait: wait, icmpID: uint16(rand.Uint32())}, nil
}

// Probe connects to addr and closes the connection at once.
func (n SystemNetwork) Probe(ctx context.Context, addr netip.AddrPort, timeout time.Duration) (bool, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr.String())
	if err == nil {
		c.Close()
		return true, nil
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if isUnanswered(err) {
		return false, nil
	}
	return false, unwrapSyscall(err)
}

type sysConn struct {
	remote  netip.Addr
	local   netip.Addr
	tcpWait time.Duration
	// sockets are every UDP and ICMP socket this knock opened, one per step.
	// They stay open until Close, so the kernel cannot hand a later step the
	// source port or echo identifier of an earlier one.
	sockets []io.Closer
	// icmpID is the echo identifier of the next ICMP step over a raw socket;
	// a ping socket sets its own, which differs per socket.
	icmpID uint16
	// nextUDP and nextICMP are the sockets the next UDP or ICMP step leaves
	// from, opened after the previous send of that kind: opening them then
	// keeps their cost out of the delay before the step.
	nextUDP  *net.UDPConn
	nextICMP *icmpSocket
}

type icmpSocket struct {
	conn *icmp.PacketConn
	raw  bool
}

func (c *sysConn) Send(ctx context.Context, s Step) (netip.AddrPort, error) {
	switch s.Proto {
	case UDP:
		return c.sendUDP(s)
	case TCP:
		return c.sendTCP(ctx, s)
	case ICMP:
		return c.sendICMP(s)
	}
	return netip.AddrPort{}, fmt.Errorf("unknown protocol %v", s.Proto)
}

// sendUDP writes the datagram from a socket of its own, as knock(1) does: a
// router that tracks connections (RouterOS layer-7 matching, conntrack)
// then sees each step as a connection's first packet, even when two steps
// go to the same port. The socket is unconnected, so an ICMP port
// unreachable answering one step cannot fail a write.
func (c *sysConn) sendUDP(s Step) (netip.AddrPort, error) {
	u, err := takeOrOpen(&c.nextUDP, c.openUDP)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if _, err := u.WriteToUDPAddrPort(s.Payload.Data, netip.AddrPortFrom(c.remote, s.Port)); err != nil {
		return netip.AddrPort{}, unwrapSyscall(err)
	}
	port := u.LocalAddr().(*net.UDPAddr).AddrPort().Port()
	// A socket that fails to open now is opened again when it is needed,
	// where the failure can be reported.
	c.nextUDP, _ = c.openUDP()
	return netip.AddrPortFrom(c.local, port), nil
}

// takeOrOpen returns the socket opened ahead in *next, leaving it empty, or
// opens one now.
func takeOrOpen[T comparable](next *T, open func() (T, error)) (T, error) {
	var none T
	s := *next
	*next = none
	if s != none {
		return s, nil
	}
	return open()
}

func (c *sysConn) openUDP() (*net.UDPConn, error) {
	network := "udp4"
	if c.remote.Is6() {
		network = "udp6"
	}
	u, err := net.ListenUDP(network, nil)
	if err != nil {
		return nil, unwrapSyscall(err)
	}
	c.sockets = append(c.sockets, u)
	return u, nil
}

// sendTCP starts a connection, which puts the SYN on the wire, and abandons
// it after a short wait whatever the answer.
func (c *sysConn) sendTCP(ctx context.Context, s Step) (netip.AddrPort, error) {
	d := net.Dialer{Timeout: c.tcpWait}
	conn, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(c.remote, s.Port).String())
	if err == nil {
		local := conn.LocalAddr().(*net.TCPAddr).AddrPort()
		conn.Close()
		return netip.AddrPortFrom(local.Addr().Unmap(), local.Port()), nil
	}
	if ctx.Err() != nil {
		return netip.AddrPort{}, ctx.Err()
	}
	if isUnanswered(err) {
		return netip.AddrPortFrom(c.local, 0), nil
	}
	return netip.AddrPort{}, unwrapSyscall(err)
}

// sendICMP sends an echo request from a socket of its own with an
// identifier of its own: connection tracking keys echoes on the identifier,
// so each step is a new "connection" rather than part of an earlier step's,
// which a router may already count as established once it has answered.
func (c *sysConn) sendICMP(s Step) (netip.AddrPort, error) {
	// Where the OS has an ICMP API for unprivileged users (Windows), it goes
	// first; sockets are the fallback.
	if sent, err := sendICMPEcho(c.remote, s.Payload.Data); err != nil {
		return netip.AddrPort{}, err
	} else if sent {
		return netip.AddrPortFrom(c.local, 0), nil
	}
	sock, err := takeOrOpen(&c.nextICMP, c.openICMP)
	if err != nil {
		return netip.AddrPort{}, err
	}
	var typ icmp.Type = ipv4.ICMPTypeEcho
	if c.remote.Is6() {
		typ = ipv6.ICMPTypeEchoRequest
	}
	c.icmpID++
	msg := icmp.Message{Type: typ, Body: &icmp.Echo{
		// Ping sockets replace the identifier with their own; raw ones keep it.
		ID:   int(c.icmpID),
		Seq:  1,
		Data: s.Payload.Data,
	}}
	// The checksum argument only matters for ICMPv6 over raw sockets, where
	// the kernel fills the checksum in anyway.
	b, err := msg.Marshal(nil)
	if err != nil {
		return netip.AddrPort{}, err
	}
	var dst net.Addr = &net.UDPAddr{IP: c.remote.AsSlice(), Zone: c.remote.Zone()}
	if sock.raw {
		dst = &net.IPAddr{IP: c.remote.AsSlice(), Zone: c.remote.Zone()}
	}
	if _, err := sock.conn.WriteTo(b, dst); err != nil {
		return netip.AddrPort{}, unwrapSyscall(err)
	}
	c.nextICMP, _ = c.openICMP()
	return netip.AddrPortFrom(c.local, 0), nil
}

// openICMP prefers an unprivileged ping socket and falls back to a raw one.
func (c *sysConn) openICMP() (*icmpSocket, error) {
	dgram, rawNet := "udp4", "ip4:icmp"
	if c.remote.Is6() {
		dgram, rawNet = "udp6", "ip6:ipv6-icmp"
	}
	pc, err := icmp.ListenPacket(dgram, "")
	raw := false
	if err != nil {
		var rawErr error
		if pc, rawErr = icmp.ListenPacket(rawNet, ""); rawErr != nil {
			if errors.Is(err, os.ErrPermission) || errors.Is(rawErr, os.ErrPermission) {
				return nil, ErrICMPNotPermitted
			}
			return nil, fmt.Errorf("cannot open an ICMP socket: %w", unwrapSyscall(rawErr))
		}
		raw = true
	}
	c.sockets = append(c.sockets, pc)
	return &icmpSocket{pc, raw}, nil
}

func (c *sysConn) Close() error {
	var errs []error
	for _, s := range c.sockets {
		errs = append(errs, s.Close())
	}
	c.sockets = nil
	return errors.Join(errs...)
}

// isUnanswered reports a connection attempt that was refused or timed out:
// the SYN left, which is all a knock or a closed-port probe needs to know.
func isUnanswered(err error) bool {
	if isAny(err, closedPort) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isAny(err error, targets []error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// unwrapSyscall trims Go's "dial tcp 1.2.3.4:5: connect:" prefixes down to
// the operating system's own words, which are what the user can act on.
func unwrapSyscall(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}
