package demorouter

import (
	"bytes"
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/schedule"
)

// machine is the router's rule set without sockets: routerconf's plan played
// out in memory. Step i adds a source to lists[i] (stage lists, then the
// final list last); a step after the first counts only from a source on the
// previous step's list. It is safe for concurrent use.
type machine struct {
	clock    schedule.Clock
	steps    []knock.Step
	names    []string        // list names, one per step
	timeouts []time.Duration // list timeouts, one per step
	emit     func(Event)
	// allowed receives the final list whenever it changes, so that the
	// service can follow it; its error is reported as a ServiceFailed event.
	allowed func([]netip.Addr) error

	mu      sync.Mutex
	entries []map[netip.Addr]time.Duration // per list: source -> monotonic expiry
	held    []held                         // packets early for their step, oldest first
	timer   schedule.Timer
	closed  bool
}

// reorderWindow is how long a packet that fits a later step waits for its
// source to complete the step before. Each knock port has its own socket and
// goroutine, so packets sent microseconds apart (a TCP step, then a UDP one)
// can reach the rules in either order, which a router's single packet path
// never does; a client's deliberate delays are far longer.
const reorderWindow = 25 * time.Millisecond

// held is a packet waiting out the reorder window.
type held struct {
	proto   knock.Proto
	port    uint16
	src     netip.Addr
	payload []byte
	until   time.Duration // monotonic
}

func newMachine(clock schedule.Clock, steps []knock.Step, name string, stageTimeout, timeout time.Duration,
	emit func(Event), allowed func([]netip.Addr) error) *machine {
	m := &machine{clock: clock, steps: steps, emit: emit, allowed: allowed}
	for i := range steps {
		list, d := name+"-stage"+strconv.Itoa(i+1), stageTimeout
		if i == len(steps)-1 {
			list, d = name+"-allow", timeout
		}
		m.names = append(m.names, list)
		m.timeouts = append(m.timeouts, d)
		m.entries = append(m.entries, map[netip.Addr]time.Duration{})
	}
	return m
}

// finalList names the list the service accepts.
func (m *machine) finalList() string { return m.names[len(m.names)-1] }

// packet plays one knock packet through the rules. A packet that fits a
// step whose previous stage its source has not reached yet waits up to
// reorderWindow for it (see there) before it counts as no match.
func (m *machine) packet(proto knock.Proto, port uint16, src netip.Addr, payload []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	now := m.clock.Mono()
	m.expire(now)
	p := held{proto: proto, port: port, src: src, payload: slices.Clone(payload), until: now + reorderWindow}
	switch {
	case m.apply(now, p):
		m.retry(now, src)
	case slices.ContainsFunc(m.steps, func(s knock.Step) bool { return matches(s, proto, port, payload) }):
		m.held = append(m.held, p)
	default:
		m.event(Event{Kind: NoMatch, Source: src, Proto: proto, Port: port})
	}
	m.arm(now)
}

// apply plays p through the rules and reports whether any took it. As in
// the generated RouterOS and nftables rules, the steps are tried last first
// and every matching rule applies, so one packet never counts for two
// consecutive steps even when they share a port and payload.
func (m *machine) apply(now time.Duration, p held) bool {
	matched := false
	last := len(m.steps) - 1
	for i := last; i >= 0; i-- {
		if !matches(m.steps[i], p.proto, p.port, p.payload) || i > 0 && !m.on(i-1, p.src) {
			continue
		}
		matched = true
		m.event(Event{Kind: StepMatched, Source: p.src, Proto: p.proto, Port: p.port, Step: i, Count: len(m.steps)})
		kind := ListAdded
		if m.on(i, p.src) {
			kind = ListRefreshed
		}
		m.entries[i][p.src] = now + m.timeouts[i]
		if i == last && kind == ListAdded {
			// First, as a client checks the service right after its last step.
			m.follow()
		}
		m.event(Event{Kind: kind, Source: p.src, List: m.names[i], Timeout: m.timeouts[i]})
	}
	return matched
}

// retry plays src's held packets again, oldest first, now that src has
// completed a step, until none is taken.
func (m *machine) retry(now time.Duration, src netip.Addr) {
	for i := 0; i < len(m.held); i++ {
		if m.held[i].src == src && m.apply(now, m.held[i]) {
			m.held = slices.Delete(m.held, i, i+1)
			i = -1
		}
	}
}

// matches says whether a packet fits a step's rule: protocol and port, and
// for UDP the payload, whose length alone counts for a "size:N" payload (as
// RouterOS packet-size) and which a step without one does not check.
func matches(s knock.Step, proto knock.Proto, port uint16, payload []byte) bool {
	switch {
	case s.Proto != proto || s.Port != port:
		return false
	case proto == knock.TCP || len(s.Payload.Data) == 0:
		return true
	case s.Payload.Encoding == knock.Size:
		return len(payload) == len(s.Payload.Data)
	}
	return bytes.Equal(payload, s.Payload.Data)
}

// admit reports, and tells OnEvent, whether a connection to the service
// from src may stay: whether src is on the final list now.
func (m *machine) admit(port uint16, src netip.Addr) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(m.clock.Mono())
	ok := m.on(len(m.steps)-1, src)
	kind := Refused
	if ok {
		kind = Accepted
	}
	m.event(Event{Kind: kind, Source: src, Proto: knock.TCP, Port: port, List: m.finalList()})
	return ok
}

// follow hands the final list to allowed.
func (m *machine) follow() {
	if err := m.allowed(m.listed(len(m.entries) - 1)); err != nil {
		m.event(Event{Kind: ServiceFailed, List: m.finalList(), Err: err})
	}
}

func (m *machine) on(list int, src netip.Addr) bool {
	_, ok := m.entries[list][src]
	return ok
}

func (m *machine) listed(list int) []netip.Addr {
	var out []netip.Addr
	for a := range m.entries[list] {
		out = append(out, a)
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// expire reports the held packets whose window has closed as no match, and
// removes the list entries whose timeout has run out by now, reporting them
// list by list, soonest first.
func (m *machine) expire(now time.Duration) {
	m.held = slices.DeleteFunc(m.held, func(p held) bool {
		if p.until > now {
			return false
		}
		m.event(Event{Kind: NoMatch, Source: p.src, Proto: p.proto, Port: p.port})
		return true
	})
	for i, entries := range m.entries {
		var gone []netip.Addr
		for a, at := range entries {
			if at <= now {
				gone = append(gone, a)
			}
		}
		slices.SortFunc(gone, func(a, b netip.Addr) int {
			return cmp.Or(cmp.Compare(entries[a], entries[b]), a.Compare(b))
		})
		for _, a := range gone {
			delete(entries, a)
		}
		if len(gone) > 0 && i == len(m.entries)-1 {
			// Before the events, so that whoever hears of an expiry finds the service shut.
			m.follow()
		}
		for _, a := range gone {
			m.event(Event{Kind: ListExpired, Source: a, List: m.names[i]})
		}
	}
}

// arm sets the one timer to the next expiry, so that expiries are reported
// (and the gate closed) when they happen rather than at the next packet.
func (m *machine) arm(now time.Duration) {
	next, any := time.Duration(0), false
	soonest := func(at time.Duration) {
		if !any || at < next {
			next, any = at, true
		}
	}
	for _, entries := range m.entries {
		for _, at := range entries {
			soonest(at)
		}
	}
	for _, p := range m.held {
		soonest(p.until)
	}
	switch {
	case !any:
		if m.timer != nil {
			m.timer.Stop()
		}
	case m.timer == nil:
		m.timer = m.clock.AfterFunc(next-now, m.tick)
	default:
		m.timer.Reset(next - now)
	}
}

func (m *machine) tick() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	now := m.clock.Mono()
	m.expire(now)
	m.arm(now)
}

// event stamps e and hands it on; called with mu held, so events arrive one
// at a time and in order.
func (m *machine) event(e Event) {
	e.Time = m.clock.Now()
	m.emit(e)
}

// close stops the timer; later packets are ignored.
func (m *machine) close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	if m.timer != nil {
		m.timer.Stop()
	}
}
