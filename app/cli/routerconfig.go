package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/routerconf"
)

const routerConfigUsage = `Usage: knocker router-config --format routeros|nftables [flags] HOST STEP...

Print the router side of a knock: RouterOS firewall commands or an nftables
ruleset (for nft -f) that accept the protected port only from addresses that
sent STEP... in order. Steps are written as for knocker send.

Flags:
  --format F          routeros or nftables (required)
  --protect P/N       the service to open, tcp/N or udp/N (default tcp/22)
  --timeout D         how long a knock keeps it open (default 2h)
  --stage-timeout D   how long each step waits for the next (default 30s plus -d)
  --layer7            RouterOS: match payloads with layer-7 regexps, not content=
  --name NAME         prefix for lists, tables and comments (default knock)
  -u                  bare ports are UDP
  -d, --delay D       the pause the client leaves between steps
  -4, -6              rules for IPv4 or IPv6 only (default: HOST's family,
                      both for a host name)

Example: knocker router-config --format nftables router.example 1234:udp=test`

// routerFormats are the generators behind --format.
var routerFormats = map[string]func(routerconf.Spec) (string, error){
	"routeros": routerconf.RouterOS,
	"nftables": routerconf.NFTables,
}

// protectFlag reads PROTO/PORT, such as tcp/22.
type protectFlag struct{ p routerconf.Protect }

func (f *protectFlag) String() string { return f.p.String() }
func (f *protectFlag) Set(s string) error {
	protoText, portText, ok := strings.Cut(s, "/")
	proto, err := knock.ParseProto(protoText)
	if !ok || err != nil || proto == knock.ICMP {
		return fmt.Errorf("%q is not PROTO/PORT (e.g. tcp/22 or udp/51820)", s)
	}
	port, err := knock.ParsePort(portText)
	if err != nil {
		return err
	}
	f.p = routerconf.Protect{Proto: proto, Port: port}
	return nil
}

func runRouterConfig(_ context.Context, io IO, args []string) error {
	fs := newFlagSet("router-config")
	var (
		format       string
		protect      = protectFlag{routerconf.Protect{Proto: knock.TCP, Port: 22}}
		timeout      = routerconf.DefaultTimeout
		stageTimeout time.Duration
		layer7, udp  bool
		families     familyFlags
		name         = "knock"
		delay        delayFlag
	)
	fs.StringVar(&format, "format", "", "")
	fs.Var(&protect, "protect", "")
	fs.DurationVar(&timeout, "timeout", timeout, "")
	fs.DurationVar(&stageTimeout, "stage-timeout", 0, "")
	fs.BoolVar(&layer7, "layer7", false, "")
	fs.StringVar(&name, "name", name, "")
	fs.BoolVar(&udp, "u", false, "")
	fs.Var(&delay, "d", "")
	fs.Var(&delay, "delay", "")
	families.register(fs)
	pos, err := parseFlags(fs, io, args, routerConfigUsage)
	if err != nil {
		return err
	}
	if _, ok := routerFormats[format]; !ok {
		return usagef("--format must be routeros or nftables")
	}
	family, err := families.family()
	if err != nil {
		return err
	}
	if timeout <= 0 || stageTimeout < 0 {
		return usagef("--timeout must be positive and --stage-timeout cannot be negative")
	}
	if len(pos) < 2 {
		return usagef("missing HOST and steps (see knocker router-config --help)")
	}
	steps, err := parseSteps(io.Stderr, pos[1:], udp, delay.d)
	if err != nil {
		return err
	}
	spec := routerconf.Spec{
		Name: name, Steps: steps, Timeout: timeout, StageTimeout: stageTimeout,
		Protect: protect.p, Family: routerconf.HostFamily(pos[0], family),
	}
	if layer7 {
		spec.Matcher = routerconf.Layer7
	}
	return writeRouterConfig(io.Stdout, format, spec)
}

// writeRouterConfig prints spec's router side in format ("routeros" or
// "nftables"); an impossible spec is bad input.
func writeRouterConfig(w io.Writer, format string, spec routerconf.Spec) error {
	gen, ok := routerFormats[format]
	if !ok {
		return usagef("--format must be routeros or nftables")
	}
	out, err := gen(spec)
	if err != nil {
		return usageError{err}
	}
	_, err = io.WriteString(w, out)
	return err
}
