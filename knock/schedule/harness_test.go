package schedule

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// harness runs a Scheduler on a FakeClock and records its events. Its
// default knock function blocks until the test answers the call, so tests
// decide every outcome and the moment it happens.
type harness struct {
	t   *testing.T
	clk *FakeClock
	s   *Scheduler

	mu      sync.Mutex
	log     []Event
	active  map[string]*call
	overlap int // knocks of one profile that ran at the same time
	peak    int // most knocks at once
}

type call struct {
	ctx  context.Context
	done chan error
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, clk: NewFakeClock(t0), active: make(map[string]*call)}
	cfg.Clock = h.clk
	cfg.OnEvent = func(ev Event) {
		h.mu.Lock()
		h.log = append(h.log, ev)
		h.mu.Unlock()
	}
	if cfg.Knock == nil {
		cfg.Knock = h.knock
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	t.Cleanup(s.Close)
	return h
}

func (h *harness) knock(ctx context.Context, id string) (time.Time, error) {
	c := &call{ctx: ctx, done: make(chan error, 1)}
	h.mu.Lock()
	if _, ok := h.active[id]; ok {
		h.overlap++
	}
	h.active[id] = c
	h.peak = max(h.peak, len(h.active))
	h.mu.Unlock()
	var err error
	select {
	case err = <-c.done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	h.mu.Lock()
	delete(h.active, id)
	h.mu.Unlock()
	return h.clk.Now(), err
}

func (h *harness) add(ps ...Profile) {
	h.t.Helper()
	for _, p := range ps {
		if err := h.s.Add(p); err != nil {
			h.t.Fatal(err)
		}
	}
}

// waitUntil polls cond. Only goroutines of the scheduler are waited for
// here, never a clock: the fake clock stands still meanwhile.
func (h *harness) waitUntil(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// idle waits until the scheduler has nothing left to do without the test:
// every worker is inside a knock that waits for an answer, no due knock
// waits for a free worker, and every event has been delivered.
func (h *harness) idle() {
	h.t.Helper()
	h.waitUntil("the scheduler is idle", func() bool {
		// A canceled knock that has not returned yet is not waiting.
		h.mu.Lock()
		n := 0
		for _, c := range h.active {
			if c.ctx.Err() == nil {
				n++
			}
		}
		h.mu.Unlock()
		return h.s.idle(n)
	})
}

func (s *Scheduler) idle(inKnock int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	knocking := 0
	for _, e := range s.entries {
		if e.cancel != nil {
			knocking++
		}
	}
	due := len(s.plan) > 0 && !s.plan[0].next.After(s.clock.Now())
	return !s.delivering && knocking == inKnock && s.running == knocking &&
		(!due || !s.started || s.running == s.workers)
}

// active returns the IDs whose knocks wait for an answer, sorted.
func (h *harness) activeIDs() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := make([]string, 0, len(h.active))
	for id := range h.active {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// answer ends the running knock of id with err and waits for the outcome.
func (h *harness) answer(id string, err error) {
	h.t.Helper()
	h.mu.Lock()
	c, ok := h.active[id]
	h.mu.Unlock()
	if !ok {
		h.t.Fatalf("no knock of %q is running", id)
	}
	before := len(h.events(outcome, id))
	c.done <- err
	h.waitUntil("the knock of "+id+" ended", func() bool { return len(h.events(outcome, id)) > before })
	h.idle()
}

func (h *harness) advance(d time.Duration) {
	h.clk.Advance(d)
	h.idle()
}

func outcome(k Kind) bool { return k == Succeeded || k == Failed || k == Canceled }

func is(kind Kind) func(Kind) bool { return func(k Kind) bool { return k == kind } }

// events returns the logged events of id ("" for all) whose kind matches.
func (h *harness) events(match func(Kind) bool, id string) []Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Event
	for _, ev := range h.log {
		if match(ev.Kind) && (id == "" || ev.ID == id) {
			out = append(out, ev)
		}
	}
	return out
}

func (h *harness) last(match func(Kind) bool, id string) Event {
	h.t.Helper()
	evs := h.events(match, id)
	if len(evs) == 0 {
		h.t.Fatalf("no matching event for %q", id)
	}
	return evs[len(evs)-1]
}

func (h *harness) status(id string) Status {
	h.t.Helper()
	st, ok := h.s.Status(id)
	if !ok {
		h.t.Fatalf("no status for %q", id)
	}
	return st
}
