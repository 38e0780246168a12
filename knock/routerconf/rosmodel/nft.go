package rosmodel

import (
	"github.com/knocker/knocker/knock/routerconf/rosscript"

	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// NFTables writes the input chains of /ip and /ipv6 firewall filter as
// tables "ip NAME" and "ip6 NAME", one rule for each rule RouterOS would
// evaluate, in its order, and a set with timeouts for each address list.
// Loading it again keeps the sets' members, as RouterOS keeps its address
// lists when rules change, and swaps the rules in one transaction.
//
// A rule with disabled=yes stays in its list but matches nothing, as the
// manual's "disabled" says, and is left out.
//
// The translation stands on what the manual says each matcher does. Two
// need the packet's size pinned with packet-size, as routerconf always
// does, to be written as nftables: content= (found anywhere in a packet) is
// taken as the whole payload, the only place a string of that length fits
// after the headers; and a layer-7 pattern, an anchored literal, as the
// payload without regard to ASCII case, and only in a connection's first
// packet (nftables' "ct original packets 1", which needs conntrack
// accounting on), since the matcher reads a connection's data, not a
// packet's: a second datagram from the same socket is the same connection,
// whose data no longer matches "^…$".
func (r *Router) NFTables(name string) (string, error) {
	var b strings.Builder
	for _, fam := range []struct{ menu, family, addr, saddr string }{
		{IPFilter, "ip", "ipv4_addr", "ip saddr"},
		{IPv6Filter, "ip6", "ipv6_addr", "ip6 saddr"},
	} {
		table := fam.family + " " + name
		var rules []string
		var lists []string
		for _, it := range r.cfg.Menus[fam.menu] {
			if it.Props["chain"] != "input" || it.Dynamic || it.Props["disabled"] == "yes" {
				continue
			}
			rule, skip, err := r.nftRule(fam.menu, fam.saddr, it.Props)
			if err != nil {
				return "", fmt.Errorf("%s %s: %w", fam.menu, exportValue(it.Props["comment"]), err)
			}
			if skip {
				continue
			}
			rules = append(rules, rule)
			for _, k := range []string{"src-address-list", "address-list"} {
				if l := it.Props[k]; l != "" && !slices.Contains(lists, l) {
					lists = append(lists, l)
				}
			}
		}
		fmt.Fprintf(&b, "add table %s\n", table)
		for _, l := range lists {
			fmt.Fprintf(&b, "add set %s %s { type %s; flags dynamic,timeout; }\n", table, l, fam.addr)
		}
		fmt.Fprintf(&b, "add chain %s input { type filter hook input priority filter; policy accept; }\n", table)
		fmt.Fprintf(&b, "flush chain %s input\n", table)
		for _, rule := range rules {
			fmt.Fprintf(&b, "add rule %s input %s\n", table, rule)
		}
	}
	return b.String(), nil
}

// nftRule translates one rule; skip is true for a rule that can never
// match (an interface list with no member, say).
func (r *Router) nftRule(menu, saddr string, p map[string]string) (rule string, skip bool, err error) {
	var m []string
	ipHeader, lenField, lenBias := 20, "ip length", 0
	if menu == IPv6Filter {
		ipHeader, lenField, lenBias = 40, "ip6 length", 40
	}
	if cs := p["connection-state"]; cs != "" {
		m = append(m, "ct state { "+strings.ReplaceAll(cs, ",", ", ")+" }")
	}
	if list, ok := p["in-interface-list"]; ok {
		negate := strings.HasPrefix(list, "!")
		list = strings.TrimPrefix(list, "!")
		var names []string
		switch list {
		case "all":
			names = nil
			negate = !negate // "all" is every interface: !all matches none, all matches every one
		case "none":
		default:
			names = r.members[list]
		}
		switch {
		case len(names) == 0 && !negate:
			return "", true, nil
		case len(names) > 0:
			op := ""
			if negate {
				op = "!= "
			}
			m = append(m, fmt.Sprintf("iifname %s{ %s }", op, quoteAll(names)))
		}
	}
	if a := p["dst-address"]; a != "" {
		m = append(m, "ip daddr "+a)
	}
	proto := p["protocol"]
	switch proto {
	case "":
	case "icmpv6":
		m = append(m, "meta l4proto ipv6-icmp")
	default:
		m = append(m, "meta l4proto "+proto)
	}
	if port := p["dst-port"]; port != "" {
		m = append(m, "th dport "+port)
	}
	if flags := p["tcp-flags"]; flags != "" {
		var mask, set []string
		for _, f := range strings.Split(flags, ",") {
			mask = append(mask, strings.TrimPrefix(f, "!"))
			if !strings.HasPrefix(f, "!") {
				set = append(set, f)
			}
		}
		want := strings.Join(set, " | ")
		if want == "" {
			want = "0x0"
		}
		m = append(m, fmt.Sprintf("tcp flags & (%s) == %s", strings.Join(mask, " | "), want))
	}
	if opts := p["icmp-options"]; opts != "" {
		typ, code, _ := strings.Cut(opts, ":")
		icmp := map[string]string{"icmp": "icmp", "icmpv6": "icmpv6"}[proto]
		m = append(m, fmt.Sprintf("%s type %s %s code %s", icmp, typ, icmp, code))
	}
	if l := p["src-address-list"]; l != "" {
		m = append(m, saddr+" @"+l)
	}
	payloadLen := -1
	if size := p["packet-size"]; size != "" {
		n, _ := strconv.Atoi(size)
		if n-lenBias < 0 {
			return "", true, nil
		}
		m = append(m, fmt.Sprintf("%s %d", lenField, n-lenBias))
		payloadLen = n - ipHeader - 8
	}
	if c, ok := p["content"]; ok {
		if proto != "udp" && proto != "icmp" && proto != "icmpv6" || payloadLen != len(c) {
			return "", false, fmt.Errorf("content= is modelled only as the whole payload of a UDP or ICMP packet whose size packet-size pins")
		}
		cs, err := chunks([]byte(c), nil)
		if err != nil {
			return "", false, err
		}
		m = append(m, cs...)
	}
	if l7 := p["layer7-protocol"]; l7 != "" {
		i := slices.IndexFunc(r.cfg.Menus[Layer7], func(it *Item) bool { return it.Props["name"] == l7 })
		lit, err := rosscript.L7Literal(r.cfg.Menus[Layer7][i].Props["regexp"])
		if err != nil {
			return "", false, err
		}
		if proto != "udp" && proto != "icmp" || payloadLen != len(lit) {
			return "", false, fmt.Errorf("layer7-protocol is modelled only as the whole payload of a UDP or ICMP packet whose size packet-size pins")
		}
		// ASCII letters compare without their case bit.
		mask := make([]byte, len(lit))
		for i, c := range lit {
			mask[i] = 0xff
			if c >= 'a' && c <= 'z' {
				mask[i], lit[i] = 0xdf, c-0x20
			}
		}
		cs, err := chunks(lit, mask)
		if err != nil {
			return "", false, err
		}
		m = append(m, "ct original packets 1")
		m = append(m, cs...)
	}
	switch p["action"] {
	case "accept", "drop":
		m = append(m, p["action"])
	case "add-src-to-address-list":
		secs, err := ParseTime(p["address-list-timeout"])
		if err != nil {
			return "", false, err
		}
		m = append(m, fmt.Sprintf("update @%s { %s timeout %ds }", p["address-list"], saddr, secs))
	case "passthrough":
		m = append(m, "counter")
	default:
		return "", false, fmt.Errorf("action %q is not modelled", p["action"])
	}
	if c := p["comment"]; c != "" {
		m = append(m, fmt.Sprintf("comment %q", strings.Map(func(r rune) rune {
			if r == '"' || r == '\\' || r < 0x20 || r > 0x7e {
				return '_'
			}
			return r
		}, c)))
	}
	return strings.Join(m, " "), false, nil
}

// ErrTooLong reports a payload longer than the model writes in one rule.
var ErrTooLong = errors.New("payload longer than the model writes in one nftables rule")

// chunks compares the payload after the 8-byte UDP or ICMP header, at most
// 16 bytes at a time, each byte through mask when one is given. A rule of
// nftables holds at most 128 expressions: a payload that would take more is
// too long for the model, which writes each rule as one.
func chunks(data, mask []byte) ([]string, error) {
	if len(data) > 40*16 {
		return nil, fmt.Errorf("%d bytes: %w", len(data), ErrTooLong)
	}
	var out []string
	for off := 0; off < len(data); off += 16 {
		end := min(off+16, len(data))
		expr := fmt.Sprintf("@th,%d,%d", 64+8*off, 8*(end-off))
		if mask != nil {
			expr += " & 0x" + hex.EncodeToString(mask[off:end])
		}
		out = append(out, expr+" == 0x"+hex.EncodeToString(data[off:end]))
	}
	return out, nil
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
