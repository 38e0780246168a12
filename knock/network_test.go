package knock

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// loopbacks are the addresses real-socket tests may use; ::1 is skipped where
// the kernel has IPv6 off.
var loopbacks = []string{"127.0.0.1", "::1"}

func listenUDP(t *testing.T, ip string) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Skipf("cannot listen on %s (IPv6 off?): %v", ip, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSystemNetworkUDP(t *testing.T) {
	for _, ip := range loopbacks {
		t.Run(ip, func(t *testing.T) {
			ln := listenUDP(t, ip)
			port := ln.LocalAddr().(*net.UDPAddr).AddrPort().Port()
			steps := []Step{
				{Proto: UDP, Port: port, Payload: Payload{Data: []byte("test")}},
				{Proto: UDP, Port: port, Payload: Payload{Data: []byte{0, 0xff, '\n'}, Encoding: Hex}},
				{Proto: UDP, Port: port, Payload: Payload{Data: make([]byte, 1400), Encoding: Size}},
				{Proto: UDP, Port: port}, // an empty datagram is a valid knock too
			}
			var events []StepEvent
			k := Knocker{Hooks: Hooks{StepSent: func(e StepEvent) { events = append(events, e) }}}
			if _, err := k.Knock(context.Background(), ip, steps); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 2000)
			sources := map[uint16]int{}
			for i, s := range steps {
				ln.SetReadDeadline(time.Now().Add(5 * time.Second))
				n, from, err := ln.ReadFromUDPAddrPort(buf)
				if err != nil {
					t.Fatalf("datagram %d: %v", i, err)
				}
				if !bytes.Equal(buf[:n], s.Payload.Data) {
					t.Errorf("datagram %d = %x, want %x", i, buf[:n], s.Payload.Data)
				}
				if got := netip.AddrPortFrom(from.Addr().Unmap(), from.Port()); got != events[i].Local {
					t.Errorf("datagram %d came from %v, event says %v", i, got, events[i].Local)
				}
				// Each step is its own connection to a router that tracks
				// them, as with knock(1): a new source port every time.
				if j, seen := sources[from.Port()]; seen {
					t.Errorf("datagrams %d and %d both came from port %d", j, i, from.Port())
				}
				sources[from.Port()] = i
			}
		})
	}
}

func TestSystemNetworkTCP(t *testing.T) {
	for _, ip := range loopbacks {
		t.Run(ip, func(t *testing.T) {
			ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
			if err != nil {
				t.Skipf("cannot listen on %s: %v", ip, err)
			}
			defer ln.Close()
			open := ln.Addr().(*net.TCPAddr).AddrPort().Port()
			closed := closedTCPPort(t, ip)
			accepted := make(chan netip.AddrPort, 4)
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					ap := c.RemoteAddr().(*net.TCPAddr).AddrPort()
					accepted <- netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
					c.Close()
				}
			}()
			var events []StepEvent
			k := Knocker{Hooks: Hooks{StepSent: func(e StepEvent) { events = append(events, e) }}}
			// A closed port between two open ones: refused SYNs are ordinary knocks.
			steps := []Step{{Proto: TCP, Port: open}, {Proto: TCP, Port: closed}, {Proto: TCP, Port: open}}
			if _, err := k.Knock(context.Background(), ip, steps); err != nil {
				t.Fatal(err)
			}
			for _, i := range []int{0, 2} {
				select {
				case from := <-accepted:
					if from != events[i].Local {
						t.Errorf("connection from %v, event %d says %v", from, i, events[i].Local)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("listener saw no SYN for step %d", i+1)
				}
			}
		})
	}
}

// closedTCPPort returns a port on ip that nothing listens on.
func closedTCPPort(t *testing.T, ip string) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).AddrPort().Port()
	ln.Close()
	return port
}

func TestSystemNetworkProbe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	n := SystemNetwork{}
	open, err := n.Probe(context.Background(), ln.Addr().(*net.TCPAddr).AddrPort(), time.Second)
	if !open || err != nil {
		t.Fatalf("listening port: open=%v err=%v", open, err)
	}
	closed := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), closedTCPPort(t, "127.0.0.1"))
	open, err = n.Probe(context.Background(), closed, time.Second)
	if open || err != nil {
		t.Fatalf("closed port: open=%v err=%v", open, err)
	}
}

// ICMP on loopback needs a raw socket here (ping_group_range is closed), so
// it runs as root; the kernel answers the echo, and a raw listener sees our
// request with its payload.
func TestSystemNetworkICMP(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("ICMP steps on loopback need root or CAP_NET_RAW; run as root (make test in CI does)")
	}
	tests := []struct {
		ip, listen string
		request    icmp.Type
		proto      int
	}{
		{"127.0.0.1", "ip4:icmp", ipv4.ICMPTypeEcho, 1},
		{"::1", "ip6:ipv6-icmp", ipv6.ICMPTypeEchoRequest, 58},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			ln, err := icmp.ListenPacket(tt.listen, tt.ip)
			if err != nil {
				t.Skipf("cannot listen for ICMP on %s: %v", tt.ip, err)
			}
			defer ln.Close()
			payload := []byte("knock-\x00\xff-" + tt.ip)
			steps := []Step{{Proto: ICMP, Payload: Payload{Data: payload}}, {Proto: ICMP, Payload: Payload{Data: make([]byte, 64), Encoding: Size}}}
			if _, err := (&Knocker{}).Knock(context.Background(), tt.ip, steps); err != nil {
				t.Fatal(err)
			}
			ids := expectEchoes(t, ln, tt.proto, tt.request, payload, make([]byte, 64))
			// Connection tracking tells echoes apart by identifier only.
			if len(ids) != len(steps) {
				t.Errorf("%d echo requests carried %d identifiers, want one each", len(steps), len(ids))
			}
		})
	}
}

// Knocking a closed UDP port makes the kernel answer with ICMP port
// unreachable; on a connected socket that would fail the next write.
func TestSystemNetworkUDPClosedPortDoesNotFailNextStep(t *testing.T) {
	ln := listenUDP(t, "127.0.0.1")
	closed := ln.LocalAddr().(*net.UDPAddr).AddrPort().Port()
	ln.Close()
	step := Step{Proto: UDP, Port: closed, Payload: Payload{Data: []byte("x")}}
	second := step
	second.Delay = 20 * time.Millisecond // time for the port-unreachable to come back
	third := second
	if _, err := (&Knocker{}).Knock(context.Background(), "127.0.0.1", []Step{step, second, third}); err != nil {
		t.Fatalf("knocking a closed UDP port failed: %v", err)
	}
}
