//go:build !windows

package cli

import "syscall"

// brokenPipe says whether errno is a write to a pipe nobody reads any more.
func brokenPipe(errno syscall.Errno) bool {
	return errno == syscall.EPIPE
}
