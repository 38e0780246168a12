package demorouter

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// service is the guarded TCP port. Nothing short of a firewall can refuse a
// handshake source by source: a listener that completed every handshake
// would tell an unlisted client "open" before any reset, and one opened only
// once a source is listed would refuse the check a client sends right behind
// its last step, as that check often beats the router to the list.
//
// So the port stays listening, and while nobody is listed it is shut the way
// the rule "action=drop" shuts it: its accept queue is capped at zero and
// filled by one connection of the router's own (the plug), so the system
// drops every SYN unanswered. A client that knocked a moment before its SYN
// was dropped gets in on the SYN's retry. While the port is open, the system
// takes every handshake and accept resets unlisted sources at once.
type service struct {
	ln   *net.TCPListener
	addr netip.AddrPort

	mu     sync.Mutex
	open   bool
	opened chan struct{}           // closed when the port opens
	plug   net.Conn                // the router's own connection while shut; nil if the queue was full already
	plugs  map[netip.AddrPort]bool // plugs' own addresses, until accept has dropped their server side
}

// plugWait bounds the plug's connect; on loopback it completes at once
// unless the queue is already full, which shuts the port all the same.
const plugWait = 200 * time.Millisecond

func listenService(addr netip.AddrPort) (*service, error) {
	ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(addr))
	if err != nil {
		return nil, fmt.Errorf("service port: %w", err)
	}
	s := &service{ln: ln, addr: unmapped(ln.Addr().(*net.TCPAddr).AddrPort()), open: true, plugs: map[netip.AddrPort]bool{}}
	if err := s.follow(false); err != nil {
		ln.Close()
		return nil, fmt.Errorf("service port: %w", err)
	}
	return s, nil
}

// follow opens or shuts the port.
func (s *service) follow(open bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if open == s.open {
		return nil
	}
	if open {
		if err := setBacklog(s.ln, 4096); err != nil { // the system caps it at its own limit
			return err
		}
		s.ln.SetDeadline(time.Time{})
		s.open = true
		close(s.opened)
		s.unplug()
		return nil
	}
	// Accept must stop before the plug goes in, or it would take it out;
	// one already past its deadline check puts a new one in (replug).
	s.ln.SetDeadline(time.Unix(1, 0))
	if err := setBacklog(s.ln, 0); err != nil {
		return err
	}
	if err := s.plugIn(); err != nil {
		return err
	}
	s.open = false
	s.opened = make(chan struct{})
	return nil
}

// plugIn fills the shut port's accept queue with a connection of the
// router's own. Called with s.mu held.
func (s *service) plugIn() error {
	s.unplug()
	plug, err := net.DialTimeout("tcp", s.addr.String(), plugWait)
	var ne net.Error
	if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("cannot shut the port: %w", err)
	}
	if plug != nil {
		s.plug = plug
		s.plugs[unmapped(plug.LocalAddr().(*net.TCPAddr).AddrPort())] = true
	}
	return nil
}

// dropPlug closes c if it is the server side of a plug, and reports so. A
// plug taken out of a shut port is replaced: an accept that had passed its
// deadline check when the port shut takes the next connection all the same,
// and without a plug the port would be open to all.
func (s *service) dropPlug(c *net.TCPConn) bool {
	if !s.isPlug(c.RemoteAddr().(*net.TCPAddr).AddrPort()) {
		return false
	}
	c.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.open {
		_ = s.plugIn() // had it failed, shutting the port would have said so
	}
	return true
}

// accept serves the port until it is closed: admit says whether a source may stay.
func (s *service) accept(admit func(netip.Addr) bool, greet func(net.Conn, netip.Addr)) {
	for {
		c, err := s.ln.AcceptTCP()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			s.mu.Lock()
			opened, open := s.opened, s.open
			s.mu.Unlock()
			if !open {
				<-opened
			}
			continue
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			time.Sleep(10 * time.Millisecond) // e.g. out of file descriptors: let some close
			continue
		}
		if s.dropPlug(c) {
			continue
		}
		src := c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr().Unmap()
		if admit(src) {
			greet(c, src)
		} else {
			c.SetLinger(0) // a reset, not a polite close
		}
		c.Close()
	}
}

// unplug closes the plug's client side; accept drops its server side.
func (s *service) unplug() {
	if s.plug != nil {
		s.plug.Close()
		s.plug = nil
	}
}

// isPlug recognises the server side of a plug.
func (s *service) isPlug(remote netip.AddrPort) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	remote = unmapped(remote)
	if !s.plugs[remote] {
		return false
	}
	delete(s.plugs, remote)
	return true
}

// close stops the port; a parked accept loop is let go.
func (s *service) close() error {
	s.mu.Lock()
	if !s.open {
		close(s.opened)
		s.unplug()
		s.open = true
	}
	s.mu.Unlock()
	return s.ln.Close()
}

func unmapped(a netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(a.Addr().Unmap(), a.Port()) }
