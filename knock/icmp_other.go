//go:build !windows

package knock

import "net/netip"

const icmpNotPermitted = "ICMP steps need root or CAP_NET_RAW, " +
	"or unprivileged ping allowed for your group (sysctl net.ipv4.ping_group_range)"

// sendICMPEcho reports false: here ICMP goes through sockets only.
func sendICMPEcho(netip.Addr, []byte) (bool, error) { return false, nil }
