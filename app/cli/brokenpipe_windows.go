package cli

import (
	"syscall"

	"golang.org/x/sys/windows"
)

// brokenPipe says whether errno is a write to a pipe nobody reads any more:
// Windows says so in two ways, by whether the reader closed before or while
// the write waited.
func brokenPipe(errno syscall.Errno) bool {
	return errno == windows.ERROR_NO_DATA || errno == windows.ERROR_BROKEN_PIPE
}
