package schedule

import "time"

// Kind says what an Event reports.
type Kind int

const (
	// Planned: the next knock time of a profile changed. A zero Next means
	// nothing is planned (auto-refresh off, or the profile was removed).
	Planned Kind = iota
	// Started: a knock began; nothing is planned while it runs.
	Started
	// Succeeded: a knock went out. Sent is the new last successful knock
	// time for the caller to persist.
	Succeeded
	// Failed: a knock returned an error; Failures counts the streak.
	Failed
	// Canceled: a knock was cut short by turning auto-refresh off, Remove or
	// Close, or the Knock function returned context.Canceled (the user
	// stopped it). It is not a failure: nothing went wrong on the network.
	// After a caller's cancel an auto-refresh profile tries again after
	// CallerCancelPause, or at its regular time if that is later.
	Canceled
)

var kindNames = [...]string{"planned", "started", "succeeded", "failed", "canceled"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

// Reason says why a knock was planned.
type Reason int

// The zero Reason means none; only a Planned event with a zero Next has it.
const (
	// ReasonStale: no entry on the router is known to be fresh (first
	// knock, start-up after a long pause, or a router entry about to expire).
	ReasonStale Reason = iota + 1
	// ReasonDue: the regular refresh, margin before the entry expires.
	ReasonDue
	// ReasonRetry: a retry after a failure, on the backoff schedule.
	ReasonRetry
	// ReasonWake: the wall clock jumped ahead (sleep) and the entry may
	// have expired meanwhile.
	ReasonWake
	// ReasonNetwork: the caller reported a network change.
	ReasonNetwork
	// ReasonEnabled: auto-refresh was just turned on.
	ReasonEnabled
)

var reasonNames = [...]string{"none", "stale", "due", "retry", "wake", "network", "enabled"}

func (r Reason) String() string {
	if r < 0 || int(r) >= len(reasonNames) {
		return "unknown"
	}
	return reasonNames[r]
}

// Event reports a change for the UI. Events of one Scheduler are delivered in
// the order the changes happened, one at a time, on a goroutine of the
// scheduler's, never on the goroutine that called a Scheduler method.
type Event struct {
	Kind   Kind
	ID     string
	Time   time.Time // when it happened, on the scheduler's clock
	Reason Reason    // Planned, Started: why the knock is planned or runs
	Next   time.Time // Planned: when the next knock is due; zero: none

	Sent    time.Time // Succeeded: when the knock went out
	Expires time.Time // Succeeded: when the router entry runs out

	// Failed: the length of the failure streak, this one included.
	// Succeeded: the length of the streak this success ended; > 0 means the
	// profile recovered.
	Failures int
	Err      error // Failed, Canceled
}

// Notify tells whether the event deserves a desktop notification: the first
// failure of a streak (retries stay quiet) and the success that ends a streak.
func (e Event) Notify() bool {
	switch e.Kind {
	case Failed:
		return e.Failures == 1
	case Succeeded:
		return e.Failures > 0
	}
	return false
}
