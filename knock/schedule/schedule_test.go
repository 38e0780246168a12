package schedule

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

var errRefused = errors.New("refused")

func TestMargin(t *testing.T) {
	const day = 24 * time.Hour
	for _, tc := range []struct {
		name            string
		timeout, custom time.Duration
		want            time.Duration
	}{
		{"tiny timeout: half of it", time.Second, 0, 500 * time.Millisecond},
		{"20 s entry re-knocked after 10 s", 20 * time.Second, 0, 10 * time.Second},
		{"1 min entry re-knocked after 30 s", time.Minute, 0, 30 * time.Second},
		{"10 % equals the floor", 5 * time.Minute, 0, 30 * time.Second},
		{"10 %", 2 * time.Hour, 0, 12 * time.Minute},
		{"huge timeout", 30 * day, 0, 3 * day},
		{"custom", 2 * time.Hour, 5 * time.Minute, 5 * time.Minute},
		{"custom below the default floor", 2 * time.Hour, time.Second, time.Second},
		{"custom clamped to half", 2 * time.Hour, 3 * time.Hour, time.Hour},
		{"custom clamped on a short timeout", time.Minute, 45 * time.Second, 30 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Margin(tc.timeout, tc.custom); got != tc.want {
				t.Errorf("Margin(%v, %v) = %v, want %v", tc.timeout, tc.custom, got, tc.want)
			}
		})
	}
}

// autoKnock succeeds at once, sent at the fake clock's time.
func autoKnock(clk **FakeClock) KnockFunc {
	return func(context.Context, string) (time.Time, error) { return (*clk).Now(), nil }
}

func TestPlannedTimes(t *testing.T) {
	for _, tc := range []struct {
		name            string
		timeout, margin time.Duration
		wantNext        time.Duration // after t0
	}{
		{"tiny", time.Second, 0, 500 * time.Millisecond},
		{"20 s", 20 * time.Second, 0, 10 * time.Second},
		{"1 min", time.Minute, 0, 30 * time.Second},
		{"2 h", 2 * time.Hour, 0, 108 * time.Minute},
		{"30 days", 30 * 24 * time.Hour, 0, 27 * 24 * time.Hour},
		{"custom margin", 2 * time.Hour, 5 * time.Minute, 115 * time.Minute},
		{"custom margin clamped", 2 * time.Hour, 3 * time.Hour, time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A long wake check keeps 30 days of fake time cheap; this test
			// is about plans, not wake detection.
			h := newHarness(t, Config{WakeCheck: 1000 * time.Hour})
			h.add(Profile{ID: "p", Timeout: tc.timeout, Margin: tc.margin, AutoRefresh: true})
			h.s.Start()
			h.idle()
			h.answer("p", nil)

			st := h.status("p")
			if want := t0.Add(tc.wantNext); !st.Next.Equal(want) || st.Reason != ReasonDue {
				t.Fatalf("planned %v (%v), want %v (due)", st.Next, st.Reason, want)
			}
			if want := t0.Add(tc.timeout); !st.Expires.Equal(want) {
				t.Errorf("expires %v, want %v", st.Expires, want)
			}
			if ev := h.last(is(Planned), "p"); !ev.Next.Equal(st.Next) {
				t.Errorf("Planned event says %v, status %v", ev.Next, st.Next)
			}
			ok := h.last(is(Succeeded), "p")
			if !ok.Sent.Equal(t0) || !ok.Expires.Equal(st.Expires) {
				t.Errorf("Succeeded event: sent %v expires %v", ok.Sent, ok.Expires)
			}

			h.advance(tc.wantNext - time.Nanosecond)
			if ids := h.activeIDs(); len(ids) != 0 {
				t.Fatalf("knocked %v before the planned time", ids)
			}
			h.advance(time.Nanosecond)
			if ids := h.activeIDs(); !slices.Equal(ids, []string{"p"}) {
				t.Fatalf("knocking %v at the planned time, want [p]", ids)
			}
			if ev := h.last(is(Started), "p"); ev.Reason != ReasonDue || !ev.Time.Equal(t0.Add(tc.wantNext)) {
				t.Errorf("second knock: %v at %v", ev.Reason, ev.Time)
			}
		})
	}
}

func TestSentTime(t *testing.T) {
	const took = 10 * time.Second
	for _, tc := range []struct {
		name string
		sent time.Duration // after the start of the knock; math.MinInt64: zero time
		want time.Duration
	}{
		{"reported", 3 * time.Second, 3 * time.Second},
		{"zero: the start", math.MinInt64, 0},
		{"before the call: the start", -time.Hour, 0},
		{"after the call: its end", time.Hour, took},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var clk *FakeClock
			h := newHarness(t, Config{Knock: func(context.Context, string) (time.Time, error) {
				clk.Advance(took)
				if tc.sent == math.MinInt64 {
					return time.Time{}, nil
				}
				return t0.Add(tc.sent), nil
			}})
			clk = h.clk
			h.add(Profile{ID: "p", Timeout: time.Hour, AutoRefresh: true})
			h.s.Start()
			h.waitUntil("the knock succeeded", func() bool { return len(h.events(is(Succeeded), "p")) == 1 })
			if got := h.status("p").LastSuccess; !got.Equal(t0.Add(tc.want)) {
				t.Errorf("last success %v, want %v", got, t0.Add(tc.want))
			}
		})
	}
}

func TestStartKnocksOnlyStale(t *testing.T) {
	// Room for every knock at once; a 1 h timeout has a 6 min margin.
	h := newHarness(t, Config{Workers: 8})
	hour := time.Hour
	h.add(
		Profile{ID: "never", Timeout: hour, AutoRefresh: true},
		Profile{ID: "fresh", Timeout: hour, AutoRefresh: true, LastSuccess: t0.Add(-10 * time.Minute)},
		Profile{ID: "in-margin", Timeout: hour, AutoRefresh: true, LastSuccess: t0.Add(-55 * time.Minute)},
		Profile{ID: "expired", Timeout: hour, AutoRefresh: true, LastSuccess: t0.Add(-2 * hour)},
		Profile{ID: "future", Timeout: hour, AutoRefresh: true, LastSuccess: t0.Add(hour)},
		Profile{ID: "off", Timeout: hour},
	)
	h.idle()
	if ids := h.activeIDs(); len(ids) != 0 {
		t.Fatalf("knocked %v before Start", ids)
	}
	h.s.Start()
	h.idle()
	want := []string{"expired", "future", "in-margin", "never"}
	if ids := h.activeIDs(); !slices.Equal(ids, want) {
		t.Fatalf("knocking %v at start, want %v", ids, want)
	}
	for _, id := range want {
		if r := h.last(is(Started), id).Reason; r != ReasonStale {
			t.Errorf("%s knocked for %v, want stale", id, r)
		}
		h.answer(id, nil)
	}
	if got, want := h.status("fresh").Next, t0.Add(44*time.Minute); !got.Equal(want) {
		t.Errorf("fresh profile planned at %v, want %v", got, want)
	}
	if st := h.status("off"); !st.Next.IsZero() || len(h.events(is(Started), "off")) != 0 {
		t.Errorf("profile without auto-refresh planned at %v", st.Next)
	}
}

func TestWakeJump(t *testing.T) {
	// "ok" succeeded at t0 (expires t0+2h, refresh t0+1h48m); "bad" failed
	// at t0 and waits an hour for its retry, with no entry known.
	for _, tc := range []struct {
		name string
		jump time.Duration
		want []string // knocked for ReasonWake
	}{
		{"drift below the threshold", 3 * time.Second, nil},
		{"short sleep: only the failing one", 30 * time.Minute, []string{"bad"}},
		{"sleep into the margin", 110 * time.Minute, []string{"bad", "ok"}},
		{"sleep past expiry", 3 * time.Hour, []string{"bad", "ok"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{Backoff: []time.Duration{time.Hour}})
			h.add(Profile{ID: "ok", Timeout: 2 * time.Hour, AutoRefresh: true},
				Profile{ID: "bad", Timeout: 2 * time.Hour, AutoRefresh: true})
			h.s.Start()
			h.idle()
			h.answer("ok", nil)
			h.answer("bad", errRefused)
			planned := h.status("ok").Next

			h.clk.Jump(tc.jump)
			h.advance(DefaultWakeCheck)
			if ids := h.activeIDs(); !slices.Equal(ids, tc.want) {
				t.Fatalf("knocking %v after the jump, want %v", ids, tc.want)
			}
			for _, id := range tc.want {
				ev := h.last(is(Started), id)
				if ev.Reason != ReasonWake || !ev.Time.Equal(t0.Add(tc.jump+DefaultWakeCheck)) {
					t.Errorf("%s knocked for %v at %v, want wake at the first check", id, ev.Reason, ev.Time)
				}
			}
			if len(tc.want) == 0 && !h.status("ok").Next.Equal(planned) {
				t.Errorf("plan moved from %v to %v", planned, h.status("ok").Next)
			}
		})
	}
}

func TestClockSetBack(t *testing.T) {
	h := newHarness(t, Config{})
	h.add(Profile{ID: "p", Timeout: 2 * time.Hour, AutoRefresh: true})
	h.s.Start()
	h.idle()
	h.answer("p", nil) // refresh due after 1h48m of real time

	h.advance(time.Minute)
	h.clk.Jump(-time.Hour)
	h.advance(DefaultWakeCheck)
	st := h.status("p")
	if want := t0.Add(48 * time.Minute); !st.Next.Equal(want) {
		t.Fatalf("after the clock went back an hour, planned %v, want %v", st.Next, want)
	}
	if !st.LastSuccess.Equal(t0.Add(-time.Hour)) || !st.Expires.Equal(t0.Add(time.Hour)) {
		t.Errorf("last success %v, expires %v: not moved with the clock", st.LastSuccess, st.Expires)
	}
	if ev := h.last(is(Planned), "p"); !ev.Next.Equal(st.Next) {
		t.Errorf("no Planned event for the moved plan: %v", ev.Next)
	}
	left := 108*time.Minute - time.Minute - DefaultWakeCheck
	h.advance(left - time.Nanosecond)
	if ids := h.activeIDs(); len(ids) != 0 {
		t.Fatalf("knocked %v early", ids)
	}
	h.advance(time.Nanosecond)
	if ids := h.activeIDs(); len(ids) != 1 || h.last(is(Started), "p").Reason != ReasonDue {
		t.Fatalf("no refresh after 1h48m of real time: %v", ids)
	}
}

func TestNetworkChange(t *testing.T) {
	h := newHarness(t, Config{})
	h.add(Profile{ID: "fresh", Timeout: time.Hour, AutoRefresh: true, LastSuccess: t0},
		Profile{ID: "busy", Timeout: time.Hour, AutoRefresh: true},
		Profile{ID: "off", Timeout: time.Hour, LastSuccess: t0})
	h.s.Start()
	h.idle()
	if ids := h.activeIDs(); !slices.Equal(ids, []string{"busy"}) {
		t.Fatalf("knocking %v at start, want [busy]", ids)
	}

	h.s.NetworkChanged()
	h.idle()
	if ids := h.activeIDs(); !slices.Equal(ids, []string{"busy", "fresh"}) {
		t.Fatalf("knocking %v after the change, want [busy fresh]", ids)
	}
	if r := h.last(is(Started), "fresh").Reason; r != ReasonNetwork {
		t.Errorf("fresh knocked for %v", r)
	}
	// The running knock may have left through the old network: once more.
	h.answer("busy", nil)
	if ids := h.activeIDs(); !slices.Equal(ids, []string{"busy", "fresh"}) {
		t.Fatalf("knocking %v, want busy again", ids)
	}
	if r := h.last(is(Started), "busy").Reason; r != ReasonNetwork {
		t.Errorf("busy re-knocked for %v", r)
	}
	h.answer("busy", nil)
	h.answer("fresh", nil)
	if n := len(h.events(is(Started), "busy")); n != 2 {
		t.Errorf("busy knocked %d times, want 2", n)
	}
	if n := len(h.events(is(Started), "off")); n != 0 {
		t.Errorf("profile without auto-refresh knocked %d times", n)
	}
	if h.overlap != 0 {
		t.Errorf("%d knocks overlapped", h.overlap)
	}
}

func TestBackoff(t *testing.T) {
	h := newHarness(t, Config{})
	h.add(Profile{ID: "p", Timeout: time.Hour, AutoRefresh: true})
	h.s.Start()
	h.idle()
	step := func(err error, wantWait time.Duration, wantFailures int) {
		t.Helper()
		now := h.clk.Now()
		h.answer("p", err)
		st := h.status("p")
		if st.Next.Sub(now) != wantWait || st.Failures != wantFailures {
			t.Fatalf("next knock in %v with %d failures, want %v and %d", st.Next.Sub(now), st.Failures, wantWait, wantFailures)
		}
		h.advance(wantWait - time.Nanosecond)
		if len(h.activeIDs()) != 0 {
			t.Fatalf("knocked before the %v wait was over", wantWait)
		}
		h.advance(time.Nanosecond)
		if len(h.activeIDs()) != 1 {
			t.Fatalf("no knock after %v", wantWait)
		}
	}
	for i, wait := range []time.Duration{5 * time.Second, 15 * time.Second, time.Minute, 5 * time.Minute, 5 * time.Minute} {
		step(errRefused, wait, i+1)
		if r := h.last(is(Started), "p").Reason; r != ReasonRetry {
			t.Errorf("retry %d started for %v", i+1, r)
		}
	}
	step(nil, 54*time.Minute, 0)
	step(errRefused, 5*time.Second, 1) // a success ends the streak
}

func TestTurnOff(t *testing.T) {
	setAuto := func(h *harness, on bool) {
		if err := h.s.Update(Profile{ID: "p", Timeout: time.Hour, AutoRefresh: on}); err != nil {
			h.t.Fatal(err)
		}
	}
	off := func(h *harness) { setAuto(h, false) }
	for _, tc := range []struct {
		name     string
		fresh    bool // p waits for its refresh instead of knocking
		act      func(h *harness)
		canceled bool   // the running knock ends as Canceled
		again    Reason // a knock that follows; 0: none
	}{
		{name: "off mid-wait", fresh: true, act: off},
		{name: "off mid-knock", act: off, canceled: true},
		{name: "update mid-knock", canceled: true, act: func(h *harness) {
			if err := h.s.Update(Profile{ID: "p", Timeout: time.Hour}); err != nil {
				h.t.Fatal(err)
			}
		}},
		{name: "off and on mid-knock", canceled: true, again: ReasonEnabled, act: func(h *harness) {
			off(h)
			setAuto(h, true)
		}},
		{name: "remove mid-knock", canceled: true, act: func(h *harness) {
			if err := h.s.Remove("p"); err != nil {
				h.t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			p := Profile{ID: "p", Timeout: time.Hour, AutoRefresh: true}
			if tc.fresh {
				p.LastSuccess = t0
			}
			h.add(p)
			h.s.Start()
			h.idle()
			tc.act(h)
			h.idle()
			if got := len(h.events(is(Canceled), "p")); got != map[bool]int{false: 0, true: 1}[tc.canceled] {
				t.Errorf("%d Canceled events", got)
			}
			starts := len(h.events(is(Started), "p"))
			if tc.again != 0 {
				if ids := h.activeIDs(); len(ids) != 1 || h.last(is(Started), "p").Reason != tc.again {
					t.Fatalf("knocking %v, want a knock for %v", ids, tc.again)
				}
				return
			}
			if st, ok := h.s.Status("p"); ok && !st.Next.IsZero() {
				t.Errorf("still planned at %v", st.Next)
			}
			h.advance(2 * time.Hour)
			if n := len(h.events(is(Started), "p")); n != starts || len(h.activeIDs()) != 0 {
				t.Errorf("knocked again after being turned off")
			}
			if len(h.events(is(Failed), "p")) != 0 {
				t.Errorf("a canceled knock counted as a failure")
			}
		})
	}
}

// A knock the caller cancels (the user's Cancel button) is skipped, not
// failed: no failure streak, no notification, and the next try comes after
// CallerCancelPause, or at the regular refresh time when that is later.
func TestCallerCancel(t *testing.T) {
	for _, tc := range []struct {
		name       string
		last       time.Duration // last success before t0; 0: never
		failures   int           // failures before the cancel
		network    bool          // the knock comes from a network change
		wantIn     time.Duration
		wantReason Reason
	}{
		{name: "first knock", wantIn: CallerCancelPause, wantReason: ReasonRetry},
		{name: "due refresh", last: 55 * time.Minute, wantIn: CallerCancelPause, wantReason: ReasonRetry},
		{name: "during a failure streak", failures: 2, wantIn: CallerCancelPause, wantReason: ReasonRetry},
		// Entry fresh until t0+50m, refreshed 6 min (10 %) before that.
		{name: "network change on a fresh entry", last: 10 * time.Minute, network: true, wantIn: 44 * time.Minute, wantReason: ReasonDue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			p := Profile{ID: "p", Timeout: time.Hour, AutoRefresh: true}
			if tc.last > 0 {
				p.LastSuccess = t0.Add(-tc.last)
			}
			h.add(p)
			h.s.Start()
			h.idle()
			if tc.network {
				h.s.NetworkChanged()
				h.idle()
			}
			for range tc.failures {
				h.answer("p", errRefused)
				h.advance(h.status("p").Next.Sub(h.clk.Now()))
			}
			h.answer("p", fmt.Errorf("knock: %w", context.Canceled))
			ev := h.last(outcome, "p")
			if ev.Kind != Canceled || ev.Notify() {
				t.Fatalf("outcome %v (notify %v), want a quiet Canceled", ev.Kind, ev.Notify())
			}
			st := h.status("p")
			if st.Failures != tc.failures {
				t.Errorf("%d failures after the cancel, want the streak kept at %d", st.Failures, tc.failures)
			}
			if got := st.Next.Sub(h.clk.Now()); got != tc.wantIn || h.last(is(Planned), "p").Reason != tc.wantReason {
				t.Errorf("next knock in %v for %v, want %v for %v", got, h.last(is(Planned), "p").Reason, tc.wantIn, tc.wantReason)
			}
			h.advance(tc.wantIn - time.Second)
			if len(h.activeIDs()) != 0 {
				t.Fatal("knocked again before the pause was over")
			}
			h.advance(time.Second)
			if ids := h.activeIDs(); len(ids) != 1 {
				t.Fatalf("knocking %v after the pause, want p", ids)
			}
		})
	}
}

func TestNotifyOnce(t *testing.T) {
	h := newHarness(t, Config{})
	h.add(Profile{ID: "p", Timeout: time.Hour, AutoRefresh: true})
	h.s.Start()
	h.idle()
	results := []error{errRefused, errRefused, errRefused, nil, nil, errRefused, nil}
	wantNotify := []bool{true, false, false, true, false, true, true}
	wantFailures := []int{1, 2, 3, 3, 0, 1, 1}
	for i, err := range results {
		h.answer("p", err)
		ev := h.last(outcome, "p")
		if ev.Notify() != wantNotify[i] || ev.Failures != wantFailures[i] {
			t.Errorf("result %d (%v): notify %v failures %d, want %v and %d",
				i, ev.Kind, ev.Notify(), ev.Failures, wantNotify[i], wantFailures[i])
		}
		h.advance(h.status("p").Next.Sub(h.clk.Now()))
	}
}

func TestEventNotify(t *testing.T) {
	for _, tc := range []struct {
		ev   Event
		want bool
	}{
		{Event{Kind: Failed, Failures: 1}, true},
		{Event{Kind: Failed, Failures: 2}, false},
		{Event{Kind: Succeeded}, false},
		{Event{Kind: Succeeded, Failures: 4}, true},
		{Event{Kind: Canceled, Failures: 1}, false},
		{Event{Kind: Planned}, false},
		{Event{Kind: Started}, false},
	} {
		if got := tc.ev.Notify(); got != tc.want {
			t.Errorf("%v with %d failures: Notify() = %v", tc.ev.Kind, tc.ev.Failures, got)
		}
	}
}

func TestWorkerBound(t *testing.T) {
	h := newHarness(t, Config{Workers: 3})
	ids := []string{"a", "b", "c", "d", "e", "f", "g"}
	for _, id := range ids {
		h.add(Profile{ID: id, Timeout: time.Hour, AutoRefresh: true})
	}
	h.s.Start()
	h.idle()
	for finished := 0; finished < len(ids); finished++ {
		active := h.activeIDs()
		if want := min(3, len(ids)-finished); len(active) != want {
			t.Fatalf("%d knocks running, want %d", len(active), want)
		}
		h.answer(active[0], nil)
	}
	if started := len(h.events(is(Started), "")); h.peak != 3 || h.overlap != 0 || started != len(ids) {
		t.Errorf("peak %d knocks at once, %d overlaps, %d knocks; want 3, 0, %d", h.peak, h.overlap, started, len(ids))
	}
}

func TestManyProfiles(t *testing.T) {
	const n, workers = 1000, DefaultWorkers
	before := runtime.NumGoroutine()
	var peak atomic.Int64
	var clk *FakeClock
	h := newHarness(t, Config{Knock: func(context.Context, string) (time.Time, error) {
		g := int64(runtime.NumGoroutine())
		for old := peak.Load(); g > old && !peak.CompareAndSwap(old, g); old = peak.Load() {
		}
		return clk.Now(), nil
	}})
	clk = h.clk
	for i := range n {
		h.add(Profile{ID: strconv.Itoa(i), Timeout: time.Hour, AutoRefresh: true})
	}
	h.s.Start()
	h.waitUntil("every profile was knocked", func() bool { return len(h.events(is(Succeeded), "")) == n })
	h.idle()
	// Workers, the event deliverer and the test's own goroutine at most.
	if extra := int(peak.Load()) - before; extra > workers+2 {
		t.Errorf("%d goroutines beyond the %d before, want at most %d", extra, before, workers+2)
	}
	h.waitUntil("the goroutines are gone", func() bool { return runtime.NumGoroutine() <= before })
	if a := clk.Armed(); a != 1 {
		t.Fatalf("%d timers armed for %d profiles, want 1", a, n)
	}

	// The refresh of all is due in 54 minutes; until then only the wake
	// check runs, whatever the number of profiles.
	fired := clk.Fired()
	h.advance(54 * time.Minute)
	if got, limit := clk.Fired()-fired, int(54*time.Minute/DefaultWakeCheck); got > limit {
		t.Errorf("the timer fired %d times in 54 minutes, want at most %d", got, limit)
	}
	h.waitUntil("every profile was refreshed", func() bool { return len(h.events(is(Succeeded), "")) == 2*n })
	h.idle()
	if a := clk.Armed(); a != 1 {
		t.Errorf("%d timers armed after the refresh, want 1", a)
	}
	for _, ev := range h.events(is(Started), "")[n:] {
		if ev.Reason != ReasonDue {
			t.Fatalf("refresh started for %v", ev.Reason)
		}
	}
}

func TestCloseCancelsInFlight(t *testing.T) {
	running := make(chan string, 8)
	sawCancel := make(chan string, 8)
	release := make(chan struct{})
	var canceled atomic.Int32
	s, err := New(Config{
		Clock: NewFakeClock(t0),
		Knock: func(ctx context.Context, id string) (time.Time, error) {
			running <- id
			<-ctx.Done()
			sawCancel <- id
			<-release // still busy after the cancellation: Close must wait
			return time.Time{}, ctx.Err()
		},
		OnEvent: func(ev Event) {
			if ev.Kind == Canceled {
				canceled.Add(1)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		if err := s.Add(Profile{ID: id, Timeout: time.Hour, AutoRefresh: true}); err != nil {
			t.Fatal(err)
		}
	}
	s.Start()
	for range DefaultWorkers {
		select {
		case <-running:
		case <-time.After(10 * time.Second):
			t.Fatal("the knocks did not start")
		}
	}
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	for range DefaultWorkers {
		select {
		case <-sawCancel:
		case <-time.After(10 * time.Second):
			t.Fatal("a running knock was not canceled")
		}
	}
	select {
	case <-closed:
		t.Fatal("Close returned while knocks were still running")
	default:
	}
	close(release)
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	if got := canceled.Load(); got != DefaultWorkers {
		t.Errorf("%d Canceled events delivered before Close returned, want %d", got, DefaultWorkers)
	}
	if len(running) != 0 {
		t.Errorf("a knock started after Close")
	}
	if err := s.Add(Profile{ID: "late", Timeout: time.Hour}); !errors.Is(err, ErrClosed) {
		t.Errorf("Add after Close: %v", err)
	}
}

func TestInvalidInput(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("New without a knock function succeeded")
	}
	if _, err := New(Config{Knock: autoKnock(new(*FakeClock)), Backoff: []time.Duration{time.Second, 0}}); err == nil {
		t.Error("New with a zero backoff succeeded")
	}
	h := newHarness(t, Config{})
	h.add(Profile{ID: "p", Timeout: time.Hour})
	for _, tc := range []struct {
		name string
		p    Profile
	}{
		{"zero timeout", Profile{ID: "x"}},
		{"negative timeout", Profile{ID: "x", Timeout: -time.Hour}},
		{"sub-second timeout", Profile{ID: "x", Timeout: 999 * time.Millisecond}},
		{"negative margin", Profile{ID: "x", Timeout: time.Hour, Margin: -1}},
		{"empty ID", Profile{Timeout: time.Hour}},
		{"duplicate", Profile{ID: "p", Timeout: time.Hour}},
	} {
		if err := h.s.Add(tc.p); !errors.Is(err, ErrInvalidProfile) {
			t.Errorf("Add, %s: %v", tc.name, err)
		}
	}
	if err := h.s.Update(Profile{ID: "p"}); !errors.Is(err, ErrInvalidProfile) {
		t.Errorf("Update with zero timeout: %v", err)
	}
	for name, err := range map[string]error{
		"Update": h.s.Update(Profile{ID: "nope", Timeout: time.Hour}),
		"Remove": h.s.Remove("nope"),
	} {
		if !errors.Is(err, ErrUnknownProfile) {
			t.Errorf("%s of an unknown profile: %v", name, err)
		}
	}

	// Extreme but valid values plan sensibly.
	h.add(Profile{ID: "ancient", Timeout: math.MaxInt64, AutoRefresh: true, LastSuccess: time.Time{}.Add(time.Hour)},
		Profile{ID: "far", Timeout: math.MaxInt64, AutoRefresh: true, LastSuccess: t0.Add(-time.Minute)})
	if st := h.status("ancient"); !st.Next.Equal(t0) || st.Reason != ReasonStale {
		t.Errorf("ancient last success: planned %v (%v)", st.Next, st.Reason)
	}
	if st := h.status("far"); !st.Next.After(t0.Add(200*365*24*time.Hour)) || st.Reason != ReasonDue {
		t.Errorf("292-year timeout: planned %v (%v)", st.Next, st.Reason)
	}
	h.s.Close()
	if err := h.s.Update(Profile{ID: "p", Timeout: time.Hour}); !errors.Is(err, ErrClosed) {
		t.Errorf("Update after Close: %v", err)
	}
	h.s.NetworkChanged() // no effect, no panic
	h.s.Start()
}

// TestRealClock runs the real timer path: a 2 s timeout is refreshed 1 s
// after the first knock.
func TestRealClock(t *testing.T) {
	succeeded := make(chan Event, 8)
	s, err := New(Config{
		Knock: func(context.Context, string) (time.Time, error) { return time.Now(), nil },
		OnEvent: func(ev Event) {
			if ev.Kind == Succeeded || ev.Kind == Started {
				succeeded <- ev
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Add(Profile{ID: "p", Timeout: 2 * time.Second, AutoRefresh: true}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	var got []Event
	timeout := time.After(5 * time.Second)
	for len(got) < 4 {
		select {
		case ev := <-succeeded:
			got = append(got, ev)
		case <-timeout:
			t.Fatalf("only %d events after 5 s", len(got))
		}
	}
	if got[0].Reason != ReasonStale || got[2].Reason != ReasonDue {
		t.Errorf("knocks started for %v and %v, want stale and due", got[0].Reason, got[2].Reason)
	}
	// Planned 1 s after the first knock (half the timeout); the timer may
	// fire late on a busy machine, but never early, and a refresh is only
	// a refresh before the 2 s entry expires.
	if gap := got[3].Sent.Sub(got[1].Sent); gap < time.Second-50*time.Millisecond || gap >= 2*time.Second {
		t.Errorf("refresh %v after the first knock, want 1 s, and before the entry expires at 2 s", gap)
	}
}

func BenchmarkIdlePass1000(b *testing.B) {
	s, err := New(Config{Knock: func(context.Context, string) (time.Time, error) { return time.Time{}, nil }})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	for i := range 1000 {
		err := s.Add(Profile{ID: strconv.Itoa(i), Timeout: time.Hour, AutoRefresh: true,
			LastSuccess: now.Add(-time.Duration(i) * time.Second)})
		if err != nil {
			b.Fatal(err)
		}
	}
	s.Start()
	b.ReportAllocs()
	for b.Loop() {
		s.tick()
	}
}

func BenchmarkNetworkChange1000(b *testing.B) {
	const n = 1000
	clk := NewFakeClock(t0)
	var done atomic.Int64
	round := make(chan struct{}, 1)
	s, err := New(Config{
		Clock: clk,
		Knock: func(context.Context, string) (time.Time, error) { return clk.Now(), nil },
		OnEvent: func(ev Event) {
			if ev.Kind == Succeeded && done.Add(1)%n == 0 {
				round <- struct{}{}
			}
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := range n {
		if err := s.Add(Profile{ID: strconv.Itoa(i), Timeout: time.Hour, AutoRefresh: true, LastSuccess: t0}); err != nil {
			b.Fatal(err)
		}
	}
	s.Start()
	b.ReportAllocs()
	for b.Loop() {
		s.NetworkChanged()
		<-round
	}
}
