//go:build cgo

package gui

import (
	"errors"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-gl/glfw/v3.4/glfw"
)

// GLFW's own errors before the window runs are held back: on Wine the
// first says why the next GLFW call panics, and becomes the one line's
// cause; if the window comes up after all, they go out unchanged.
func TestWindowStartHoldsGLFWErrors(t *testing.T) {
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	for _, tt := range []struct {
		name  string
		fails bool
	}{{"the window fails", true}, {"the window comes up", false}} {
		out, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
		if err != nil {
			t.Fatal(err)
		}
		w := &windowStart{stderr: out}
		w.Write([]byte("2026/12/01 10:00:00 PlatformError: Win32: Failed to create helper window: Success.\n"))
		if tt.fails {
			func() {
				defer func() {
					if err := w.end(recover()); !errors.Is(err, ErrNoWindow) {
						t.Errorf("%s: end = %v", tt.name, err)
					}
				}()
				panic(&glfw.Error{Code: glfw.APIUnavailable, Desc: "the library is not usable"}) // GLFW panics with its own error type
			}()
		} else {
			w.running()
		}
		data, _ := os.ReadFile(out.Name())
		text := strings.TrimSpace(string(data))
		switch {
		case tt.fails && text != "knocker: the window cannot open (PlatformError: Win32: Failed to create helper window: Success.): "+noWindowHint:
			t.Errorf("%s: %q", tt.name, text)
		case !tt.fails && !strings.HasSuffix(text, "PlatformError: Win32: Failed to create helper window: Success."):
			t.Errorf("%s: the held line must go out: %q", tt.name, text)
		}
	}
}
