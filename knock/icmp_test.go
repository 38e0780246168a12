package knock

import (
	"bytes"
	"testing"
	"time"

	"golang.org/x/net/icmp"
)

// expectEchoes reads ln until echo requests (of type request, protocol
// number proto) carrying each of want, in order, have arrived, and fails
// after 5 s. It returns the echo identifiers they carried.
func expectEchoes(t *testing.T, ln *icmp.PacketConn, proto int, request icmp.Type, want ...[]byte) map[int]bool {
	t.Helper()
	ids := map[int]bool{}
	buf := make([]byte, 1500)
	deadline := time.Now().Add(5 * time.Second)
	for len(want) > 0 {
		ln.SetReadDeadline(deadline)
		n, _, err := ln.ReadFrom(buf)
		if err != nil {
			t.Fatalf("still waiting for %d echo requests: %v", len(want), err)
		}
		msg, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil || msg.Type != request {
			continue // the echo replies, or unrelated traffic
		}
		if echo, ok := msg.Body.(*icmp.Echo); ok && bytes.Equal(echo.Data, want[0]) {
			want = want[1:]
			ids[echo.ID] = true
		}
	}
	return ids
}
