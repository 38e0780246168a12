// Package netwatch notices when the machine's network changes, so that the
// scheduler can knock again from the new address. It polls the interface
// addresses and the default routes: no external commands, no packets, and
// no goroutine between polls.
package netwatch

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/knocker/knocker/knock/schedule"
)

// DefaultInterval is how often the network is polled unless told otherwise.
const DefaultInterval = 3 * time.Second

// Snapshot is what a knock's path depends on, as comparable text.
type Snapshot struct {
	Addrs  []string // "IFACE ADDR/BITS" of every usable address, sorted
	Routes []string // default routes, one line each, sorted
}

// Equal reports whether two snapshots describe the same network.
func (s Snapshot) Equal(o Snapshot) bool {
	return slices.Equal(s.Addrs, o.Addrs) && slices.Equal(s.Routes, o.Routes)
}

// Config sets up a Watcher. Only OnChange is required.
type Config struct {
	Interval time.Duration            // 0: DefaultInterval
	Source   func() (Snapshot, error) // nil: System
	Clock    schedule.Clock           // nil: schedule.RealClock
	OnChange func(old, new Snapshot)  // on the watcher's goroutine; must not call Stop
}

// Watcher polls a Source and reports changes.
type Watcher struct {
	interval time.Duration
	source   func() (Snapshot, error)
	onChange func(old, new Snapshot)

	mu         sync.Mutex
	timer      schedule.Timer
	stopped    bool
	polls      sync.WaitGroup
	known      bool // whether reported holds a snapshot yet
	reported   Snapshot
	pending    Snapshot
	hasPending bool
}

// Start takes the first snapshot, the baseline, and polls from then on.
func Start(cfg Config) (*Watcher, error) {
	if cfg.OnChange == nil {
		return nil, errors.New("netwatch: Config.OnChange is nil")
	}
	w := &Watcher{interval: cfg.Interval, source: cfg.Source, onChange: cfg.OnChange}
	if w.interval <= 0 {
		w.interval = DefaultInterval
	}
	if w.source == nil {
		w.source = System
	}
	clock := cfg.Clock
	if clock == nil {
		clock = schedule.RealClock{}
	}
	if snap, err := w.source(); err == nil {
		w.reported, w.known = snap, true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer = clock.AfterFunc(w.interval, w.poll)
	return w, nil
}

// Stop ends polling. Once it returns, OnChange is not called any more.
func (w *Watcher) Stop() {
	w.mu.Lock()
	w.stopped = true
	w.timer.Stop()
	w.mu.Unlock()
	w.polls.Wait()
}

func (w *Watcher) poll() {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return
	}
	w.polls.Add(1)
	w.mu.Unlock()
	defer w.polls.Done()

	snap, err := w.source()

	w.mu.Lock()
	old, changed := w.observe(snap, err)
	if !w.stopped {
		w.timer.Reset(w.interval)
	}
	w.mu.Unlock()
	if changed {
		w.onChange(old, snap)
	}
}

// observe reports a change only once two polls in a row agree on it: while
// a network comes up, addresses and routes appear one by one, and a knock
// sent before the default route exists would just fail and notify.
// A failed poll (an interface vanished while it was read) is skipped.
func (w *Watcher) observe(snap Snapshot, err error) (old Snapshot, changed bool) {
	switch {
	case err != nil:
	case !w.known:
		w.reported, w.known = snap, true
	case snap.Equal(w.reported):
		w.hasPending = false
	case w.hasPending && snap.Equal(w.pending):
		old, w.reported, w.hasPending = w.reported, snap, false
		return old, true
	default:
		w.pending, w.hasPending = snap, true
	}
	return Snapshot{}, false
}
