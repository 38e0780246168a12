package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/internal/testnet"
)

// tcpPair is a connected pair over loopback: the relay's side and the
// server's side.
func tcpPair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.DialTCP("tcp", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	// A relay that fails to pass an end on fails the test instead of hanging it.
	server.SetDeadline(time.Now().Add(20 * time.Second))
	return client, server
}

// pipes are the relay's standard input and output as ssh gives them: OS pipes.
type pipes struct {
	stdin, stdout       *os.File // the relay's ends
	toStdin, fromStdout *os.File // the test's ends
}

func newPipes(t *testing.T) *pipes {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inR.Close(); inW.Close(); outR.Close(); outW.Close() })
	outR.SetReadDeadline(time.Now().Add(20 * time.Second))
	return &pipes{stdin: inR, stdout: outW, toStdin: inW, fromStdout: outR}
}

// startRelay runs relay in the background; the channel gets its result.
func startRelay(ctx context.Context, conn halfConn, p *pipes) <-chan error {
	done := make(chan error, 1)
	go func() { done <- relay(ctx, conn, p.stdin, p.stdout) }()
	return done
}

func readN(t *testing.T, r io.Reader, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatalf("reading %d bytes: %v", n, err)
	}
	return string(b)
}

func write(t *testing.T, w io.Writer, s string) {
	t.Helper()
	if _, err := io.WriteString(w, s); err != nil {
		t.Fatal(err)
	}
}

func stillRunning(t *testing.T, done <-chan error, when string) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("%s: the relay ended (%v) while the other direction was open", when, err)
	case <-time.After(50 * time.Millisecond):
	}
}

func finished(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the relay did not end after both directions closed")
		return nil
	}
}

// The server closing its side closes standard output while standard input
// still flows to it; then the end of standard input reaches the server as
// end of file, and the relay ends cleanly.
func TestRelayServerClosesFirst(t *testing.T) {
	client, server := tcpPair(t)
	p := newPipes(t)
	done := startRelay(context.Background(), client, p)

	write(t, p.toStdin, "hello")
	if got := readN(t, server, 5); got != "hello" {
		t.Fatalf("server got %q", got)
	}
	write(t, server, "world")
	server.CloseWrite()
	if got, err := io.ReadAll(p.fromStdout); err != nil || string(got) != "world" {
		t.Fatalf("standard output: %q, %v; want world, then end of file", got, err)
	}
	stillRunning(t, done, "after the server's half-close")
	write(t, p.toStdin, "more after your FIN")
	p.toStdin.Close()
	if got, err := io.ReadAll(server); err != nil || string(got) != "more after your FIN" {
		t.Fatalf("server then got %q, %v; want the rest, then end of file", got, err)
	}
	if err := finished(t, done); err != nil {
		t.Fatalf("relay: %v", err)
	}
}

// The end of standard input half-closes the connection; the server still
// answers after reading end of file, and its close ends the relay.
func TestRelayInputEndsFirst(t *testing.T) {
	client, server := tcpPair(t)
	p := newPipes(t)
	done := startRelay(context.Background(), client, p)

	write(t, p.toStdin, "request")
	p.toStdin.Close()
	if got, err := io.ReadAll(server); err != nil || string(got) != "request" {
		t.Fatalf("server got %q, %v; want the request, then end of file", got, err)
	}
	stillRunning(t, done, "after standard input ended")
	write(t, server, "answer after your FIN")
	server.Close()
	if got, err := io.ReadAll(p.fromStdout); err != nil || string(got) != "answer after your FIN" {
		t.Fatalf("standard output: %q, %v", got, err)
	}
	if err := finished(t, done); err != nil {
		t.Fatalf("relay: %v", err)
	}
}

// Every byte value, runs of zero bytes and a large random block pass both
// ways at once, unchanged, through an echo server.
func TestRelayBinaryBothWays(t *testing.T) {
	client, server := tcpPair(t)
	go func() {
		io.Copy(server, server)
		server.CloseWrite()
	}()
	var data bytes.Buffer
	for i := range 256 {
		data.WriteByte(byte(i))
	}
	data.Write(make([]byte, 100_000))
	data.WriteString("\r\n\x00\x1a\xff")
	block := make([]byte, 24<<20)
	rand.NewChaCha8([32]byte{1}).Read(block)
	data.Write(block)
	want := sha256.Sum256(data.Bytes())

	p := newPipes(t)
	done := startRelay(context.Background(), client, p)
	go func() {
		p.toStdin.Write(data.Bytes())
		p.toStdin.Close()
	}()
	got, err := io.ReadAll(p.fromStdout)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != data.Len() || sha256.Sum256(got) != want {
		t.Fatalf("echoed %d bytes (sha256 %x), sent %d (%x)", len(got), sha256.Sum256(got), data.Len(), want)
	}
	if err := finished(t, done); err != nil {
		t.Fatalf("relay: %v", err)
	}
}

// A reset connection and an interrupt end the relay with an error, though
// standard input stays open.
func TestRelayFailures(t *testing.T) {
	t.Run("reset by the server", func(t *testing.T) {
		client, server := tcpPair(t)
		p := newPipes(t)
		done := startRelay(context.Background(), client, p)
		write(t, p.toStdin, "x")
		readN(t, server, 1)
		server.SetLinger(0) // close with a reset
		server.Close()
		if err := finished(t, done); err == nil || !strings.Contains(err.Error(), "connection reset") {
			t.Fatalf("relay: %v; want the reset", err)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		client, _ := tcpPair(t)
		p := newPipes(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := startRelay(ctx, client, p)
		stillRunning(t, done, "before the interrupt")
		cancel()
		if err := finished(t, done); err == nil || err.Error() != "interrupted" {
			t.Fatalf("relay: %v; want interrupted", err)
		}
	})
}

// ssh closes the proxy's standard output as soon as its session ends, and
// the server's goodbye may come after that: the relay ends quietly, whatever
// standard input still does.
func TestRelayEndsQuietlyWhenTheReaderLeaves(t *testing.T) {
	client, server := tcpPair(t)
	p := newPipes(t)
	done := startRelay(context.Background(), client, p)
	write(t, server, "session")
	if got := readN(t, p.fromStdout, len("session")); got != "session" {
		t.Fatalf("relayed %q", got)
	}
	p.fromStdout.Close()
	write(t, server, "goodbye")
	if err := finished(t, done); err != nil {
		t.Fatalf("relay: %v; want a quiet end", err)
	}
}

// ssh gone (both its ends of the pipes closed) while the server is silent
// and connected: the relay ends on the hangup of standard output alone,
// after passing the end of standard input on to the server.
func TestRelayEndsWhenSSHGoes(t *testing.T) {
	client, server := tcpPair(t)
	p := newPipes(t)
	done := startRelay(context.Background(), client, p)
	write(t, server, "banner\n")
	if got := readN(t, p.fromStdout, 7); got != "banner\n" {
		t.Fatalf("read %q", got)
	}
	write(t, p.toStdin, "bye")
	p.toStdin.Close()
	p.fromStdout.Close()
	if err := finished(t, done); err != nil {
		t.Fatalf("relay: %v", err)
	}
	if got, err := io.ReadAll(server); string(got) != "bye" || err != nil {
		t.Fatalf("the server read %q, %v; want what ssh wrote, then the end of file", got, err)
	}
}

// echoService is a loopback TCP service that echoes each connection until
// its input ends, then closes; it counts the connections.
func echoService(t *testing.T) (port uint16, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted = new(atomic.Int32)
	go func() {
		for {
			c, err := ln.AcceptTCP()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.SetDeadline(time.Now().Add(20 * time.Second))
			go func() {
				defer c.Close()
				io.Copy(c, c)
				c.CloseWrite()
			}()
		}
	}()
	return uint16(ln.Addr().(*net.TCPAddr).Port), accepted
}

// proxyProfile saves profile "office" knocking a UDP listener on loopback,
// with the router timeout given, last knocked at last (zero: never), and
// returns the listener.
func proxyProfile(t *testing.T, timeout string, retries int, last time.Time) *net.UDPConn {
	t.Helper()
	useTestProfiles(t, nil)
	ln := testnet.ListenUDP(t)
	doc := fmt.Sprintf(`{"version":1,"profiles":[{"name":"office","host":"127.0.0.1","family":"ipv4",
		"steps":[{"proto":"udp","port":%d,"payload":%q}],"timeout":%q,
		"verify":{"proto":"tcp","port":22,"timeout":"1s","retries":%d}}]}`,
		ln.LocalAddr().(*net.UDPAddr).Port, cliSecret, timeout, retries)
	if _, stderr, code := runStdin(doc, "import", "-"); code != ExitOK {
		t.Fatalf("import: %s", stderr)
	}
	if !last.IsZero() {
		l, _ := testProfiles.book.List()
		if err := testProfiles.book.MarkKnocked(l.Profiles[0].ID, last); err != nil {
			t.Fatal(err)
		}
	}
	return ln
}

// knocksSeen reads the datagrams the knock listener got by now.
func knocksSeen(ln *net.UDPConn) []string {
	var got []string
	buf := make([]byte, 2048)
	for {
		ln.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		n, _, err := ln.ReadFromUDP(buf)
		if err != nil {
			return got
		}
		got = append(got, string(buf[:n]))
	}
}

func lastKnocked(t *testing.T) time.Time {
	t.Helper()
	l, err := testProfiles.book.List()
	if err != nil {
		t.Fatal(err)
	}
	return l.Profiles[0].LastKnocked
}

// knocker proxy connects at once while the last knock holds, knocks when it
// does not (or when asked to), and records the knock; standard output
// carries the service's bytes and nothing else.
func TestProxyKnocksOnlyWhenNeeded(t *testing.T) {
	port, _ := echoService(t)
	now := time.Now()
	tests := []struct {
		name   string
		last   time.Time
		flags  []string
		knocks bool
	}{
		{"never knocked", time.Time{}, nil, true},
		{"knocked a minute ago", now.Add(-time.Minute), nil, false},
		{"inside the re-knock margin", now.Add(-110 * time.Minute), nil, true},
		{"--always", now.Add(-time.Minute), []string{"--always"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln := proxyProfile(t, "2h", 0, tt.last)
			args := append(append([]string{"proxy"}, tt.flags...), "office", "127.0.0.1", fmt.Sprint(port))
			stdout, stderr, code := runStdin("ping\x00\xff", args...)
			if code != ExitOK || stdout != "ping\x00\xff" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want the echo only", code, stdout, stderr)
			}
			knocks := knocksSeen(ln)
			if tt.knocks != (len(knocks) == 1) || len(knocks) > 1 {
				t.Fatalf("knocks sent: %d; want a knock: %v", len(knocks), tt.knocks)
			}
			if !tt.knocks {
				if stderr != "" || !lastKnocked(t).Equal(tt.last.UTC().Round(0)) {
					t.Fatalf("no knock, yet stderr %q, last knocked %v (was %v)", stderr, lastKnocked(t), tt.last)
				}
				return
			}
			if knocks[0] != cliSecret {
				t.Fatalf("knock payload %q", knocks[0])
			}
			wantNote := fmt.Sprintf("knocker proxy: knocked office at 127.0.0.1; 127.0.0.1:%d answered\n", port)
			if stderr != wantNote {
				t.Fatalf("stderr %q, want %q", stderr, wantNote)
			}
			if got := lastKnocked(t); time.Since(got) > time.Minute {
				t.Fatalf("last knocked %v: the knock was not recorded", got)
			}
		})
	}
}

// The knock's check is the proxied connection itself: the service sees one
// connection, not a probe and then another. -q leaves out the note.
func TestProxyConnectsOnce(t *testing.T) {
	port, accepted := echoService(t)
	ln := proxyProfile(t, "2h", 0, time.Time{})
	if stdout, stderr, code := runStdin("x", "proxy", "-q", "office", "127.0.0.1", fmt.Sprint(port)); code != ExitOK || stdout != "x" || stderr != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if n, knocks := accepted.Load(), len(knocksSeen(ln)); n != 1 || knocks != 1 {
		t.Fatalf("the service saw %d connections after %d knocks, want 1 after 1", n, knocks)
	}
}

// A port that stays closed after the knock (a wrong sequence, say) is exit 1
// with one line naming the profile, the target and the attempts; the
// profile's retries are knocks, and no knock time is recorded.
func TestProxyPortStaysClosed(t *testing.T) {
	closed := testnet.FreePort(t)
	for _, tt := range []struct {
		name    string
		last    time.Time
		retries int
		knocks  int
	}{
		{"never knocked", time.Time{}, 0, 1},
		{"with retries", time.Time{}, 2, 3},
		{"recent knock, but the router forgot", time.Now().Add(-time.Minute), 0, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ln := proxyProfile(t, "2h", tt.retries, tt.last)
			stdout, stderr, code := run("proxy", "--timeout", "200ms", "office", "127.0.0.1", fmt.Sprint(closed))
			want := fmt.Sprintf("knocker proxy: knocked office, but 127.0.0.1:%d did not answer after %d knock", closed, tt.knocks)
			if code != ExitFailed || stdout != "" || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "connection refused") {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 1 and one line starting %q", code, stdout, stderr, want)
			}
			if n := len(knocksSeen(ln)); n != tt.knocks {
				t.Fatalf("%d knocks sent, want %d", n, tt.knocks)
			}
			if got := lastKnocked(t); !got.Equal(tt.last.UTC().Round(0)) {
				t.Fatalf("last knocked %v after a failed knock (was %v)", got, tt.last)
			}
		})
	}
}

// A fresh entry needs no keyring; a knock does, and a missing keyring is
// exit 2, as for knocker knock.
func TestProxyKeyring(t *testing.T) {
	port, _ := echoService(t)
	proxyProfile(t, "2h", 0, time.Now().Add(-time.Minute))
	testProfiles.book.Secrets = downRing{}
	if stdout, stderr, code := runStdin("hi", "proxy", "office", "127.0.0.1", fmt.Sprint(port)); code != ExitOK || stdout != "hi" {
		t.Fatalf("fresh entry without a keyring: exit %d, %q, %q", code, stdout, stderr)
	}
	_, stderr, code := runStdin("hi", "proxy", "--always", "office", "127.0.0.1", fmt.Sprint(port))
	if code != ExitUsage || !strings.Contains(stderr, "keyring unavailable") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("knock without a keyring: exit %d, stderr %q; want exit 2", code, stderr)
	}
}

func TestProxyBadInput(t *testing.T) {
	proxyProfile(t, "2h", 0, time.Time{})
	tests := []struct {
		args   []string
		errHas string
	}{
		{[]string{"proxy"}, "want NAME HOST PORT"},
		{[]string{"proxy", "office", "127.0.0.1"}, "want NAME HOST PORT"},
		{[]string{"proxy", "office", "127.0.0.1", "22", "extra"}, "want NAME HOST PORT"},
		{[]string{"proxy", "office", "127.0.0.1", "ssh"}, "PORT: port is not a number"},
		{[]string{"proxy", "office", "127.0.0.1", "0"}, "PORT: port 0 is out of range"},
		{[]string{"proxy", "office", "", "22"}, "HOST is empty"},
		{[]string{"proxy", "--timeout", "-1s", "office", "127.0.0.1", "22"}, "--timeout cannot be negative"},
		{[]string{"proxy", "--timeout", "soon", "office", "127.0.0.1", "22"}, "invalid value"},
		{[]string{"proxy", "-4", "-6", "office", "127.0.0.1", "22"}, "-4 and -6 exclude each other"},
		{[]string{"proxy", "--bogus", "office", "127.0.0.1", "22"}, "flag provided but not defined"},
		{[]string{"proxy", "home", "127.0.0.1", "22"}, `no profile named "home"`},
		{[]string{"proxy", "--id", "0123", "127.0.0.1", "22"}, `no profile with ID "0123"`},
		{[]string{"proxy", "--id", "0123", "office", "127.0.0.1", "22"}, "want --id ID HOST PORT"},
		{[]string{"proxy", "--id", "0123", "127.0.0.1"}, "want --id ID HOST PORT"},
		{[]string{"proxy", "--id=", "127.0.0.1", "22"}, "--id is empty"},
		{[]string{"proxy", "--id"}, "flag needs an argument"},
	}
	for _, tt := range tests {
		stdout, stderr, code := run(tt.args...)
		if code != ExitUsage || stdout != "" || !strings.Contains(stderr, tt.errHas) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", tt.args, code, stdout, stderr, tt.errHas)
		}
	}
}

// --id finds the profile by its ID, as the Host block of ssh-config names
// it, also after a rename; it knocks and relays as by name.
func TestProxyByID(t *testing.T) {
	port, _ := echoService(t)
	ln := proxyProfile(t, "2h", 0, time.Time{})
	l, _ := testProfiles.book.List()
	id := l.Profiles[0].ID
	if _, stderr, code := run("rename", "office", `office\`); code != ExitOK {
		t.Fatal(stderr)
	}
	stdout, stderr, code := runStdin("by id", "proxy", "--id", id, "127.0.0.1", fmt.Sprint(port))
	if code != ExitOK || stdout != "by id" || !strings.HasPrefix(stderr, `knocker proxy: knocked office\ at 127.0.0.1`) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if knocks := knocksSeen(ln); len(knocks) != 1 || knocks[0] != cliSecret {
		t.Fatalf("knocks %q", knocks)
	}
	// The name still works, flags before or after.
	if stdout, stderr, code := runStdin("by name", "proxy", `office\`, "127.0.0.1", fmt.Sprint(port), "-q"); code != ExitOK || stdout != "by name" {
		t.Fatalf("by name: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// -4 and -6 hold for the connection and for the knock.
func TestProxyFamilyFlags(t *testing.T) {
	port, _ := echoService(t) // IPv4 only
	ln := proxyProfile(t, "2h", 0, time.Now().Add(-time.Minute))
	if stdout, stderr, code := runStdin("v4", "proxy", "-4", "office", "127.0.0.1", fmt.Sprint(port)); code != ExitOK || stdout != "v4" {
		t.Fatalf("-4: exit %d, %q, %q", code, stdout, stderr)
	}
	if _, stderr, code := run("proxy", "-6", "office", "127.0.0.1", fmt.Sprint(port)); code != ExitFailed || !strings.Contains(stderr, "no suitable address") {
		t.Fatalf("-6 connecting to an IPv4 address: exit %d, stderr %q; want exit 1", code, stderr)
	}
	if n := len(knocksSeen(ln)); n != 0 {
		t.Fatalf("%d knocks for an address no knock can make reachable", n)
	}
	// ::1 refuses, so it knocks: over IPv6, to the profile's IPv4 host.
	if _, stderr, code := run("proxy", "-6", "office", "::1", fmt.Sprint(port)); code != ExitUsage || !strings.Contains(stderr, "no IPv6 address") {
		t.Fatalf("-6 knocking an IPv4 host: exit %d, stderr %q; want exit 2", code, stderr)
	}
}

func TestRecentlyKnocked(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		timeout time.Duration
		ago     time.Duration // 0: never knocked
		want    bool
	}{
		{2 * time.Hour, time.Hour, true},
		{2 * time.Hour, 107 * time.Minute, true},  // the margin is 12 min
		{2 * time.Hour, 109 * time.Minute, false}, // inside it
		{2 * time.Hour, 3 * time.Hour, false},
		{time.Minute, 29 * time.Second, true}, // the margin is 30 s
		{time.Minute, 31 * time.Second, false},
		{0, time.Second, false}, // the router's timeout is unknown
		{2 * time.Hour, 0, false},
	}
	for _, tt := range tests {
		p := profile.Profile{Timeout: tt.timeout}
		if tt.ago > 0 {
			p.LastKnocked = now.Add(-tt.ago)
		}
		if got := recentlyKnocked(p, now); got != tt.want {
			t.Errorf("timeout %v, knocked %v ago: %v, want %v", tt.timeout, tt.ago, got, tt.want)
		}
	}
}

func TestProxyHelp(t *testing.T) {
	for _, args := range [][]string{{"help", "proxy"}, {"proxy", "-h"}} {
		if stdout, _, code := run(args...); code != ExitOK || stdout != proxyUsage+"\n" {
			t.Errorf("%v: %d %q", args, code, stdout)
		}
	}
}
