// Package schedule decides when profiles are knocked again so that their
// router entries never run out: margin before expiry, at once after a wake
// from sleep or a network change, with backoff after failures. It knows a
// profile only by an opaque ID and a few settings, runs the caller's knock
// function on a small worker pool and reports what happens through events.
//
// Idle cost does not grow with the number of profiles: planned knocks sit in
// a min-heap behind one timer, and goroutines exist only while knocks run or
// events are being delivered.
package schedule

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

const (
	// MinTimeout is the shortest router timeout accepted; RouterOS and
	// nftables timeouts are whole seconds in practice.
	MinTimeout = time.Second
	// MinMargin is the least default margin: enough for a knock with
	// verification retries to finish before the entry runs out.
	MinMargin = 30 * time.Second

	// CallerCancelPause is how long a re-knock that the Knock function ended
	// with context.Canceled (a user pressing Cancel) waits before the next
	// try: long enough to read as "stop", short enough that the router entry
	// is not left to lapse unnoticed.
	CallerCancelPause = time.Minute

	DefaultWorkers       = 4
	DefaultWakeCheck     = 10 * time.Second
	DefaultJumpThreshold = 5 * time.Second
)

var defaultBackoff = []time.Duration{5 * time.Second, 15 * time.Second, time.Minute, 5 * time.Minute}

var (
	ErrInvalidProfile = errors.New("schedule: invalid profile")
	ErrUnknownProfile = errors.New("schedule: unknown profile")
	ErrClosed         = errors.New("schedule: scheduler closed")
)

// KnockFunc knocks the profile with the given ID. It must return soon after
// ctx is done. sent is when the knock went out (the last packet, for the
// router counts its timeout from then); a zero sent, or one outside the
// call, is replaced by the nearer end of the call, the start for a zero one,
// which errs towards knocking early.
type KnockFunc func(ctx context.Context, id string) (sent time.Time, err error)

// Config sets up a Scheduler. Only Knock is required.
type Config struct {
	Knock   KnockFunc
	Clock   Clock       // nil: RealClock
	OnEvent func(Event) // nil: no events. Must not call or wait for Close.
	Workers int         // knocks running at once; 0: DefaultWorkers
	// Backoff lists the waits after the 1st, 2nd, ... failure of a streak;
	// the last one repeats. nil: 5 s, 15 s, 60 s, then every 5 min.
	Backoff []time.Duration
	// WakeCheck bounds how long the timer sleeps while anything is planned.
	// Timers run on monotonic time, which stands still during suspend, so
	// this bounds how late a wake from sleep is noticed. 0: DefaultWakeCheck.
	WakeCheck time.Duration
	// JumpThreshold is how far the wall clock may drift from the monotonic
	// one between two readings before it counts as a jump (NTP slews far
	// less). 0: DefaultJumpThreshold.
	JumpThreshold time.Duration
}

// Profile holds what the scheduler needs of a profile.
type Profile struct {
	ID          string
	Timeout     time.Duration // the router's address-list timeout
	Margin      time.Duration // re-knock this long before expiry; 0: see Margin
	AutoRefresh bool
	LastSuccess time.Time // last successful knock as persisted; zero: unknown
}

// Status is a snapshot of one profile's schedule, for menus and countdowns.
type Status struct {
	ID          string
	AutoRefresh bool
	Timeout     time.Duration
	Margin      time.Duration // the effective margin
	LastSuccess time.Time
	Expires     time.Time // zero: no entry known
	Next        time.Time // zero: nothing planned
	Reason      Reason    // why Next is planned
	Knocking    bool
	Failures    int   // current failure streak
	Err         error // the last failure of the streak
}

// Margin returns how long before expiry an entry with the given timeout is
// re-knocked: custom when positive, else 10 % of the timeout but at least
// MinMargin; never more than half the timeout, so that the knock is not
// repeated more than twice per timeout.
func Margin(timeout, custom time.Duration) time.Duration {
	m := custom
	if m <= 0 {
		m = max(timeout/10, MinMargin)
	}
	return min(m, timeout/2)
}

// Scheduler plans and runs knocks. Its methods are safe for concurrent use.
type Scheduler struct {
	knock         KnockFunc
	clock         Clock
	onEvent       func(Event)
	workers       int
	backoff       []time.Duration
	wakeCheck     time.Duration
	jumpThreshold time.Duration

	root   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // workers and the event deliverer

	mu         sync.Mutex
	entries    map[string]*entry
	plan       planHeap
	timer      Timer // nil until first armed
	started    bool
	closed     bool
	running    int // worker goroutines
	lastWall   time.Time
	lastMono   time.Duration
	events     []Event
	delivering bool
}

type entry struct {
	id          string
	timeout     time.Duration
	margin      time.Duration
	auto        bool
	lastSuccess time.Time
	expires     time.Time
	next        time.Time
	reason      Reason
	index       int                // in plan; -1 when not planned
	cancel      context.CancelFunc // non-nil while a knock runs
	again       Reason             // a trigger that arrived while a knock ran
	removed     bool
	failures    int
	err         error
}

// New returns a Scheduler that plans but knocks nothing until Start.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Knock == nil {
		return nil, errors.New("schedule: Config.Knock is nil")
	}
	for _, d := range cfg.Backoff {
		if d <= 0 {
			return nil, fmt.Errorf("schedule: backoff %v is not positive", d)
		}
	}
	s := &Scheduler{
		knock:         cfg.Knock,
		clock:         cfg.Clock,
		onEvent:       cfg.OnEvent,
		workers:       cfg.Workers,
		backoff:       cfg.Backoff,
		wakeCheck:     cfg.WakeCheck,
		jumpThreshold: cfg.JumpThreshold,
		entries:       make(map[string]*entry),
	}
	if s.clock == nil {
		s.clock = RealClock{}
	}
	if s.workers <= 0 {
		s.workers = DefaultWorkers
	}
	if len(s.backoff) == 0 {
		s.backoff = defaultBackoff
	}
	if s.wakeCheck <= 0 {
		s.wakeCheck = DefaultWakeCheck
	}
	if s.jumpThreshold <= 0 {
		s.jumpThreshold = DefaultJumpThreshold
	}
	s.root, s.cancel = context.WithCancel(context.Background())
	s.lastWall, s.lastMono = s.clock.Now(), s.clock.Mono()
	return s, nil
}

func validate(p Profile) error {
	switch {
	case p.ID == "":
		return fmt.Errorf("%w: empty ID", ErrInvalidProfile)
	case p.Timeout < MinTimeout:
		return fmt.Errorf("%w %q: timeout %v is below the minimum of %v", ErrInvalidProfile, p.ID, p.Timeout, MinTimeout)
	case p.Margin < 0:
		return fmt.Errorf("%w %q: margin %v is negative", ErrInvalidProfile, p.ID, p.Margin)
	}
	return nil
}

// Add schedules a new profile. With auto-refresh on, it is knocked at once
// (after Start) unless LastSuccess shows a router entry that is still fresh.
func (s *Scheduler) Add(p Profile) error {
	if err := validate(p); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if _, ok := s.entries[p.ID]; ok {
		return fmt.Errorf("%w %q: ID already added", ErrInvalidProfile, p.ID)
	}
	now := s.now()
	e := &entry{id: p.ID, index: -1}
	s.entries[p.ID] = e
	s.configure(e, p, now)
	if p.AutoRefresh {
		e.auto = true
		s.planFresh(e, now)
	}
	s.settle(now)
	return nil
}

// Update changes a profile's settings. Turning auto-refresh on knocks at
// once; turning it off cancels the planned and the running knock. A new
// timeout or margin moves a regular refresh; retries and knocks triggered
// by events keep their time. A LastSuccess older than the one the scheduler
// knows is ignored.
func (s *Scheduler) Update(p Profile) error {
	if err := validate(p); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(p.ID)
	if err != nil {
		return err
	}
	now := s.now()
	s.configure(e, p, now)
	if e.auto && p.AutoRefresh && e.index >= 0 && (e.reason == ReasonDue || e.reason == ReasonStale) {
		s.planFresh(e, now)
	}
	s.setAuto(e, p.AutoRefresh, now)
	s.settle(now)
	return nil
}

// Remove forgets a profile and cancels its knock.
func (s *Scheduler) Remove(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(id)
	if err != nil {
		return err
	}
	now := s.now()
	e.removed = true
	if e.cancel != nil {
		e.cancel()
	}
	s.unplan(e)
	delete(s.entries, id)
	s.settle(now)
	return nil
}

// NetworkChanged re-knocks every auto-refresh profile at once: a new network
// usually means a new source address the router has never seen. A knock
// already running is followed by another, since it may have left through
// the old network.
func (s *Scheduler) NetworkChanged() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	now := s.now()
	for _, e := range s.entries {
		if e.auto {
			s.trigger(e, now, ReasonNetwork)
		}
	}
	s.settle(now)
}

// Start begins knocking: profiles without a fresh entry are knocked at once.
func (s *Scheduler) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.started = true
	s.settle(s.now())
}

// Close cancels running knocks and waits until they and the delivery of
// their events have ended. Later calls of other methods return ErrClosed or
// do nothing.
func (s *Scheduler) Close() {
	s.mu.Lock()
	s.closed = true
	s.cancel()
	if s.timer != nil {
		s.timer.Stop()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Status returns a profile's current schedule.
func (s *Scheduler) Status(id string) (Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[id]
	if !ok {
		return Status{}, false
	}
	return Status{
		ID:          e.id,
		AutoRefresh: e.auto,
		Timeout:     e.timeout,
		Margin:      e.margin,
		LastSuccess: e.lastSuccess,
		Expires:     e.expires,
		Next:        e.next,
		Reason:      e.reason,
		Knocking:    e.cancel != nil,
		Failures:    e.failures,
		Err:         e.err,
	}, true
}

func (s *Scheduler) lookup(id string) (*entry, error) {
	if s.closed {
		return nil, ErrClosed
	}
	e, ok := s.entries[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownProfile, id)
	}
	return e, nil
}

// configure takes over p's timing settings. A LastSuccess in the future
// cannot be true (the clock was set back since it was saved) and is ignored,
// so the profile counts as stale rather than fresh for too long.
func (s *Scheduler) configure(e *entry, p Profile, now time.Time) {
	e.timeout = p.Timeout
	e.margin = Margin(p.Timeout, p.Margin)
	if last := p.LastSuccess.Round(0); last.After(e.lastSuccess) && !last.After(now) {
		e.lastSuccess = last
	}
	if !e.lastSuccess.IsZero() {
		e.expires = e.lastSuccess.Add(e.timeout)
	}
}

// now reads the clock and handles a wall-clock jump since the last reading.
// Called with s.mu held, by every operation before it plans.
func (s *Scheduler) now() time.Time {
	wall, mono := s.clock.Now(), s.clock.Mono()
	jump := wall.Sub(s.lastWall) - (mono - s.lastMono)
	s.lastWall, s.lastMono = wall, mono
	switch {
	case jump > s.jumpThreshold:
		// Either the machine slept, and the router aged the entries by the
		// jump, or the clock was set forward and it did not. Assume the
		// worse: keep the wall-clock plans, and knock what may have expired.
		for _, e := range s.entries {
			if e.auto && (e.expires.IsZero() || !wall.Before(e.expires.Add(-e.margin))) {
				s.trigger(e, wall, ReasonWake)
			}
		}
	case jump < -s.jumpThreshold:
		// The clock was set back: the router's entries still run out after
		// the same real time, so every stored time moves with the clock.
		for _, e := range s.entries {
			e.lastSuccess = shift(e.lastSuccess, jump)
			e.expires = shift(e.expires, jump)
			if e.index >= 0 {
				e.next = e.next.Add(jump)
				s.emitPlanned(e)
			}
		}
	}
	return wall
}

func shift(t time.Time, d time.Duration) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Add(d)
}

// trigger plans an immediate knock, or one right after the running knock.
func (s *Scheduler) trigger(e *entry, now time.Time, r Reason) {
	if e.cancel != nil {
		e.again = r
		return
	}
	s.setPlan(e, now, r)
}

// planFresh plans the regular refresh if the known entry is still fresh,
// else an immediate knock.
func (s *Scheduler) planFresh(e *entry, now time.Time) {
	if !e.expires.IsZero() {
		if at := e.expires.Add(-e.margin); at.After(now) {
			s.setPlan(e, at, ReasonDue)
			return
		}
	}
	s.setPlan(e, now, ReasonStale)
}

func (s *Scheduler) setAuto(e *entry, on bool, now time.Time) {
	if e.auto == on {
		return
	}
	e.auto = on
	if on {
		s.trigger(e, now, ReasonEnabled)
		return
	}
	// The user stepped in: whatever failure story there was is over.
	e.again, e.failures, e.err = 0, 0, nil
	if e.cancel != nil {
		e.cancel()
	}
	s.unplan(e)
}

func (s *Scheduler) setPlan(e *entry, at time.Time, r Reason) {
	if e.index >= 0 && e.next.Equal(at) && e.reason == r {
		return
	}
	e.next, e.reason = at, r
	if e.index < 0 {
		heap.Push(&s.plan, e)
	} else {
		heap.Fix(&s.plan, e.index)
	}
	s.emitPlanned(e)
}

func (s *Scheduler) unplan(e *entry) {
	if e.index < 0 {
		return
	}
	heap.Remove(&s.plan, e.index)
	e.next, e.reason = time.Time{}, 0
	s.emitPlanned(e)
}

// settle starts a worker when a knock is due and arms the one timer for the
// earliest plan. Called with s.mu held at the end of every change.
func (s *Scheduler) settle(now time.Time) {
	if !s.started || s.closed {
		return
	}
	if len(s.plan) == 0 {
		if s.timer != nil {
			s.timer.Stop()
		}
		return
	}
	top := s.plan[0].next
	if !top.After(now) && s.running < s.workers {
		// One worker at a time: each one that takes a knock settles again,
		// which starts the next while more are due.
		s.running++
		s.wg.Add(1)
		go s.work()
	}
	d := s.wakeCheck
	if wait := top.Sub(now); wait > 0 {
		d = min(d, wait)
	}
	if s.timer == nil {
		s.timer = s.clock.AfterFunc(d, s.tick)
	} else {
		s.timer.Reset(d)
	}
}

func (s *Scheduler) tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.settle(s.now())
}

// work runs due knocks until none is left.
func (s *Scheduler) work() {
	defer s.wg.Done()
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		now := s.now()
		if s.closed || len(s.plan) == 0 || s.plan[0].next.After(now) {
			s.running--
			return
		}
		e := heap.Pop(&s.plan).(*entry)
		reason := e.reason
		e.next, e.reason = time.Time{}, 0
		ctx, cancel := context.WithCancel(s.root)
		e.cancel = cancel
		s.emit(Event{Kind: Started, ID: e.id, Reason: reason})
		s.settle(now)

		s.mu.Unlock()
		sent, err := s.knock(ctx, e.id)
		s.mu.Lock()

		canceled := ctx.Err() != nil
		cancel()
		e.cancel = nil
		s.finish(e, now, sent, err, canceled)
	}
}

// finish records a knock's outcome and plans the next one.
func (s *Scheduler) finish(e *entry, start time.Time, sent time.Time, err error, canceled bool) {
	now := s.now()
	again := e.again
	e.again = 0
	switch {
	case err == nil:
		sent = sent.Round(0)
		if sent.Before(start) {
			sent = start
		} else if sent.After(now) {
			sent = now
		}
		if sent.After(e.lastSuccess) {
			e.lastSuccess = sent
		}
		e.expires = e.lastSuccess.Add(e.timeout)
		streak := e.failures
		e.failures, e.err = 0, nil
		s.emit(Event{Kind: Succeeded, ID: e.id, Sent: sent, Expires: e.expires, Failures: streak})
	case canceled, errors.Is(err, context.Canceled):
		s.emit(Event{Kind: Canceled, ID: e.id, Err: err})
	default:
		e.failures++
		e.err = err
		s.emit(Event{Kind: Failed, ID: e.id, Err: err, Failures: e.failures})
	}
	switch {
	case e.removed || s.closed:
	case again != 0:
		s.setPlan(e, now, again)
	case !e.auto || (canceled && err != nil):
	case errors.Is(err, context.Canceled):
		// The caller stopped this knock (a user's Cancel), not the scheduler:
		// skip it without counting a failure, and try again once the pause
		// is over, or at the regular time if that is later.
		at := now.Add(CallerCancelPause)
		if due := e.expires.Add(-e.margin); !e.expires.IsZero() && due.After(at) {
			s.setPlan(e, due, ReasonDue)
		} else {
			s.setPlan(e, at, ReasonRetry)
		}
	case err == nil:
		s.planFresh(e, now)
	default:
		s.setPlan(e, now.Add(s.backoff[min(e.failures, len(s.backoff))-1]), ReasonRetry)
	}
	s.settle(now)
}

func (s *Scheduler) emitPlanned(e *entry) {
	s.emit(Event{Kind: Planned, ID: e.id, Reason: e.reason, Next: e.next})
}

// emit queues an event; called with s.mu held, so that events keep the order
// of the changes they report. A single deliverer goroutine, started on
// demand, calls OnEvent outside the lock.
func (s *Scheduler) emit(ev Event) {
	if s.onEvent == nil {
		return
	}
	ev.Time = s.lastWall
	s.events = append(s.events, ev)
	if !s.delivering {
		s.delivering = true
		s.wg.Add(1)
		go s.deliver()
	}
}

func (s *Scheduler) deliver() {
	defer s.wg.Done()
	var batch []Event
	for {
		s.mu.Lock()
		if len(s.events) == 0 {
			s.delivering = false
			s.mu.Unlock()
			return
		}
		// Swap buffers so that steady operation does not allocate.
		batch, s.events = s.events, batch[:0]
		s.mu.Unlock()
		for _, ev := range batch {
			s.onEvent(ev)
		}
		clear(batch)
	}
}

// planHeap orders planned entries by time, earliest first.
type planHeap []*entry

func (h planHeap) Len() int           { return len(h) }
func (h planHeap) Less(i, j int) bool { return h[i].next.Before(h[j].next) }
func (h planHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *planHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *planHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.index = -1
	*h = old[:len(old)-1]
	return e
}
