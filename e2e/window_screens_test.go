package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
	"github.com/knocker/knocker/internal/testnet"
)

// themes are the two looks the window has; FYNE_THEME picks one.
var themes = []string{"dark", "light"}

// The screens a newcomer meets, in both themes, through the real binary on
// a real X server: the first run (whose texts must not overlap, read back
// by OCR where tesseract is installed), the editor at its opening size,
// the editor filled in, and the list with several profiles. Each is kept
// as an artifact for people to look at.
func TestWindowScreens(t *testing.T) {
	t.Parallel()
	needDesktop(t)
	for _, theme := range themes {
		t.Run(theme, func(t *testing.T) {
			t.Parallel() // each window on an X server of its own
			env := []string{"FYNE_THEME=" + theme}
			g := startGUI(t, nil, env...)
			g.waitDrawn(t, "Knocker")
			first := g.screenshotOf(t, "Knocker", "first-run-"+theme+".png")
			checkFirstRunText(t, first)

			g.key(t, "ctrl+n")
			g.waitWindow(t, "New profile")
			g.waitDrawn(t, "New profile")
			g.screenshotOf(t, "New profile", "editor-"+theme+".png")
			g.typeIn(t, "New profile", "office router")
			g.keyIn(t, "New profile", "Tab")
			g.typeIn(t, "New profile", "router.office.example")
			g.keyIn(t, "New profile", "Tab Tab Tab Tab Tab")
			g.typeIn(t, "New profile", "1234")
			g.keyIn(t, "New profile", "Tab")
			g.typeIn(t, "New profile", "screens-secret")
			time.Sleep(300 * time.Millisecond)
			g.screenshotOf(t, "New profile", "editor-filled-"+theme+".png")

			ln := testnet.ListenUDP(t)
			port := ln.LocalAddr().(*net.UDPAddr).Port
			config := importProfiles(t, fmt.Sprintf(`{"version": 1, "profiles": [
				{"name": "office", "host": "127.0.0.1", "timeout": "2h", "steps": [{"proto": "udp", "port": %d, "payload": "screens-list"}]},
				{"name": "branch router", "host": "198.51.100.20", "timeout": "30m", "steps": [{"proto": "tcp", "port": 2000}]},
				{"name": "home", "host": "home.example.net", "timeout": "8h", "steps": [{"proto": "udp", "port": 7000}, {"proto": "tcp", "port": 8000}]},
				{"name": "data centre, rack 12", "host": "2001:db8::12", "timeout": "1h", "steps": [{"proto": "icmp", "payload": "64", "encoding": "size"}]}]}`, port))
			if res := testbin.Run(t, []string{"KNOCKER_CONFIG_DIR=" + config}, "knock", "office"); res.Code != 0 {
				t.Fatalf("knock: %s", res.Stderr)
			}
			list := startGUI(t, nil, append(env, "KNOCKER_CONFIG_DIR="+config)...)
			list.waitDrawn(t, "Knocker")
			list.screenshotOf(t, "Knocker", "list-"+theme+".png")
		})
	}
}

// waitWindow waits until a window titled title is viewable: created is
// not yet shown, and a window not shown cannot take the keyboard's focus.
func (g *gui) waitWindow(t *testing.T, title string) {
	t.Helper()
	if !windowMapped(g.display, title, 10*time.Second, g.exited) ||
		!waitFor(10*time.Second, func() bool { return windowViewable(t, g.display, title) }) {
		t.Fatalf("no window titled %q appeared; output:\n%s", title, g.logs.String())
	}
}

// windowGone reports whether no window titled title is shown, including
// one destroyed between xwininfo finding it and asking about it.
func windowGone(display, title string) bool {
	cmd := exec.Command("xwininfo", "-name", title)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, _ := cmd.CombinedOutput()
	return !strings.Contains(string(out), "Map State: IsViewable")
}

// checkFirstRunText reads the first-run screenshot back with OCR: its
// headline, its text and its buttons must be legible, which texts drawn
// over one another are not, and no two lines of text may cover each other.
func checkFirstRunText(t *testing.T, png string) {
	t.Helper()
	passes, ok := ocrBothWays(t, png)
	if !ok {
		return
	}
	var read []string
	for _, lines := range passes {
		for i, a := range lines {
			read = append(read, a.text)
			for _, b := range lines[i+1:] {
				if a.overlaps(b) {
					t.Errorf("the lines %q and %q cover each other on the first-run screen", a.text, b.text)
				}
			}
		}
	}
	all := strings.Join(read, "\n")
	// Add a profile is left out: tesseract does not read white on the
	// light theme's bright blue at this size, in either direction.
	for _, want := range []string{"Welcome to Knocker", "secret knock", "Import", "Try the demo router", "not touched"} {
		if !strings.Contains(all, want) {
			t.Errorf("OCR did not find %q on the first-run screen; it read:\n%s", want, all)
		}
	}
}

// ocrBothWays reads a screenshot as it is and inverted, since OCR reads
// dark text on light best and the window has both (a button's label is
// light on its colour in either theme). ok is false without a screenshot
// or without tesseract.
func ocrBothWays(t *testing.T, png string) (passes [2][]ocrLine, ok bool) {
	t.Helper()
	if png == "" {
		return passes, false
	}
	for i, negate := range []bool{false, true} {
		if passes[i], ok = ocrLines(t, png, negate); !ok {
			return passes, false
		}
	}
	return passes, true
}

// ocrLine is a line of text OCR found, with its box in pixels.
type ocrLine struct {
	text                     string
	left, top, right, bottom int
}

func (a ocrLine) overlaps(b ocrLine) bool {
	return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom
}

// ocrLines reads the lines of text in a screenshot with tesseract, after
// scaling it up and, if asked, inverting it. ok is false where tesseract
// is not installed.
func ocrLines(t *testing.T, png string, negate bool) (lines []ocrLine, ok bool) {
	t.Helper()
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Log("no OCR check: tesseract is not installed (Debian package tesseract-ocr)")
		return nil, false
	}
	const scale = 3
	big := filepath.Join(t.TempDir(), "ocr.png")
	args := []string{png, "-resize", strconv.Itoa(scale*100) + "%", "-colorspace", "Gray"}
	if negate {
		args = append(args, "-negate")
	}
	if out, err := exec.Command("convert", append(args, big)...).CombinedOutput(); err != nil {
		t.Fatalf("convert: %v: %s", err, out)
	}
	out, err := exec.Command("tesseract", big, "stdout", "--psm", "11", "tsv").Output()
	if err != nil {
		t.Fatalf("tesseract: %v", err)
	}
	// TSV columns: level page block par line word left top width height conf text.
	byLine := map[string]*ocrLine{}
	var order []string
	for _, row := range strings.Split(string(out), "\n")[1:] {
		f := strings.Split(row, "\t")
		if len(f) < 12 || f[0] != "5" || strings.TrimSpace(f[11]) == "" {
			continue
		}
		n := make([]int, 4)
		for i := range n {
			n[i], _ = strconv.Atoi(f[6+i])
		}
		key := f[2] + "/" + f[3] + "/" + f[4]
		l, seen := byLine[key]
		if !seen {
			l = &ocrLine{left: n[0], top: n[1], right: n[0] + n[2], bottom: n[1] + n[3]}
			byLine[key] = l
			order = append(order, key)
		} else {
			l.text += " "
			l.left, l.top = min(l.left, n[0]), min(l.top, n[1])
			l.right, l.bottom = max(l.right, n[0]+n[2]), max(l.bottom, n[1]+n[3])
		}
		l.text += f[11]
	}
	for _, key := range order {
		l := *byLine[key]
		l.left, l.top, l.right, l.bottom = l.left/scale, l.top/scale, l.right/scale, l.bottom/scale
		lines = append(lines, l)
	}
	return lines, true
}

// windowSize reads the geometry of the window titled title.
func (g *gui) windowSize(t *testing.T, title string) (width, height int) {
	t.Helper()
	cmd := exec.Command("xwininfo", "-name", title)
	cmd.Env = append(os.Environ(), "DISPLAY="+g.display)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("xwininfo: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Width: "); ok {
			width, _ = strconv.Atoi(v)
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Height: "); ok {
			height, _ = strconv.Atoi(v)
		}
	}
	return width, height
}

// The window opens at the size it was left at: resized, quit with Ctrl+Q
// at once, started again with the same settings folder.
func TestWindowSizeIsRemembered(t *testing.T) {
	t.Parallel()
	needXdotool(t)
	settings := "XDG_CONFIG_HOME=" + t.TempDir()
	g := startGUI(t, nil, settings)
	if w, h := g.windowSize(t, "Knocker"); w != 920 || h != 580 {
		t.Fatalf("a first start opens at %d×%d, want 920×580", w, h)
	}
	// Resized once Knocker has drawn (before that Fyne may still apply the
	// size it was started with), then quit at once: the X server queues the
	// new size for Knocker before the key press, and the size must be kept
	// however soon the quit follows (Fyne's own save on quit could lose it).
	g.waitDrawn(t, "Knocker")
	g.xdotool(t, "windowsize", "--sync", g.window(t, "Knocker"), "1000", "700")
	g.key(t, "ctrl+q")
	select {
	case <-g.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("Ctrl+Q did not quit; output:\n%s", g.logs.String())
	}
	again := startGUI(t, nil, settings)
	if w, h := again.windowSize(t, "Knocker"); w != 1000 || h != 700 {
		t.Fatalf("the next start opens at %d×%d, want the 1000×700 it was left at", w, h)
	}
}

// Try the demo router on the first-run screen (reached with the keyboard:
// Tab to the third button, Space) opens the demo in a window of its own,
// as a knocker demo child; the user's config folder stays empty, and
// quitting Knocker ends the demo too.
func TestWindowOffersTheDemo(t *testing.T) {
	needXdotool(t)
	config := t.TempDir()
	g := startGUI(t, nil, "KNOCKER_CONFIG_DIR="+config)
	time.Sleep(500 * time.Millisecond)
	own := g.window(t, "Knocker")
	g.keyIn(t, "Knocker", "Tab Tab Tab space")
	windows := func() int {
		cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Knocker$")
		cmd.Env = append(os.Environ(), "DISPLAY="+g.display)
		out, _ := cmd.Output()
		return len(strings.Fields(string(out)))
	}
	if !waitFor(30*time.Second, func() bool { return windows() == 2 }) {
		t.Fatalf("no demo window appeared; output:\n%s", g.logs.String())
	}
	if entries, _ := os.ReadDir(config); len(entries) != 0 {
		t.Fatalf("the demo wrote %d files into the user's config folder", len(entries))
	}
	g.xdotool(t, "windowfocus", "--sync", own)
	g.xdotool(t, "key", "ctrl+q")
	if !waitFor(15*time.Second, func() bool { return windows() == 0 }) {
		t.Fatalf("quitting Knocker left %d windows; output:\n%s", windows(), g.logs.String())
	}
}
