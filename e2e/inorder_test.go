package e2e

import (
	"testing"
	"time"
)

func TestInOrder(t *testing.T) {
	base := time.Unix(1000, 0)
	at := func(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }
	tests := []struct {
		name string
		got  []arrival
		want []string
		ok   bool
		bad  int
	}{
		{"in order", []arrival{{"udp:a", at(0)}, {"tcp", at(50)}}, []string{"udp:a", "tcp"}, true, 0},
		{"received the other way round", []arrival{{"tcp", at(50)}, {"udp:a", at(0)}}, []string{"udp:a", "tcp"}, true, 0},
		{"a tick apart, stamped the other way", []arrival{{"tcp", at(0)}, {"udp:a", at(1)}}, []string{"udp:a", "tcp"}, true, 0},
		{"clearly the other way", []arrival{{"tcp", at(0)}, {"udp:a", at(40)}}, []string{"udp:a", "tcp"}, false, 0},
		{"last two swapped", []arrival{{"udp:a", at(0)}, {"udp:c", at(100)}, {"udp:b", at(200)}}, []string{"udp:a", "udp:b", "udp:c"}, false, 1},
		{"a different packet", []arrival{{"udp:a", at(0)}, {"udp:x", at(100)}}, []string{"udp:a", "udp:b"}, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad, ok := inOrder(tt.got, tt.want)
			if ok != tt.ok || (!ok && bad != tt.bad) {
				t.Fatalf("inOrder = %d, %v; want %d, %v", bad, ok, tt.bad, tt.ok)
			}
		})
	}
}
