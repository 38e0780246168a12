//go:build unix

package gui

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// nobody is the user that plants things in the shared temporary folder.
const nobody = 65534

// shortTempDir is a temporary folder with a short path: a socket's path
// must fit in 108 bytes, which t.TempDir's, named after the test, may not.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ki")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// useTempFallback makes instanceSocket fall back to a fresh temporary
// folder and returns the folder it will use there.
func useTempFallback(t *testing.T) string {
	t.Helper()
	tmp := shortTempDir(t)
	t.Setenv("TMPDIR", tmp)
	t.Setenv("XDG_RUNTIME_DIR", "")
	return filepath.Join(tmp, fmt.Sprintf("knocker-%d", os.Getuid()))
}

// plantListener listens on a socket where Knocker would look for itself
// and counts the connections it gets.
func plantListener(t *testing.T, dir string, owner int) *atomic.Int32 {
	t.Helper()
	ln, err := net.Listen("unix", filepath.Join(dir, ID+".sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if owner >= 0 {
		chown(t, filepath.Join(dir, ID+".sock"), owner)
	}
	var n atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	return &n
}

func chown(t *testing.T, path string, uid int) {
	t.Helper()
	if err := os.Lchown(path, uid, uid); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
}

// TestInstanceIgnoresPlantedFallback: without XDG_RUNTIME_DIR, another user
// can create /tmp/knocker-UID before Knocker does, as a folder of their own
// with a socket in it, a link to one, or a socket. Knocker must neither
// talk to what was planted (it would take it for a running Knocker and
// quit) nor listen there: it runs, and says the check was skipped.
func TestInstanceIgnoresPlantedFallback(t *testing.T) {
	asRoot := os.Getuid() == 0
	tests := []struct {
		name string
		root bool // chowns to another user
		// plant prepares path and returns the planted listener's count.
		plant func(t *testing.T, path string) *atomic.Int32
		want  string
	}{
		{"folder of another user", true, func(t *testing.T, path string) *atomic.Int32 {
			mkdir(t, path, 0o700)
			n := plantListener(t, path, nobody)
			chown(t, path, nobody)
			return n
		}, "belongs to another user"},
		{"folder others may write", false, func(t *testing.T, path string) *atomic.Int32 {
			mkdir(t, path, 0o777)
			return plantListener(t, path, -1)
		}, "has mode 0777, not 0700"},
		{"link to another user's folder", true, func(t *testing.T, path string) *atomic.Int32 {
			theirs := filepath.Join(filepath.Dir(path), "theirs")
			mkdir(t, theirs, 0o700)
			n := plantListener(t, theirs, nobody)
			chown(t, theirs, nobody)
			if err := os.Symlink(theirs, path); err != nil {
				t.Fatal(err)
			}
			chown(t, path, nobody)
			return n
		}, "is a symbolic link"},
		{"link to a folder of this user's", false, func(t *testing.T, path string) *atomic.Int32 {
			other := filepath.Join(filepath.Dir(path), "other")
			mkdir(t, other, 0o700)
			n := plantListener(t, other, -1)
			if err := os.Symlink(other, path); err != nil {
				t.Fatal(err)
			}
			return n
		}, "is a symbolic link"},
		{"socket", false, func(t *testing.T, path string) *atomic.Int32 {
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			return new(atomic.Int32)
		}, "is not a folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root && !asRoot {
				t.Skip("planting a file of another user needs root (make test runs as root in CI)")
			}
			path := useTempFallback(t)
			planted := tt.plant(t, path)
			before, err := os.Lstat(path)
			if err != nil {
				t.Fatal(err)
			}
			shown := false
			first, err := claimInstance(func() { shown = true })
			if !first || err == nil || !strings.Contains(err.Error(), "single-instance check skipped") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("claimInstance = %v, %v; want it to run and say the check was skipped because %s", first, err, tt.want)
			}
			time.Sleep(50 * time.Millisecond) // a wrongly made connection would be counted by now
			if n := planted.Load(); n != 0 || shown {
				t.Fatalf("Knocker connected %d times to the planted socket", n)
			}
			after, err := os.Lstat(path)
			if err != nil || after.Mode() != before.Mode() || !after.ModTime().Equal(before.ModTime()) {
				t.Fatalf("the planted %s was changed: %v → %v (%v)", tt.name, before.Mode(), after, err)
			}
		})
	}
}

// TestInstanceRuntimeDirOfAnotherUser: a runtime folder that is not this
// user's own (sudo keeps XDG_RUNTIME_DIR of the user who called it) is not
// used either.
func TestInstanceRuntimeDirOfAnotherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("giving a folder to another user needs root (make test runs as root in CI)")
	}
	dir := filepath.Join(shortTempDir(t), "run")
	mkdir(t, dir, 0o700)
	planted := plantListener(t, dir, nobody)
	chown(t, dir, nobody)
	t.Setenv("XDG_RUNTIME_DIR", dir)
	first, err := claimInstance(func() {})
	if !first || err == nil || !strings.Contains(err.Error(), "belongs to another user") {
		t.Fatalf("claimInstance = %v, %v", first, err)
	}
	if n := planted.Load(); n != 0 {
		t.Fatalf("Knocker connected %d times to the other user's socket", n)
	}
	t.Setenv("XDG_RUNTIME_DIR", shortTempDir(t))
	if _, err := instanceSocket(); err != nil {
		t.Fatalf("a runtime folder of this user's, mode 0700: %v", err)
	}
}

// TestInstanceFallbackFolder: where nothing was planted, Knocker makes the
// folder itself, 0700 whatever the umask, and a second launch finds the
// first through it.
func TestInstanceFallbackFolder(t *testing.T) {
	path := useTempFallback(t)
	sock, err := instanceSocket()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 || sock != filepath.Join(path, ID+".sock") {
		t.Fatalf("socket %s in %v (%v)", sock, fi, err)
	}
	// Once it exists, it is used as it is.
	if again, err := instanceSocket(); err != nil || again != sock {
		t.Fatalf("second call: %s %v", again, err)
	}
	shown := make(chan struct{}, 1)
	first, ln, err := claimInstanceAt(sock, func() { shown <- struct{}{} })
	if !first || err != nil {
		t.Fatalf("first launch: %v %v", first, err)
	}
	defer ln.Close()
	if first, _, err := claimInstanceAt(sock, func() { t.Error("the second launch was asked to show") }); first || err != nil {
		t.Fatalf("second launch: %v %v, want it to hand over", first, err)
	}
	select {
	case <-shown:
	case <-time.After(10 * time.Second):
		t.Fatal("the first launch was not asked to show its window")
	}
}

// TestInstanceListenerLimits: a client that sends nothing is dropped after
// the read deadline, one that sends too much is cut off without being read
// to the end, and neither stops a real launch from being served.
func TestInstanceListenerLimits(t *testing.T) {
	sock := filepath.Join(shortTempDir(t), "i.sock")
	var shows atomic.Int32
	_, ln, err := claimInstanceAt(sock, func() { shows.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	silent := dial()
	_ = silent.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := silent.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("a silent client was not dropped: %v", err)
	}

	flood := dial()
	// More than the limit, and the right message after it: only the first
	// bytes may be read.
	_, _ = flood.Write([]byte(strings.Repeat("x", 4*instanceMaxMessage) + instanceMessage))
	_ = flood.SetReadDeadline(time.Now().Add(30 * time.Second))
	// Closed with unread data waiting, the socket may report a reset.
	if _, err := flood.Read(make([]byte, 1)); err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("a flooding client was not cut off: %v", err)
	}

	launch := dial()
	if _, err := launch.Write([]byte(instanceMessage)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for shows.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := shows.Load(); n != 1 {
		t.Fatalf("show called %d times, want once (for the real launch only)", n)
	}
}

// endlessConn is a connection whose peer never stops sending "x", counting
// what was read.
type endlessConn struct {
	net.Conn
	read int
}

func (c *endlessConn) Read(p []byte) (int, error) {
	if c.read > 1<<20 {
		return 0, io.EOF
	}
	for i := range p {
		p[i] = 'x'
	}
	c.read += len(p)
	return len(p), nil
}

func (c *endlessConn) SetReadDeadline(time.Time) error { return nil }
func (c *endlessConn) Close() error                    { return nil }

// TestInstanceMessageSizeLimit: however much a client sends, the listener
// reads at most instanceMaxMessage bytes of it.
func TestInstanceMessageSizeLimit(t *testing.T) {
	c := &endlessConn{}
	if got := readInstanceMessage(c); got == instanceMessage || len(got) > instanceMaxMessage || c.read > instanceMaxMessage {
		t.Fatalf("read %d bytes, returned %d", c.read, len(got))
	}
}

// claimers is how many launches race for the instance in the tests below.
const claimers = 20

// waitShows waits until show was called n times, or reports how many it was.
func waitShows(shows *atomic.Int32, n int32) int32 {
	for deadline := time.Now().Add(30 * time.Second); shows.Load() < n && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	return shows.Load()
}

// TestInstanceClaimRace: launches that claim at the same moment end with
// exactly one listening and every other one handing over to it. Without
// the lock, several dial before anyone listens, and each removes the
// socket of the one before it and listens itself.
func TestInstanceClaimRace(t *testing.T) {
	for round := range 5 {
		sock := filepath.Join(shortTempDir(t), "i.sock")
		var shows atomic.Int32
		start := make(chan struct{})
		type result struct {
			first bool
			ln    io.Closer
			err   error
		}
		results := make(chan result, claimers)
		for range claimers {
			go func() {
				<-start
				first, ln, err := claimInstanceAt(sock, func() { shows.Add(1) })
				results <- result{first, ln, err}
			}()
		}
		close(start)
		firsts := 0
		for range claimers {
			r := <-results
			if r.err != nil {
				t.Fatalf("round %d: claim failed: %v", round, r.err)
			}
			if r.first {
				firsts++
				defer r.ln.Close()
			}
		}
		if firsts != 1 {
			t.Fatalf("round %d: %d of %d simultaneous launches listen, want exactly 1", round, firsts, claimers)
		}
		if n := waitShows(&shows, claimers-1); n != claimers-1 {
			t.Fatalf("round %d: the one that listens was asked to show %d times, want %d", round, n, claimers-1)
		}
	}
}

// TestInstanceStaleSocket: a socket left by a Knocker that crashed, which
// nobody answers, is taken over; the lock file beside it is private.
func TestInstanceStaleSocket(t *testing.T) {
	dir := shortTempDir(t)
	sock := filepath.Join(dir, "i.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false) // as a crash leaves it
	ln.Close()
	first, ln2, err := claimInstanceAt(sock, func() {})
	if !first || err != nil {
		t.Fatalf("over a stale socket: %v %v, want this launch to run", first, err)
	}
	defer ln2.Close()
	if first, _, err := claimInstanceAt(sock, func() {}); first || err != nil {
		t.Fatalf("the launch after: %v %v, want it to hand over", first, err)
	}
	fi, err := os.Lstat(filepath.Join(dir, "i.lock"))
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Fatalf("lock file: %v %v", fi, err)
	}
}

// claimChildEnv names the socket a child process of
// TestInstanceClaimRaceProcesses claims.
const claimChildEnv = "KNOCKER_TEST_CLAIM_SOCKET"

// TestInstanceClaimRaceProcesses: the same race between processes, each
// with its own lock file descriptor, as real launches are: each claims when
// it reads a line on stdin and prints what it became; the one that listens
// then waits for as many shows as the next line says, and prints them.
func TestInstanceClaimRaceProcesses(t *testing.T) {
	if sock := os.Getenv(claimChildEnv); sock != "" {
		claimChild(sock)
		return
	}
	sock := filepath.Join(shortTempDir(t), "i.sock")
	type child struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   *bufio.Reader
	}
	children := make([]child, claimers)
	for i := range children {
		cmd := exec.Command(os.Args[0], "-test.run=^TestInstanceClaimRaceProcesses$")
		cmd.Env = append(os.Environ(), claimChildEnv+"="+sock)
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
		children[i] = child{cmd, stdin, bufio.NewReader(stdout)}
	}
	for _, c := range children { // all started: now claim, together
		if _, err := io.WriteString(c.stdin, "claim\n"); err != nil {
			t.Fatal(err)
		}
	}
	var winners []child
	for i, c := range children {
		line, err := c.out.ReadString('\n')
		switch strings.TrimSpace(line) {
		case "first":
			winners = append(winners, c)
		case "handed over":
		default:
			t.Fatalf("child %d: %q %v", i, line, err)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d of %d processes listen, want exactly 1", len(winners), claimers)
	}
	fmt.Fprintf(winners[0].stdin, "%d\n", claimers-1)
	if line, _ := winners[0].out.ReadString('\n'); strings.TrimSpace(line) != fmt.Sprintf("shown %d", claimers-1) {
		t.Fatalf("the one that listens says %q, want shown %d", line, claimers-1)
	}
}

// claimChild is a launch of TestInstanceClaimRaceProcesses.
func claimChild(sock string) {
	in := bufio.NewReader(os.Stdin)
	in.ReadString('\n')
	var shows atomic.Int32
	first, ln, err := claimInstanceAt(sock, func() { shows.Add(1) })
	switch {
	case err != nil:
		fmt.Println("error:", err)
	case !first:
		fmt.Println("handed over")
	default:
		fmt.Println("first")
		defer ln.Close()
		var want int32
		fmt.Fscan(in, &want)
		fmt.Printf("shown %d\n", waitShows(&shows, want))
	}
	os.Exit(0)
}
