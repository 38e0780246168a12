//go:build unix

package gui

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// What a second launch may send the running Knocker: one short line, soon.
// Anything slower or longer is dropped, so a stuck or hostile client cannot
// hold the listener or fill memory.
const (
	instanceMessage     = "show\n"
	instanceReadTimeout = time.Second
	instanceMaxMessage  = 64
)

// instanceSocket is where the running Knocker listens for a second launch:
// in the user's runtime folder, which only the user can enter. Without one
// it is a folder of the user's own in the temporary folder, which another
// user may have created first, as a folder, a link or a socket, to stop
// Knocker from starting. Either folder is used only if it is a real folder
// (not a link), owned by this user, with mode 0700: the runtime folder must
// be so by its specification, and one inherited from another user (sudo
// keeps the variable) is not.
func instanceSocket() (string, error) {
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), fmt.Sprintf("knocker-%d", os.Getuid()))
		if err := os.Mkdir(dir, 0o700); err == nil {
			// Mkdir's mode passes through the umask.
			if err := os.Chmod(dir, 0o700); err != nil {
				return "", err
			}
		} else if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	if err := checkPrivateDir(dir); err != nil {
		return "", err
	}
	return filepath.Join(dir, ID+".sock"), nil
}

// checkPrivateDir reports why dir is not a folder only this user can use.
func checkPrivateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link, not a folder of this user's", dir)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a folder", dir)
	case !ok || int(st.Uid) != os.Getuid():
		return fmt.Errorf("%s belongs to another user", dir)
	case fi.Mode().Perm() != 0o700:
		return fmt.Errorf("%s has mode %04o, not 0700: others may have put a socket in it", dir, fi.Mode().Perm())
	}
	return nil
}

// claimInstance makes this process the one Knocker of the user. If another
// runs, it is asked to show its window and claimInstance returns false.
// Otherwise show is called, on a goroutine of its own, whenever a later
// launch asks. Where no safe place for the socket exists, the check is
// skipped (logged, and returned as the error) and this process runs.
func claimInstance(show func()) (bool, error) {
	path, err := instanceSocket()
	if err != nil {
		err = fmt.Errorf("single-instance check skipped: %w", err)
		log.Print(err)
		return true, err
	}
	first, _, err := claimInstanceAt(path, show)
	return first, err
}

// claimInstanceAt is claimInstance at the socket path; the listener it
// returns, if any, serves later launches until closed.
//
// Dialling, removing a stale socket and listening happen under an
// exclusive flock on a lock file beside the socket. Without it, two
// launches at the same moment could both fail to dial, and the second to
// listen would remove the first's live socket: two Knockers, both
// re-knocking and writing profiles.json. Under the lock, a launch either
// reaches a listener that was up before it took the lock, or finds none
// that anyone is about to make; the winner listens before it lets go, so
// every later launch reaches it. The lock is held for the claim only, not
// for the process's life: a Knocker that crashed leaves a socket nobody
// answers, which the next launch removes as before, and the kernel drops
// a dead holder's lock, even after SIGKILL. The lock file stays: removing
// it could let two launches lock two different files.
func claimInstanceAt(path string, show func()) (bool, io.Closer, error) {
	// Without the lock (a folder that takes no flock), the claim goes on
	// as it would without it, and says so.
	unlock, lockErr := lockInstance(strings.TrimSuffix(path, filepath.Ext(path)) + ".lock")
	if lockErr == nil {
		defer unlock()
	}
	if c, err := net.Dial("unix", path); err == nil {
		_, err = c.Write([]byte(instanceMessage))
		c.Close()
		return false, nil, err
	}
	// Nobody answers: a socket left by a crashed Knocker is stale.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return true, nil, err
	}
	old := syscall.Umask(0o077)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return true, nil, err // run anyway; a second launch then starts a second Knocker
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if readInstanceMessage(c) == instanceMessage {
				show()
			}
		}
	}()
	return true, ln, lockErr
}

// lockInstance waits for the exclusive flock on the file at path, made
// if need be (only this user can enter its folder), and returns what lets
// it go. Every holder lets go within a dial and a listen, or dies, so the
// wait is short.
func lockInstance(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("instance lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("instance lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil // closing the only descriptor lets go
}

// readInstanceMessage reads what a launch sent, within the time and size
// limits, and closes the connection.
func readInstanceMessage(c net.Conn) string {
	defer c.Close()
	if err := c.SetReadDeadline(time.Now().Add(instanceReadTimeout)); err != nil {
		return ""
	}
	line, _ := bufio.NewReader(io.LimitReader(c, instanceMaxMessage)).ReadString('\n')
	return line
}
