// Package demorouter is a pretend router for trying Knocker on one machine,
// without root and without a network beyond loopback. It plays the rules
// knock/routerconf writes: it listens for a profile's knock steps (UDP with
// its payload, TCP connection attempts), keeps stage lists and a final
// address list with their timeouts, and guards a TCP "service" port that
// only sources on the final list may connect to.
//
// It is a demonstration, not a firewall or any kind of security product: it
// guards nothing but its own toy service.
package demorouter

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/routerconf"
	"github.com/knocker/knocker/knock/schedule"
)

// Config describes the router to emulate.
type Config struct {
	Steps []knock.Step
	// Listen is the address every port is opened on; the zero value means
	// 127.0.0.1. Only loopback addresses are accepted unless AnyAddress is set.
	Listen     netip.Addr
	AnyAddress bool
	// ServicePort is the guarded TCP port; 0 lets the system choose one
	// (see Router.Service).
	ServicePort uint16
	// Timeout is how long the final list keeps a source; 0 means
	// routerconf.DefaultTimeout.
	Timeout time.Duration
	// StageTimeout is how long a stage list keeps a source; 0 means
	// routerconf's default, DefaultStageTimeout plus the longest delay.
	StageTimeout time.Duration
	// Name prefixes the list names, as in router-config; "" means "demo".
	Name string
	// OnEvent receives every event, one at a time and in order, while the
	// router's lock is held: it must return quickly and not call the Router.
	OnEvent func(Event)
	// Clock is the router's time; nil means the system clock.
	Clock schedule.Clock
}

// Router is a running demo router.
type Router struct {
	m       *machine
	service *service
	sockets []interface{ Close() error }
	wg      sync.WaitGroup
	once    sync.Once
}

// ErrICMP is returned for ICMP steps: seeing an incoming echo request needs
// a raw socket, and so root, which the demo does without.
var ErrICMP = errors.New("the demo router cannot see ICMP steps without root (incoming echo requests need a raw socket); use udp or tcp steps")

// Start checks cfg and opens every socket; the router runs until Close.
func Start(cfg Config) (*Router, error) {
	if err := check(&cfg); err != nil {
		return nil, err
	}
	svc, err := listenService(netip.AddrPortFrom(cfg.Listen, cfg.ServicePort))
	if err != nil {
		return nil, err
	}
	r := &Router{service: svc}
	clock := cfg.Clock
	if clock == nil {
		clock = schedule.RealClock{}
	}
	emit := cfg.OnEvent
	if emit == nil {
		emit = func(Event) {}
	}
	r.m = newMachine(clock, cfg.Steps, cfg.Name, cfg.StageTimeout, cfg.Timeout, emit,
		func(allowed []netip.Addr) error { return svc.follow(len(allowed) > 0) })
	r.serve(func() { svc.accept(func(src netip.Addr) bool { return r.m.admit(svc.addr.Port(), src) }, r.greet) })
	if err := r.listenSteps(cfg); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// check fills in cfg's defaults and rejects what the demo cannot play.
func check(cfg *Config) error {
	if len(cfg.Steps) == 0 {
		return knock.ErrNoSteps
	}
	if !cfg.Listen.IsValid() {
		cfg.Listen = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	cfg.Listen = cfg.Listen.Unmap()
	if !cfg.Listen.IsLoopback() && !cfg.AnyAddress {
		return fmt.Errorf("refusing to listen on %v: the demo router stays on loopback (127.0.0.1 or ::1) unless asked to listen elsewhere", cfg.Listen)
	}
	if cfg.Name == "" {
		cfg.Name = "demo"
	}
	// routerconf checks names, steps, timeouts and delays as real router
	// rules need them, so the demo refuses what router-config would.
	family := knock.IPv4
	if cfg.Listen.Is6() {
		family = knock.IPv6
	}
	if _, err := routerconf.NFTables(routerconf.Spec{
		Name: cfg.Name, Steps: cfg.Steps, Timeout: cfg.Timeout, StageTimeout: cfg.StageTimeout,
		Protect: routerconf.Protect{Proto: knock.TCP, Port: max(cfg.ServicePort, 1)}, Family: family,
	}); err != nil {
		return err
	}
	var maxDelay time.Duration
	for i, s := range cfg.Steps {
		if s.Proto == knock.ICMP {
			return &knock.StepError{Index: i, Err: ErrICMP}
		}
		if s.Proto == knock.TCP && s.Port == cfg.ServicePort {
			return &knock.StepError{Index: i, Err: fmt.Errorf("tcp/%d is also the service port; pick another one", s.Port)}
		}
		if i > 0 {
			maxDelay = max(maxDelay, s.Delay)
		}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = routerconf.DefaultTimeout
	}
	if cfg.StageTimeout == 0 {
		cfg.StageTimeout = routerconf.DefaultStageTimeout + maxDelay
	}
	return nil
}

// listenSteps opens one socket per protocol and port the steps use.
func (r *Router) listenSteps(cfg Config) error {
	type key struct {
		proto knock.Proto
		port  uint16
	}
	seen := map[key]bool{}
	for _, s := range cfg.Steps {
		k := key{s.Proto, s.Port}
		if seen[k] {
			continue
		}
		seen[k] = true
		addr := netip.AddrPortFrom(cfg.Listen, s.Port)
		switch s.Proto {
		case knock.UDP:
			c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
			if err != nil {
				return fmt.Errorf("knock port udp/%d: %w", s.Port, err)
			}
			r.sockets = append(r.sockets, c)
			r.serve(func() { r.readUDP(c, s.Port) })
		case knock.TCP:
			ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(addr))
			if err != nil {
				return fmt.Errorf("knock port tcp/%d: %w", s.Port, err)
			}
			r.sockets = append(r.sockets, ln)
			r.serve(func() { r.accept(ln, s.Port) })
		}
	}
	return nil
}

func (r *Router) serve(loop func()) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		loop()
	}()
}

func (r *Router) readUDP(c *net.UDPConn, port uint16) {
	buf := make([]byte, 1<<16)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // e.g. a datagram truncated by the OS: not a knock
		}
		r.m.packet(knock.UDP, port, from.Addr().Unmap(), buf[:n])
	}
}

// accept serves a TCP knock port: a connection attempt is the step, the
// handshake proving that the SYN came.
func (r *Router) accept(ln *net.TCPListener, port uint16) {
	for {
		c, err := ln.AcceptTCP()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			time.Sleep(10 * time.Millisecond) // e.g. out of file descriptors: let some close
			continue
		}
		src := c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr().Unmap()
		c.Close()
		r.m.packet(knock.TCP, port, src, nil)
	}
}

// greet tells a listed source where it stands; a real service would start here.
func (r *Router) greet(c net.Conn, src netip.Addr) {
	c.SetWriteDeadline(time.Now().Add(time.Second))
	fmt.Fprintf(c, "Knocker demo service: %s is on address list %s. Nothing else to see here.\r\n", src, r.m.finalList())
}

// Service is the guarded TCP port's address.
func (r *Router) Service() netip.AddrPort { return r.service.addr }

// FinalList is the name of the address list the service accepts.
func (r *Router) FinalList() string { return r.m.finalList() }

// Close stops listening and waits for the router's goroutines to end.
func (r *Router) Close() error {
	var errs []error
	r.once.Do(func() {
		r.m.close()
		errs = append(errs, r.service.close())
		for _, s := range r.sockets {
			errs = append(errs, s.Close())
		}
		r.wg.Wait()
	})
	return errors.Join(errs...)
}
