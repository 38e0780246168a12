package wine

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// gui is a knocker.exe running under Wine on the stage's X server.
type gui struct {
	s      *wineStage
	env    []string
	cancel context.CancelFunc
	exited chan error
	output *os.File
}

// logs is what the process printed so far.
func (g *gui) logs() string { return readOutput(g.output) }

// startGUI runs exe (a knocker.exe) with args until up reports it is up.
func startGUI(t *testing.T, s *wineStage, exe string, env []string, args []string, up func(*gui) bool) *gui {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	// Wine's own errors go into the output too: where a window never
	// comes, they say why (no display driver, no desktop, ...).
	env = append([]string{"WINEDEBUG=-all,err+all"}, env...)
	cmd := s.command(ctx, env, append([]string{exe}, args...)...)
	g := &gui{s: s, env: env, cancel: cancel, exited: make(chan error, 1), output: outputFile(t)}
	cmd.Stdout, cmd.Stderr = g.output, g.output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { g.exited <- cmd.Wait() }()
	t.Cleanup(g.stop)
	if !up(g) {
		running := s.describeProcesses() // before stop ends it
		g.stop()
		t.Fatalf("%s %v did not come up; output (Wine's errors included):\n%s\nthe prefix's processes then:\n%s", exe, args, g.logs(), running)
	}
	return g
}

func (g *gui) stop() {
	g.cancel()
	select {
	case err := <-g.exited:
		g.exited <- err // let a second stop return too
	case <-time.After(10 * time.Second):
	}
}

// running reports whether the process still runs.
func (g *gui) running() bool {
	select {
	case err := <-g.exited:
		g.exited <- err
		return false
	default:
		return true
	}
}

// mapState is the X map state of the window titled Knocker, or "" while
// there is none.
func (s *wineStage) mapState(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("xwininfo", "-name", "Knocker")
	cmd.Env = append(os.Environ(), "DISPLAY="+s.display)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "No window with name") {
			return ""
		}
		t.Fatalf("xwininfo: %v: %s", err, out)
	}
	for line := range strings.SplitSeq(string(out), "\n") {
		if state, ok := strings.CutPrefix(strings.TrimSpace(line), "Map State: "); ok {
			return state
		}
	}
	return ""
}

// waitViewable waits until the Knocker window is on screen, or the process
// has exited.
func (g *gui) waitViewable(t *testing.T, within time.Duration) bool {
	t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if g.s.mapState(t) == "IsViewable" {
			return true
		}
		if !g.running() {
			return false
		}
	}
	return false
}

// With no arguments knocker.exe opens its window on the X server: a real
// Win32 window through Wine, drawn with OpenGL. A screenshot is kept.
func TestWindowOpens(t *testing.T) {
	s := needStage(t)
	env := []string{"KNOCKER_CONFIG_DIR=" + winPath(t.TempDir())}
	g := startGUI(t, s, s.exe, env, nil, func(g *gui) bool { return g.waitViewable(t, 60*time.Second) })
	time.Sleep(2 * time.Second) // the first frames
	if !g.running() {
		t.Fatalf("knocker.exe exited after showing its window:\n%s", g.logs())
	}
	shot := artifact(t, "windows-wine-window.png")
	cmd := exec.Command("import", "-window", "root", "-crop", windowGeometry(t, s), shot)
	cmd.Env = append(os.Environ(), "DISPLAY="+s.display)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v: %s", err, out)
	}
	t.Logf("screenshot of the Windows build's window: %s", shot)
}

// Where the window cannot open (here Wine without an X display, where GLFW
// cannot create even its hidden helper window), knocker.exe says so on
// standard error with what to do instead and exits 1: no panic, no stack
// trace. (A message box says it too; without a display it cannot show.)
func TestWindowThatCannotOpenSaysSo(t *testing.T) {
	s := needStage(t)
	// A Windows program with no display starts Wine's desktop (explorer.exe)
	// with no display driver; it stays about a second after the program,
	// and a window started meanwhile joins that desktop and fails ("Failed
	// to create helper window"), as the next test's did in CI.
	t.Cleanup(func() {
		err := s.waitGone("a desktop with no display", 30*time.Second, func(p prefixProcess) bool {
			return p.name == "explorer.exe" && slices.Contains(p.env, "DISPLAY=")
		})
		if err != nil {
			t.Error(err)
		}
	})
	for _, args := range [][]string{nil, {"--tray"}} {
		env := []string{"DISPLAY=", "KNOCKER_CONFIG_DIR=" + winPath(t.TempDir())}
		res := s.run(t, env, append([]string{s.exe}, args...)...)
		var lines []string // Knocker's, without Wine's own debug channels
		for _, l := range strings.Split(strings.TrimSpace(res.stderr), "\n") {
			if !wineDebugLine.MatchString(l) {
				lines = append(lines, l)
			}
		}
		if res.code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "knocker: the window cannot open (PlatformError: ") ||
			!strings.Contains(lines[0], "knocker-cli") {
			t.Fatalf("knocker.exe %v without a display: exit %d, stderr:\n%s\nwant exit 1 and the line saying the window cannot open", args, res.code, res.stderr)
		}
	}
}

// wineDebugLine is a line of Wine's own debug output, such as
// "0024:fixme:ntdll:…" or "err:winediag:…".
var wineDebugLine = regexp.MustCompile(`^([0-9a-f]{4}:)?(fixme|err|warn|trace):`)

// windowGeometry is the Knocker window's place on the screen as
// ImageMagick's WxH+X+Y.
func windowGeometry(t *testing.T, s *wineStage) string {
	t.Helper()
	cmd := exec.Command("xwininfo", "-name", "Knocker")
	cmd.Env = append(os.Environ(), "DISPLAY="+s.display)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var x, y, w, h string
	for line := range strings.SplitSeq(string(out), "\n") {
		key, value, _ := strings.Cut(strings.TrimSpace(line), ":")
		value = strings.TrimSpace(value)
		switch key {
		case "Absolute upper-left X":
			x = value
		case "Absolute upper-left Y":
			y = value
		case "Width":
			w = value
		case "Height":
			h = value
		}
	}
	return w + "x" + h + "+" + x + "+" + y
}

// Started as at login (--tray), Knocker shows no window. A second launch
// asks it through the instance pipe to show its window, and exits at once.
func TestSecondLaunchShowsTheFirstWindow(t *testing.T) {
	s := needStage(t)
	env := []string{"KNOCKER_CONFIG_DIR=" + winPath(t.TempDir())}
	first := startGUI(t, s, s.exe, env, []string{"--tray"}, inTray(t))
	time.Sleep(time.Second) // a window shown by mistake would be mapped by now
	if state := s.mapState(t); state == "IsViewable" {
		t.Fatal("knocker.exe --tray must start with no window on screen")
	}

	start := time.Now()
	second := s.secondLaunch(t, env)
	took := time.Since(start)
	if !first.waitViewable(t, 30*time.Second) {
		t.Fatalf("the first Knocker did not show its window for the second launch (it said %q); output:\n%s",
			second.stdout+second.stderr, first.logs())
	}
	if !first.running() {
		t.Fatal("the first Knocker exited")
	}
	t.Logf("the second launch handed over and exited in %v", took.Round(time.Millisecond))
}

// inTray reports a knocker.exe --tray up once it has created its windows
// (the tray icon's exists), with the main one hidden.
func inTray(t *testing.T) func(*gui) bool {
	return func(g *gui) bool {
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if !g.running() {
				return false
			}
			if g.s.hasWindow(t, "SystrayMonitor") {
				return true
			}
		}
		return false
	}
}

// waitExit waits up to ten seconds for the process to end.
func (g *gui) waitExit() bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if !g.running() {
			return true
		}
	}
	return false
}

// secondLaunch runs knocker.exe with no arguments, which must hand over to
// the running one and exit 0.
func (s *wineStage) secondLaunch(t *testing.T, env []string) result {
	t.Helper()
	res := s.run(t, env, s.exe)
	if res.code != 0 {
		t.Fatalf("a second launch must hand over to the first and exit 0: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	return res
}

// hasWindow reports whether a top-level window titled title exists.
func (s *wineStage) hasWindow(t *testing.T, title string) bool {
	t.Helper()
	cmd := exec.Command("xwininfo", "-root", "-tree")
	cmd.Env = append(os.Environ(), "DISPLAY="+s.display)
	out, _ := cmd.Output()
	return strings.Contains(string(out), `"`+title+`"`)
}

// runKey is where Windows keeps per-user programs to start at login.
const runKey = `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`

// "Start at login" (app/autostart, which the tray menu item calls) writes
// the Run value that starts Knocker hidden, and removes it again; Wine's
// own reg.exe reads the registry back.
func TestStartAtLoginRunValue(t *testing.T) {
	s := needStage(t)
	exe := `C:\Program Files\Knocker Test\knocker.exe`
	if on := s.loginItem(t, "enabled"); on != "false" {
		t.Fatalf("a fresh prefix has start at login %s", on)
	}
	s.loginItem(t, "enable", exe)
	if got, ok := s.regValue(t, runKey, "io.knocker.desktop"); !ok || got != `"`+exe+`" --tray` {
		t.Fatalf("Run value %q (exists %v), want %q --tray", got, ok, exe)
	}
	if on := s.loginItem(t, "enabled"); on != "true" {
		t.Fatalf("after enable, enabled says %s", on)
	}
	s.loginItem(t, "disable")
	if got, ok := s.regValue(t, runKey, "io.knocker.desktop"); ok {
		t.Fatalf("the Run value outlived disable: %q", got)
	}
	s.loginItem(t, "disable") // twice is no error
}

// loginItem runs the loginitem helper and returns what it printed.
func (s *wineStage) loginItem(t *testing.T, args ...string) string {
	t.Helper()
	res := s.run(t, nil, append([]string{s.loginitem}, args...)...)
	if res.code != 0 {
		t.Fatalf("loginitem %v: exit %d: %s", args, res.code, res.stderr)
	}
	return strings.TrimSpace(res.stdout)
}
