package knock

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"
)

// udpSink receives datagrams on 127.0.0.1 and timestamps them as they arrive.
type udpSink struct {
	conn    *net.UDPConn
	arrived chan time.Time
}

func newUDPSink(b *testing.B) *udpSink {
	b.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	s := &udpSink{conn: c, arrived: make(chan time.Time, 4096)}
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := c.ReadFromUDP(buf); err != nil {
				close(s.arrived)
				return
			}
			s.arrived <- time.Now()
		}
	}()
	b.Cleanup(func() { c.Close() })
	return s
}

func (s *udpSink) port() uint16 { return s.conn.LocalAddr().(*net.UDPAddr).AddrPort().Port() }

func sinkSteps(port uint16, n int, delay time.Duration) []Step {
	steps := make([]Step, n)
	for i := range steps {
		steps[i] = Step{Proto: UDP, Port: port, Payload: Payload{Data: []byte("test")}}
		if i > 0 {
			steps[i].Delay = delay
		}
	}
	return steps
}

// BenchmarkKnock10StepsNoDelay is the engine's own cost for a 10-step UDP
// sequence over loopback: resolve (literal), route lookup, and a socket and a
// send for each step.
func BenchmarkKnock10StepsNoDelay(b *testing.B) {
	sink := newUDPSink(b)
	steps := sinkSteps(sink.port(), 10, 0)
	var k Knocker
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Knock(context.Background(), "127.0.0.1", steps); err != nil {
			b.Fatal(err)
		}
		for range steps {
			<-sink.arrived
		}
	}
}

func BenchmarkDelayAccuracy100ms(b *testing.B) { benchmarkDelayAccuracy(b, 100*time.Millisecond) }
func BenchmarkDelayAccuracy10ms(b *testing.B)  { benchmarkDelayAccuracy(b, 10*time.Millisecond) }

// benchmarkDelayAccuracy sends 10 steps at the given delay per iteration and
// reports how far each gap, as seen by the receiver, is from the delay.
// Run with -benchtime=Nx: one iteration takes 9 delays.
func benchmarkDelayAccuracy(b *testing.B, delay time.Duration) {
	sink := newUDPSink(b)
	steps := sinkSteps(sink.port(), 10, delay)
	var k Knocker
	var errs []time.Duration
	for b.Loop() {
		if _, err := k.Knock(context.Background(), "127.0.0.1", steps); err != nil {
			b.Fatal(err)
		}
		prev := <-sink.arrived
		for range steps[1:] {
			at := <-sink.arrived
			gap := at.Sub(prev) - delay
			errs = append(errs, max(gap, -gap))
			prev = at
		}
	}
	slices.Sort(errs)
	b.ReportMetric(float64(percentile(errs, 50).Microseconds()), "p50-gap-err-µs")
	b.ReportMetric(float64(percentile(errs, 99).Microseconds()), "p99-gap-err-µs")
	b.ReportMetric(float64(errs[len(errs)-1].Microseconds()), "max-gap-err-µs")
}

// percentile picks the nearest-rank p-th percentile of sorted values.
func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p+99)/100 - 1
	return sorted[max(i, 0)]
}
