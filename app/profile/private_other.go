//go:build !unix

package profile

import (
	"fmt"
	"io/fs"
)

// checkPrivate checks what Windows file modes can say: that it is a file.
// Who may read it is up to its folder's access list; the user's own profile
// folder admits only the user.
func checkPrivate(path string, info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s: %s is not a regular file", FileEnv, path)
	}
	return nil
}
