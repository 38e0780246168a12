//go:build !unix

package demorouter

import "net"

// setBacklog does nothing where listen(2) cannot change a listening
// socket's queue (Windows keeps the first backlog): there the shut port
// completes handshakes, so a client's connect succeeds, and the connection
// is reset only when the port opens and accept gets to it.
func setBacklog(*net.TCPListener, int) error { return nil }
