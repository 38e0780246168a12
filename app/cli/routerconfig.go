package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/routerconf"
)

const routerConfigUsage = `Usage: knocker router-config --format routeros|nftables [flags] NAME
       knocker router-config --format routeros|nftables [flags] HOST STEP...

Print the router side of a knock: a RouterOS script or an nftables ruleset
(for nft -f) that accept the protected port only from addresses that sent
the steps in order: those of the saved profile NAME (its check port is the
protected one, its timeout the list's), or STEP... written as for knocker
send. Flags given explicitly override the profile.

Both close the port to new connections only, so no open session is cut, and
both can be applied again to change the rules: the RouterOS script replaces
its own rules (by their comments, IPv4 and IPv6) and nothing else, the
nftables ruleset keeps whoever is on the lists (and deletes its table of a
family it no longer covers). The RouterOS rules go above defconf's drops;
the LAN reaches the port without a knock. The output's header names what
the router will see: a saved profile's name where routers take it as it is,
else the name cleaned and 8 hex digits of the profile's ID.

Flags:
  --format F          routeros or nftables (required); for a saved SPA
                      profile, fwknopd prints its access.conf stanza
  --protect P/N       the service to open, tcp/N or udp/N (default tcp/22)
  --timeout D         how long a knock keeps it open (default 2h; timeouts
                      round up to whole seconds)
  --stage-timeout D   how long each step waits for the next (default 30s plus -d)
  --layer7            RouterOS: match payloads with layer-7 regexps, not content=
  --lan-list LIST     RouterOS: the interface list that needs no knock (default
                      LAN, as defconf's; none closes the port on every interface)
  --table FAMILY:NAME nftables: write a chain and sets into that existing table
                      (e.g. inet:filter), for a host firewall of its own; the
                      output names the jump rule to add to its input chain
  --name NAME         the name lists, tables and comments carry, as given
                      (default knock; a profile's router name for NAME)
  -u                  bare ports are UDP
  -d, --delay D       the pause the client leaves between steps
  -4, -6              rules for IPv4 or IPv6 only (default: HOST's family,
                      both for a host name)

Examples:
  knocker router-config --format routeros office > knock.rsc
  knocker router-config --format nftables --table inet:filter router.example 1234:udp=test`

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

func runRouterConfig(ctx context.Context, env *Env, args []string) error {
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
		lanList      string
		table        tableFlag
	)
	fs.StringVar(&format, "format", "", "")
	fs.Var(&protect, "protect", "")
	fs.DurationVar(&timeout, "timeout", timeout, "")
	fs.DurationVar(&stageTimeout, "stage-timeout", 0, "")
	fs.BoolVar(&layer7, "layer7", false, "")
	fs.StringVar(&name, "name", name, "")
	fs.StringVar(&lanList, "lan-list", "", "")
	fs.Var(&table, "table", "")
	fs.BoolVar(&udp, "u", false, "")
	fs.Var(&delay, "d", "")
	fs.Var(&delay, "delay", "")
	families.register(fs)
	pos, err := parseFlags(fs, env, args, routerConfigUsage)
	if err != nil {
		return err
	}
	if format == "fwknopd" {
		return runFwknopdConfig(ctx, env, pos)
	}
	if _, ok := routerFormats[format]; !ok {
		return usagef("--format must be routeros or nftables")
	}
	if format == "routeros" && table.t != (routerconf.NFTTable{}) {
		return usagef("--table is for the nftables format; a RouterOS script finds its place in the input chain itself")
	}
	if format == "nftables" && flagGiven(fs, "lan-list", "layer7") {
		return usagef("--lan-list and --layer7 are for the routeros format")
	}
	family, err := families.family()
	if err != nil {
		return err
	}
	if timeout <= 0 || stageTimeout < 0 {
		return usagef("--timeout must be positive and --stage-timeout cannot be negative")
	}
	var spec routerconf.Spec
	switch {
	case len(pos) == 1:
		if flagGiven(fs, "u", "d", "delay") {
			return usagef("-u and -d describe steps given on the command line; a profile has its own")
		}
		_, p, err := openProfile(ctx, env, pos[0])
		if err != nil {
			return err
		}
		if p.SPA != nil {
			return usageError{profile.ErrSPARouter}
		}
		spec = p.RouterSpec()
		// Flags given explicitly override what the profile implies.
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "protect":
				spec.Protect = protect.p
			case "timeout":
				spec.Timeout = timeout
			case "name":
				spec.Name = name
			case "4", "6":
				spec.Family = family
			}
		})
	case len(pos) >= 2:
		steps, err := parseSteps(env.Stderr, pos[1:], udp, delay.d)
		if err != nil {
			return err
		}
		spec = routerconf.Spec{
			Name: name, Steps: steps, Timeout: timeout,
			Protect: protect.p, Family: routerconf.HostFamily(pos[0], family),
		}
	default:
		return usagef("want a saved profile NAME, or HOST and steps (see knocker router-config --help)")
	}
	spec.StageTimeout = stageTimeout
	spec.LANList, spec.Table = lanList, table.t
	if layer7 {
		spec.Matcher = routerconf.Layer7
	}
	return writeRouterConfig(env, format, spec)
}

// tableFlag reads --table FAMILY:NAME.
type tableFlag struct{ t routerconf.NFTTable }

func (f *tableFlag) String() string { return f.t.Family + ":" + f.t.Name }
func (f *tableFlag) Set(s string) (err error) {
	f.t, err = routerconf.ParseNFTTable(s)
	return err
}

// flagGiven reports whether any of the named flags was set on the command line.
func flagGiven(fs *flag.FlagSet, names ...string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || slices.Contains(names, f.Name) })
	return given
}

// writeRouterConfig prints spec's router side in format ("routeros" or
// "nftables"), and on stderr what may not work as written; an impossible
// spec is bad input.
func writeRouterConfig(env *Env, format string, spec routerconf.Spec) error {
	gen, ok := routerFormats[format]
	if !ok {
		return usagef("--format must be routeros or nftables")
	}
	out, err := gen(spec)
	if err != nil {
		return usageError{err}
	}
	if format == "routeros" {
		for _, w := range routerconf.RouterOSWarnings(spec) {
			fmt.Fprintf(env.Stderr, "knocker: warning: %s\n", w)
		}
	}
	_, err = io.WriteString(env.Stdout, out)
	return err
}
