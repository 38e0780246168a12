package gui

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"reflect"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
)

// ErrNoWindow means the window could not open (no display, no OpenGL); the
// user has been told why, in one line, and what to use instead.
var ErrNoWindow = errors.New("the window cannot open")

// noWindowHint is what to do instead, the end of the one line.
const noWindowHint = "start Knocker in a desktop session with OpenGL, or use its command line (knocker help; " +
	"the headless build knocker-cli needs no display at all)"

// windowStart watches the window's start. When there is no display or no
// OpenGL, Fyne logs an error, GLFW prints internal errors and one of them
// panics or exits; the user gets instead one line saying so and what to do,
// and the process exits 1. Once the window runs, standard error is
// Knocker's own again.
type windowStart struct {
	stderr   *os.File // the real one
	pipe     *os.File // where os.Stderr points meanwhile
	copied   chan struct{}
	restore  sync.Once
	mu       sync.Mutex
	cause    string // why the window failed, "" while it has not
	awaiting bool   // a Fyne error about the window was logged; its cause follows
	reported bool
	// held are GLFW's own errors logged before the window runs: on Wine
	// the first says why the next GLFW call panics; if the window comes up
	// after all, they go out as they came.
	held []string
}

// watchWindowStart begins the watch: Fyne's log lines pass through it as
// they are written, and GLFW's prints to os.Stderr through a pipe.
func watchWindowStart() *windowStart {
	w := &windowStart{stderr: os.Stderr, copied: make(chan struct{})}
	log.SetOutput(w)
	r, pipe, err := os.Pipe()
	if err != nil {
		close(w.copied)
		return w
	}
	w.pipe, os.Stderr = pipe, pipe
	go func() {
		defer close(w.copied)
		lines := bufio.NewScanner(r)
		for lines.Scan() {
			if line := lines.Text(); !strings.HasPrefix(line, "go-gl/glfw: ") {
				fmt.Fprintln(w.stderr, line)
			}
		}
		r.Close()
	}()
	return w
}

// Write takes a line the log package writes. The two errors Fyne logs when
// the window cannot open, and their cause, become the one line; anything
// else goes on to standard error.
func (w *windowStart) Write(p []byte) (int, error) {
	line := string(p)
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case strings.Contains(line, "Fyne error:  failed to initialise GLFW"), strings.Contains(line, "Fyne error:  window creation error"):
		w.awaiting = true
		return len(p), nil
	case w.awaiting && strings.Contains(line, "  Cause: "):
		_, cause, _ := strings.Cut(line, "  Cause: ")
		// Fyne may exit the process right after: say it now.
		w.reportLocked(strings.TrimSpace(cause))
		return len(p), nil
	case w.awaiting && strings.Contains(line, "  At: "):
		w.awaiting = false
		return len(p), nil
	case !w.reported && strings.Contains(line, "PlatformError: "):
		w.held = append(w.held, line)
		return len(p), nil
	case w.reported:
		// What the toolkit logs as it shuts down after the failure (such
		// as its preferences file, saved and reloaded at once) is noise.
		return len(p), nil
	}
	return w.stderr.Write(p)
}

func (w *windowStart) reportLocked(cause string) {
	if w.cause == "" {
		w.cause = cause
	}
	if !w.reported {
		w.reported = true
		fmt.Fprintf(w.stderr, "knocker: the window cannot open (%s): %s\n", w.cause, noWindowHint)
		showNoWindow(fmt.Sprintf("Knocker's window cannot open (%s).\n\nTo use Knocker, %s.", w.cause, noWindowHint))
	}
}

// onStarted is for the app's OnStarted, when its event loop begins: the
// window is up (then up runs), or it failed before (Fyne then runs on with
// no window), and the app quits at once.
func (w *windowStart) onStarted(a fyne.App, up func()) func() {
	return func() {
		w.mu.Lock()
		failed := w.cause != ""
		w.mu.Unlock()
		if failed {
			a.Quit()
			return
		}
		w.running()
		up()
	}
}

// running ends the watch: the window is up.
func (w *windowStart) running() {
	w.restoreStderr()
	w.mu.Lock()
	for _, line := range w.held {
		io.WriteString(w.stderr, line)
	}
	w.held = nil
	w.mu.Unlock()
	log.SetOutput(w.stderr)
}

// restoreStderr gives os.Stderr back, once GLFW's prints have been passed on.
func (w *windowStart) restoreStderr() {
	w.restore.Do(func() {
		if w.pipe != nil {
			os.Stderr = w.stderr
			w.pipe.Close()
			<-w.copied
		}
	})
}

// end is deferred over the window's whole run with recover's value. It
// returns ErrNoWindow when the window failed, after telling the user; a
// panic that is not the window's failing goes on.
func (w *windowStart) end(recovered any) error {
	w.mu.Lock()
	if recovered != nil && glfwFailure(recovered) {
		cause := fmt.Sprint(recovered)
		if len(w.held) > 0 { // the failure that left GLFW uninitialised
			_, cause, _ = strings.Cut(strings.TrimSpace(w.held[0]), "PlatformError: ")
			cause = "PlatformError: " + cause
		}
		w.reportLocked(cause)
	}
	failed := w.cause != ""
	w.mu.Unlock()
	if !failed {
		w.running()
		if recovered != nil {
			panic(recovered)
		}
		return nil
	}
	// The process ends now. What the toolkit still logs on its way out
	// (a preferences file saved and reloaded at once) stays dropped.
	w.restoreStderr()
	return ErrNoWindow
}

// glfwFailure reports whether a panic is GLFW's, which happens when it has
// no display or no OpenGL context to give.
func glfwFailure(recovered any) bool {
	t := reflect.TypeOf(recovered)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t != nil && strings.HasPrefix(t.PkgPath(), "github.com/go-gl/glfw/")
}
