package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/knocker/knocker/internal/testbin"
	"github.com/knocker/knocker/internal/testnet"
)

const silentBanner = "SSH-2.0-silent"

// silentServer is a loopback TCP server for one connection: it sends a
// banner and then never speaks again, nor closes, until the test ends.
// What the connection brings is read only once readFrom is closed (at once
// if nil), and reported on got with how the reading ended.
type silentServer struct {
	port     int
	readFrom chan struct{} // closed: start reading
	trigger  chan []byte   // bytes to send once, before reading
	got      chan serverRead
}

type serverRead struct {
	data []byte
	err  error // io.EOF: the proxy half-closed
}

func newSilentServer(t *testing.T, waitToRead bool) *silentServer {
	t.Helper()
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	s := &silentServer{port: ln.Addr().(*net.TCPAddr).Port, readFrom: make(chan struct{}),
		trigger: make(chan []byte, 1), got: make(chan serverRead, 1)}
	if !waitToRead {
		close(s.readFrom)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		c, err := ln.AcceptTCP()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Minute))
		if _, err := io.WriteString(c, silentBanner+"\r\n"); err != nil {
			return
		}
		select {
		case <-s.readFrom:
		case b := <-s.trigger:
			c.Write(b) // the proxy may have gone: whatever happens is what the test looks at
			<-s.readFrom
		case <-done:
			return
		}
		var buf bytes.Buffer
		_, err = io.Copy(&buf, c)
		if err == nil {
			err = io.EOF
		}
		s.got <- serverRead{buf.Bytes(), err}
		<-done // silent, and open, to the end
	}()
	return s
}

// silentProfileEnv is the environment for a knocker whose profiles come
// from a private file (no keyring): "silent", knocking a UDP listener on
// loopback.
func silentProfileEnv(t *testing.T) []string {
	t.Helper()
	knocks := testnet.ListenUDP(t)
	doc := fmt.Sprintf(`{"version": 2, "profiles": [{"name": "silent", "host": "127.0.0.1", "family": "ipv4",
		"steps": [{"proto": "udp", "port": %d, "payload": "k%08x"}], "timeout": "1h"}]}`,
		knocks.LocalAddr().(*net.UDPAddr).Port, rand.Uint32())
	declareProfileSecrets(t, doc)
	file := filepath.Join(t.TempDir(), "profiles.json")
	writeFile(t, file, 0o600, doc)
	return append([]string{"KNOCKER_PROFILES=" + file, "KNOCKER_CONFIG_DIR=" + t.TempDir()}, noDisplay...)
}

// proxyRun is knocker proxy for "silent" to a server, and the pipes of
// its standard input and output, both ends.
type proxyRun struct {
	inR, inW, outR, outW *os.File
	stderr               *bytes.Buffer
	exited               <-chan error
}

func startProxy(t *testing.T, srv *silentServer) *proxyRun {
	t.Helper()
	p := &proxyRun{stderr: &bytes.Buffer{}}
	p.inR, p.inW = osPipe(t)
	p.outR, p.outW = osPipe(t)
	cmd := exec.Command(testbin.Path(t), "proxy", "-q", "silent", "127.0.0.1", strconv.Itoa(srv.port))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = p.inR, p.outW, p.stderr
	cmd.Env = append(os.Environ(), silentProfileEnv(t)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	p.exited = exited
	return p
}

func osPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// exitWithin waits for the proxy to exit; d only bounds a proxy that would
// never exit, and is no measure of speed.
func exitWithin(t *testing.T, exited <-chan error, d time.Duration, what string) error {
	t.Helper()
	select {
	case err := <-exited:
		return err
	case <-time.After(d):
		t.Fatalf("knocker proxy still runs %v after %s", d, what)
		return nil
	}
}

// ssh killed while the server is silent: the proxy's standard input ends
// and the reader of its standard output is gone, and nothing will ever be
// written to it. The proxy ends on that alone (a proxy that waits to learn
// it from a write waits forever), after passing the end of its input on to
// the server, which has said nothing and is still connected.
func TestProxyEndsWhenSSHIsKilled(t *testing.T) {
	srv := newSilentServer(t, false)
	p := startProxy(t, srv)
	inR, inW, outR, outW, stderr, exited := p.inR, p.inW, p.outR, p.outW, p.stderr, p.exited

	// The "ssh" holding the other ends, as ssh does: it reads the banner
	// and then waits, as a session does while the server is silent.
	ssh := exec.Command("sh", "-c", `IFS= read -r line <&4 && printf '%s\n' "$line" && exec sleep 600`)
	ssh.ExtraFiles = []*os.File{inW, outR} // fds 3 and 4
	sshOut, err := ssh.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := ssh.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ssh.Process.Kill(); ssh.Wait() })
	for _, f := range []*os.File{inR, inW, outR, outW} {
		f.Close() // the proxy and "ssh" hold them now
	}
	line, err := bufio.NewReader(sshOut).ReadString('\n')
	if strings.TrimRight(line, "\r\n") != silentBanner {
		t.Fatalf("ssh's side read %q (%v), want the banner", line, err)
	}

	if err := ssh.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	ssh.Wait()
	if err := exitWithin(t, exited, 10*time.Second, "ssh was killed, with the server silent"); err != nil {
		t.Fatalf("knocker proxy: %v, stderr %q", err, stderr)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr %q", stderr)
	}
	// The server never spoke or closed: the end came from ssh's side, and
	// was passed on to the server as the end of its input.
	select {
	case r := <-srv.got:
		if r.err != io.EOF || len(r.data) != 0 {
			t.Errorf("the server read %q and then %v, want the end of file", r.data, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the server never saw the end of its input")
	}
}

// ssh stops reading while it has written more than the server took so far
// (a full connection, the rest still in the proxy's standard input), and
// the server's next bytes find standard output closed. Every byte ssh
// wrote still reaches the server, in order, and then the end of file.
func TestProxyPassesOnWhatSSHWroteBeforeItWent(t *testing.T) {
	srv := newSilentServer(t, true)
	p := startProxy(t, srv)
	inW, outR, stderr, exited := p.inW, p.outR, p.stderr, p.exited
	p.inR.Close()
	p.outW.Close()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if strings.TrimRight(line, "\r\n") != silentBanner {
		t.Fatalf("read %q (%v), want the banner", line, err)
	}

	// ssh writes until the connection and the proxy's standard input are
	// full: the server does not read yet.
	seed := [32]byte{26, 5}
	written := make(chan int, 1)
	go func() {
		stream, buf, total := rand.NewChaCha8(seed), make([]byte, 16<<10), 0
		for {
			stream.Read(buf)
			n, err := inW.Write(buf)
			total += n
			if err != nil {
				written <- total
				return
			}
		}
	}()
	raw, err := inW.SyscallConn() // not Fd, which would make the writes blocking and Close wait for them
	if err != nil {
		t.Fatal(err)
	}
	if !waitFor(30*time.Second, func() bool {
		queued := 0
		// SIOCINQ is FIONREAD, which a pipe answers with the bytes it holds.
		raw.Control(func(fd uintptr) { queued, _ = unix.IoctlGetInt(int(fd), unix.SIOCINQ) })
		return queued >= 32<<10
	}) {
		t.Fatal("the proxy's standard input never held 32 KiB while the server read nothing")
	}

	// ssh goes: it stops reading, the server speaks, and ssh's writing ends.
	outR.Close()
	srv.trigger <- bytes.Repeat([]byte("late"), 16<<10)
	close(srv.readFrom)
	inW.Close()
	total := <-written

	if err := exitWithin(t, exited, 60*time.Second, "ssh went"); err != nil {
		t.Fatalf("knocker proxy: %v, stderr %q", err, stderr)
	}
	r := <-srv.got
	want := make([]byte, total)
	rand.NewChaCha8(seed).Read(want)
	if !bytes.Equal(r.data, want) {
		t.Fatalf("the server got %d bytes, ssh wrote %d (equal for the first %d); want them all", len(r.data), total, commonPrefix(r.data, want))
	}
	if !errors.Is(r.err, io.EOF) {
		t.Errorf("after the data the server read %v, want the end of file", r.err)
	}
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
