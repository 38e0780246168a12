package demorouter

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/schedule"
)

var (
	alice = netip.MustParseAddr("127.0.0.1")
	bob   = netip.MustParseAddr("127.0.0.2")
)

func steps(t *testing.T, specs ...string) []knock.Step {
	t.Helper()
	var out []knock.Step
	for _, s := range specs {
		st, err := knock.ParseStep(s, knock.TCP)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		out = append(out, st)
	}
	return out
}

// act is one thing that happens to the machine: a packet, or time passing.
type act struct {
	src     netip.Addr
	proto   knock.Proto
	port    uint16
	payload string
	wait    time.Duration // when set, only the clock moves
}

func udp(src netip.Addr, port uint16, payload string) act {
	return act{src: src, proto: knock.UDP, port: port, payload: payload}
}
func tcp(src netip.Addr, port uint16) act { return act{src: src, proto: knock.TCP, port: port} }
func wait(d time.Duration) act            { return act{wait: d} }

// label shortens an event to what the tests compare.
func label(e Event) string {
	switch e.Kind {
	case StepMatched:
		return fmt.Sprintf("%s step %d", e.Source, e.Step+1)
	case NoMatch:
		return fmt.Sprintf("%s no match %s/%d", e.Source, e.Proto, e.Port)
	case ListAdded:
		return fmt.Sprintf("%s added %s %s", e.Source, e.List, e.Timeout)
	case ListRefreshed:
		return fmt.Sprintf("%s refreshed %s %s", e.Source, e.List, e.Timeout)
	case ListExpired:
		return fmt.Sprintf("%s expired %s", e.Source, e.List)
	}
	return e.String()
}

const (
	stageTimeout = 10 * time.Second
	timeout      = 2 * time.Minute
)

// The stage logic of routerconf's rules, driven by a fake clock: order,
// payloads, stage and final timeouts, refreshes, and sources kept apart.
func TestMachine(t *testing.T) {
	three := []string{"7000:udp=open", "8000", "9000:udp=hex:c0ffee"}
	right := []act{udp(alice, 7000, "open"), tcp(alice, 8000), udp(alice, 9000, "\xc0\xff\xee")}
	rightEvents := []string{
		"127.0.0.1 step 1", "127.0.0.1 added demo-stage1 10s",
		"127.0.0.1 step 2", "127.0.0.1 added demo-stage2 10s",
		"127.0.0.1 step 3", "127.0.0.1 added demo-allow 2m0s",
	}
	tests := []struct {
		name    string
		steps   []string
		acts    []act
		want    []string // event labels
		allowed []netip.Addr
	}{
		{name: "right sequence", steps: three, acts: right, want: rightEvents, allowed: []netip.Addr{alice}},
		{
			name: "wrong payload", steps: three,
			acts: []act{udp(alice, 7000, "Open"), tcp(alice, 8000), udp(alice, 9000, "\xc0\xff\xee"), wait(reorderWindow)},
			want: []string{"127.0.0.1 no match udp/7000", "127.0.0.1 no match tcp/8000", "127.0.0.1 no match udp/9000"},
		},
		{
			name: "payload with a byte more", steps: three,
			acts: []act{udp(alice, 7000, "open!")},
			want: []string{"127.0.0.1 no match udp/7000"},
		},
		{
			name: "steps out of order", steps: three,
			acts: []act{udp(alice, 7000, "open"), udp(alice, 9000, "\xc0\xff\xee"), wait(reorderWindow), tcp(alice, 8000)},
			want: []string{
				"127.0.0.1 step 1", "127.0.0.1 added demo-stage1 10s",
				"127.0.0.1 no match udp/9000",
				"127.0.0.1 step 2", "127.0.0.1 added demo-stage2 10s",
			},
		},
		{
			name: "stage timeout runs out between steps", steps: three,
			acts: []act{udp(alice, 7000, "open"), wait(stageTimeout), tcp(alice, 8000), wait(reorderWindow)},
			want: []string{
				"127.0.0.1 step 1", "127.0.0.1 added demo-stage1 10s",
				"127.0.0.1 expired demo-stage1",
				"127.0.0.1 no match tcp/8000",
			},
		},
		{
			name: "final list expires", steps: three,
			acts:    append(slices.Clone(right), wait(timeout)),
			want:    append(slices.Clone(rightEvents), "127.0.0.1 expired demo-stage1", "127.0.0.1 expired demo-stage2", "127.0.0.1 expired demo-allow"),
			allowed: nil,
		},
		{
			name: "a knock again before expiry keeps the source listed", steps: []string{"7000:udp=open"},
			acts: []act{udp(alice, 7000, "open"), wait(timeout - time.Second), udp(alice, 7000, "open"), wait(timeout - time.Second)},
			want: []string{
				"127.0.0.1 step 1", "127.0.0.1 added demo-allow 2m0s",
				"127.0.0.1 step 1", "127.0.0.1 refreshed demo-allow 2m0s",
			},
			allowed: []netip.Addr{alice},
		},
		{
			name: "sources are kept apart", steps: three,
			acts: []act{udp(alice, 7000, "open"), tcp(bob, 8000), udp(alice, 9000, "\xc0\xff\xee"), wait(reorderWindow)},
			want: []string{
				"127.0.0.1 step 1", "127.0.0.1 added demo-stage1 10s",
				"127.0.0.2 no match tcp/8000",
				"127.0.0.1 no match udp/9000",
			},
		},
		{
			// Packets from different sockets may reach the rules in either order.
			name: "steps swapped within the reorder window count in order", steps: three,
			acts: []act{udp(alice, 7000, "open"), udp(alice, 9000, "\xc0\xff\xee"), wait(reorderWindow - time.Millisecond), tcp(alice, 8000)},
			want: []string{
				"127.0.0.1 step 1", "127.0.0.1 added demo-stage1 10s",
				"127.0.0.1 step 2", "127.0.0.1 added demo-stage2 10s",
				"127.0.0.1 step 3", "127.0.0.1 added demo-allow 2m0s",
			},
			allowed: []netip.Addr{alice},
		},
		{
			// Rules are tried last first, so one packet cannot take two steps.
			name: "one packet counts once for repeated steps", steps: []string{"7000:udp=x", "7000:udp=x"},
			acts: []act{udp(alice, 7000, "x")},
			want: []string{"127.0.0.1 step 1", "127.0.0.1 added demo-stage1 10s"},
		},
		{
			name: "repeated steps take two packets", steps: []string{"7000:udp=x", "7000:udp=x"},
			acts: []act{udp(alice, 7000, "x"), udp(alice, 7000, "x")},
			want: []string{
				"127.0.0.1 step 1", "127.0.0.1 added demo-stage1 10s",
				"127.0.0.1 step 2", "127.0.0.1 added demo-allow 2m0s",
				"127.0.0.1 step 1", "127.0.0.1 refreshed demo-stage1 10s",
			},
			allowed: []netip.Addr{alice},
		},
		{
			name: "size payload matches the length only", steps: []string{"7000:udp=size:3"},
			acts:    []act{udp(alice, 7000, "abcd"), udp(alice, 7000, "xyz")},
			want:    []string{"127.0.0.1 no match udp/7000", "127.0.0.1 step 1", "127.0.0.1 added demo-allow 2m0s"},
			allowed: []netip.Addr{alice},
		},
		{
			name: "a udp step without payload takes any datagram", steps: []string{"7000:udp=size:0"},
			acts:    []act{udp(alice, 7000, "anything")},
			want:    []string{"127.0.0.1 step 1", "127.0.0.1 added demo-allow 2m0s"},
			allowed: []netip.Addr{alice},
		},
		{
			name: "protocol must match", steps: []string{"7000:udp"},
			acts: []act{tcp(alice, 7000)},
			want: []string{"127.0.0.1 no match tcp/7000"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := schedule.NewFakeClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
			var got []string
			var gated []netip.Addr
			m := newMachine(clk, steps(t, tc.steps...), "demo", stageTimeout, timeout,
				func(e Event) { got = append(got, label(e)) },
				func(a []netip.Addr) error { gated = a; return nil })
			for _, a := range tc.acts {
				if a.wait > 0 {
					clk.Advance(a.wait)
					continue
				}
				m.packet(a.proto, a.port, a.src, []byte(a.payload))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("events:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if !slices.Equal(gated, tc.allowed) {
				t.Errorf("the service's gate lets in %v, want %v", gated, tc.allowed)
			}
			for _, a := range []netip.Addr{alice, bob} {
				if want := slices.Contains(tc.allowed, a); m.admit(9999, a) != want {
					t.Errorf("admit(%v) = %v, want %v", a, !want, want)
				}
			}
		})
	}
}

// Expiry is reported when it happens, by the timer, not at the next packet;
// once nothing is listed no timer stays armed.
func TestMachineExpiresOnTime(t *testing.T) {
	clk := schedule.NewFakeClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	var got []Event
	m := newMachine(clk, steps(t, "7000:udp=open"), "demo", stageTimeout, timeout,
		func(e Event) { got = append(got, e) }, func([]netip.Addr) error { return nil })
	m.packet(knock.UDP, 7000, alice, []byte("open"))
	start := clk.Now()
	clk.Advance(timeout - time.Millisecond)
	if n := len(got); n != 2 {
		t.Fatalf("%d events before the timeout, want 2", n)
	}
	clk.Advance(time.Millisecond)
	if len(got) != 3 || got[2].Kind != ListExpired || got[2].Time.Sub(start) != timeout {
		t.Fatalf("want an expiry exactly %v after the knock, got %+v", timeout, got)
	}
	if n := clk.Armed(); n != 0 {
		t.Errorf("%d timers armed with every list empty", n)
	}
	m.close()
	m.packet(knock.UDP, 7000, alice, []byte("open"))
	if len(got) != 3 {
		t.Errorf("a closed router still reports events: %+v", got[3:])
	}
}

func TestEventString(t *testing.T) {
	tests := []struct {
		e    Event
		want string
	}{
		{Event{Kind: StepMatched, Source: alice, Proto: knock.UDP, Port: 7000, Step: 0, Count: 3}, "udp/7000 from 127.0.0.1: step 1 of 3 matched"},
		{Event{Kind: NoMatch, Source: alice, Proto: knock.TCP, Port: 8000}, "tcp/8000 from 127.0.0.1: no rule matched (wrong payload, or a step out of order); ignored"},
		{Event{Kind: ListAdded, Source: alice, List: "demo-allow", Timeout: 2 * time.Hour}, "address list demo-allow: added 127.0.0.1, timeout 2h"},
		{Event{Kind: ListRefreshed, Source: alice, List: "demo-allow", Timeout: 90 * time.Second}, "address list demo-allow: 127.0.0.1 knocked again, timeout back to 1m30s"},
		{Event{Kind: ListExpired, Source: alice, List: "demo-stage1"}, "address list demo-stage1: 127.0.0.1 removed, its timeout ran out"},
		{Event{Kind: Accepted, Source: alice, Proto: knock.TCP, Port: 2222, List: "demo-allow"}, "tcp/2222: accepted a connection from 127.0.0.1 (on address list demo-allow)"},
		{Event{Kind: Refused, Source: bob, Proto: knock.TCP, Port: 2222, List: "demo-allow"}, "tcp/2222: closed a connection from 127.0.0.2 at once (not on address list demo-allow)"},
	}
	for _, tc := range tests {
		if got := tc.e.String(); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

// A service that cannot follow the list is reported, not ignored.
func TestMachineReportsServiceFailure(t *testing.T) {
	clk := schedule.NewFakeClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	var got []string
	m := newMachine(clk, steps(t, "7000:udp=size:0"), "demo", stageTimeout, timeout,
		func(e Event) { got = append(got, e.String()) },
		func([]netip.Addr) error { return errors.New("port taken") })
	m.packet(knock.UDP, 7000, alice, nil)
	if want := "the service cannot follow address list demo-allow: port taken"; !slices.Contains(got, want) {
		t.Errorf("events %q lack %q", got, want)
	}
}
