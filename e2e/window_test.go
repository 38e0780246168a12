package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
	"github.com/knocker/knocker/internal/testnet"
	"github.com/knocker/knocker/internal/testx"
)

// startXvfb starts a private X server, with Xvfb's extra options if any,
// and returns its DISPLAY value.
func startXvfb(t *testing.T, options ...string) string {
	t.Helper()
	testbin.NeedWindow(t)
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Skip("Xvfb is not installed (make test installs the xvfb package)")
	}
	if _, err := exec.LookPath("xwininfo"); err != nil {
		t.Skip("xwininfo is not installed (make test installs the x11-utils package)")
	}
	// Keys repeat only after 10 s: on a loaded machine a key typed by
	// xdotool can be held past the usual 660 ms and come out twice.
	display, stop, err := testx.StartXvfb("1024x768x24", append([]string{"-ardelay", "10000"}, options...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return display
}

// windowMapped polls the X server until a top-level window has this title,
// giving up early when the process behind it exits (the exit is put back).
func windowMapped(display, title string, within time.Duration, exited chan error) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		cmd := exec.Command("xwininfo", "-root", "-tree")
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		out, _ := cmd.Output()
		if strings.Contains(string(out), `"`+title+`"`) {
			return true
		}
		select {
		case err := <-exited:
			exited <- err
			return false
		case <-time.After(200 * time.Millisecond):
		}
	}
	return false
}

// windowViewable reports whether the window titled title is mapped.
func windowViewable(t *testing.T, display, title string) bool {
	t.Helper()
	cmd := exec.Command("xwininfo", "-name", title)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "No window with name") {
			return false // not even created
		}
		t.Fatalf("xwininfo: %v: %s", err, out)
	}
	return strings.Contains(string(out), "Map State: IsViewable")
}

func waitViewable(t *testing.T, display string, want bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if windowViewable(t, display, "Knocker") == want {
			return
		}
	}
	t.Fatalf("the window never became viewable=%v", want)
}

// gui is a knocker window running on a private X server.
type gui struct {
	env     []string // the environment it runs in, for a second launch
	display string
	cancel  context.CancelFunc
	exited  chan error
	logs    *strings.Builder
}

// startGUI runs knocker with args (none, as a desktop launcher does, or a
// subcommand that opens the window, such as demo) and waits for its window
// to map.
func startGUI(t *testing.T, args []string, env ...string) *gui {
	t.Helper()
	return launchGUI(t, args, env, func(g *gui) bool {
		if !windowMapped(g.display, "Knocker", 30*time.Second, g.exited) {
			return false
		}
		waitViewable(t, g.display, true) // created is not yet shown; input needs shown
		return true
	}, "no window titled Knocker appeared")
}

// launchGUI starts knocker on a fresh Xvfb and waits until up reports it
// is up; if it never is, the test fails with failure and the output.
func launchGUI(t *testing.T, args, env []string, up func(*gui) bool, failure string) *gui {
	t.Helper()
	return launchGUIIn(t, nil, args, env, up, failure)
}

// launchGUIIn is launchGUI with knocker's argv prefixed by wrap, such as
// ip netns exec NS to run the window inside a network namespace.
func launchGUIIn(t *testing.T, wrap, args, env []string, up func(*gui) bool, failure string) *gui {
	t.Helper()
	display := startXvfb(t)
	runtimeDir := t.TempDir()
	os.Chmod(runtimeDir, 0o700)
	env = append(append(os.Environ(),
		"DISPLAY="+display, "WAYLAND_DISPLAY=", "XDG_RUNTIME_DIR="+runtimeDir,
		"XDG_CONFIG_HOME="+t.TempDir(), "KNOCKER_CONFIG_DIR="+t.TempDir(),
		// The tests read the window's English, whatever this machine's
		// language; a test of another language sets its own.
		"KNOCKER_LANG=en"), env...)
	ctx, cancel := context.WithCancel(context.Background())
	argv := append(append(append([]string{}, wrap...), testbin.Path(t)), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	g := &gui{env: env, display: display, cancel: cancel, exited: make(chan error, 1), logs: &strings.Builder{}}
	cmd.Stdout, cmd.Stderr = g.logs, g.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { g.exited <- cmd.Wait() }()
	t.Cleanup(g.stop)
	if !up(g) {
		g.stop() // the output is complete only once the process is gone
		t.Fatalf("%s; output:\n%s", failure, g.logs.String())
	}
	return g
}

// xdotool runs xdotool against the GUI's X server.
func (g *gui) xdotool(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+g.display)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("xdotool %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

// key focuses the Knocker window and types keys into it, as a user would.
func (g *gui) key(t *testing.T, keys string) {
	t.Helper()
	g.keyIn(t, "Knocker", keys)
}

// keyIn focuses the window titled title and presses keys (xdotool key
// names, one or more separated by spaces) in it.
func (g *gui) keyIn(t *testing.T, title, keys string) {
	t.Helper()
	g.xdotool(t, "windowfocus", "--sync", g.window(t, title))
	g.xdotool(t, append([]string{"key", "--delay", "60"}, strings.Fields(keys)...)...)
}

// typeIn focuses the window titled title and types text into it.
func (g *gui) typeIn(t *testing.T, title, text string) {
	t.Helper()
	g.xdotool(t, "windowfocus", "--sync", g.window(t, title))
	g.xdotool(t, "type", "--delay", "40", text)
}

// window is the X window ID of the window titled title.
func (g *gui) window(t *testing.T, title string) string {
	t.Helper()
	return strings.Fields(g.xdotool(t, "search", "--name", "^"+regexp.QuoteMeta(title)+"$"))[0]
}

func (g *gui) stop() {
	g.cancel()
	select {
	case err := <-g.exited:
		g.exited <- err // let a second stop return too
	case <-time.After(10 * time.Second):
	}
}

// With no arguments knocker opens its window: a real one, on a real X server.
func TestWindowOpens(t *testing.T) {
	g := startGUI(t, nil)
	select {
	case err := <-g.exited:
		t.Fatalf("knocker exited after showing its window: %v\n%s", err, g.logs.String())
	case <-time.After(500 * time.Millisecond):
	}
}

// With two saved profiles the first is selected at start, and Ctrl+K in the
// real window sends its knock: keyring, engine and window together. A
// screenshot of the result is kept as a test artifact.
func TestWindowKnocksOnCtrlK(t *testing.T) {
	needDesktop(t)
	ln := testnet.ListenUDP(t)
	port := ln.LocalAddr().(*net.UDPAddr).Port
	config := importProfiles(t, fmt.Sprintf(`{"version": 1, "profiles": [
		{"name": "lab", "host": "127.0.0.1", "timeout": "2h", "steps": [{"proto": "udp", "port": %d, "payload": "window-knock"}]},
		{"name": "second", "host": "127.0.0.1", "timeout": "30m", "steps": [{"proto": "udp", "port": %d, "payload": "other"}]}]}`, port, port))
	g := startGUI(t, nil, "KNOCKER_CONFIG_DIR="+config)
	g.knockWithCtrlK(t, ln, "window-knock")
	g.screenshot(t, "window-after-knock.png")
}

// needDesktop skips a test that drives the real window over saved
// profiles where the test keyring or xdotool is missing.
func needDesktop(t *testing.T) {
	t.Helper()
	needKeyring(t)
	needXdotool(t)
}

func needXdotool(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Skip("xdotool is not installed (make test installs it)")
	}
}

// knockWithCtrlK presses Ctrl+K until a datagram reaches ln (the profile
// list loads just after the window maps) and checks that it is want; then
// it gives the knock's result half a second to reach the screen.
func (g *gui) knockWithCtrlK(t *testing.T, ln *net.UDPConn, want string) {
	t.Helper()
	buf := make([]byte, 100)
	for range 10 {
		g.key(t, "ctrl+k")
		ln.SetReadDeadline(time.Now().Add(time.Second))
		if n, _, err := ln.ReadFromUDP(buf); err == nil {
			if got := string(buf[:n]); got != want {
				t.Fatalf("the router got %q, want %q", got, want)
			}
			time.Sleep(500 * time.Millisecond)
			return
		}
	}
	g.stop() // the output is complete only once the process is gone
	t.Fatalf("Ctrl+K in the window sent nothing; output:\n%s", g.logs.String())
}

// launchAgain starts knocker a second time in g's session, which must hand
// over to the running one (it shows its window) and exit.
func (g *gui) launchAgain(t *testing.T) {
	t.Helper()
	second := exec.Command(testbin.Path(t))
	second.Env = g.env
	if out, err := second.CombinedOutput(); err != nil {
		t.Fatalf("a second launch must hand over to the first and exit: %v\n%s", err, out)
	}
}

// After a knock verified open, a profile's URL is handed to the desktop's
// opener (xdg-open; here a stand-in that records its arguments), as one
// argument and with nothing of the knock's secret in it. The profile came
// from an imported file, so the window first asks, and opens nothing until
// the user agrees (Enter on the question).
func TestWindowOpensTheURLAfterAVerifiedKnock(t *testing.T) {
	t.Parallel()
	needDesktop(t)
	ln := testnet.ListenUDP(t)
	servicePort := testnet.OpenTCPPort(t)
	opener := t.TempDir()
	opened := filepath.Join(opener, "opened")
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done >>" + opened + "\n"
	if err := os.WriteFile(filepath.Join(opener, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("ssh://admin@127.0.0.1:%d", servicePort)
	config := importProfiles(t, fmt.Sprintf(`{"version": 2, "profiles": [{"name": "lab", "host": "127.0.0.1", "timeout": "2h",
		"verify": {"port": %d, "timeout": "2s"}, "open_url": %q,
		"steps": [{"proto": "udp", "port": %d, "payload": "open-url-knock", "encoding": "text"}]}]}`,
		servicePort, url, ln.LocalAddr().(*net.UDPAddr).Port))
	g := startGUI(t, nil, "KNOCKER_CONFIG_DIR="+config, "PATH="+opener+":"+os.Getenv("PATH"))
	g.knockWithCtrlK(t, ln, "open-url-knock")
	time.Sleep(2 * time.Second) // the check port answers within this; a URL opened unasked would be opened by now
	if _, err := os.Stat(opened); err == nil {
		t.Fatal("the imported URL was opened without asking")
	}
	g.key(t, "Return")
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if got, err := os.ReadFile(opened); err == nil {
			if string(got) != url+"\n" {
				t.Fatalf("xdg-open got %q, want the URL as its one argument", got)
			}
			return
		}
	}
	g.stop() // the output is complete only once the process is gone
	t.Fatalf("no URL was opened after the verified knock and the agreement; output:\n%s", g.logs.String())
}

// screenshot saves the Knocker window as name in $KNOCKER_ARTIFACTS (default:
// knocker-artifacts in the temporary folder), for people to look at.
func (g *gui) screenshot(t *testing.T, name string) {
	t.Helper()
	g.screenshotOf(t, "Knocker", name)
}

// screenshotOf saves the window titled title as name in the artifacts
// folder and returns the file's path ("" without ImageMagick).
func (g *gui) screenshotOf(t *testing.T, title, name string) string {
	t.Helper()
	if _, err := exec.LookPath("import"); err != nil {
		t.Log("no screenshot: ImageMagick's import is not installed")
		return ""
	}
	dir := os.Getenv("KNOCKER_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "knocker-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	cmd := exec.Command("import", "-window", g.window(t, title), path)
	cmd.Env = append(os.Environ(), "DISPLAY="+g.display)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v: %s", err, out)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// waitDrawn waits until the window titled title shows a drawn frame: a
// window that has only been mapped is one colour. Fyne applies the size it
// was asked for in the same turn of its loop as its first frame, so after
// this a resize by the user sticks, where before it Fyne could undo it.
func (g *gui) waitDrawn(t *testing.T, title string) {
	t.Helper()
	if _, err := exec.LookPath("import"); err != nil {
		t.Skip("needs ImageMagick's import to see the window drawn (Debian package imagemagick)")
	}
	id := g.window(t, title)
	var colours int
	drawn := waitFor(30*time.Second, func() bool {
		cmd := exec.Command("import", "-window", id, "png:-")
		cmd.Env = append(os.Environ(), "DISPLAY="+g.display)
		out, err := cmd.Output()
		if err != nil {
			return false
		}
		img, err := png.Decode(bytes.NewReader(out))
		if err != nil {
			return false
		}
		colours = countColours(img, 16)
		return colours >= 16
	})
	if !drawn {
		t.Fatalf("the window %q was never drawn (%d colours); output:\n%s", title, colours, g.logs.String())
	}
}

// countColours counts img's distinct colours, up to limit.
func countColours(img image.Image, limit int) int {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}] = true
			if len(seen) >= limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}
