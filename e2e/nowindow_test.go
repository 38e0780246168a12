package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/knocker/knocker/internal/testbin"
)

// Where the window cannot open (no display at all, or an X server without
// OpenGL, as on machines without a GL driver), Knocker says so in one line
// with what to do instead, and exits 1: no log lines of the toolkit, no
// panic, no stack trace. The same for the login start and the demo.
func TestWindowThatCannotOpenSaysSoInOneLine(t *testing.T) {
	noGL := startXvfb(t, "-extension", "GLX")
	for _, place := range []struct{ name, display string }{
		{"no display", ""},
		{"no OpenGL", noGL},
	} {
		for _, args := range [][]string{nil, {"--tray"}, {"demo"}} {
			t.Run(place.name+" "+strings.Join(args, " "), func(t *testing.T) {
				runtimeDir := t.TempDir()
				os.Chmod(runtimeDir, 0o700)
				env := []string{"DISPLAY=" + place.display, "WAYLAND_DISPLAY=", "XDG_RUNTIME_DIR=" + runtimeDir, "KNOCKER_CONFIG_DIR=" + t.TempDir(), "XDG_CONFIG_HOME=" + t.TempDir()}
				res := testbin.Run(t, env, args...)
				var lines []string
				for _, l := range strings.Split(strings.TrimSpace(res.Stderr), "\n") {
					if !strings.Contains(l, "failed to watch theme settings") { // no settings portal on this bus: not the window's
						lines = append(lines, l)
					}
				}
				if res.Code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "knocker: the window cannot open (") ||
					!strings.Contains(lines[0], "knocker-cli") {
					t.Fatalf("exit %d, stderr:\n%s\nwant exit 1 and one line saying the window cannot open and what to do", res.Code, res.Stderr)
				}
			})
		}
	}
}
