package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/knocker/knocker/internal/testbin"
)

// The lab is two network namespaces joined by a veth pair: the client, where
// bin/knocker runs, and the router, where nftables or knockd guard a TCP
// port. Every address it uses lives inside these namespaces, so no packet
// leaves the machine. The same addresses serve every lab, as each has its own
// pair of namespaces.
var (
	labClient4 = netip.MustParseAddr("10.213.7.1")
	labRouter4 = netip.MustParseAddr("10.213.7.2")
	labClient6 = netip.MustParseAddr("fd6b:6e6f:636b::1")
	labRouter6 = netip.MustParseAddr("fd6b:6e6f:636b::2")
)

// labPort is the router's protected TCP port.
const labPort = 22

// labIface is the veth end's name in both namespaces.
const labIface = "kn0"

type lab struct {
	t      *testing.T
	client string // namespace names
	router string
}

var labSeq atomic.Int64

// newLab builds a fresh pair of namespaces, with a listener on the protected
// port in the router, and removes everything when the test ends, failed or
// not. It skips the test where the lab cannot be built.
func newLab(t *testing.T) *lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("lab: needs root to create network namespaces and load nftables rules (make test runs as root)")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("lab: %s not found (Debian packages iproute2 and nftables)", tool)
		}
	}
	n := labSeq.Add(1)
	l := &lab{
		t:      t,
		client: fmt.Sprintf("kn-c-%d-%d", os.Getpid(), n),
		router: fmt.Sprintf("kn-r-%d-%d", os.Getpid(), n),
	}
	for _, ns := range []string{l.client, l.router} {
		l.ip("netns", "add", ns)
		t.Cleanup(func() { l.ipQuiet("netns", "del", ns) })
	}
	l.ip("link", "add", labIface, "netns", l.client, "type", "veth", "peer", "name", labIface, "netns", l.router)
	for _, side := range []struct {
		ns     string
		v4, v6 netip.Addr
	}{{l.client, labClient4, labClient6}, {l.router, labRouter4, labRouter6}} {
		l.ipIn(side.ns, "addr", "add", side.v4.String()+"/24", "dev", labIface)
		// nodad: the address is usable at once instead of after duplicate detection.
		l.ipIn(side.ns, "addr", "add", side.v6.String()+"/64", "dev", labIface, "nodad")
		l.ipIn(side.ns, "link", "set", labIface, "up")
		l.ipIn(side.ns, "link", "set", "lo", "up")
	}
	l.listen()
	return l
}

func (l *lab) ip(args ...string) {
	l.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func (l *lab) ipQuiet(args ...string) {
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		l.t.Logf("cleanup: ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func (l *lab) ipIn(ns string, args ...string) {
	l.t.Helper()
	l.ip(append([]string{"-n", ns}, args...)...)
}

// nsExec wraps a command to run in namespace ns.
func nsExec(ns string) []string { return []string{"ip", "netns", "exec", ns} }

func nsCommand(ns string, args ...string) *exec.Cmd {
	return exec.Command("ip", append(nsExec(ns)[1:], args...)...)
}

// inNetns runs fn on a thread moved into namespace ns. Sockets keep the
// namespace they were created in, so listeners and connections made by fn
// stay there after it returns. The thread stays locked and is discarded by
// the runtime when the goroutine ends, so the namespace switch never leaks
// to other goroutines.
func inNetns(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open("/run/netns/" + ns)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// listen serves the protected port in the router: accept and close, which is
// all a connect check needs.
func (l *lab) listen() {
	l.t.Helper()
	ln := l.listenTCP(labPort)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	l.t.Cleanup(func() { ln.Close(); wg.Wait() })
}

// listenTCP listens on port in the router namespace.
func (l *lab) listenTCP(port int) net.Listener {
	l.t.Helper()
	var ln net.Listener
	err := inNetns(l.router, func() (err error) {
		ln, err = net.Listen("tcp", fmt.Sprintf(":%d", port))
		return err
	})
	if err != nil {
		l.t.Fatalf("listening on tcp/%d in the router namespace: %v", port, err)
	}
	return ln
}

// open reports whether the protected port accepts a TCP connection from the
// client namespace. The router answers a closed port with a reset, so a
// timeout or any other error is a broken lab, not a closed port.
func (l *lab) open(router netip.Addr) bool {
	l.t.Helper()
	var open bool
	err := inNetns(l.client, func() error {
		c, err := net.DialTimeout("tcp", netip.AddrPortFrom(router, labPort).String(), 2*time.Second)
		if err == nil {
			open = true
			return c.Close()
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil
		}
		// The handshake completed, then a rule expiring at that moment
		// had the router reset the connection: open when the SYN came.
		if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
			open = true
			return nil
		}
		return err
	})
	if err != nil {
		l.t.Fatalf("connect check from the client namespace: %v", err)
	}
	return open
}

// knocker runs bin/knocker in the client namespace.
func (l *lab) knocker(args ...string) testbin.Result {
	l.t.Helper()
	return testbin.RunIn(l.t, nsExec(l.client), noDisplay, args...)
}

// nft loads a ruleset into the router namespace.
func (l *lab) nft(ruleset string) {
	l.t.Helper()
	cmd := nsCommand(l.router, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(ruleset)
	if out, err := cmd.CombinedOutput(); err != nil {
		l.t.Fatalf("loading the router's ruleset: %v: %s", err, out)
	}
}

// daemon starts a long-running command in the router namespace. stop ends
// it, SIGTERM first and SIGKILL if it lingers; it also runs when the test
// ends, before the namespaces go. The output is logged if the test fails.
func (l *lab) daemon(args ...string) (out *syncBuffer, stop func()) {
	l.t.Helper()
	out = &syncBuffer{}
	cmd := nsCommand(l.router, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		l.t.Fatalf("starting %s: %v", args[0], err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(time.Second):
				cmd.Process.Kill()
				<-done
			}
			if l.t.Failed() {
				l.t.Logf("%s output:\n%s", args[0], out.String())
			}
		})
	}
	l.t.Cleanup(stop)
	return out, stop
}

// syncBuffer is a bytes.Buffer a daemon writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls cond until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}
