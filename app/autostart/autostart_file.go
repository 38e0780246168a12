//go:build !windows

package autostart

import (
	"errors"
	"os"
)

// fileEnabled reports whether the entry file at path exists; it takes the
// results of the system's path function, so a failure there passes through.
func fileEnabled(path string, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	_, err = os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// removeFile deletes the entry file at path; it is not an error if there was none.
func removeFile(path string, err error) error {
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
