//go:build unix

package demorouter

import (
	"net"
	"syscall"
)

// setBacklog changes a listening socket's accept queue limit; listen(2) on a
// socket that already listens does just that on Linux and the BSDs.
func setBacklog(ln *net.TCPListener, n int) error {
	rc, err := ln.SyscallConn()
	if err != nil {
		return err
	}
	ctlErr := rc.Control(func(fd uintptr) { err = syscall.Listen(int(fd), n) })
	if ctlErr != nil {
		return ctlErr
	}
	return err
}
