//go:build unix

package autostart

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// UnsafePathError refuses a program another user could replace: login
// would then run their program as this user.
type UnsafePathError struct {
	Exe    string // the program
	Path   string // the file or folder at fault
	Reason string
}

func (e *UnsafePathError) Error() string {
	return fmt.Sprintf("not starting %s at login: %s %s, so another user could put a program of theirs in its place; install Knocker in a folder only you (or root) can write to, such as ~/.local/bin", e.Exe, e.Path, e.Reason)
}

// checkExecutable refuses exe if it, or any folder above it, as written and
// with links resolved, can be changed by a user other than this one and
// root: owned by another user, writable by others (/tmp, sticky or not),
// or writable by a group other than the user's own.
func checkExecutable(exe string) error {
	real, err := filepath.EvalSymlinks(exe)
	if err != nil {
		return err
	}
	for _, start := range []string{filepath.Clean(exe), real} {
		for p := start; ; p = filepath.Dir(p) {
			if err := checkPathEntry(exe, p); err != nil {
				return err
			}
			if p == filepath.Dir(p) {
				break
			}
		}
	}
	return nil
}

func checkPathEntry(exe, p string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	uid, gid := os.Getuid(), os.Getgid()
	unsafe := func(reason string) error { return &UnsafePathError{Exe: exe, Path: p, Reason: reason} }
	switch mode := fi.Mode(); {
	case int(st.Uid) != uid && st.Uid != 0:
		return unsafe(fmt.Sprintf("belongs to another user (uid %d)", st.Uid))
	case mode&fs.ModeSymlink != 0:
		// A link's own mode means nothing; who may replace it is up to
		// its folder, checked next.
	case mode&0o002 != 0:
		return unsafe("can be written by every user")
	case mode&0o020 != 0 && int(st.Gid) != gid:
		return unsafe(fmt.Sprintf("can be written by the members of group %d", st.Gid))
	}
	return nil
}
