package knock

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeNetwork records sends instead of making them. sendCost makes each Send
// take that long, to show delays are measured from send to send.
type fakeNetwork struct {
	mu       sync.Mutex
	sends    []fakeSend
	sendCost time.Duration
	failAt   int   // 1-based send number that fails; 0 never
	openAt   int   // probe number (1-based) from which the port is open; 0 never
	probeErr error // returned by every probe when set
	probes   int   // probes made
	opened   []netip.Addr
}

type fakeSend struct {
	step Step
	at   time.Time
}

func (n *fakeNetwork) Open(_ context.Context, remote netip.Addr) (Conn, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.opened = append(n.opened, remote)
	return fakeConn{n}, nil
}

func (n *fakeNetwork) Probe(ctx context.Context, _ netip.AddrPort, timeout time.Duration) (bool, error) {
	n.mu.Lock()
	n.probes++
	open := n.openAt > 0 && n.probes >= n.openAt
	n.mu.Unlock()
	if n.probeErr != nil {
		return false, n.probeErr
	}
	if open {
		return true, nil
	}
	select { // a closed, silent port costs the whole timeout
	case <-time.After(timeout):
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

type fakeConn struct{ n *fakeNetwork }

func (c fakeConn) Send(ctx context.Context, s Step) (netip.AddrPort, error) {
	c.n.mu.Lock()
	c.n.sends = append(c.n.sends, fakeSend{s, time.Now()})
	count := len(c.n.sends)
	c.n.mu.Unlock()
	if c.n.failAt == count {
		return netip.AddrPort{}, errors.New("network is unreachable")
	}
	if c.n.sendCost > 0 {
		time.Sleep(c.n.sendCost)
	}
	return netip.MustParseAddrPort("192.0.2.10:40000"), nil
}

func (fakeConn) Close() error { return nil }

type fakeResolver map[string][]netip.Addr

func (r fakeResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	addrs, ok := r[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, a := range addrs {
		if network == "ip" || (network == "ip4") == a.Is4() {
			out = append(out, a)
		}
	}
	return out, nil
}

func mustSteps(t testing.TB, delay time.Duration, specs ...string) []Step {
	t.Helper()
	steps := make([]Step, len(specs))
	for i, spec := range specs {
		s, err := ParseStep(spec, UDP)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			s.Delay = delay
		}
		steps[i] = s
	}
	return steps
}

func TestKnockSendsInOrderAndReports(t *testing.T) {
	fn := &fakeNetwork{}
	var events []StepEvent
	var resolved ResolvedEvent
	k := Knocker{Network: fn, Hooks: Hooks{
		StepSent: func(e StepEvent) { events = append(events, e) },
		Resolved: func(e ResolvedEvent) { resolved = e },
	}}
	steps := mustSteps(t, 0, "7000", "8000:tcp", "icmp=ping", "9000=test")
	res, err := k.Knock(context.Background(), "203.0.113.7", steps)
	if err != nil {
		t.Fatal(err)
	}
	if len(fn.sends) != 4 || len(events) != 4 || len(res.Steps) != 4 {
		t.Fatalf("sends=%d events=%d result steps=%d, want 4 each", len(fn.sends), len(events), len(res.Steps))
	}
	for i, s := range fn.sends {
		if s.step.Spec() != steps[i].Spec() {
			t.Errorf("send %d = %v, want %v", i, s.step, steps[i])
		}
		if events[i].Index != i || events[i].Count != 4 || events[i].Attempt != 1 {
			t.Errorf("event %d = %+v", i, events[i])
		}
		if events[i].Remote != netip.AddrPortFrom(netip.MustParseAddr("203.0.113.7"), steps[i].Port) {
			t.Errorf("event %d remote = %v", i, events[i].Remote)
		}
	}
	if resolved.Addr != netip.MustParseAddr("203.0.113.7") || res.Addr != resolved.Addr {
		t.Errorf("resolved %v, result %v", resolved.Addr, res.Addr)
	}
	if res.Verify != nil || res.Attempts != 1 {
		t.Errorf("no verification was asked: %+v", res)
	}
}

// The delay runs from one send to the next, so slow sends do not stretch it.
// The lower bound uses the engine's own send times, which sleepUntil
// guarantees; the upper bound uses the fake's stamps, where adding the 60 ms
// send cost on top of the delay would show as 140 ms or more. Stamps taken
// outside the engine are never used for the lower bound: on a loaded machine
// the first stamp can lag the engine's by a millisecond or more.
func TestKnockDelayIsMeasuredFromPreviousSend(t *testing.T) {
	const delay = 80 * time.Millisecond
	fn := &fakeNetwork{sendCost: 60 * time.Millisecond}
	var sentAt []time.Time
	k := Knocker{Network: fn, Hooks: Hooks{StepSent: func(e StepEvent) { sentAt = append(sentAt, e.Time) }}}
	if _, err := k.Knock(context.Background(), "192.0.2.1", mustSteps(t, delay, "1", "2", "3")); err != nil {
		t.Fatal(err)
	}
	if len(sentAt) != 3 || len(fn.sends) != 3 {
		t.Fatalf("%d events, %d sends, want 3 each", len(sentAt), len(fn.sends))
	}
	for i := 1; i < len(sentAt); i++ {
		if gap := sentAt[i].Sub(sentAt[i-1]); gap < delay {
			t.Errorf("step %d sent %v after the previous one, want at least %v", i, gap, delay)
		}
		if gap := fn.sends[i].at.Sub(fn.sends[i-1].at); gap >= delay+fn.sendCost {
			t.Errorf("step %d arrived %v after the previous one: the send cost was added to the delay", i, gap)
		}
	}
}

func TestKnockFirstStepDelayIgnored(t *testing.T) {
	fn := &fakeNetwork{}
	steps := mustSteps(t, 0, "1")
	steps[0].Delay = time.Hour
	done := make(chan error, 1)
	go func() { _, err := (&Knocker{Network: fn}).Knock(context.Background(), "192.0.2.1", steps); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the first step waited for its delay")
	}
}

func TestKnockCancelStopsAtOnce(t *testing.T) {
	fn := &fakeNetwork{}
	ctx, cancel := context.WithCancel(context.Background())
	cancelledAt := make(chan time.Time, 1)
	k := Knocker{Network: fn, Hooks: Hooks{StepSent: func(e StepEvent) {
		go func() {
			time.Sleep(20 * time.Millisecond)
			cancelledAt <- time.Now()
			cancel()
		}()
	}}}
	_, err := k.Knock(ctx, "192.0.2.1", mustSteps(t, time.Hour, "1", "2", "3"))
	returned := time.Now()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// The next step was an hour away: returning at all is the proof, and a
	// minute leaves any loaded machine room.
	if returned.Sub(<-cancelledAt) > time.Minute {
		t.Fatal("knock waited for its delay despite cancellation")
	}
	if len(fn.sends) != 1 {
		t.Fatalf("sent %d steps, want 1 before the cancel", len(fn.sends))
	}
}

func TestKnockCancelDuringVerify(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	k := Knocker{Network: &fakeNetwork{}, Verify: &Verify{Port: 22, Timeout: time.Hour}}
	start := time.Now()
	_, err := k.Knock(ctx, "192.0.2.1", mustSteps(t, 0, "1"))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Minute { // the check waits an hour
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

func TestKnockVerify(t *testing.T) {
	tests := []struct {
		name         string
		openAt       int
		retries      int
		wantSends    int
		wantAttempts int
		wantOpen     bool
	}{
		{"open after first knock", 1, 0, 2, 1, true},
		{"open after a retry", 2, 2, 4, 2, true},
		{"never opens", 0, 2, 6, 3, false},
		{"closed and no retries", 0, 0, 2, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := &fakeNetwork{openAt: tt.openAt}
			var verifies []VerifyEvent
			k := Knocker{Network: fn, Verify: &Verify{Port: 22, Timeout: time.Millisecond, Retries: tt.retries},
				Hooks: Hooks{Verified: func(e VerifyEvent) { verifies = append(verifies, e) }}}
			res, err := k.Knock(context.Background(), "192.0.2.1", mustSteps(t, 0, "1", "2"))
			if len(fn.sends) != tt.wantSends || res.Attempts != tt.wantAttempts || len(verifies) != tt.wantAttempts {
				t.Fatalf("sends=%d attempts=%d verifies=%d, want %d %d %d", len(fn.sends), res.Attempts, len(verifies), tt.wantSends, tt.wantAttempts, tt.wantAttempts)
			}
			if res.Verify == nil || res.Verify.Open != tt.wantOpen || res.Verify.Port != 22 {
				t.Fatalf("verify = %+v", res.Verify)
			}
			var notOpen *NotOpenError
			if tt.wantOpen != (err == nil) || (!tt.wantOpen && (!errors.As(err, &notOpen) || notOpen.Attempts != tt.wantAttempts)) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestKnockVerifyProbeError(t *testing.T) {
	k := Knocker{Network: &fakeNetwork{probeErr: errors.New("no route to host")}, Verify: &Verify{Port: 22}}
	_, err := k.Knock(context.Background(), "192.0.2.1", mustSteps(t, 0, "1"))
	if err == nil || !strings.Contains(err.Error(), "verify port 22: no route to host") {
		t.Fatalf("err = %v", err)
	}
}

func TestKnockSendError(t *testing.T) {
	fn := &fakeNetwork{failAt: 2}
	k := Knocker{Network: fn}
	res, err := k.Knock(context.Background(), "192.0.2.1", mustSteps(t, 0, "1=secret", "2=secret", "3"))
	var sendErr *SendError
	if !errors.As(err, &sendErr) || sendErr.Index != 1 {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "step 2 (udp/2 (6-byte payload))") {
		t.Fatalf("error text %q", err)
	}
	if len(res.Steps) != 1 || len(fn.sends) != 2 {
		t.Fatalf("result steps=%d sends=%d", len(res.Steps), len(fn.sends))
	}
}

func TestKnockBadInput(t *testing.T) {
	tests := []struct {
		name   string
		k      Knocker
		host   string
		steps  []Step
		errHas string
	}{
		{"no steps", Knocker{}, "192.0.2.1", nil, "no knock steps"},
		{"port 0", Knocker{}, "192.0.2.1", []Step{{Proto: UDP}}, "step 1: port 0"},
		{"bad proto", Knocker{}, "192.0.2.1", []Step{{Proto: 9, Port: 1}}, "unknown protocol"},
		{"negative delay", Knocker{}, "192.0.2.1", []Step{{Proto: UDP, Port: 1}, {Proto: UDP, Port: 2, Delay: -1}}, "step 2: negative delay"},
		{"verify port 0", Knocker{Verify: &Verify{}}, "192.0.2.1", []Step{{Proto: UDP, Port: 1}}, "verify port 0"},
		{"negative retries", Knocker{Verify: &Verify{Port: 1, Retries: -1}}, "192.0.2.1", []Step{{Proto: UDP, Port: 1}}, "cannot be negative"},
		{"empty host", Knocker{}, "", []Step{{Proto: UDP, Port: 1}}, "empty host"},
		{"unknown host", Knocker{Resolver: fakeResolver{}}, "nowhere.example", []Step{{Proto: UDP, Port: 1}}, `cannot resolve "nowhere.example": no such host`},
		{"no v6 for literal", Knocker{Family: IPv6}, "192.0.2.1", []Step{{Proto: UDP, Port: 1}}, "no IPv6 address"},
		{"no v4 for name", Knocker{Family: IPv4, Resolver: fakeResolver{"v6.example": {netip.MustParseAddr("2001:db8::1")}}}, "v6.example", []Step{{Proto: UDP, Port: 1}}, "no IPv4 address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := &fakeNetwork{}
			tt.k.Network = fn
			_, err := tt.k.Knock(context.Background(), tt.host, tt.steps)
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("err = %v, want %q", err, tt.errHas)
			}
			if len(fn.sends) != 0 || len(fn.opened) != 0 {
				t.Fatal("bad input must not reach the network")
			}
		})
	}
}

func TestKnockFamilies(t *testing.T) {
	v4, v6 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")
	r := fakeResolver{"dual.example": {v6, v4}, "v4.example": {v4}}
	tests := []struct {
		host   string
		family Family
		want   netip.Addr
	}{
		{"dual.example", Auto, v6},
		{"dual.example", IPv4, v4},
		{"dual.example", IPv6, v6},
		{"dual.example", PreferIPv4, v4},
		{"dual.example", PreferIPv6, v6},
		{"v4.example", PreferIPv6, v4},
		{"[2001:db8::1]", Auto, v6},
		{"::ffff:192.0.2.1", IPv4, v4},
	}
	for _, tt := range tests {
		t.Run(tt.host+"/"+tt.family.String(), func(t *testing.T) {
			fn := &fakeNetwork{}
			k := Knocker{Family: tt.family, Resolver: r, Network: fn}
			res, err := k.Knock(context.Background(), tt.host, mustSteps(t, 0, "1"))
			if err != nil {
				t.Fatal(err)
			}
			if res.Addr != tt.want || fn.opened[0] != tt.want {
				t.Fatalf("knocked %v, want %v", res.Addr, tt.want)
			}
		})
	}
}

// DNS is asked once per knock, even when verification repeats the sequence.
func TestKnockResolvesOnce(t *testing.T) {
	r := &countingResolver{fakeResolver: fakeResolver{"r.example": {netip.MustParseAddr("192.0.2.1")}}}
	k := Knocker{Resolver: r, Network: &fakeNetwork{}, Verify: &Verify{Port: 22, Timeout: time.Millisecond, Retries: 3}}
	if _, err := k.Knock(context.Background(), "r.example", mustSteps(t, 0, "1")); err == nil {
		t.Fatal("the port never opens; the knock must fail")
	}
	if r.calls != 1 {
		t.Fatalf("resolved %d times, want 1", r.calls)
	}
}

type countingResolver struct {
	fakeResolver
	calls int
}

func (r *countingResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	r.calls++
	return r.fakeResolver.LookupNetIP(ctx, network, host)
}

// TestKnockEachMakesStepsPerAttempt: each attempt sends the steps made for
// it, asked for only when it starts; a failure to make them ends the knock.
func TestKnockEachMakesStepsPerAttempt(t *testing.T) {
	fn := &fakeNetwork{}
	var asked []int
	steps := func(attempt int) ([]Step, error) {
		asked = append(asked, attempt)
		return []Step{{Proto: UDP, Port: 1, Payload: Payload{Data: []byte{byte('0' + attempt)}}}}, nil
	}
	k := Knocker{Network: fn, Verify: &Verify{Port: 22, Timeout: time.Millisecond, Retries: 2}}
	if _, err := k.KnockEach(context.Background(), "192.0.2.1", steps); !errors.As(err, new(*NotOpenError)) {
		t.Fatalf("err = %v", err)
	}
	if len(asked) != 3 || len(fn.sends) != 3 {
		t.Fatalf("asked for %v, sent %d", asked, len(fn.sends))
	}
	for i, s := range fn.sends {
		if asked[i] != i+1 || string(s.step.Payload.Data) != string(rune('1'+i)) {
			t.Fatalf("attempt %d sent %q", i+1, s.step.Payload.Data)
		}
	}

	fn = &fakeNetwork{}
	k.Network = fn
	failing := func(attempt int) ([]Step, error) {
		if attempt == 2 {
			return nil, errors.New("no fresh packet")
		}
		return steps(attempt)
	}
	if res, err := k.KnockEach(context.Background(), "192.0.2.1", failing); err == nil || err.Error() != "no fresh packet" || res.Attempts != 2 || len(fn.sends) != 1 {
		t.Fatalf("err = %v after %d sends", err, len(fn.sends))
	}
	bad := func(attempt int) ([]Step, error) {
		if attempt == 2 {
			return []Step{{Proto: TCP}}, nil
		}
		return steps(attempt)
	}
	if _, err := k.KnockEach(context.Background(), "192.0.2.1", bad); !errors.As(err, new(*StepError)) {
		t.Fatalf("an invalid retry step: %v", err)
	}
}
