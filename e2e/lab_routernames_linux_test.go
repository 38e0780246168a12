package e2e

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
	"github.com/knocker/knocker/knock/routerconf/rosmodel"
)

// profilesEnv writes doc as a KNOCKER_PROFILES file, which needs no
// keyring, and returns the environment that uses it.
func profilesEnv(t *testing.T, doc string) []string {
	t.Helper()
	declareProfileSecrets(t, doc)
	path := filepath.Join(t.TempDir(), "profiles.json")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return append([]string{"KNOCKER_PROFILES=" + path}, noDisplay...)
}

// profileRules runs router-config for a saved profile, with flags, and
// returns the rules and the name the header says the router knows.
func profileRules(t *testing.T, env []string, format, name string, flags ...string) (rules, routerName string) {
	t.Helper()
	res := testbin.Run(t, env, append(append([]string{"router-config", "--format", format}, flags...), name)...)
	if res.Code != 0 {
		t.Fatalf("router-config %s %q exited %d: %s", format, name, res.Code, res.Stderr)
	}
	m := regexp.MustCompile(`(?m)^# The router knows this knock as ([a-z0-9_-]+):`).FindStringSubmatch(res.Stdout)
	if m == nil {
		t.Fatalf("router-config %s %q does not say the router's name:\n%s", format, name, res.Stdout)
	}
	return res.Stdout, m[1]
}

// reachesPort reports whether a new TCP connection from ns to port gets
// through; a closed port drops (RouterOS) or resets (nftables), and an
// open one answers in milliseconds.
func reachesPort(t *testing.T, ns string, to netip.Addr, port uint16) bool {
	t.Helper()
	var ok bool
	err := inNetns(ns, func() error {
		c, err := net.DialTimeout("tcp", netip.AddrPortFrom(to, port).String(), 1500*time.Millisecond)
		if err == nil {
			ok = true
			c.Close()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// routerLab is a lab router of either kind, for tests that run on both.
type routerLab struct {
	format string
	l      *lab
	load   func(rules string) // as an admin would: nft -f, or a paste
}

func newRouterLab(t *testing.T, format string) *routerLab {
	if format == "nftables" {
		l := newLab(t)
		l.echo()
		return &routerLab{format, l, l.nft}
	}
	r, l, _ := newRouterOS(t, rosmodel.Defconf([]string{labLANIface}, []string{labIface}))
	return &routerLab{format, l, r.apply}
}

// Two profiles whose names both became office-old, and so shared one
// address list (or table): each now has a router name of its own, their
// rules live side by side, and each knock opens its own port only. Before,
// the second script replaced the first's rules.
func TestLabTwoProfilesOneCleanedName(t *testing.T) {
	t.Parallel()
	env := profilesEnv(t, fmt.Sprintf(`{"version": 2, "profiles": [
		{"name": "Office (old)", "host": %[1]q, "timeout": "2h", "verify": {"proto": "tcp", "port": %[2]d, "timeout": "3s"},
		 "steps": [{"proto": "udp", "port": 1234, "payload": "alpha-knock", "encoding": "text"}]},
		{"name": "Office old", "host": %[1]q, "timeout": "2h", "verify": {"proto": "tcp", "port": %[3]d, "timeout": "3s"},
		 "steps": [{"proto": "udp", "port": 1234, "payload": "bravo-knock", "encoding": "text"}]}]}`,
		labRouter4, echoPort, labPort))
	for _, format := range []string{"nftables", "routeros"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			r := newRouterLab(t, format)
			a, nameA := profileRules(t, env, format, "Office (old)")
			b, nameB := profileRules(t, env, format, "Office old")
			if nameA == nameB || !strings.HasPrefix(nameA, "office-old-") || !strings.HasPrefix(nameB, "office-old-") {
				t.Fatalf("router names %q and %q, want two office-old-ID names", nameA, nameB)
			}
			r.load(a)
			r.load(b)
			ports := map[string]uint16{"Office (old)": echoPort, "Office old": labPort}
			for name, port := range ports {
				if reachesPort(t, r.l.client, labRouter4, port) {
					t.Fatalf("tcp/%d (%s) is open before any knock", port, name)
				}
			}
			knock := func(name string) {
				t.Helper()
				if res := testbin.RunIn(t, nsExec(r.l.client), env, "knock", name); res.Code != 0 {
					t.Fatalf("knocker knock %q exited %d (its check port stayed shut): %s", name, res.Code, res.Stderr)
				}
			}
			knock("Office (old)")
			if !reachesPort(t, r.l.client, labRouter4, echoPort) {
				t.Fatal("Office (old)'s knock did not open its port")
			}
			if reachesPort(t, r.l.client, labRouter4, labPort) {
				t.Fatal("Office (old)'s knock opened Office old's port")
			}
			knock("Office old")
			if !reachesPort(t, r.l.client, labRouter4, labPort) {
				t.Fatal("Office old's knock did not open its port")
			}
		})
	}
}

// A profile whose host had both families, run again for IPv4 only (-4, or
// its host became an IPv4 address): its IPv6 rules are gone, not left
// working beside the new ones.
func TestLabRerunWithOneFamily(t *testing.T) {
	t.Parallel()
	env := profilesEnv(t, fmt.Sprintf(`{"version": 2, "profiles": [
		{"name": "Dual Stack", "host": "router.lab.example", "timeout": "2h", "verify": {"proto": "tcp", "port": %d, "timeout": "3s"},
		 "steps": [{"proto": "udp", "port": 1234, "payload": "dual-knock", "encoding": "text"}]}]}`, echoPort))
	for _, format := range []string{"nftables", "routeros"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			r := newRouterLab(t, format)
			both, name := profileRules(t, env, format, "Dual Stack")
			r.load(both)
			if reachesPort(t, r.l.client, labRouter6, echoPort) {
				t.Fatal("the port is open over IPv6 before any knock")
			}
			if res := r.l.knocker("send", "-6", labRouter6.String(), "1234:udp=dual-knock"); res.Code != 0 {
				t.Fatalf("knocker send -6: %s", res.Stderr)
			}
			if !reachesPort(t, r.l.client, labRouter6, echoPort) {
				t.Fatal("the IPv6 knock did not open the port: the IPv6 rules do not work")
			}

			v4, again := profileRules(t, env, format, "Dual Stack", "-4")
			if again != name {
				t.Fatalf("the router name changed with the family: %q, then %q", name, again)
			}
			r.load(v4)
			r.load(v4) // twice: the second finds nothing of IPv6 left to remove
			if format == "nftables" {
				out, err := nsCommand(r.l.router, "nft", "list", "tables").CombinedOutput()
				if err != nil {
					t.Fatalf("nft list tables: %v: %s", err, out)
				}
				if !strings.Contains(string(out), "table ip knocker-"+name+"\n") || strings.Contains(string(out), "table ip6 knocker-"+name) {
					t.Fatalf("after the IPv4-only ruleset, want the ip table and no ip6 table of %s:\n%s", name, out)
				}
			} else {
				// The address list still holds the client for two hours,
				// but no rule lets it in: defconf's IPv6 drop does.
				if reachesPort(t, r.l.client, labRouter6, echoPort) {
					t.Fatal("the IPv6 rules still let the knocked address in after the IPv4-only script")
				}
				if res := r.l.knocker("send", "-6", labRouter6.String(), "1234:udp=dual-knock"); res.Code != 0 {
					t.Fatalf("knocker send -6: %s", res.Stderr)
				}
				if reachesPort(t, r.l.client, labRouter6, echoPort) {
					t.Fatal("an IPv6 knock still opens the port after the IPv4-only script")
				}
			}
			if reachesPort(t, r.l.client, labRouter4, echoPort) {
				t.Fatal("the port is open over IPv4 before an IPv4 knock")
			}
			r.l.knock("1234:udp=dual-knock")
			if !reachesPort(t, r.l.client, labRouter4, echoPort) {
				t.Fatal("the IPv4 knock did not open the port")
			}
		})
	}
}
