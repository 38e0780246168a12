package schedule

import (
	"slices"
	"sync"
	"time"
)

// Clock is the scheduler's view of time. It has two readings on purpose:
// plans are made in wall-clock time, because the router keeps counting while
// this machine sleeps, while a monotonic reading, which stops during suspend
// (Linux CLOCK_MONOTONIC, macOS) and ignores clock changes, tells that the wall
// clock jumped. A time.Time with a monotonic reading cannot be faked with
// a wall clock running apart from it, hence Mono.
type Clock interface {
	// Now returns the wall-clock time without a monotonic reading, so that
	// comparisons between stored times follow the wall clock.
	Now() time.Time
	// Mono returns a monotonic reading; only differences between readings
	// mean anything.
	Mono() time.Duration
	// AfterFunc calls f on its own goroutine once d has passed on the
	// monotonic clock.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call; *time.Timer satisfies it.
type Timer interface {
	Stop() bool
	Reset(d time.Duration) bool
}

// RealClock is the system clock.
type RealClock struct{}

var monoBase = time.Now()

func (RealClock) Now() time.Time                            { return time.Now().Round(0) }
func (RealClock) Mono() time.Duration                       { return time.Since(monoBase) }
func (RealClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// FakeClock is a Clock for tests in this and other packages. Time stands still
// until Advance or Jump moves it, and timers fire on the goroutine that
// calls Advance, so tests need no sleeping.
type FakeClock struct {
	mu     sync.Mutex
	wall   time.Time
	mono   time.Duration
	timers []*fakeTimer // armed timers; few, so a slice beats a heap
	fired  int
}

type fakeTimer struct {
	c    *FakeClock
	f    func()
	when time.Duration // monotonic deadline
}

// NewFakeClock returns a clock whose wall reading starts at start.
func NewFakeClock(start time.Time) *FakeClock {
	return &FakeClock{wall: start.Round(0)}
}

func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wall
}

func (c *FakeClock) Mono() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mono
}

func (c *FakeClock) AfterFunc(d time.Duration, f func()) Timer {
	t := &fakeTimer{c: c, f: f}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.arm(t, d)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	return t.c.disarm(t)
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.c.disarm(t)
	t.c.arm(t, d)
	return was
}

func (c *FakeClock) arm(t *fakeTimer, d time.Duration) {
	t.when = c.mono + max(d, 0)
	c.timers = append(c.timers, t)
}

func (c *FakeClock) disarm(t *fakeTimer) bool {
	i := slices.Index(c.timers, t)
	if i < 0 {
		return false
	}
	c.timers = slices.Delete(c.timers, i, i+1)
	return true
}

// Advance moves both readings forward by d, as time passing while the
// machine is awake. Timers that come due fire in deadline order, each with
// the clock set to its deadline, on the calling goroutine; a timer re-armed
// by its own callback fires again if its new deadline is within d.
// A negative d is taken as zero: monotonic time never runs backwards.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.mono + max(d, 0)
	for {
		i := c.earliest()
		if i < 0 || c.timers[i].when > end {
			break
		}
		t := c.timers[i]
		c.timers = slices.Delete(c.timers, i, i+1)
		c.set(t.when)
		c.fired++
		c.mu.Unlock()
		t.f()
		c.mu.Lock()
	}
	c.set(end)
	c.mu.Unlock()
}

func (c *FakeClock) earliest() int {
	best := -1
	for i, t := range c.timers {
		if best < 0 || t.when < c.timers[best].when {
			best = i
		}
	}
	return best
}

func (c *FakeClock) set(mono time.Duration) {
	c.wall = c.wall.Add(mono - c.mono)
	c.mono = mono
}

// Jump moves only the wall reading, as a suspend of d (the monotonic clock
// stood still while the wall clock ran on) or a clock change by d would.
// No timer fires: timers run on monotonic time.
func (c *FakeClock) Jump(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wall = c.wall.Add(d)
}

// Armed returns the number of timers waiting to fire.
func (c *FakeClock) Armed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Fired returns how many timer callbacks Advance has run so far.
func (c *FakeClock) Fired() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fired
}
