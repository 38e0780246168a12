package gui

import (
	"errors"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The log lines Fyne writes when the window cannot open become one line
// with what to do; other lines pass, until the failure, after which the
// toolkit's shutdown noise is dropped.
func TestWindowStartTurnsFyneErrorsIntoOneLine(t *testing.T) {
	out, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	w := &windowStart{stderr: out}
	t.Cleanup(func() { log.SetOutput(os.Stderr) }) // end hands the log to w.stderr
	for _, line := range []string{
		"2026/12/01 10:00:00 Fyne error:  failed to watch theme settings\n",
		"2026/12/01 10:00:00   Cause: no bus\n",
		"2026/12/01 10:00:00   At: app_xdg.go:152\n",
		"2026/12/01 10:00:01 Fyne error:  window creation error\n",
		"2026/12/01 10:00:01   Cause: APIUnavailable: GLX: GLX extension not found\n",
		"2026/12/01 10:00:01   At: driver.go:180\n",
		"2026/12/01 10:00:02 Fyne error:  Preferences load error:\n",
	} {
		if _, err := w.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.end(nil); !errors.Is(got, ErrNoWindow) {
		t.Fatalf("end = %v, want ErrNoWindow", got)
	}
	data, _ := os.ReadFile(out.Name())
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	want := "knocker: the window cannot open (APIUnavailable: GLX: GLX extension not found): " + noWindowHint
	if len(lines) != 4 || lines[3] != want || !strings.Contains(lines[0], "failed to watch theme settings") {
		t.Fatalf("standard error:\n%s\nwant the unrelated error's three lines, then\n%s", data, want)
	}
}

// A panic that is not the window's failing is not swallowed.
func TestWindowStartPassesOtherPanicsOn(t *testing.T) {
	w := &windowStart{stderr: os.Stderr}
	defer func() {
		if r := recover(); r != "bug" {
			t.Fatalf("recovered %v, want the panic passed on", r)
		}
	}()
	w.end("bug")
}
