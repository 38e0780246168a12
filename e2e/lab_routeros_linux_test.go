package e2e

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
	"github.com/knocker/knocker/knock/routerconf/rosmodel"
)

// These labs check that the router side Knocker writes is safe to apply to
// a router someone administers remotely: knocks open the port and wrong
// ones do not, the LAN is never locked out, and no open session is ever
// cut, not by applying the rules, not by applying them again, not when the
// knock's list entry runs out.
//
// RouterOS cannot run here, so its scripts run on rosmodel's model of a
// RouterOS (with MikroTik's default configuration, or without), which
// writes the firewall the script leaves behind as nftables for the router
// namespace: the script's text, its placement logic included, decides what
// real packets meet.

// The LAN side of the lab: a third namespace on a second veth pair, which
// the RouterOS model's interface list LAN holds.
var (
	labLAN       = netip.MustParseAddr("10.213.8.1")
	labRouterLAN = netip.MustParseAddr("10.213.8.2")
)

const (
	labLANIface = "kn1"
	// echoPort is the protected port of these labs: a server in the router
	// namespace echoes lines, so a test can see an open session still works.
	echoPort = 2222
)

// addLAN gives the router a LAN side and returns the LAN host's namespace.
func (l *lab) addLAN() string {
	l.t.Helper()
	ns := strings.Replace(l.client, "kn-c-", "kn-l-", 1)
	l.ip("netns", "add", ns)
	l.t.Cleanup(func() { l.ipQuiet("netns", "del", ns) })
	l.ip("link", "add", labLANIface, "netns", ns, "type", "veth", "peer", "name", labLANIface, "netns", l.router)
	for _, side := range []struct {
		ns   string
		addr netip.Addr
	}{{ns, labLAN}, {l.router, labRouterLAN}} {
		l.ipIn(side.ns, "addr", "add", side.addr.String()+"/24", "dev", labLANIface)
		l.ipIn(side.ns, "link", "set", labLANIface, "up")
		l.ipIn(side.ns, "link", "set", "lo", "up")
	}
	return ns
}

// echo serves echoPort in the router namespace: each connection gets back
// every line it sends, until it closes.
func (l *lab) echo() {
	l.t.Helper()
	ln := l.listenTCP(echoPort)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := c.Write([]byte(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	l.t.Cleanup(func() { ln.Close() })
}

// dial connects from namespace ns. A router that drops (defconf) leaves the
// connect to time out, one that rejects refuses it: either is closed.
func dial(ns string, to netip.Addr, wait time.Duration) (net.Conn, error) {
	var c net.Conn
	err := inNetns(ns, func() (err error) {
		c, err = net.DialTimeout("tcp", netip.AddrPortFrom(to, echoPort).String(), wait)
		return err
	})
	return c, err
}

// reaches reports whether a new connection from ns to the echo port gets
// through. An open port answers in milliseconds; wait is far longer.
func (l *lab) reaches(ns string, to netip.Addr) bool {
	l.t.Helper()
	c, err := dial(ns, to, 1500*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	return l.echoes(c, "probe")
}

// session opens a connection that must get through, for echoes.
func (l *lab) session(ns string, to netip.Addr) net.Conn {
	l.t.Helper()
	c, err := dial(ns, to, 3*time.Second)
	if err != nil {
		l.t.Fatalf("a session from %s to the echo port: %v", ns, err)
	}
	l.t.Cleanup(func() { c.Close() })
	return c
}

// echoes reports whether a line sent on c comes back.
func (l *lab) echoes(c net.Conn, line string) bool {
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := fmt.Fprintln(c, line); err != nil {
		return false
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && got == line+"\n"
}

// rosRouter is a modelled RouterOS whose firewall the router namespace runs.
type rosRouter struct {
	l     *lab
	model *rosmodel.Router
}

// newRouterOS builds the lab with a LAN side and a modelled router, and
// turns on the conntrack accounting that the layer-7 model needs.
func newRouterOS(t *testing.T, model *rosmodel.Router) (*rosRouter, *lab, string) {
	l := newLab(t)
	lan := l.addLAN()
	l.echo()
	if out, err := nsCommand(l.router, "sysctl", "-qw", "net.netfilter.nf_conntrack_acct=1").CombinedOutput(); err != nil {
		t.Fatalf("conntrack accounting in the router namespace: %v: %s", err, out)
	}
	r := &rosRouter{l: l, model: model}
	r.apply("") // the model's own configuration, before any script
	return r, l, lan
}

// apply runs script on the model, as a paste into its terminal would, and
// loads the firewall that results into the router namespace.
func (r *rosRouter) apply(script string) {
	r.l.t.Helper()
	if err := r.model.Run(script); err != nil {
		r.l.t.Fatalf("the RouterOS model refuses the script: %v\n%s", err, script)
	}
	ruleset, err := r.model.NFTables("routeros")
	if err != nil {
		r.l.t.Fatalf("the RouterOS model cannot write its firewall as nftables: %v", err)
	}
	r.l.nft(ruleset)
}

// echoRules runs router-config for the echo port, IPv4, named lab.
func echoRules(t *testing.T, format string, args ...string) string {
	t.Helper()
	res := testbin.Run(t, noDisplay, append([]string{"router-config", "--format", format, "--protect", fmt.Sprintf("tcp/%d", echoPort),
		"--name", "lab", "-4"}, args...)...)
	if res.Code != 0 {
		t.Fatalf("router-config exited %d: %s", res.Code, res.Stderr)
	}
	return res.Stdout
}

func routerOSScript(t *testing.T, args ...string) string { return echoRules(t, "routeros", args...) }
func nftConfig(t *testing.T, args ...string) string      { return echoRules(t, "nftables", args...) }

// knock sends steps from the client namespace; it must leave the machine.
func (l *lab) knock(steps ...string) {
	l.t.Helper()
	if res := l.knocker(append([]string{"send", "-4", labRouter4.String()}, steps...)...); res.Code != 0 {
		l.t.Fatalf("knocker send exited %d: %s", res.Code, res.Stderr)
	}
}

// The RouterOS script pasted into a router with the default configuration:
// WAN knocks open, wrong ones do not, the LAN needs none, a session survives
// a second paste and its list entry's end.
func TestLabRouterOSDefconf(t *testing.T) {
	t.Parallel()
	declareSecrets(t, "open-sesame", "open-sesamE")
	r, l, lan := newRouterOS(t, rosmodel.Defconf([]string{labLANIface}, []string{labIface}))
	// A content= step and an ICMP one: defconf accepts ICMP, so the ICMP
	// step counts only because the rules sit above that accept.
	script := routerOSScript(t, "--timeout", "3s", labRouter4.String(), "1234:udp=open-sesame", "icmp=size:32")
	r.apply(script)

	if l.reaches(l.client, labRouter4) {
		t.Fatal("the WAN side reaches the port before any knock")
	}
	if !l.reaches(lan, labRouterLAN) {
		t.Fatal("the LAN side is locked out")
	}
	for _, wrong := range [][]string{{"1234:udp=open-sesamE", "icmp=size:32"}, {"icmp=size:32"}, {"1234:udp=open-sesame", "icmp=size:33"}} {
		l.knock(wrong...)
		if l.reaches(l.client, labRouter4) {
			t.Fatalf("the wrong knock %q opened the port", wrong)
		}
	}
	l.knock("1234:udp=open-sesame", "icmp=size:32")
	s := l.session(l.client, labRouter4)
	if !l.echoes(s, "before") {
		t.Fatal("the session opened after the knock does not echo")
	}

	// Pasting again swaps Knocker's rules: the session goes on, and the
	// address list, which the script does not touch, still lets it in.
	r.apply(script)
	if !l.echoes(s, "after a second paste") {
		t.Fatal("pasting the script again cut the open session")
	}
	if !l.reaches(l.client, labRouter4) {
		t.Fatal("pasting the script again emptied the address list")
	}

	l.expiryKeeps(s)
}

// expiryKeeps waits for the knock's list entry to run out, which shuts the
// port to new connections, and checks that open sessions go on.
func (l *lab) expiryKeeps(sessions ...net.Conn) {
	l.t.Helper()
	if !waitFor(6*time.Second, func() bool { return !l.reaches(l.client, labRouter4) }) {
		l.t.Fatal("the port stayed open after the list entry's timeout")
	}
	for i, s := range sessions {
		if !l.echoes(s, "after the entry expired") {
			l.t.Fatalf("session %d was cut when the list entry expired", i+1)
		}
	}
}

// The first paste, over a session the router let in before it had rules
// (and before it tracked connections), does not cut it; from then on the
// port wants a knock, and a session opened while listed outlives its entry
// although here no rule above Knocker's accepts established traffic.
func TestLabRouterOSFirstPasteKeepsTheSession(t *testing.T) {
	t.Parallel()
	model := rosmodel.New()
	if err := model.AddInterfaceList("LAN", labLANIface); err != nil {
		t.Fatal(err)
	}
	r, l, _ := newRouterOS(t, model)
	s := l.session(l.client, labRouter4)
	r.apply(routerOSScript(t, "--timeout", "2s", labRouter4.String(), "1234:udp"))
	if !l.echoes(s, "after the paste") {
		t.Fatal("pasting the rules cut the session they were pasted over")
	}
	if l.reaches(l.client, labRouter4) {
		t.Fatal("a new connection gets through without a knock")
	}
	l.knock("1234:udp")
	s2 := l.session(l.client, labRouter4) // knock(1)'s datagram, one zero byte, opened the port
	l.expiryKeeps(s, s2)
}

// Layer-7 matching reads a connection's data: two steps to one port must
// be two connections. Knocker sends each from its own socket; the same two
// datagrams from one socket stay shut. (Behind defconf's WAN drop each
// datagram starts a connection anyway, as Linux forgets the connection of
// a packet dropped before it is confirmed; a router that lets the knocks
// in, such as this one with no rules of its own, keeps it.)
func TestLabRouterOSLayer7SamePort(t *testing.T) {
	t.Parallel()
	declareSecrets(t, "Open-Sesame", "second-word")
	model := rosmodel.New()
	if err := model.AddInterfaceList("LAN", labLANIface); err != nil {
		t.Fatal(err)
	}
	r, l, _ := newRouterOS(t, model)
	r.apply(routerOSScript(t, "--layer7", labRouter4.String(), "1234:udp=Open-Sesame", "1234:udp=second-word"))

	err := inNetns(l.client, func() error {
		c, err := net.ListenUDP("udp4", nil)
		if err != nil {
			return err
		}
		defer c.Close()
		to := net.UDPAddrFromAddrPort(netip.AddrPortFrom(labRouter4, 1234))
		for _, p := range []string{"open-sesame", "second-word"} {
			if _, err := c.WriteToUDP([]byte(p), to); err != nil {
				return err
			}
			time.Sleep(20 * time.Millisecond)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if l.reaches(l.client, labRouter4) {
		t.Fatal("two steps from one socket opened the port: the model does not read connections")
	}
	l.knock("1234:udp=OPEN-SESAME", "1234:udp=second-word") // layer-7 ignores case
	if !l.reaches(l.client, labRouter4) {
		t.Fatal("Knocker's knock did not open the port")
	}
}

// nftables loaded over an open session, and loaded again: the session goes
// on, the set keeps its members, and expiry shuts new connections only.
func TestLabNFTablesReload(t *testing.T) {
	t.Parallel()
	declareSecrets(t, "open-sesame")
	l := newLab(t)
	l.echo()
	s := l.session(l.client, labRouter4)
	ruleset := nftConfig(t, "--timeout", "3s", labRouter4.String(), "1234:udp=open-sesame")
	l.nft(ruleset)
	if !l.echoes(s, "after loading") {
		t.Fatal("loading the rules cut the session they were loaded over")
	}
	if l.reaches(l.client, labRouter4) {
		t.Fatal("a new connection gets through without a knock")
	}
	l.knock("1234:udp=open-sesame")
	s2 := l.session(l.client, labRouter4)
	l.nft(ruleset)
	if !l.echoes(s, "first, after loading again") || !l.echoes(s2, "second, after loading again") {
		t.Fatal("loading the rules again cut an open session")
	}
	if !l.reaches(l.client, labRouter4) {
		t.Fatal("loading the rules again emptied the set")
	}
	l.expiryKeeps(s, s2)
}

// A host firewall of its own, policy drop: Knocker's chain in its table,
// called with the one jump rule the output names, opens the port.
func TestLabNFTablesJumpIntoHostFirewall(t *testing.T) {
	t.Parallel()
	declareSecrets(t, "open-sesame")
	l := newLab(t)
	l.echo()
	l.nft(`table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif lo accept
	}
}
`)
	ruleset := nftConfig(t, "--table", "inet:filter", labRouter4.String(), "1234:udp=open-sesame")
	l.nft(ruleset)
	l.knock("1234:udp=open-sesame")
	if l.reaches(l.client, labRouter4) {
		t.Fatal("the port opened before the host firewall jumps to Knocker's chain")
	}
	jump := regexp.MustCompile(`(?m)^#   nft (insert rule inet filter input jump knocker-lab)$`).FindStringSubmatch(ruleset)
	if jump == nil {
		t.Fatalf("the output does not name the jump rule:\n%s", ruleset)
	}
	if out, err := nsCommand(l.router, append([]string{"nft"}, strings.Fields(jump[1])...)...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", jump[1], err, out)
	}
	if l.reaches(l.client, labRouter4) {
		t.Fatal("the port is open without a knock")
	}
	l.knock("1234:udp=open-sesame")
	if !l.reaches(l.client, labRouter4) {
		t.Fatal("the knock did not open the port through the host firewall")
	}
	l.nft(ruleset) // again, with the jump in place
	if !l.reaches(l.client, labRouter4) {
		t.Fatal("loading the chain again lost the knock")
	}
	if out, err := nsCommand(l.router, "nft", "list", "chain", "inet", "filter", "input").CombinedOutput(); err != nil || strings.Count(string(out), "jump knocker-lab") != 1 {
		t.Fatalf("the host's input chain should still jump once: %v\n%s", err, out)
	}
}
