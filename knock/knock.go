// Package knock sends port-knock sequences: UDP datagrams, TCP SYNs and ICMP
// echoes in order and on time, then optionally checks that the protected port
// opened. It is shared by the window, the tray and the CLI, and never imports
// a UI toolkit.
package knock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"time"

	"github.com/knocker/knocker/internal/plural"
)

// Knocker sends knock sequences. The zero value knocks over the system
// network with the system resolver, any address family and no verification.
// A Knocker may be used for one knock at a time per goroutine; its fields must
// not change while a knock runs.
type Knocker struct {
	Family   Family
	Verify   *Verify  // nil: no verification
	Hooks    Hooks    // optional progress callbacks, called on the knocking goroutine
	Resolver Resolver // nil: net.DefaultResolver
	Network  Network  // nil: SystemNetwork{}
}

// Verify asks for a TCP connect to Port after the sequence. If it does not
// succeed within Timeout, the whole sequence is sent again, up to Retries more times.
type Verify struct {
	Port    uint16
	Timeout time.Duration // per attempt; 0 means DefaultVerifyTimeout
	Retries int
}

// DefaultVerifyTimeout is how long a verification connect waits when unset.
const DefaultVerifyTimeout = 3 * time.Second

// Resolver looks up host names; *net.Resolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Hooks are optional callbacks, in the spirit of net/http/httptrace. They run
// synchronously on the knocking goroutine, so they must return quickly.
type Hooks struct {
	Resolved func(ResolvedEvent)
	StepSent func(StepEvent)
	Verified func(VerifyEvent)
}

// ResolvedEvent reports the address a knock goes to.
type ResolvedEvent struct {
	Host string
	Addr netip.Addr   // the chosen address
	All  []netip.Addr // every address the name resolved to
	Took time.Duration
}

// StepEvent reports one packet that left the machine.
type StepEvent struct {
	Attempt int // 1 for the first run of the sequence
	Index   int // 0-based position in the sequence
	Count   int // number of steps in the sequence
	Step    Step
	Time    time.Time // when the send began
	Local   netip.AddrPort
	Remote  netip.AddrPort
}

// VerifyEvent reports one verification connect.
type VerifyEvent struct {
	Attempt int
	Port    uint16
	Open    bool
	Took    time.Duration
}

// Result describes a finished knock.
type Result struct {
	Host     string
	Addr     netip.Addr
	Attempts int          // how many times the sequence was sent
	Steps    []StepEvent  // the sends of the last attempt
	Verify   *VerifyEvent // the last verification, nil when none was asked for
	Started  time.Time
	Finished time.Time
}

// ErrNoSteps is returned for an empty sequence.
var ErrNoSteps = errors.New("no knock steps given")

// StepError reports a step that cannot be sent as written (bad input).
type StepError struct {
	Index int
	Err   error
}

func (e *StepError) Error() string { return fmt.Sprintf("step %d: %v", e.Index+1, e.Err) }
func (e *StepError) Unwrap() error { return e.Err }

// ResolveError reports a host that could not be turned into an address of
// the wanted family.
type ResolveError struct {
	Host string
	Err  error
}

func (e *ResolveError) Error() string { return fmt.Sprintf("cannot resolve %q: %v", e.Host, e.Err) }
func (e *ResolveError) Unwrap() error { return e.Err }

// SendError reports a packet the operating system refused to send.
type SendError struct {
	Index int
	Step  Step
	Err   error
}

func (e *SendError) Error() string {
	return fmt.Sprintf("step %d (%s): %v", e.Index+1, e.Step.Summary(), e.Err)
}
func (e *SendError) Unwrap() error { return e.Err }

// NotOpenError reports that every step was sent but the verification port
// stayed closed.
type NotOpenError struct {
	Port     uint16
	Attempts int
}

func (e *NotOpenError) Error() string {
	return fmt.Sprintf("sent, but port %d is still closed after %s", e.Port, plural.Count(e.Attempts, "knock", "knocks"))
}

// Knock resolves host once, sends steps in order honouring each step's delay,
// and verifies if asked. It returns as soon as ctx is cancelled. On failure
// the Result holds what was done before the failure.
func (k *Knocker) Knock(ctx context.Context, host string, steps []Step) (*Result, error) {
	return k.KnockEach(ctx, host, func(int) ([]Step, error) { return steps, nil })
}

// KnockEach is Knock with the steps made for each attempt: steps(1) before
// anything is sent, steps(2) before the first retry, and so on. A packet
// that is good once only, such as fwknop's SPA (the server drops a replay),
// needs a fresh one for a retry to help.
func (k *Knocker) KnockEach(ctx context.Context, host string, steps func(attempt int) ([]Step, error)) (*Result, error) {
	res := &Result{Host: host, Started: time.Now()}
	err := k.knock(ctx, res, host, steps)
	res.Finished = time.Now()
	return res, err
}

// stepsFor returns the attempt's steps, checked.
func stepsFor(next func(int) ([]Step, error), attempt int) ([]Step, error) {
	steps, err := next(attempt)
	if err != nil {
		return nil, err
	}
	if len(steps) == 0 {
		return nil, ErrNoSteps
	}
	for i, s := range steps {
		if err := s.Validate(); err != nil {
			return nil, &StepError{Index: i, Err: err}
		}
	}
	return steps, nil
}

func (k *Knocker) knock(ctx context.Context, res *Result, host string, next func(int) ([]Step, error)) error {
	steps, err := stepsFor(next, 1)
	if err != nil {
		return err
	}
	if k.Verify != nil {
		if k.Verify.Port == 0 {
			return errors.New("verify port 0 is out of range (want 1-65535)")
		}
		if k.Verify.Retries < 0 || k.Verify.Timeout < 0 {
			return errors.New("verify retries and timeout cannot be negative")
		}
	}
	addr, err := k.resolve(ctx, host)
	if err != nil {
		return err
	}
	res.Addr = addr

	network := k.Network
	if network == nil {
		network = SystemNetwork{}
	}
	conn, err := network.Open(ctx, addr)
	if err != nil {
		return err
	}
	defer conn.Close()

	attempts := 1
	if k.Verify != nil {
		attempts += k.Verify.Retries
	}
	for attempt := 1; attempt <= attempts; attempt++ {
		res.Attempts = attempt
		if attempt > 1 {
			if steps, err = stepsFor(next, attempt); err != nil {
				return err
			}
		}
		if err := k.sendSequence(ctx, res, conn, addr, steps, attempt); err != nil {
			return err
		}
		if k.Verify == nil {
			return nil
		}
		ev, err := k.verify(ctx, network, addr, attempt)
		if err != nil {
			return err
		}
		res.Verify = &ev
		if ev.Open {
			return nil
		}
	}
	return &NotOpenError{Port: k.Verify.Port, Attempts: attempts}
}

func (k *Knocker) sendSequence(ctx context.Context, res *Result, conn Conn, addr netip.Addr, steps []Step, attempt int) error {
	res.Steps = res.Steps[:0]
	var last time.Time
	for i, s := range steps {
		if i > 0 && s.Delay > 0 {
			if err := sleepUntil(ctx, last.Add(s.Delay)); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		last = time.Now()
		local, err := conn.Send(ctx, s)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			return &SendError{Index: i, Step: s, Err: err}
		}
		ev := StepEvent{
			Attempt: attempt, Index: i, Count: len(steps), Step: s, Time: last,
			Local: local, Remote: netip.AddrPortFrom(addr, s.Port),
		}
		res.Steps = append(res.Steps, ev)
		if k.Hooks.StepSent != nil {
			k.Hooks.StepSent(ev)
		}
	}
	return nil
}

func (k *Knocker) verify(ctx context.Context, network Network, addr netip.Addr, attempt int) (VerifyEvent, error) {
	timeout := k.Verify.Timeout
	if timeout == 0 {
		timeout = DefaultVerifyTimeout
	}
	start := time.Now()
	open, err := network.Probe(ctx, netip.AddrPortFrom(addr, k.Verify.Port), timeout)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return VerifyEvent{}, ctxErr
		}
		return VerifyEvent{}, fmt.Errorf("verify port %d: %w", k.Verify.Port, err)
	}
	ev := VerifyEvent{Attempt: attempt, Port: k.Verify.Port, Open: open, Took: time.Since(start)}
	if k.Hooks.Verified != nil {
		k.Hooks.Verified(ev)
	}
	return ev, nil
}

func (k *Knocker) resolve(ctx context.Context, host string) (netip.Addr, error) {
	start := time.Now()
	all, err := lookup(ctx, k.Resolver, host, k.Family)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return netip.Addr{}, ctxErr
		}
		return netip.Addr{}, &ResolveError{Host: host, Err: err}
	}
	addr := k.Family.choose(all)
	if k.Hooks.Resolved != nil {
		k.Hooks.Resolved(ResolvedEvent{Host: host, Addr: addr, All: all, Took: time.Since(start)})
	}
	return addr, nil
}

// spinWindow is the final stretch of a delay that sleepUntil busy-waits:
// the runtime's timers may fire up to a millisecond late, and a knock's
// gaps should be as exact as the user asked.
const spinWindow = 1500 * time.Microsecond

// sleepUntil waits for the clock to reach t, or for ctx to end.
func sleepUntil(ctx context.Context, t time.Time) error {
	if d := time.Until(t) - spinWindow; d > 0 {
		timer := time.NewTimer(d)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		}
	}
	for time.Now().Before(t) {
		if err := ctx.Err(); err != nil {
			return err
		}
		runtime.Gosched()
	}
	return nil
}

// lookup resolves host, returning only addresses of the families f allows.
// IP literals are used as they are, without a DNS query.
func lookup(ctx context.Context, r Resolver, host string, f Family) ([]netip.Addr, error) {
	if host == "" {
		return nil, errors.New("empty host name")
	}
	var all []netip.Addr
	if a, err := netip.ParseAddr(trimBrackets(host)); err == nil {
		all = []netip.Addr{a.Unmap()}
	} else {
		if r == nil {
			r = net.DefaultResolver
		}
		found, err := r.LookupNetIP(ctx, f.lookupNetwork(), host)
		if err != nil {
			var dnsErr *net.DNSError
			if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
				return nil, errors.New("no such host")
			}
			return nil, err
		}
		for _, a := range found {
			all = append(all, a.Unmap())
		}
	}
	var usable []netip.Addr
	for _, a := range all {
		if f.allows(a) {
			usable = append(usable, a)
		}
	}
	if len(usable) == 0 {
		return nil, fmt.Errorf("no %s address", f.only())
	}
	return usable, nil
}

func trimBrackets(host string) string {
	if len(host) > 2 && host[0] == '[' && host[len(host)-1] == ']' {
		return host[1 : len(host)-1]
	}
	return host
}
