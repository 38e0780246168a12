package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/knocker/knocker/app/demorouter"
	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/app/secret"
	"github.com/knocker/knocker/knock"
)

const demoRouterUsage = `Usage: knocker demo-router [flags] STEP...
       knocker demo-router [flags] --profile FILE

A pretend router on this machine, for trying Knocker without a real one.
THIS IS A DEMO, NOT A SECURITY PRODUCT: it is no firewall and protects
nothing but its own toy service.

It listens on loopback for the knock steps (written as for knocker send,
without HOST, or those of the one profile in a Knocker JSON file) and plays
the rules knocker router-config writes: each step puts your address on a
stage address list, the last on the final list "demo-allow" for the timeout,
and a knock again before it runs out starts the timeout over. The guarded
TCP service port accepts addresses on that list only: while the list is
empty it drops connection attempts (like action=drop), while it is not it
closes other addresses' connections at once. Every knock, list change and
expiry is printed. ICMP steps need root to be seen and are refused.
Ctrl+C stops it.

Flags:
  --listen ADDR        address to listen on (default 127.0.0.1)
  --any-address        allow a --listen address that is not loopback
  --service-port N     the guarded TCP port (default: the profile's check
                       port, else 2222)
  --timeout D          how long the final list keeps an address (default:
                       the profile's timeout, else 2m)
  --stage-timeout D    how long each stage list waits for the next step
                       (default 30s plus the longest delay)
  -u                   bare ports are UDP
  -d, --delay D        the pause the client leaves between steps

Example:
  knocker demo-router 7000:udp=open-sesame 8000 9000:udp=hex:c0ffee
  knocker send 127.0.0.1 7000:udp=open-sesame 8000 9000:udp=hex:c0ffee --verify 2222`

const demoUsage = `Usage: knocker demo [--timeout D] [--service-port N]

Try Knocker without a router: starts the demo router (see knocker help
demo-router) on 127.0.0.1 with a knock on free ports, and opens the window
with one profile, "Demo router", pointed at it. Click Knock (or press
Ctrl+K) and watch the service port open and the countdown run; tick
"Re-knock before the entry expires" to see Knocker knock again before the
timeout. This terminal shows the router's view of it all.

The demo profile lives in a temporary folder and in memory: your saved
profiles and your keyring are never read or written. Quitting the window,
or Ctrl+C here, stops both. THIS IS A DEMO, NOT A SECURITY PRODUCT.

Flags:
  --timeout D         how long a knock keeps the service open (default 2m)
  --service-port N    the guarded TCP port (default: any free port)`

// demoTimeout is short enough to watch a refresh, long enough to read.
const demoTimeout = 2 * time.Minute

// defaultServicePort is the demo-router's guarded port when nothing names one.
const defaultServicePort = 2222

func runDemoRouter(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet("demo-router")
	var (
		listenText   string
		anyAddress   bool
		service      portFlag
		timeout      time.Duration
		stageTimeout time.Duration
		file         string
		udp          bool
		delay        delayFlag
	)
	fs.StringVar(&listenText, "listen", "127.0.0.1", "")
	fs.BoolVar(&anyAddress, "any-address", false, "")
	fs.Var(&service, "service-port", "")
	fs.DurationVar(&timeout, "timeout", 0, "")
	fs.DurationVar(&stageTimeout, "stage-timeout", 0, "")
	fs.StringVar(&file, "profile", "", "")
	fs.BoolVar(&udp, "u", false, "")
	fs.Var(&delay, "d", "")
	fs.Var(&delay, "delay", "")
	pos, err := parseFlags(fs, env, args, demoRouterUsage)
	if err != nil {
		return err
	}
	listen, err := netip.ParseAddr(strings.Trim(listenText, "[]"))
	if err != nil {
		return usagef("--listen %q is not an IP address", listenText)
	}
	if timeout < 0 || stageTimeout < 0 {
		return usagef("--timeout and --stage-timeout cannot be negative")
	}
	cfg := demorouter.Config{Listen: listen, AnyAddress: anyAddress, ServicePort: service.port,
		Timeout: timeout, StageTimeout: stageTimeout}
	switch {
	case file != "" && len(pos) > 0:
		return usagef("give steps or --profile FILE, not both")
	case file != "":
		if flagGiven(fs, "u", "d", "delay") {
			return usagef("-u and -d describe steps given on the command line; a profile has its own")
		}
		p, err := demoProfile(file, listen)
		if err != nil {
			return err
		}
		cfg.Steps = p.Steps
		if timeout == 0 {
			cfg.Timeout = p.Timeout
		}
		if service.port == 0 && p.Verify != nil {
			cfg.ServicePort = p.Verify.Port
		}
	case len(pos) > 0:
		if cfg.Steps, err = parseSteps(env.Stderr, pos, udp, delay.d); err != nil {
			return err
		}
	default:
		return usagef("want the knock steps, or --profile FILE (see knocker demo-router --help)")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = demoTimeout
	}
	if cfg.ServicePort == 0 {
		cfg.ServicePort = defaultServicePort
	}
	out := &eventPrinter{w: env.Stdout}
	cfg.OnEvent = out.event
	r, err := demorouter.Start(cfg)
	if err != nil {
		return usageError{err}
	}
	defer r.Close()
	out.banner(r, cfg)
	<-ctx.Done()
	out.line("demo router stopped")
	return nil
}

// demoProfile reads the one profile of a Knocker JSON file or knockd.conf.
func demoProfile(file string, listen netip.Addr) (profile.Profile, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return profile.Profile{}, usageError{err}
	}
	// A knockd.conf names no host; the profile's host does not matter here.
	host := ""
	if !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		host = listen.String()
	}
	imp, err := profile.ParseImport(data, host)
	if err != nil {
		return profile.Profile{}, usagef("%s: %v", file, err)
	}
	if n := len(imp.Profiles); n != 1 {
		return profile.Profile{}, usagef("%s holds %d profiles; the demo router plays one (export it alone with knocker export NAME --with-secrets)", file, n)
	}
	if imp.Profiles[0].SPA != nil {
		return profile.Profile{}, usagef("%s holds an SPA profile; the demo router plays port knocks only", file)
	}
	return imp.Profiles[0], nil
}

// eventPrinter writes the router's events and its own lines, one at a time.
type eventPrinter struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *eventPrinter) line(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format+"\n", a...)
}

func (p *eventPrinter) event(e demorouter.Event) {
	p.line("%s %s", e.Time.Local().Format("15:04:05"), e)
}

// banner says what the router plays, without payloads, which are secret.
func (p *eventPrinter) banner(r *demorouter.Router, cfg demorouter.Config) {
	steps := make([]string, len(cfg.Steps))
	for i, s := range cfg.Steps {
		steps[i] = s.Summary()
	}
	svc := r.Service()
	p.line("Knocker demo router: a pretend router for trying Knocker. It is not a firewall and protects nothing.")
	p.line("Knock steps on %s: %s", svc.Addr(), strings.Join(steps, ", "))
	p.line("Guarded service tcp/%d: open to addresses on address list %s for %s after a knock; until then connections are dropped.",
		svc.Port(), r.FinalList(), demorouter.FormatDuration(cfg.Timeout))
	p.line("Ctrl+C stops it.")
}

func runDemo(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet("demo")
	timeout := demoTimeout
	var service portFlag
	fs.DurationVar(&timeout, "timeout", timeout, "")
	fs.Var(&service, "service-port", "")
	pos, err := parseFlags(fs, env, args, demoUsage)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("takes no arguments (see knocker demo --help)")
	}
	if timeout <= 0 {
		return usagef("--timeout must be positive")
	}
	if env.Window == nil {
		return errors.New("this knocker has no window; try knocker demo-router with knocker send")
	}
	out := &eventPrinter{w: env.Stdout}
	cfg := demorouter.Config{ServicePort: service.port, Timeout: timeout, OnEvent: out.event}
	r, err := startDemoRouter(&cfg)
	if err != nil {
		return err
	}
	defer r.Close()
	out.banner(r, cfg)

	// A folder of its own and secrets in memory: the user's profiles and
	// keyring are never touched, and nothing is left behind.
	dir, err := os.MkdirTemp("", "knocker-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	book := &profile.Book{Store: profile.NewStore(dir, nil), Secrets: &secret.Memory{}}
	svc := r.Service()
	p := profile.Profile{
		ID: profile.NewID(), Name: "Demo router", Host: svc.Addr().String(), Steps: cfg.Steps,
		// Re-knocking starts off: it would knock at once, before the user had.
		Timeout: timeout, AutoRefresh: false, Created: time.Now(),
		Verify: &profile.Verify{Port: svc.Port(), Timeout: knock.DefaultVerifyTimeout},
		Notes: "A pretend router that knocker demo runs on this computer; the terminal shows what it sees. " +
			"Knock, then tick \"Re-knock before the entry expires\" to watch Knocker keep it open. " +
			"The router and this profile are gone when the window closes.",
	}
	if err := book.Add(ctx, []profile.Profile{p}); err != nil {
		return err
	}
	if err := env.Window(ctx, book); err != nil {
		return toldError{err} // the window said why, in one line
	}
	out.line("demo stopped")
	return nil
}

// startDemoRouter starts the router on loopback with a fresh knock on free
// ports, trying again should another program take a port meanwhile.
func startDemoRouter(cfg *demorouter.Config) (*demorouter.Router, error) {
	var err error
	for range 3 {
		if cfg.Steps, err = demoSteps(); err != nil {
			return nil, err
		}
		var r *demorouter.Router
		if r, err = demorouter.Start(*cfg); err == nil {
			return r, nil
		}
	}
	return nil, err
}

// demoSteps is a three-step knock, a step of each kind the demo router
// sees, on ports the system says are free now.
func demoSteps() ([]knock.Step, error) {
	steps := []knock.Step{
		{Proto: knock.UDP, Payload: knock.Payload{Data: []byte("open-sesame"), Encoding: knock.Text}},
		{Proto: knock.TCP},
		{Proto: knock.UDP, Payload: knock.Payload{Data: []byte{0xc0, 0xff, 0xee}, Encoding: knock.Hex}},
	}
	loopback := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 0)
	for i := range steps {
		// Held open until all are chosen, so that no two steps get one port.
		var c interface{ Close() error }
		if steps[i].Proto == knock.UDP {
			u, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(loopback))
			if err != nil {
				return nil, err
			}
			c, steps[i].Port = u, u.LocalAddr().(*net.UDPAddr).AddrPort().Port()
		} else {
			l, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(loopback))
			if err != nil {
				return nil, err
			}
			c, steps[i].Port = l, l.Addr().(*net.TCPAddr).AddrPort().Port()
		}
		defer c.Close()
	}
	return steps, nil
}
