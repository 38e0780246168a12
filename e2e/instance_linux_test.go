package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
)

// launches is how many Knockers start at the same moment below.
const launches = 20

// launch is one start of the desktop binary.
type launch struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	err  error // once it exited
}

// Twenty launches at once, as the login's autostart and a click on the
// icon can be: exactly one Knocker stays, with one window, and every other
// launch hands over to it and exits 0. Without the instance lock, several
// find no socket to dial, each removes the one before it, and two or more
// stay, each knocking and writing profiles.json (the build before the lock
// failed about one round in three here, so there are three). Each round
// ends with SIGKILL, so the next one also takes over a dead Knocker's
// socket.
func TestSimultaneousLaunchesLeaveOneKnocker(t *testing.T) {
	t.Parallel()
	display := startXvfb(t)
	if _, err := exec.LookPath("taskset"); err != nil {
		t.Skip("taskset is not installed (Debian package util-linux)")
	}
	// A socket's path must fit in 108 bytes: t.TempDir's, named after this
	// test, may not.
	runtimeDir, err := os.MkdirTemp("", "kr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(runtimeDir) })
	env := append(os.Environ(), "DISPLAY="+display, "WAYLAND_DISPLAY=", "XDG_RUNTIME_DIR="+runtimeDir,
		"XDG_CONFIG_HOME="+t.TempDir(), "KNOCKER_CONFIG_DIR="+t.TempDir())
	for round := 1; round <= 3; round++ {
		if err := raceLaunches(t, display, env); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// raceLaunches starts the launches together and checks that one stays,
// with one window, that a later launch hands over to it too, and then
// kills it.
func raceLaunches(t *testing.T, display string, env []string) error {
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan *launch, launches)
	received := 0
	defer func() {
		cancel()
		for ; received < launches; received++ {
			<-exited
		}
	}()
	// Each launch waits in a shell for the gate to open, then becomes
	// Knocker, all of them on one CPU: their claims meet, and one is now
	// and then set aside half way through its claim while others make
	// theirs. The gate is held open for writing and reading, so opening it
	// waits for nobody, and a shell that reaches it late still finds its
	// line.
	gate := filepath.Join(t.TempDir(), "gate")
	if err := syscall.Mkfifo(gate, 0o600); err != nil {
		t.Fatal(err)
	}
	gateW, err := os.OpenFile(gate, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer gateW.Close()
	for range launches {
		l := &launch{cmd: exec.CommandContext(ctx, "taskset", "-c", "0", "sh", "-c", `read _ <"$1"; exec "$0"`, testbin.Path(t), gate),
			logs: &syncBuffer{}}
		l.cmd.Env = env
		l.cmd.Stdout, l.cmd.Stderr = l.logs, l.logs
		if err := l.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { l.err = l.cmd.Wait(); exited <- l }()
	}
	time.Sleep(500 * time.Millisecond) // for the shells to reach the gate: a closer start, not the outcome
	if _, err := io.WriteString(gateW, strings.Repeat("\n", launches)); err != nil {
		t.Fatal(err)
	}

	// The ones that hand over exit at once; the deadline is only for a
	// build that lets several stay.
	deadline := time.After(2 * time.Minute)
	for received < launches-1 {
		select {
		case l := <-exited:
			received++
			if l.err != nil {
				return fmt.Errorf("a launch that found Knocker running exited with %v:\n%s", l.err, l.logs.String())
			}
		case <-deadline:
			return fmt.Errorf("%d of %d simultaneous launches are still running, want exactly 1", launches-received, launches)
		}
	}
	select {
	case l := <-exited:
		received++
		return fmt.Errorf("no Knocker stayed (the last exited with %v):\n%s", l.err, l.logs.String())
	case <-time.After(time.Second):
	}

	if !windowMapped(display, "Knocker", 30*time.Second, make(chan error, 1)) {
		return errors.New("the Knocker that stayed shows no window")
	}
	again := exec.Command(testbin.Path(t))
	again.Env = env
	if out, err := again.CombinedOutput(); err != nil {
		return fmt.Errorf("a launch after the race must hand over and exit: %v\n%s", err, out)
	}
	select {
	case l := <-exited:
		received++
		return fmt.Errorf("the Knocker that stayed exited: %v\n%s", l.err, l.logs.String())
	default:
	}
	if n := knockerWindows(t, display); n != 1 {
		return fmt.Errorf("%d windows titled Knocker, want 1", n)
	}
	return nil
}

// knockerWindows counts the X windows titled Knocker.
func knockerWindows(t *testing.T, display string) int {
	t.Helper()
	cmd := exec.Command("xwininfo", "-root", "-tree")
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("xwininfo: %v", err)
	}
	return strings.Count(string(out), `"Knocker": (`)
}
