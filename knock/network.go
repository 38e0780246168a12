package knock

import (
	"context"
	"errors"
	"fmt"
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
var ErrICMPNotPermitted = errors.New("ICMP steps need root or CAP_NET_RAW, " +
	"or unprivileged ping allowed for your group (sysctl net.ipv4.ping_group_range)")

// Open finds the local address the route to remote uses, which also fails
// early and clearly when there is no route at all.
func (n SystemNetwork) Open(ctx context.Context, remote netip.Addr) (Conn, error) {
	// A connected UDP socket sends nothing; connecting only asks the kernel for a route.
	probe, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(remote, 9)))
	if err != nil {
		return nil, fmt.Errorf("no route to %v: %w", remote, unwrapSyscall(err))
	}
	local := probe.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
	probe.Close()
	wait := n.TCPWait
	if wait <= 0 {
		wait = DefaultTCPWait
	}
	return &sysConn{remote: remote, local: local, tcpWait: wait}, nil
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
	udp     *net.UDPConn
	icmp    *icmp.PacketConn
	icmpRaw bool
	seq     int
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

// sendUDP writes from an unconnected socket: on a connected one an ICMP
// port-unreachable from the router would fail the next step's write.
func (c *sysConn) sendUDP(s Step) (netip.AddrPort, error) {
	if c.udp == nil {
		network := "udp4"
		if c.remote.Is6() {
			network = "udp6"
		}
		u, err := net.ListenUDP(network, nil)
		if err != nil {
			return netip.AddrPort{}, unwrapSyscall(err)
		}
		c.udp = u
	}
	if _, err := c.udp.WriteToUDPAddrPort(s.Payload.Data, netip.AddrPortFrom(c.remote, s.Port)); err != nil {
		return netip.AddrPort{}, unwrapSyscall(err)
	}
	port := c.udp.LocalAddr().(*net.UDPAddr).AddrPort().Port()
	return netip.AddrPortFrom(c.local, port), nil
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

func (c *sysConn) sendICMP(s Step) (netip.AddrPort, error) {
	if c.icmp == nil {
		if err := c.openICMP(); err != nil {
			return netip.AddrPort{}, err
		}
	}
	c.seq++
	var typ icmp.Type = ipv4.ICMPTypeEcho
	if c.remote.Is6() {
		typ = ipv6.ICMPTypeEchoRequest
	}
	msg := icmp.Message{Type: typ, Body: &icmp.Echo{
		// Unprivileged sockets replace the ID with their own; raw ones keep it.
		ID:   os.Getpid() & 0xffff,
		Seq:  c.seq & 0xffff,
		Data: s.Payload.Data,
	}}
	// The checksum argument only matters for ICMPv6 over raw sockets, where
	// the kernel fills the checksum in anyway.
	b, err := msg.Marshal(nil)
	if err != nil {
		return netip.AddrPort{}, err
	}
	var dst net.Addr = &net.UDPAddr{IP: c.remote.AsSlice(), Zone: c.remote.Zone()}
	if c.icmpRaw {
		dst = &net.IPAddr{IP: c.remote.AsSlice(), Zone: c.remote.Zone()}
	}
	if _, err := c.icmp.WriteTo(b, dst); err != nil {
		return netip.AddrPort{}, unwrapSyscall(err)
	}
	return netip.AddrPortFrom(c.local, 0), nil
}

// openICMP prefers an unprivileged ping socket and falls back to a raw one.
func (c *sysConn) openICMP() error {
	dgram, raw := "udp4", "ip4:icmp"
	if c.remote.Is6() {
		dgram, raw = "udp6", "ip6:ipv6-icmp"
	}
	pc, err := icmp.ListenPacket(dgram, "")
	if err == nil {
		c.icmp = pc
		return nil
	}
	pc, rawErr := icmp.ListenPacket(raw, "")
	if rawErr == nil {
		c.icmp, c.icmpRaw = pc, true
		return nil
	}
	if errors.Is(err, os.ErrPermission) || errors.Is(rawErr, os.ErrPermission) {
		return ErrICMPNotPermitted
	}
	return fmt.Errorf("cannot open an ICMP socket: %w", unwrapSyscall(rawErr))
}

func (c *sysConn) Close() error {
	var errs []error
	if c.udp != nil {
		errs = append(errs, c.udp.Close())
	}
	if c.icmp != nil {
		errs = append(errs, c.icmp.Close())
	}
	return errors.Join(errs...)
}

// isUnanswered reports a connection attempt that was refused or timed out:
// the SYN left, which is all a knock or a closed-port probe needs to know.
func isUnanswered(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
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
