// Package rosmodel is a model of the part of RouterOS that Knocker's router
// scripts use, for tests. It runs a script (read by package ros in its
// strict dialect) against a modelled router, such as one with MikroTik's
// default configuration, as RouterOS would, holding every value to what
// the RouterOS manual allows (and to the stricter limits routerconf
// promises, such as timeouts in whole seconds); and it writes the
// resulting input chains as an nftables ruleset, so that real packets can
// show what a RouterOS would do with the script.
//
// Whatever it does not know it refuses, so a script it accepts uses nothing
// but the behaviours modelled here, each of which rests on RouterOS's
// documentation (see the package's tests for the sources).
package rosmodel

import (
	"github.com/knocker/knocker/knock/routerconf/rosscript"

	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Menus the model knows, by their console path.
const (
	IPFilter   = "/ip firewall filter"
	IPv6Filter = "/ipv6 firewall filter"
	Layer7     = "/ip firewall layer7-protocol"
	IfaceList  = "/interface list"
)

var menus = []string{IPFilter, IPv6Filter, Layer7, IfaceList}

// ipv6Menus are the menus a RouterOS 6 without its ipv6 package lacks.
var ipv6Menus = []string{IPv6Filter}

// Item is one entry of a menu: a firewall rule, a layer-7 pattern or an
// interface list.
type Item = rosscript.Item

// Router is the modelled state: the menus' items in order, and which
// interfaces each interface list holds (for writing rules as nftables).
type Router struct {
	cfg     *rosscript.Config
	members map[string][]string
	// Warnings collect what a script did that RouterOS may refuse although
	// its manual does not say so.
	Warnings []string
}

// ScriptError is a script's own :error, or a command RouterOS would refuse.
type ScriptError = rosscript.ScriptError

// SyntaxError reports where a script stops being what RouterOS reads.
type SyntaxError = rosscript.SyntaxError

// New is a router with no configuration: empty firewall menus and only the
// built-in interface lists (all, none, dynamic, static).
func New() *Router {
	r := &Router{cfg: rosscript.NewConfig(rosscript.Dialect{Menus: menus}), members: map[string][]string{}}
	r.cfg.Check = r.checkAdd
	r.cfg.Reserved = isPropertyName
	for _, name := range []string{"all", "none", "dynamic", "static"} {
		r.insert(IfaceList, &Item{Props: map[string]string{"name": name}, Dynamic: true}, -1)
	}
	return r
}

// Defconf is a router as MikroTik's default configuration leaves it, with
// the given interfaces in its LAN and WAN lists: the input chains of /ip and
// /ipv6 firewall filter hold defconf's rules (the IPv6 chain only the ones
// that decide what reaches the router from where: the IPsec, DHCPv6 and
// traceroute accepts are left out), and the dynamic rule RouterOS shows for
// fasttrack counters sits first in the list.
func Defconf(lan, wan []string) *Router {
	r := New()
	r.AddInterfaceList("LAN", lan...)
	r.AddInterfaceList("WAN", wan...)
	rule := func(menu string, props ...string) {
		it := &Item{Props: map[string]string{}}
		for i := 0; i < len(props); i += 2 {
			it.Props[props[i]] = props[i+1]
		}
		r.insert(menu, it, -1)
	}
	r.insert(IPFilter, &Item{Props: map[string]string{"chain": "forward", "action": "passthrough",
		"comment": "special dummy rule to show fasttrack counters"}, Dynamic: true}, -1)
	for _, m := range []struct{ menu, icmp, icmpComment string }{
		{IPFilter, "icmp", "defconf: accept ICMP"}, {IPv6Filter, "icmpv6", "defconf: accept ICMPv6"},
	} {
		rule(m.menu, "action", "accept", "chain", "input", "comment", "defconf: accept established,related,untracked",
			"connection-state", "established,related,untracked")
		rule(m.menu, "action", "drop", "chain", "input", "comment", "defconf: drop invalid", "connection-state", "invalid")
		rule(m.menu, "action", "accept", "chain", "input", "comment", m.icmpComment, "protocol", m.icmp)
		if m.menu == IPFilter {
			rule(m.menu, "action", "accept", "chain", "input", "comment", "defconf: accept to local loopback (for CAPsMAN)",
				"dst-address", "127.0.0.1")
			rule(m.menu, "action", "drop", "chain", "input", "comment", "defconf: drop all not coming from LAN",
				"in-interface-list", "!LAN")
		} else {
			rule(m.menu, "action", "drop", "chain", "input", "comment", "defconf: drop everything else not coming from LAN",
				"in-interface-list", "!LAN")
		}
		rule(m.menu, "action", "accept", "chain", "forward", "comment", "defconf: accept established,related,untracked",
			"connection-state", "established,related,untracked")
	}
	return r
}

// WithoutIPv6 makes r a RouterOS 6 whose ipv6 package is disabled, as
// small routers' owners do to save memory: it has no /ipv6 menus, so a
// script that names one is refused as it is read, before any of its { }
// block runs (RouterOS 7 has IPv6 built in, and its menus always). Any
// IPv6 rules go with the package.
func (r *Router) WithoutIPv6() *Router {
	// The strict dialect's menus are the ones a script may name; :parse
	// reads with the same dialect, so code parsed at run time is held to
	// them too.
	r.cfg.Dialect.Menus = slices.DeleteFunc(slices.Clone(menus), func(m string) bool { return slices.Contains(ipv6Menus, m) })
	for _, m := range ipv6Menus {
		delete(r.cfg.Menus, m)
	}
	return r
}

// AddInterfaceList adds an interface list with these members.
func (r *Router) AddInterfaceList(name string, members ...string) error {
	if err := checkName("", name); err != nil {
		return err
	}
	if slices.ContainsFunc(r.cfg.Menus[IfaceList], func(it *Item) bool { return it.Props["name"] == name }) {
		return fmt.Errorf("interface list %s exists", name)
	}
	r.insert(IfaceList, &Item{Props: map[string]string{"name": name}}, -1)
	r.members[name] = members
	return nil
}

// AddRule appends a rule as if a user had added it, for tests of routers
// with rules of their own; props are name, value pairs.
func (r *Router) AddRule(menu string, props ...string) error {
	it := &Item{Props: map[string]string{}}
	for i := 0; i+1 < len(props); i += 2 {
		it.Props[props[i]] = props[i+1]
	}
	if err := r.checkAdd(menu, it.Props); err != nil {
		return err
	}
	r.insert(menu, it, -1)
	return nil
}

// Items returns copies of a menu's items in order.
func (r *Router) Items(menu string) []Item {
	var out []Item
	for _, it := range r.cfg.Menus[menu] {
		out = append(out, Item{ID: it.ID, Props: maps.Clone(it.Props), Dynamic: it.Dynamic})
	}
	return out
}

func (r *Router) insert(menu string, it *Item, at int) { r.cfg.Insert(menu, it, at) }

// Run runs script as a terminal would: each top-level line in a scope of
// its own, a { } block as one script that stops at its first error, a menu
// path alone making that menu the current one, as exports are written. It
// stops at the first error and returns it.
func (r *Router) Run(script string) error { return r.cfg.Run(script) }

// Export writes the static items of every menu in the order RouterOS
// keeps them, as add commands, for comparing whole configurations.
func (r *Router) Export() string {
	var b strings.Builder
	for _, menu := range menus {
		var lines []string
		for _, it := range r.cfg.Menus[menu] {
			if it.Dynamic {
				continue
			}
			var kv []string
			for _, k := range slices.Sorted(maps.Keys(it.Props)) {
				kv = append(kv, k+"="+exportValue(it.Props[k]))
			}
			lines = append(lines, "add "+strings.Join(kv, " "))
		}
		if len(lines) > 0 {
			b.WriteString(menu + "\n" + strings.Join(lines, "\n") + "\n")
		}
	}
	return b.String()
}

var bareValueRE = regexp.MustCompile(`^[A-Za-z0-9_.,:!*/-]+$`)

// exportValue quotes a value that is not a bare word, as RouterOS's export
// does, escaping what its strings must.
func exportValue(v string) string {
	if bareValueRE.MatchString(v) {
		return v
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case strings.IndexByte(`"\$?`, c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
