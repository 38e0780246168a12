//go:build unix

package gui

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
)

// instanceSocket is where the running Knocker listens for a second launch:
// in the user's runtime folder, which only the user can enter.
func instanceSocket() string {
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), fmt.Sprintf("knocker-%d", os.Getuid()))
		_ = os.MkdirAll(dir, 0o700)
	}
	return filepath.Join(dir, ID+".sock")
}

// claimInstance makes this process the one Knocker of the user. If another
// runs, it is asked to show its window and claimInstance returns false.
// Otherwise show is called, on a goroutine of its own, whenever a later
// launch asks.
func claimInstance(show func()) (bool, error) {
	path := instanceSocket()
	if c, err := net.Dial("unix", path); err == nil {
		_, err = c.Write([]byte("show\n"))
		c.Close()
		return false, err
	}
	// Nobody answers: a socket left by a crashed Knocker is stale.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return true, err
	}
	old := syscall.Umask(0o077)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return true, err // run anyway; a second launch then starts a second Knocker
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if line == "show\n" {
				show()
			}
		}
	}()
	return true, nil
}
