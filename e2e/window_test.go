package e2e

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
)

// startXvfb starts a private X server and returns its DISPLAY value.
func startXvfb(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Skip("Xvfb is not installed (make test installs the xvfb package)")
	}
	if _, err := exec.LookPath("xwininfo"); err != nil {
		t.Skip("xwininfo is not installed (make test installs the x11-utils package)")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// -displayfd lets the server pick a free display and tell us which.
	xvfb := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1024x768x24", "-nolisten", "tcp")
	xvfb.ExtraFiles = []*os.File{w}
	if err := xvfb.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { xvfb.Process.Kill(); xvfb.Wait() })
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			t.Fatal("Xvfb exited without reporting a display")
		}
		return ":" + n
	case <-time.After(15 * time.Second):
		t.Fatal("Xvfb did not start")
	}
	return ""
}

// windowMapped polls the X server until a top-level window has this title.
func windowMapped(display, title string, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		cmd := exec.Command("xwininfo", "-root", "-tree")
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		out, _ := cmd.Output()
		if strings.Contains(string(out), `"`+title+`"`) {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return false
}

// With no arguments knocker opens its window: a real one, on a real X server.
func TestWindowOpens(t *testing.T) {
	display := startXvfb(t)
	runtimeDir := t.TempDir()
	os.Chmod(runtimeDir, 0o700)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, testbin.Path(t))
	cmd.Env = append(os.Environ(),
		"DISPLAY="+display, "WAYLAND_DISPLAY=", "XDG_RUNTIME_DIR="+runtimeDir,
		"XDG_CONFIG_HOME="+t.TempDir(), "KNOCKER_CONFIG_DIR="+t.TempDir())
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if !windowMapped(display, "Knocker", 30*time.Second) {
		cancel()
		<-exited // the output is complete only once the process is gone
		t.Fatalf("no window titled Knocker appeared; output:\n%s", logs.String())
	}
	select {
	case err := <-exited:
		t.Fatalf("knocker exited after showing its window: %v\n%s", err, logs.String())
	default:
	}
	cancel()
	<-exited
}
