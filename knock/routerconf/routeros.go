package routerconf

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/knocker/knocker/knock"
)

// RouterOS writes RouterOS console commands for s: layer-7 patterns when
// asked for, then the knock rules and the protected port's accept and drop
// rules under /ip firewall filter (and /ipv6 firewall filter).
//
// The rules are added at the end of the input chain, but RouterOS stops at a
// chain's first accept or drop, so they must be moved above any rule that
// accepts established traffic, ICMP or the protected port; the output says so.
func RouterOS(s Spec) (string, error) {
	p, err := newPlan(s)
	if err != nil {
		return "", err
	}
	if err := p.checkRouterOS(); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Knocker %s: %d-step knock opening %s for %s.\n",
		p.name, len(p.stages), p.protect, formatDuration(p.timeout))
	b.WriteString("# Move these rules above any input rule that accepts established traffic,\n")
	b.WriteString("# ICMP or the protected port: RouterOS stops at the first accept or drop.\n")
	if p.matcher == Layer7 && p.hasExactPayload() {
		b.WriteString("# Layer-7 matching ignores letter case.\n")
	}
	for _, f := range p.families {
		p.writeRouterOS(&b, f)
	}
	return b.String(), nil
}

func (p *plan) hasExactPayload() bool {
	for _, sg := range p.stages {
		if exactPayload(sg.step) {
			return true
		}
	}
	return false
}

// checkRouterOS rejects what RouterOS cannot express. The manual documents
// content= as text and gives no way to write a NUL byte into the matcher, and
// layer-7 matching (l7-filter) removes NUL bytes from the data it searches,
// so no pattern could require one.
func (p *plan) checkRouterOS() error {
	for _, sg := range p.stages {
		if exactPayload(sg.step) && bytes.IndexByte(sg.step.Payload.Data, 0) >= 0 {
			return &knock.StepError{Index: sg.index, Err: errors.New(
				"RouterOS cannot match a payload holding a zero byte (content= and layer-7 both treat the payload as text); use the nftables format or another payload")}
		}
		for _, f := range p.families {
			if lengthMatched(sg.step) && f.packetSize(sg.step) > 65535 {
				return &knock.StepError{Index: sg.index, Err: fmt.Errorf("an %s packet with this payload exceeds RouterOS's largest packet-size (65535)", f.label)}
			}
		}
	}
	if p.matcher == Layer7 && p.hasExactPayload() {
		for _, f := range p.families {
			if f != ipv4 {
				return errors.New("RouterOS has layer-7 matching for IPv4 only: use content matching, or write IPv4 rules only")
			}
		}
	}
	return nil
}

func (p *plan) writeRouterOS(b *strings.Builder, f family) {
	comment := func(what string) string { return " comment=" + rosString([]byte("knocker "+p.name+": "+what)) }
	b.WriteString("\n")
	if p.matcher == Layer7 && p.hasExactPayload() {
		b.WriteString(f.rosMenu + " layer7-protocol\n")
		for _, sg := range p.stages {
			if exactPayload(sg.step) {
				fmt.Fprintf(b, "add name=%s regexp=%s\n", p.layer7Name(sg), rosString(layer7Regexp(sg.step.Payload.Data)))
			}
		}
	}
	b.WriteString(f.rosMenu + " filter\n")
	for _, sg := range p.reversed() {
		b.WriteString("add chain=input")
		switch sg.step.Proto {
		case knock.TCP:
			fmt.Fprintf(b, " protocol=tcp dst-port=%d tcp-flags=syn,!ack", sg.step.Port)
		case knock.UDP:
			fmt.Fprintf(b, " protocol=udp dst-port=%d", sg.step.Port)
		case knock.ICMP:
			fmt.Fprintf(b, " protocol=%s icmp-options=%s", f.rosICMP, f.rosEcho)
		}
		if sg.from != "" {
			b.WriteString(" src-address-list=" + p.rosList(sg.from))
		}
		if lengthMatched(sg.step) {
			// content= finds text anywhere in the packet; the exact size
			// keeps a longer packet that merely contains it from counting.
			fmt.Fprintf(b, " packet-size=%d", f.packetSize(sg.step))
		}
		if exactPayload(sg.step) {
			if p.matcher == Layer7 {
				b.WriteString(" layer7-protocol=" + p.layer7Name(sg))
			} else {
				b.WriteString(" content=" + rosString(sg.step.Payload.Data))
			}
		}
		fmt.Fprintf(b, " action=add-src-to-address-list address-list=%s address-list-timeout=%s",
			p.rosList(sg.to), formatDuration(sg.timeout))
		b.WriteString(comment(fmt.Sprintf("step %d of %d", sg.index+1, sg.count)) + "\n")
	}
	fmt.Fprintf(b, "add chain=input protocol=%s dst-port=%d src-address-list=%s action=accept%s\n",
		p.protect.Proto, p.protect.Port, p.rosList(finalList), comment("open "+p.protect.String()))
	fmt.Fprintf(b, "add chain=input protocol=%s dst-port=%d action=drop%s\n",
		p.protect.Proto, p.protect.Port, comment("close "+p.protect.String()))
}

func (p *plan) rosList(list string) string { return p.name + "-" + list }

func (p *plan) layer7Name(sg stage) string { return p.name + "-step" + strconv.Itoa(sg.index+1) }

// rosString quotes b as a RouterOS string constant. Printable ASCII stands
// for itself except the four characters the console gives a meaning ("\"",
// "\\", "$" for variables, "?" for help); every other byte is written as
// \HH, which the manual wants in capital letters.
func rosString(b []byte) string {
	var s strings.Builder
	s.WriteByte('"')
	for _, c := range b {
		switch {
		case c == '"' || c == '\\' || c == '$' || c == '?':
			s.WriteByte('\\')
			s.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			s.WriteByte(c)
		default:
			fmt.Fprintf(&s, "\\%02X", c)
		}
	}
	s.WriteByte('"')
	return s.String()
}

// layer7Regexp anchors an exact match of data. The layer-7 matcher lowercases
// the data it searches, so letters are written lowercase to match whatever
// case the regexp engine compiles with. Metacharacters are escaped with a
// backslash: l7-filter turns \xHH into the raw byte before compiling, so a
// hex escape would not make them literal. Other bytes are used as they are;
// rosString escapes the ones the console cannot take raw.
func layer7Regexp(data []byte) []byte {
	out := []byte{'^'}
	for _, c := range data {
		switch {
		case strings.IndexByte(`\^$.|?*+()[]{}`, c) >= 0:
			out = append(out, '\\', c)
		case c >= 'A' && c <= 'Z':
			out = append(out, c+('a'-'A'))
		default:
			out = append(out, c)
		}
	}
	return append(out, '$')
}
