//go:build windows

package knock

import "golang.org/x/sys/windows"

// closedPort is how Windows says a TCP port refused or reset a connection:
// its own error numbers, which the syscall package's names do not match.
var closedPort = []error{windows.WSAECONNREFUSED, windows.WSAECONNRESET}

// udpUnsupported is how Wine refuses every UDP socket Go asks for (the
// WSAIoctl Go issues on each); real Windows does not.
var udpUnsupported = []error{windows.WSAEOPNOTSUPP}
