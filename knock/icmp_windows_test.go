//go:build windows

package knock

import (
	"context"
	"net/netip"
	"testing"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// ICMP steps go through IcmpSendEcho2 / Icmp6SendEcho2, which need no
// administrator rights, or, where the helper lacks the family (Wine has no
// Icmp6SendEcho2), through a raw socket. A raw listener on loopback, which
// does need administrator rights (root under Wine), sees each request with
// its payload.
func TestICMPStepsReachLoopback(t *testing.T) {
	tests := []struct {
		ip, listen string
		request    icmp.Type
		proto      int
		helper     bool // the helper must send it (not the socket fallback)
	}{
		{"127.0.0.1", "ip4:icmp", ipv4.ICMPTypeEcho, 1, true},
		{"::1", "ip6:ipv6-icmp", ipv6.ICMPTypeEchoRequest, 58, false},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			ln, err := icmp.ListenPacket(tt.listen, tt.ip)
			if err != nil {
				t.Skipf("reading ICMP back needs a raw socket, so administrator rights: %v", err)
			}
			defer ln.Close()
			remote := netip.MustParseAddr(tt.ip)
			payload := []byte("helper-\x00\xff-" + tt.ip)
			if tt.helper {
				sent, err := sendICMPEcho(remote, payload)
				if err != nil || !sent {
					t.Fatalf("IcmpSendEcho2: sent=%v err=%v", sent, err)
				}
			}
			// Through a connection as a knock sends: the helper first.
			// (Open is bypassed: its route lookup uses a UDP socket, which
			// Wine refuses.)
			c := &sysConn{remote: remote, local: remote}
			defer c.Close()
			steps := []Step{{Proto: ICMP, Payload: Payload{Data: payload}}, {Proto: ICMP, Payload: Payload{Data: make([]byte, 64), Encoding: Size}}}
			for _, s := range steps {
				if _, err := c.Send(context.Background(), s); err != nil {
					t.Fatal(err)
				}
			}
			want := [][]byte{payload, steps[1].Payload.Data}
			if tt.helper {
				want = append([][]byte{payload}, want...)
			}
			expectEchoes(t, ln, tt.proto, tt.request, want...)
		})
	}
}
