// Package testx gives tests a private X server (Xvfb) to open real windows on.
package testx

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strings"
	"time"
)

// StartXvfb starts Xvfb with one screen of the given geometry (such as
// "1024x768x24") and Xvfb's options, if any, on a display it picks itself,
// and returns the DISPLAY value and a function that stops the server.
func StartXvfb(screen string, options ...string) (display string, stop func(), err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", nil, err
	}
	defer r.Close()
	// -displayfd lets the server pick a free display and tell us which.
	// -noreset: by default the server resets whenever its last client
	// goes, and refuses a client that connects during the reset; a test
	// that starts windows one after the other met that now and then (GLFW:
	// "PlatformUnavailable"; under Wine, a desktop with no display driver,
	// so every window failed: "Failed to create helper window").
	xvfb := exec.Command("Xvfb", append([]string{"-displayfd", "3", "-screen", "0", screen, "-nolisten", "tcp", "-noreset"}, options...)...)
	xvfb.ExtraFiles = []*os.File{w}
	err = xvfb.Start()
	w.Close()
	if err != nil {
		return "", nil, err
	}
	stop = func() { xvfb.Process.Kill(); xvfb.Wait() }
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			stop()
			return "", nil, errors.New("the X server (Xvfb) exited without reporting a display")
		}
		return ":" + n, stop, nil
	case <-time.After(15 * time.Second):
		stop()
		return "", nil, errors.New("the X server (Xvfb) did not start within 15 s")
	}
}
