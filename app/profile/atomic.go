package profile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// tempSuffix marks the temporary file WriteFileAtomic writes beside its
// target: "NAME.tmp-RANDOM".
const tempSuffix = ".tmp-"

// WriteFileAtomic replaces the file at path with data, so that a crash at
// any point leaves either the old file or the new one, never a mix: a
// temporary file in the same folder is written with mode perm (exactly,
// whatever the umask), synced and renamed over path, then the folder is
// synced so the rename itself survives a power cut. A file already at path
// keeps its owner and group, or nothing is written. A symbolic link at path
// is replaced, not followed. Files holding secrets take perm 0600.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	old, err := os.Lstat(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+tempSuffix+"*")
	if err != nil {
		return err
	}
	renamed := false
	defer func() {
		if !renamed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if old != nil && old.Mode().IsRegular() {
		if err := keepOwner(tmp, old); err != nil {
			return err
		}
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	renamed = true
	return syncDir(dir)
}
