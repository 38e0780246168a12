//go:build !windows

package knock

import "syscall"

// closedPort is how the OS says a TCP port refused or reset a connection.
var closedPort = []error{syscall.ECONNREFUSED, syscall.ECONNRESET}

// udpUnsupported is how the OS says it has no UDP sockets at all: never.
var udpUnsupported []error
