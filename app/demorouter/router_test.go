package demorouter

import (
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testnet"
	"github.com/knocker/knocker/knock"
)

// recorder keeps a running router's events for the test to wait on.
type recorder struct {
	mu     sync.Mutex
	events []Event
	cond   *sync.Cond
}

func newRecorder() *recorder {
	r := &recorder{}
	r.cond = sync.NewCond(&r.mu)
	return r
}

func (r *recorder) add(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	r.cond.Broadcast()
}

// waitFor waits until an event of kind on list (any list when "") has come.
func (r *recorder) waitFor(t *testing.T, kind Kind, list string, within time.Duration) Event {
	t.Helper()
	deadline := time.AfterFunc(within, r.cond.Broadcast)
	defer deadline.Stop()
	end := time.Now().Add(within)
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		for _, e := range r.events {
			if e.Kind == kind && (list == "" || e.List == list) {
				return e
			}
		}
		if time.Now().After(end) {
			t.Fatalf("no %v event on %q within %v; got:\n%s", kind, list, within, r.dump())
		}
		r.cond.Wait()
	}
}

func (r *recorder) dump() string {
	var b strings.Builder
	for _, e := range r.events {
		b.WriteString("  " + e.String() + "\n")
	}
	return b.String()
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dump()
}

func startRouter(t *testing.T, cfg Config) (*Router, *recorder) {
	t.Helper()
	rec := newRecorder()
	cfg.OnEvent = rec.add
	r, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, rec
}

// dialService connects to the service from src and reads its greeting; an
// error means the service stayed shut to src.
func dialService(r *Router, src netip.Addr, within time.Duration) (string, error) {
	d := net.Dialer{Timeout: within, LocalAddr: &net.TCPAddr{IP: src.AsSlice()}}
	c, err := d.Dial("tcp", r.Service().String())
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(within))
	b, err := io.ReadAll(c)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// handshake reports whether a connect to the service succeeds, which is all
// a client's check (knocker send --verify) looks at.
func handshake(r *Router, within time.Duration) bool {
	c, err := net.DialTimeout("tcp", r.Service().String(), within)
	if err == nil {
		c.Close()
	}
	return err == nil
}

// The service drops everyone's SYN before a knock, greets a listed source,
// resets another loopback source at once, and shuts again when the list expires.
func TestServiceGate(t *testing.T) {
	port := testnet.FreePort(t)
	r, rec := startRouter(t, Config{Steps: steps(t, strconv.Itoa(int(port))+":udp=demo"), Timeout: 1500 * time.Millisecond})
	if handshake(r, 300*time.Millisecond) {
		t.Fatal("the service completed a handshake before any knock")
	}
	c, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: alice.AsSlice(), Port: int(port)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("demo"))
	rec.waitFor(t, ListAdded, "demo-allow", 2*time.Second)
	greeting, err := dialService(r, alice, 2*time.Second)
	if err != nil || !strings.Contains(greeting, "127.0.0.1 is on address list demo-allow") {
		t.Fatalf("a listed source got %q, %v", greeting, err)
	}
	rec.waitFor(t, Accepted, "demo-allow", time.Second)
	if _, err := dialService(r, bob, 300*time.Millisecond); err == nil {
		t.Error("an unlisted source got in while another was listed")
	}
	rec.waitFor(t, Refused, "demo-allow", time.Second)
	rec.waitFor(t, ListExpired, "demo-allow", 3*time.Second)
	if handshake(r, 300*time.Millisecond) {
		t.Error("the service still completed a handshake after the list expired")
	}
}

// Over IPv6 loopback too: the knock, the list and the service.
func TestIPv6Loopback(t *testing.T) {
	ln, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skip("no IPv6 loopback here:", err)
	}
	port := ln.LocalAddr().(*net.UDPAddr).Port
	ln.Close()
	r, rec := startRouter(t, Config{Steps: steps(t, strconv.Itoa(port)+":udp=six"), Listen: netip.IPv6Loopback()})
	if handshake(r, 300*time.Millisecond) {
		t.Fatal("the service completed a handshake before any knock")
	}
	c, err := net.DialUDP("udp6", nil, &net.UDPAddr{IP: net.IPv6loopback, Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("six"))
	if e := rec.waitFor(t, ListAdded, "demo-allow", 2*time.Second); e.Source != netip.IPv6Loopback() {
		t.Errorf("listed %v, want ::1", e.Source)
	}
	if greeting, err := dialService(r, netip.IPv6Loopback(), 2*time.Second); err != nil || !strings.Contains(greeting, "::1 is on") {
		t.Errorf("the listed source got %q, %v", greeting, err)
	}
}

func TestStartRefuses(t *testing.T) {
	port := testnet.FreePort(t)
	udp := steps(t, strconv.Itoa(int(port))+":udp=x")
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no steps", Config{}, "no knock steps"},
		{"icmp", Config{Steps: steps(t, strconv.Itoa(int(port))+":udp=x", "icmp=ping")}, "step 2: the demo router cannot see ICMP"},
		{"non-loopback", Config{Steps: udp, Listen: netip.MustParseAddr("192.0.2.1")}, "refusing to listen on 192.0.2.1"},
		{"unspecified", Config{Steps: udp, Listen: netip.IPv4Unspecified()}, "refusing to listen on 0.0.0.0"},
		{"tcp step on the service port", Config{Steps: steps(t, strconv.Itoa(int(port))), ServicePort: port}, "is also the service port"},
		{"stage timeout shorter than a delay", Config{Steps: []knock.Step{udp[0], {Proto: knock.UDP, Port: port, Delay: 5 * time.Second}}, StageTimeout: time.Second}, "stage timeout 1s is too short"},
		{"bad list name", Config{Steps: udp, Name: "9 lives"}, "name must be a letter"},
		{"negative timeout", Config{Steps: udp, Timeout: -time.Second}, "timeout must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Start(tc.cfg)
			if err == nil {
				r.Close()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

// An accept that had passed its deadline check as the port shut takes the
// plug out of the queue; the port must stay shut all the same.
func TestShutPortSurvivesAnAcceptThatTookThePlug(t *testing.T) {
	s, err := listenService(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 0))
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	s.ln.SetDeadline(time.Time{}) // the late accept, as if its check came before the deadline
	c, err := s.ln.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	s.ln.SetDeadline(time.Unix(1, 0))
	if !s.dropPlug(c) {
		t.Fatal("the connection in the shut port's queue was not the plug")
	}
	conn, err := net.DialTimeout("tcp", s.addr.String(), 300*time.Millisecond)
	if err == nil {
		conn.Close()
		t.Fatal("a handshake completed on the shut port once its plug was taken")
	}
}
