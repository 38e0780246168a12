package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/knocker/knocker/knock"
)

const sendUsage = `Usage: knocker send [flags] HOST STEP...

Knock HOST once with the steps given, in order.

STEP is PORT[:udp|:tcp][=PAYLOAD] or icmp[=PAYLOAD]. A bare PORT is TCP
(as with knock), or UDP with -u. PAYLOAD is text, hex:7465, base64:dGVzdA==
or size:N (N zero bytes, e.g. for RouterOS packet-size matches).

Flags:
  -u                  bare ports are UDP
  -d, --delay D       pause between steps, measured send to send (100ms, 1s; a bare number is ms)
  -4, -6              use only IPv4 / only IPv6
  --verify PORT       after the knock, check that TCP PORT accepts a connection
  --verify-timeout D  how long each check waits (default 3s)
  --retries N         knock again up to N times while the check fails (default 0)
  -v                  print each step as it is sent, with time and addresses

Examples:
  knocker send router.example 1234:udp=test           # nping --udp -p 1234 --data-string test
  knocker send -u -d 200ms 192.0.2.1 7000 8000 9000   # knock -u -d 200
  knocker send router.example 1234:udp=hex:74657374 icmp=size:64 --verify 22 -v`

// delayFlag reads a duration, taking a bare number as milliseconds the way
// knock's -d does.
type delayFlag struct{ d time.Duration }

func (f *delayFlag) String() string { return f.d.String() }
func (f *delayFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		ms, numErr := strconv.ParseInt(s, 10, 64)
		if numErr != nil {
			return fmt.Errorf("%q is not a duration (e.g. 100ms, 2s)", s)
		}
		d = time.Duration(ms) * time.Millisecond
	}
	if d < 0 {
		return fmt.Errorf("negative delay %v", d)
	}
	f.d = d
	return nil
}

// familyFlags are -4 and -6.
type familyFlags struct{ only4, only6 bool }

func (f *familyFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.only4, "4", false, "")
	fs.BoolVar(&f.only6, "6", false, "")
}

func (f *familyFlags) family() (knock.Family, error) {
	switch {
	case f.only4 && f.only6:
		return 0, usagef("-4 and -6 exclude each other")
	case f.only4:
		return knock.IPv4, nil
	case f.only6:
		return knock.IPv6, nil
	}
	return knock.Auto, nil
}

type portFlag struct{ port uint16 }

func (f *portFlag) String() string { return strconv.Itoa(int(f.port)) }
func (f *portFlag) Set(s string) error {
	p, err := knock.ParsePort(s)
	f.port = p
	return err
}

func runSend(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet("send")
	var (
		udp, verbose  bool
		families      familyFlags
		delay         delayFlag
		verifyPort    portFlag
		verifyTimeout = knock.DefaultVerifyTimeout
		retries       int
	)
	fs.BoolVar(&udp, "u", false, "")
	fs.Var(&delay, "d", "")
	fs.Var(&delay, "delay", "")
	families.register(fs)
	fs.Var(&verifyPort, "verify", "")
	fs.DurationVar(&verifyTimeout, "verify-timeout", verifyTimeout, "")
	fs.IntVar(&retries, "retries", 0, "")
	fs.BoolVar(&verbose, "v", false, "")
	pos, err := parseFlags(fs, env, args, sendUsage)
	if err != nil {
		return err
	}

	family, err := families.family()
	if err != nil {
		return err
	}
	if verifyTimeout <= 0 {
		return usagef("--verify-timeout must be positive")
	}
	if retries < 0 {
		return usagef("--retries cannot be negative")
	}
	if retries > 0 && verifyPort.port == 0 {
		return usagef("--retries needs --verify PORT: without a check there is nothing to retry on")
	}
	switch len(pos) {
	case 0:
		return usagef("missing HOST and steps (see knocker send --help)")
	case 1:
		return usagef("missing steps after HOST (e.g. 1234:udp=test)")
	}
	host := pos[0]
	steps, err := parseSteps(env.Stderr, pos[1:], udp, delay.d)
	if err != nil {
		return err
	}

	k := knock.Knocker{Family: family}
	if verifyPort.port != 0 {
		k.Verify = &knock.Verify{Port: verifyPort.port, Timeout: verifyTimeout, Retries: retries}
	}
	if verbose {
		k.Hooks = verboseHooks(env.Stdout)
	}
	_, err = k.Knock(ctx, host, steps)
	return classify(err)
}

// parseSteps reads command-line steps. A bare port is TCP unless udp is set;
// delay goes before every step but the first. Payloads too large for one
// Ethernet frame get a warning on stderr, since routers often drop fragments.
func parseSteps(stderr io.Writer, specs []string, udp bool, delay time.Duration) ([]knock.Step, error) {
	defaultProto := knock.TCP
	if udp {
		defaultProto = knock.UDP
	}
	steps := make([]knock.Step, len(specs))
	for i, spec := range specs {
		s, err := knock.ParseStep(spec, defaultProto)
		if err != nil {
			return nil, usagef("step %d: %v", i+1, err)
		}
		if i > 0 {
			s.Delay = delay
		}
		steps[i] = s
		if n := len(s.Payload.Data); n > knock.FragmentThreshold {
			fmt.Fprintf(stderr, "knocker: warning: step %d carries %d bytes; above %d it may be fragmented and dropped\n",
				i+1, n, knock.FragmentThreshold)
		}
	}
	return steps, nil
}

// classify marks the engine errors caused by what the user typed, so they
// exit with 2 rather than 1.
func classify(err error) error {
	var stepErr *knock.StepError
	var resolveErr *knock.ResolveError
	var dnsErr *net.DNSError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &dnsErr) && (dnsErr.IsTimeout || dnsErr.IsTemporary):
		return err // the name may exist; the resolver could not say
	case errors.Is(err, knock.ErrNoSteps), errors.As(err, &stepErr), errors.As(err, &resolveErr):
		return usageError{err}
	case errors.Is(err, context.Canceled):
		return errors.New("interrupted")
	}
	return err
}

// verboseHooks prints one line per event; payloads are never printed.
func verboseHooks(w io.Writer) knock.Hooks {
	stamp := func(t time.Time) string { return t.Format("15:04:05.000000") }
	return knock.Hooks{
		Resolved: func(e knock.ResolvedEvent) {
			if e.Host != e.Addr.String() {
				fmt.Fprintf(w, "%s resolved %s to %v\n", stamp(time.Now()), e.Host, e.Addr)
			}
		},
		StepSent: func(e knock.StepEvent) {
			fmt.Fprintf(w, "%s %s sent %s -> %s%s\n",
				stamp(e.Time), e.Progress(), endpoint(e.Local, e.Step), endpoint(e.Remote, e.Step), e.Retry())
		},
		Verified: func(e knock.VerifyEvent) {
			fmt.Fprintf(w, "%s verify tcp/%d: %s (%.1f ms)\n", stamp(time.Now()), e.Port, e.State(), float64(e.Took.Microseconds())/1000)
		},
	}
}

// endpoint shows an address with its port, except where there is no port to show.
func endpoint(a netip.AddrPort, s knock.Step) string {
	if s.Proto == knock.ICMP || a.Port() == 0 {
		return a.Addr().String()
	}
	return a.String()
}
