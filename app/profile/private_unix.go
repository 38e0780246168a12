//go:build unix

package profile

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkPrivate refuses a profile file that others could read or replace:
// it must be a regular file of the user's (or root's, as a systemd
// credential may be) with no permission for group or others.
func checkPrivate(path string, info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s: %s is not a regular file", FileEnv, path)
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() && st.Uid != 0 {
		return fmt.Errorf("%s: %s belongs to user %d, not to you (%d); it holds your knocks, so Knocker reads only a file of your own",
			FileEnv, path, st.Uid, os.Getuid())
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s: %s can be read or changed by others (mode %04o); it holds your knocks: chmod 600 %s",
			FileEnv, path, perm, path)
	}
	return nil
}
