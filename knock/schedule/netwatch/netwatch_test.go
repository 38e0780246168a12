package netwatch

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/knocker/knocker/knock/schedule"
)

var (
	home    = Snapshot{Addrs: []string{"lo 127.0.0.1/8", "wlan0 192.168.1.20/24"}, Routes: []string{"4 wlan0 0101A8C0 600"}}
	halfUp  = Snapshot{Addrs: []string{"lo 127.0.0.1/8", "wlan0 10.0.0.7/24"}}
	cafe    = Snapshot{Addrs: []string{"lo 127.0.0.1/8", "wlan0 10.0.0.7/24"}, Routes: []string{"4 wlan0 0100000A 600"}}
	errGone = errors.New("interface vanished")
)

// poll is one answer of the fake source.
type poll struct {
	snap Snapshot
	err  error
}

func TestWatcher(t *testing.T) {
	for _, tc := range []struct {
		name  string
		polls []poll // the first is the baseline taken by Start
		want  []int  // indexes of the polls after which OnChange reports
	}{
		{"no change", []poll{{snap: home}, {snap: home}, {snap: home}}, nil},
		{"change confirmed by the next poll", []poll{{snap: home}, {snap: cafe}, {snap: cafe}, {snap: cafe}}, []int{2}},
		{"a network coming up step by step is reported once", []poll{{snap: home}, {snap: halfUp}, {snap: cafe}, {snap: cafe}}, []int{3}},
		{"a flap is not a change", []poll{{snap: home}, {snap: cafe}, {snap: home}, {snap: home}}, nil},
		{"a failed poll is skipped", []poll{{snap: home}, {err: errGone}, {snap: home}, {snap: cafe}, {err: errGone}, {snap: cafe}}, []int{5}},
		{"a failed baseline: the first good poll takes its place", []poll{{err: errGone}, {snap: cafe}, {snap: cafe}, {snap: home}, {snap: home}}, []int{4}},
		{"back and forth", []poll{{snap: home}, {snap: cafe}, {snap: cafe}, {snap: home}, {snap: home}}, []int{2, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := schedule.NewFakeClock(time.Now())
			var mu sync.Mutex
			i := 0
			var got []int
			var olds, news []Snapshot
			w, err := Start(Config{
				Clock: clk,
				Source: func() (Snapshot, error) {
					mu.Lock()
					defer mu.Unlock()
					p := tc.polls[i]
					i++
					return p.snap, p.err
				},
				OnChange: func(old, new Snapshot) {
					mu.Lock()
					defer mu.Unlock()
					got = append(got, i-1)
					olds, news = append(olds, old), append(news, new)
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			clk.Advance(time.Duration(len(tc.polls)-1) * DefaultInterval)
			mu.Lock()
			defer mu.Unlock()
			if i != len(tc.polls) {
				t.Fatalf("%d polls in %d intervals", i-1, len(tc.polls)-1)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("changes reported after polls %v, want %v", got, tc.want)
			}
			for k, n := range got {
				if !news[k].Equal(tc.polls[n].snap) || olds[k].Equal(news[k]) {
					t.Errorf("change %d: %v -> %v", k, olds[k], news[k])
				}
			}
		})
	}
}

func TestStop(t *testing.T) {
	clk := schedule.NewFakeClock(time.Now())
	polls := 0
	w, err := Start(Config{
		Clock:    clk,
		Interval: time.Second,
		Source:   func() (Snapshot, error) { polls++; return home, nil },
		OnChange: func(Snapshot, Snapshot) {},
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(3 * time.Second)
	if polls != 4 || clk.Armed() != 1 {
		t.Fatalf("%d polls (baseline included) and %d timers after 3 intervals, want 4 and 1", polls, clk.Armed())
	}
	w.Stop()
	clk.Advance(time.Hour)
	if polls != 4 || clk.Armed() != 0 {
		t.Errorf("still polling after Stop: %d polls, %d timers", polls, clk.Armed())
	}
	if _, err := Start(Config{}); err == nil {
		t.Error("Start without OnChange succeeded")
	}
}

func TestRouteDefaults(t *testing.T) {
	v4 := `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	010200C0	0003	0	0	100	00000000	0	0	0
eth0	000200C0	00000000	0001	0	0	0	00FFFFFF	0	0	0
wg0	00000000	00000000	0001	0	0	50	00000080	0	0	0
eth1	00000000	010300C0	0002	0	0	200	00000000	0	0	0
`
	v6 := `fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
short line
`
	for _, tc := range []struct {
		table routeTable
		data  string
		want  []string
	}{
		// Not the /1 half-default of a VPN, nor a route that is down.
		{routeTables[0], v4, []string{"4 eth0 010200C0 100"}},
		// Not the kernel's unreachable default on lo.
		{routeTables[1], v6, []string{"6 eth0 fd000000000000000000000000000001 00000400"}},
		{routeTables[0], "", nil},
	} {
		if got := tc.table.defaults([]byte(tc.data)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.table.path, got, tc.want)
		}
	}
}

// TestSystem reads this machine once: loopback is always up.
func TestSystem(t *testing.T) {
	s, err := System()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(s.Addrs, func(a string) bool {
		return strings.HasSuffix(a, " 127.0.0.1/8") || strings.HasSuffix(a, " ::1/128")
	}) {
		t.Errorf("no loopback address in %q", s.Addrs)
	}
	// Counters in the route files must not make every poll a change. Other
	// tests may really change the network meanwhile, so allow a retry.
	for try := 0; ; try++ {
		again, err := System()
		if err != nil {
			t.Fatal(err)
		}
		if again.Equal(s) {
			break
		}
		if try == 2 {
			t.Fatalf("consecutive snapshots keep differing: %v / %v", s, again)
		}
		s = again
	}
}

func BenchmarkSystem(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := System(); err != nil {
			b.Fatal(err)
		}
	}
}
