package main

import (
	"context"
	"flag"

	"io"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/knocker/knocker/knock/schedule"
)

// ScaleStats is the refresh scheduler at rest with many profiles.
type ScaleStats struct {
	Profiles        int     `json:"profiles"`
	IdleSec         float64 `json:"idle_s"`
	GoroutinesNone  int     `json:"goroutines_before"`
	GoroutinesIdle  int     `json:"goroutines_idle"`
	TimersArmed     int64   `json:"timers_armed"`
	TimersCreated   int64   `json:"timers_created"`
	TimerFires      int64   `json:"timer_fires_while_idle"`
	Knocks          int64   `json:"knocks_while_idle"`
	CPUms           float64 `json:"cpu_ms_while_idle"`
	CPUPct          float64 `json:"cpu_pct"`
	HeapDeltaKiB    uint64  `json:"heap_delta_kib"`
	AddAllMs        float64 `json:"add_all_ms"`
	StartMs         float64 `json:"start_ms"`
	NextPlannedIn   string  `json:"next_planned_in"`
	LatestPlannedIn string  `json:"latest_planned_in"`
}

// scale adds -n auto-refresh profiles whose entries are all fresh (last
// knocked over the past hour, 2 h timeouts), starts the scheduler on the
// real clock and lets it idle, counting goroutines, timers and CPU.
func scale(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	n := fs.Int("n", 1000, "profiles")
	idle := fs.Duration("idle", 10*time.Second, "idle time")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var st ScaleStats
	st.Profiles = *n
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	st.GoroutinesNone = runtime.NumGoroutine()
	clk := &countingClock{}
	var knocks atomic.Int64
	s, err := schedule.New(schedule.Config{
		Clock: clk,
		Knock: func(context.Context, string) (time.Time, error) {
			knocks.Add(1)
			return time.Now(), nil
		},
	})
	if err != nil {
		return err
	}
	defer s.Close()
	now := time.Now()
	t0 := time.Now()
	for i := range *n {
		err := s.Add(schedule.Profile{ID: strconv.Itoa(i), Timeout: 2 * time.Hour, AutoRefresh: true,
			LastSuccess: now.Add(-time.Duration(i) * time.Hour / time.Duration(*n))})
		if err != nil {
			return err
		}
	}
	st.AddAllMs = ms(time.Since(t0))
	t0 = time.Now()
	s.Start()
	st.StartMs = ms(time.Since(t0))
	time.Sleep(100 * time.Millisecond) // let start-up work end
	fires0, knocks0 := clk.fired.Load(), knocks.Load()
	c0 := cpuTime()
	w0 := time.Now()
	time.Sleep(*idle)
	st.CPUms = ms(cpuTime() - c0)
	st.IdleSec = time.Since(w0).Seconds()
	st.CPUPct = st.CPUms / 1000 / st.IdleSec * 100
	st.GoroutinesIdle = runtime.NumGoroutine()
	st.TimersArmed = clk.armed.Load()
	st.TimersCreated = clk.created.Load()
	st.TimerFires = clk.fired.Load() - fires0
	st.Knocks = knocks.Load() - knocks0
	runtime.GC()
	runtime.ReadMemStats(&m1)
	if m1.HeapInuse > m0.HeapInuse {
		st.HeapDeltaKiB = (m1.HeapInuse - m0.HeapInuse) / 1024
	}
	var first, last time.Time
	for i := range *n {
		ps, ok := s.Status(strconv.Itoa(i))
		if !ok || ps.Next.IsZero() {
			continue
		}
		if first.IsZero() || ps.Next.Before(first) {
			first = ps.Next
		}
		if ps.Next.After(last) {
			last = ps.Next
		}
	}
	st.NextPlannedIn = time.Until(first).Round(time.Second).String()
	st.LatestPlannedIn = time.Until(last).Round(time.Second).String()
	return writeJSON(out, st)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countingClock is the real clock, counting the timers the scheduler arms.
type countingClock struct {
	schedule.RealClock
	created, armed, fired atomic.Int64
}

type countingTimer struct {
	c      *countingClock
	t      *time.Timer
	active atomic.Bool
}

func (c *countingClock) AfterFunc(d time.Duration, f func()) schedule.Timer {
	c.created.Add(1)
	c.armed.Add(1)
	t := &countingTimer{c: c}
	t.active.Store(true)
	t.t = time.AfterFunc(d, func() {
		if t.active.CompareAndSwap(true, false) {
			c.armed.Add(-1)
		}
		c.fired.Add(1)
		f()
	})
	return t
}

func (t *countingTimer) Stop() bool {
	stopped := t.t.Stop()
	if t.active.CompareAndSwap(true, false) {
		t.c.armed.Add(-1)
	}
	return stopped
}

func (t *countingTimer) Reset(d time.Duration) bool {
	if t.active.CompareAndSwap(false, true) {
		t.c.armed.Add(1)
	}
	return t.t.Reset(d)
}
