package routerconf

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/routerconf/rosscript"
)

// A rule matches a packet, does not, or may: it asks for what a text
// cannot tell (the interface, the source address, a rate), or what
// Knocker does not choose.
type tri int8

const (
	no tri = iota
	maybe
	yes
)

func truth(b bool) tri {
	if b {
		return yes
	}
	return no
}

// packet is one packet of a knock as the router sees it: a new connection
// (each step goes from a socket of its own) from outside the LAN, from a
// source on lists.
type packet struct {
	f     family
	proto knock.Proto
	port  uint16
	data  []byte
	lists map[string]bool
}

func stepPacket(f family, st knock.Step, lists map[string]bool) packet {
	return packet{f: f, proto: st.Proto, port: st.Port, data: st.Payload.Data, lists: lists}
}

// size is the whole IP packet's length, known for UDP and ICMP; a TCP SYN's
// options are the system's.
func (p packet) size() (int, bool) {
	return p.f.ipHeader + 8 + len(p.data), p.proto != knock.TCP
}

// notMatchers are a rule's properties that say what it does, not which
// packets it takes.
var notMatchers = map[string]bool{
	"action": true, "chain": true, "comment": true, "disabled": true, "log": true, "log-prefix": true,
	"address-list": true, "address-list-timeout": true, "jump-target": true, "reject-with": true,
	"place-before": true, "new-connection-mark": true, "new-packet-mark": true, "new-routing-mark": true,
	"passthrough": true, "to-addresses": true, "to-ports": true,
}

// readMatchers are the matchers the reader evaluates itself.
var readMatchers = map[string]bool{
	"protocol": true, "dst-port": true, "src-address-list": true, "packet-size": true, "content": true,
	"layer7-protocol": true, "icmp-options": true, "tcp-flags": true, "connection-state": true,
	"connection-nat-state": true, "in-interface-list": true, "dst-address": true, "dst-address-type": true,
}

func matcherKnown(k string) bool { return notMatchers[k] || readMatchers[k] }

// match says whether rule takes p, and when it may, which of its matchers
// the reader cannot tell.
func (r *reader) match(rule *rosRule, p packet) (tri, string) {
	r.budget--
	t, why := yes, ""
	for _, props := range append(slices.Clip(rule.guards), rule.item.Props) {
		for _, k := range slices.Sorted(maps.Keys(props)) {
			if notMatchers[k] {
				continue
			}
			switch r.matcher(rule, k, props[k], p) {
			case no:
				return no, ""
			case maybe:
				if t == yes {
					t, why = maybe, k+"="+excerptText(props[k])
				}
			}
		}
	}
	return t, why
}

// matcher evaluates one matcher, k=v, as the RouterOS manual describes it.
func (r *reader) matcher(rule *rosRule, k, v string, p packet) tri {
	val, neg := strings.CutPrefix(v, "!")
	flip := func(t tri) tri {
		if neg && t != maybe {
			return yes - t
		}
		return t
	}
	switch k {
	case "protocol":
		names := map[knock.Proto][]string{knock.TCP: {"tcp", "6"}, knock.UDP: {"udp", "17"}, knock.ICMP: {p.f.rosICMP, map[string]string{"icmp": "1", "icmpv6": "58"}[p.f.rosICMP]}}
		return flip(truth(slices.Contains(names[p.proto], val)))
	case "dst-port":
		ports, err := parsePorts(v)
		switch {
		case p.proto == knock.ICMP:
			return no
		case err != nil:
			return maybe
		}
		return truth(ports.has(p.port))
	case "src-address-list":
		return flip(truth(p.lists[val]))
	case "packet-size":
		n, known := p.size()
		lo, hi, err := parseRange(val, 65535)
		if !known || err != nil {
			return maybe
		}
		return flip(truth(n >= lo && n <= hi))
	case "content":
		// Read as the model and the writer read it: the text itself, a
		// leading "!" included.
		return truth(v != "" && bytes.Contains(p.data, []byte(v)))
	case "layer7-protocol":
		l7 := r.l7Matcher(val)
		if l7 == nil {
			return maybe
		}
		m, err := l7.Match(p.data)
		if err != nil {
			return maybe
		}
		return flip(truth(m))
	case "icmp-options":
		if p.proto != knock.ICMP {
			return no
		}
		return truth(icmpOptionsMatch(v, p.f.icmpEchoType(), 0))
	case "tcp-flags":
		if p.proto != knock.TCP {
			return no
		}
		// A knock is a plain SYN.
		for _, f := range strings.Split(v, ",") {
			flag, not := strings.CutPrefix(f, "!")
			if (flag == "syn") == not {
				return no
			}
		}
		return yes
	case "connection-state":
		return flip(truth(slices.Contains(strings.Split(val, ","), "new")))
	case "connection-nat-state":
		return flip(no)
	case "in-interface-list":
		// A knock comes from the internet: from outside defconf's LAN, on
		// its WAN.
		switch val {
		case "LAN", "none":
			return flip(no)
		case "WAN", "all":
			return flip(yes)
		}
	case "dst-address":
		if strings.HasPrefix(val, "127.") || val == "::1" || val == "::1/128" {
			return flip(no)
		}
	case "dst-address-type":
		if val == "local" {
			return flip(truth(strings.HasPrefix(rule.path, "input") || strings.HasPrefix(rule.path, "prerouting")))
		}
	}
	return maybe
}

// l7Matcher is the pattern named name, compiled once; nil when there is
// none or it does not compile.
func (r *reader) l7Matcher(name string) *rosscript.L7Matcher {
	if m, ok := r.l7[name]; ok {
		return m
	}
	var m *rosscript.L7Matcher
	if re, ok := r.layer7(name); ok {
		m, _ = rosscript.NewL7Matcher(re)
	}
	if r.l7 == nil {
		r.l7 = map[string]*rosscript.L7Matcher{}
	}
	r.l7[name] = m
	return m
}

// walked is what befell a packet in a chain.
type walked struct {
	added   []*rosRule // the list rules it met, in order
	stop    *rosRule   // the rule that accepted or dropped it
	verdict string     // "accept" (by a rule, or the chain's end) or "drop"
	maybes  []string   // rules that may have stopped it before
}

// walk runs p through rules as RouterOS would, adding its source to the
// lists of the rules it matches. A rule that only may match adds nothing
// and stops nothing, but is told; except the rules expect names (the rule
// a step is for, an accept from a list the source is on), whose matchers
// beyond Knocker's reach are their own business.
func (r *reader) walk(rules []*rosRule, p packet, expect func(*rosRule) bool) walked {
	var w walked
	returned, rawDone := -1, false
	for _, rule := range rules {
		switch {
		case rule.disabled():
			continue
		case returned >= 0 && slices.Contains(rule.frames, returned):
			continue
		case rawDone && rule.table == "raw":
			continue
		}
		returned = -1
		t, why := r.match(rule, p)
		if t == maybe && expect != nil && expect(rule) {
			t = yes
		}
		if t == no {
			continue
		}
		act := rule.action()
		stops := slices.Contains([]string{"accept", "drop", "reject", "tarpit", "return"}, act)
		if t == maybe {
			if stops {
				w.maybes = append(w.maybes, fmt.Sprintf("%s may %s it (it asks for %s)", rule, act, why))
			}
			continue
		}
		switch {
		case act == "add-src-to-address-list":
			p.lists[rule.prop("address-list")] = true
			w.added = append(w.added, rule)
		case act == "return" && len(rule.frames) > 0:
			returned = rule.frames[len(rule.frames)-1]
		case act == "accept" && rule.table == "raw":
			rawDone = true
		case act == "accept":
			w.stop, w.verdict = rule, "accept"
			return w
		case stops && act != "return":
			w.stop, w.verdict = rule, "drop"
			return w
		}
	}
	w.verdict = "accept"
	return w
}

// walkKnock sends k's steps through the rules, then a connection to the
// protected port, and fails where a packet does not get where it must.
func (r *reader) walkKnock(ch chains, k *Found, grant *rosRule) error {
	lists := map[string]bool{}
	var added []*rosRule
	for i, st := range k.Steps {
		sg := k.stages[i]
		w := r.walk(ch.input, stepPacket(ch.f, st, lists), func(r *rosRule) bool { return r == sg })
		if !slices.Contains(w.added, sg) {
			if w.stop != nil {
				return fmt.Errorf("step %d never reaches its rule, %s: %s %ss it first", i+1, sg, w.stop, w.stop.action())
			}
			return fmt.Errorf("step %d does not pass its own rule, %s", i+1, sg)
		}
		added = append(added, w.added...)
		for _, m := range w.maybes {
			k.Warnings = append(k.Warnings, fmt.Sprintf("step %d: %s", i+1, m))
		}
		after := w.added[slices.Index(w.added, sg)+1:]
		if i+1 < len(k.stages) && slices.Contains(after, k.stages[i+1]) {
			k.Warnings = append(k.Warnings, fmt.Sprintf("one packet of step %d also passes step %d: %s comes after %s", i+1, i+2, k.stages[i+1], sg))
		}
	}
	path := r.grantPath(ch, grant)
	in, w := r.letIn(path, ch.f, k.Protect, lists, added)
	switch {
	case in == nil && w.verdict == "accept":
		return fmt.Errorf("%s, the rule for list %s, does not decide who reaches %s", grant, k.List, protectLabel(k.Protect))
	case in == nil:
		return fmt.Errorf("no rule lets list %s reach %s: %s drops it", k.List, protectLabel(k.Protect), w.stop)
	case in.prop("address-list") != k.List:
		return fmt.Errorf("a connection after the knock gets in through list %s, not this one", in.prop("address-list"))
	}
	for _, m := range w.maybes {
		k.Warnings = append(k.Warnings, "the protected port: "+m)
	}
	if open := r.walk(path, r.checkPacket(ch.f, k.Protect, map[string]bool{}), nil); open.verdict == "accept" && len(open.maybes) == 0 {
		k.Warnings = append(k.Warnings, fmt.Sprintf("%s is open without the knock too", protectLabel(k.Protect)))
	}
	return nil
}

// grantFor expects an accept from a list the source is on to take it.
func grantFor(lists map[string]bool) func(*rosRule) bool {
	return func(r *rosRule) bool { return r.action() == "accept" && lists[r.prop("src-address-list")] }
}

// grantPath is the chain a connection to the protected service takes: to
// the router, or through it where the grant is a forward rule.
func (r *reader) grantPath(ch chains, grant *rosRule) []*rosRule {
	if grant != nil && strings.HasPrefix(grant.path, "forward") {
		return ch.forward
	}
	return ch.input
}

// checkPacket opens a connection to the protected service.
func (r *reader) checkPacket(f family, pr Protect, lists map[string]bool) packet {
	proto := pr.Proto
	if pr.Port == 0 {
		proto = knock.TCP
	}
	var data []byte
	if proto == knock.UDP {
		data = []byte{0}
	}
	return packet{f: f, proto: proto, port: pr.Port, data: data, lists: lists}
}

func protectLabel(p Protect) string {
	if p.Port == 0 {
		return "the protected service"
	}
	return p.String()
}

// errNoKnock is a router's text without any knock in it.
var errNoKnock = errors.New("the router's rules hold no knock")
