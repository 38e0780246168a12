package demorouter

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/knocker/knocker/knock"
)

// Kind says what an Event reports.
type Kind uint8

const (
	StepMatched   Kind = iota + 1 // a packet counted as step Step of Count
	NoMatch                       // a packet on a knock port that no rule took
	ListAdded                     // Source joined List for Timeout
	ListRefreshed                 // Source, already on List, knocked again: its timeout starts over
	ListExpired                   // Source's timeout on List ran out
	Accepted                      // the service accepted a connection from a listed Source
	Refused                       // the service closed a connection from an unlisted Source at once
	ServiceFailed                 // the service could not follow the list (Err says why)
)

// Event is one thing the router saw or did.
type Event struct {
	Kind    Kind
	Time    time.Time
	Source  netip.Addr
	Proto   knock.Proto // the packet's or the service's protocol
	Port    uint16      // 0 for list events
	Step    int         // 0-based, for StepMatched
	Count   int         // steps in the sequence, for StepMatched
	List    string      // the address list, for list events, Accepted and Refused
	Timeout time.Duration
	Err     error
}

// String describes e in the words of RouterOS's firewall (address list,
// timeout), without the time. Payloads are never shown.
func (e Event) String() string {
	target := fmt.Sprintf("%s/%d", e.Proto, e.Port)
	switch e.Kind {
	case StepMatched:
		return fmt.Sprintf("%s from %s: step %d of %d matched", target, e.Source, e.Step+1, e.Count)
	case NoMatch:
		return fmt.Sprintf("%s from %s: no rule matched (wrong payload, or a step out of order); ignored", target, e.Source)
	case ListAdded:
		return fmt.Sprintf("address list %s: added %s, timeout %s", e.List, e.Source, FormatDuration(e.Timeout))
	case ListRefreshed:
		return fmt.Sprintf("address list %s: %s knocked again, timeout back to %s", e.List, e.Source, FormatDuration(e.Timeout))
	case ListExpired:
		return fmt.Sprintf("address list %s: %s removed, its timeout ran out", e.List, e.Source)
	case Accepted:
		return fmt.Sprintf("%s: accepted a connection from %s (on address list %s)", target, e.Source, e.List)
	case Refused:
		return fmt.Sprintf("%s: closed a connection from %s at once (not on address list %s)", target, e.Source, e.List)
	case ServiceFailed:
		return fmt.Sprintf("the service cannot follow address list %s: %v", e.List, e.Err)
	}
	return fmt.Sprintf("event %d from %s", e.Kind, e.Source)
}

// FormatDuration writes d without the zero units time.Duration prints:
// "2m", not "2m0s".
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
