// Package e2e drives the built knocker binary the way a user's shell or
// script does, against real listeners and (as root) real firewalls in
// network namespaces the tests create.
package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/icmp"

	"github.com/knocker/knocker/internal/testbin"
)

// noDisplay runs the CLI as over SSH: no X11 or Wayland to talk to.
var noDisplay = []string{"DISPLAY=", "WAYLAND_DISPLAY="}

// arrival is one packet or connection a loopback listener saw.
type arrival struct {
	what string // "udp:<payload>" or "tcp"
	at   time.Time
}

// recorder listens for UDP and TCP on one loopback address and records
// everything that arrives, in order.
type recorder struct {
	udp      *net.UDPConn
	tcp      net.Listener
	arrivals chan arrival
}

func newRecorder(t *testing.T, ip string, udpPort int) *recorder {
	t.Helper()
	u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip), Port: udpPort})
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		u.Close()
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	r := &recorder{udp: u, tcp: l, arrivals: make(chan arrival, 64)}
	t.Cleanup(func() { u.Close(); l.Close() })
	go func() {
		buf := make([]byte, 65536)
		stamped := newStampedUDP(u)
		for {
			n, at, err := stamped.read(buf)
			if err != nil {
				return
			}
			r.arrivals <- arrival{"udp:" + string(buf[:n]), at}
		}
	}()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			r.arrivals <- arrival{"tcp", connectedAt(c)}
			c.Close()
		}
	}()
	return r
}

func (r *recorder) udpPort() int { return r.udp.LocalAddr().(*net.UDPAddr).Port }
func (r *recorder) tcpPort() int { return r.tcp.Addr().(*net.TCPAddr).Port }

// stampResolution is how far apart two arrivals must be for their order to
// show: a TCP handshake's time comes in the kernel's ticks (connectedAt), so
// a connect made right after a datagram can carry an earlier time.
const stampResolution = 10 * time.Millisecond

// expect waits for exactly the given arrivals, in order, and then for silence.
// Order is by arrival time (the kernel's: of the datagram for UDP, of the
// handshake for TCP), not by which listening goroutine happened to run first;
// arrivals closer than stampResolution may come in either order.
func (r *recorder) expect(t *testing.T, want ...string) []arrival {
	t.Helper()
	var got []arrival
	for len(got) < len(want) {
		select {
		case a := <-r.arrivals:
			got = append(got, a)
		case <-time.After(5 * time.Second):
			t.Fatalf("got %v, still waiting for %v", got, want[len(got):])
		}
	}
	select {
	case a := <-r.arrivals:
		t.Fatalf("unexpected extra arrival %q after %v", a.what, got)
	case <-time.After(100 * time.Millisecond):
	}
	if i, ok := inOrder(got, want); !ok {
		t.Fatalf("arrival %d = %q, want %q (all: %v)", i, got[i].what, want[i], got)
	}
	return got
}

// inOrder sorts got by time, swapping arrivals closer than stampResolution
// where want has them the other way, and reports whether got is then want;
// if not, i is the first arrival that differs.
func inOrder(got []arrival, want []string) (i int, ok bool) {
	slices.SortStableFunc(got, func(a, b arrival) int { return a.at.Compare(b.at) })
	for i = range want {
		j := i
		for j < len(got) && got[j].what != want[i] && got[j].at.Sub(got[i].at) <= stampResolution {
			j++
		}
		if j == len(got) || got[j].what != want[i] || got[j].at.Sub(got[i].at) > stampResolution {
			return i, false
		}
		match := got[j]
		copy(got[i+1:j+1], got[i:j])
		got[i] = match
	}
	return 0, true
}

// The seed's knock: nping --udp -p 1234 --data-string test HOST.
func TestSeedKnock(t *testing.T) {
	r := newRecorder(t, "127.0.0.1", 1234)
	res := testbin.Run(t, noDisplay, "send", "127.0.0.1", "1234:udp=test")
	if res.Code != 0 || res.Stderr != "" || res.Stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", res.Code, res.Stdout, res.Stderr)
	}
	r.expect(t, "udp:test")
}

func TestSendMixedSequenceInOrder(t *testing.T) {
	for _, ip := range []string{"127.0.0.1", "::1"} {
		t.Run(ip, func(t *testing.T) {
			r := newRecorder(t, ip, 0)
			u, p := r.udpPort(), r.tcpPort()
			steps := []string{
				fmt.Sprintf("%d:udp=one", u),
				fmt.Sprintf("%d:tcp", p),
				fmt.Sprintf("%d:udp=hex:00ff0a", u),
				fmt.Sprint(p), // bare port: TCP, as in knock
				fmt.Sprintf("%d:udp=base64:dGVzdA==", u),
			}
			args := append([]string{"send", "-d", "40ms", ip}, steps...)
			res := testbin.Run(t, noDisplay, args...)
			if res.Code != 0 {
				t.Fatalf("exit %d: %s", res.Code, res.Stderr)
			}
			got := r.expect(t, "udp:one", "tcp", "udp:\x00\xff\n", "tcp", "udp:test")
			// UDP arrivals carry the kernel's receive time. The engine keeps
			// 80 ms between the moments it decides to send steps i-2 and i;
			// a sender preempted just before a sendto can shift that by a
			// little, so 10 ms of slack, far from a lost delay (40 ms).
			for i := 2; i < len(got); i += 2 {
				if gap := got[i].at.Sub(got[i-2].at); gap < 70*time.Millisecond {
					t.Errorf("UDP steps %d and %d came %v apart; the two 40ms delays were not kept", i-2, i, gap)
				}
			}
		})
	}
}

func TestSendExitCodes(t *testing.T) {
	r := newRecorder(t, "127.0.0.1", 0)
	closed := func() int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}()
	step := fmt.Sprintf("%d:udp=test", r.udpPort())
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
		knocks int
	}{
		{"verified open", []string{"send", "--verify", fmt.Sprint(r.tcpPort()), "127.0.0.1", step}, 0, "", 1},
		{"still closed", []string{"send", "--verify", fmt.Sprint(closed), "--verify-timeout", "200ms", "127.0.0.1", step}, 1, "still closed after 1 knock", 1},
		{"bad port", []string{"send", "127.0.0.1", "70000"}, 2, "port 70000 is out of range", 0},
		// .onion names fail without a DNS query (RFC 7686), keeping tests off the network.
		{"unknown host", []string{"send", "nowhere.onion", step}, 2, "cannot resolve", 0},
		{"no steps", []string{"send", "127.0.0.1"}, 2, "missing steps", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := testbin.Run(t, noDisplay, tt.args...)
			if res.Code != tt.code || !strings.Contains(res.Stderr, tt.stderr) || strings.Count(res.Stderr, "\n") > 1 {
				t.Fatalf("exit %d stderr %q, want %d and %q on one line", res.Code, res.Stderr, tt.code, tt.stderr)
			}
			want := []string{}
			for range tt.knocks {
				want = append(want, "udp:test")
			}
			if tt.name == "verified open" {
				want = append(want, "tcp") // the verification connect itself
			}
			r.expect(t, want...)
		})
	}
}

// icmpListener sees the ICMP on 127.0.0.1, or skips the test where ICMP
// knocks are not allowed.
func icmpListener(t *testing.T) *icmp.PacketConn {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("ICMP knocks need root or CAP_NET_RAW here (ping_group_range is closed); CI runs as root")
	}
	ln, err := icmp.ListenPacket("ip4:icmp", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func TestSendICMP(t *testing.T) {
	ln := icmpListener(t)
	res := testbin.Run(t, noDisplay, "send", "127.0.0.1", "icmp=knock-icmp", "icmp=size:100")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	readEchoes(t, ln, [][]byte{[]byte("knock-icmp"), make([]byte, 100)})
}

// BenchmarkCLISendOneStep is the whole-process wall time of a one-step knock,
// as a script calling knocker would see it.
func BenchmarkCLISendOneStep(b *testing.B) {
	u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer u.Close()
	step := fmt.Sprintf("%d:udp=test", u.LocalAddr().(*net.UDPAddr).Port)
	testbin.Path(b) // build outside the timed loop
	for b.Loop() {
		if res := testbin.Run(b, noDisplay, "send", "127.0.0.1", step); res.Code != 0 {
			b.Fatalf("exit %d: %s", res.Code, res.Stderr)
		}
	}
}

// Ctrl+C in the middle of a long sequence ends the process at once.
func TestSendInterrupt(t *testing.T) {
	r := newRecorder(t, "127.0.0.1", 0)
	port := fmt.Sprint(r.udpPort())
	cmd := exec.Command(testbin.Path(t), "send", "-u", "-d", "1h", "127.0.0.1", port, port)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.expect(t, "udp:\x00") // the first step, knock's one zero byte, went out; the second waits an hour
	interrupted := time.Now()
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	took := time.Since(interrupted)
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 || stderr.String() != "knocker send: interrupted\n" {
		t.Fatalf("err %v, stderr %q; want exit 1 and an interrupted message", err, stderr.String())
	}
	if took > time.Minute { // the second step waits an hour
		t.Fatalf("took %v to stop after SIGINT", took)
	}
}
