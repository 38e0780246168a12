package routerconf

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/knocker/knocker/knock"
)

// RouterOS writes a RouterOS console script for s, to paste into a terminal
// or run with /import. It is one { } block, so the first error stops it, and
// it can be run again: it first removes the rules (found by their comment)
// and layer-7 patterns (by their name) an earlier run made for this name,
// then adds them anew. Nothing else on the router is touched, address lists
// included, so sources already on a list stay there.
//
// The rules go just above defconf's "drop invalid", which is the first rule
// after defconf's "accept established,related,untracked": established
// traffic keeps its fast path, and knocks (new connections all, since the
// engine sends each step from a socket of its own) and the protected port
// are handled before anything drops or accepts them. Without that rule they
// go to the top of the input chain, and to an empty chain as its only rules.
// The close rule matches new connections only, from outside the LAN list,
// so no open session is ever cut and the LAN side is never locked out.
func RouterOS(s Spec) (string, error) {
	p, err := newPlan(s)
	if err != nil {
		return "", err
	}
	if err := p.checkRouterOS(); err != nil {
		return "", err
	}
	var b strings.Builder
	p.writeRouterOSHeader(&b)
	b.WriteString("{\n")
	if p.lanList != NoLANList {
		fmt.Fprintf(&b, ":if ([:len [/interface list find where name=%s]] = 0) do={:error %s}\n",
			rosString([]byte(p.lanList)), rosString([]byte(fmt.Sprintf(
				"knocker %s: this router has no interface list %s; create it, or name the LAN's list with knocker router-config --lan-list",
				p.name, p.lanList))))
	}
	p.writeRouterOSRemoval(&b)
	if p.usesLayer7() {
		// Patterns are this name's by their names, NAME-stepN: an earlier
		// run's go, however many steps it had, or adding a name again fails.
		fmt.Fprintf(&b, "/ip firewall layer7-protocol remove [find where name~%s]\n",
			rosString([]byte("^"+p.name+`-step[0-9]+$`)))
		for _, sg := range p.stages {
			if exactPayload(sg.step) {
				fmt.Fprintf(&b, "/ip firewall layer7-protocol add name=%s regexp=%s\n",
					p.layer7Name(sg), rosString(layer7Regexp(sg.step.Payload.Data)))
			}
		}
	}
	for _, f := range p.families {
		p.writeRouterOSRules(&b, f)
	}
	b.WriteString("}\n")
	return b.String(), nil
}

// writeRouterOSRemoval removes the rules an earlier run made for this name
// in both families, whichever this run writes: a profile whose host became
// an IPv4 address, or that is run again with -4, must not leave its IPv6
// rules working, nor the other way round. Where this run writes no IPv6
// rules the router may have no IPv6 at all (RouterOS 6 with the ipv6
// package disabled, which has no /ipv6 menu): RouterOS resolves a script's
// menus before it runs it, so the removal is handed to :parse, and its
// failure there is caught, not the whole script's.
func (p *plan) writeRouterOSRemoval(b *strings.Builder) {
	for _, f := range []family{ipv4, ipv6} {
		remove := fmt.Sprintf("%s filter remove [find where comment~%s]", f.rosMenu, rosString([]byte("^"+p.rosComment(""))))
		if f == ipv6 && !slices.Contains(p.families, ipv6) {
			remove = fmt.Sprintf(":do {[[:parse %s]]} on-error={}", rosString([]byte(remove)))
		}
		b.WriteString(remove + "\n")
	}
}

// Limits of the RouterOS matchers, from what they are built on: RouterOS's
// layer-7 matcher takes l7-filter's patterns, as its manual says, and is
// taken to work as l7-filter does; content= is likely Linux's string match
// (xt_string), as RouterOS runs on Linux.
const (
	// layer7MaxData is what l7-filter keeps of a connection to match on:
	// a 2 KB buffer that ends in a NUL. The manual says "the first 2KB".
	layer7MaxData = 2047
	// contentMaxLen is xt_string's XT_STRING_MAX_PATTERN_SIZE. RouterOS does
	// not document a limit for content=, so a longer one gets a warning.
	contentMaxLen = 128
)

// checkRouterOS rejects what RouterOS cannot match, naming what to use
// instead. The errors never quote a payload: they are secret.
func (p *plan) checkRouterOS() error {
	for _, sg := range p.stages {
		data := sg.step.Payload.Data
		if exactPayload(sg.step) && bytes.IndexByte(data, 0) >= 0 {
			// content= takes text and has no way to write a NUL; the layer-7
			// matcher deletes NULs from the data before matching.
			return &knock.StepError{Index: sg.index, Err: errors.New(
				"RouterOS cannot match a payload holding a zero byte (content= and layer-7 both treat it as text); use the nftables format or another payload")}
		}
		for _, f := range p.families {
			if lengthMatched(sg.step) && f.packetSize(sg.step) > 65535 {
				return &knock.StepError{Index: sg.index, Err: fmt.Errorf(
					"an %s packet with this payload exceeds RouterOS's largest packet-size (65535); use a shorter payload", f.label)}
			}
		}
		if p.matcher != Layer7 || !exactPayload(sg.step) {
			continue
		}
		if len(data) > layer7MaxData {
			return &knock.StepError{Index: sg.index, Err: fmt.Errorf(
				"RouterOS's layer-7 matcher sees at most %d bytes of a connection, and this payload has %d; leave out --layer7 (content= matching) or use the nftables format",
				layer7MaxData, len(data))}
		}
		if slices.ContainsFunc(data, kernelFoldsCase) {
			return &knock.StepError{Index: sg.index, Err: errors.New(
				"RouterOS's layer-7 matcher cannot match bytes 0xC0-0xDE of a payload (it lowercases them in the pattern but not in the data); leave out --layer7 (content= matching) or use the nftables format")}
		}
	}
	if p.usesLayer7() {
		for _, f := range p.families {
			if f != ipv4 {
				return errors.New("RouterOS has layer-7 matching for IPv4 only: leave out --layer7 (content= matching), or write IPv4 rules only (-4)")
			}
		}
	}
	return nil
}

// kernelFoldsCase reports the bytes the Linux kernel's tolower changes that
// are not ASCII: its character table takes Latin-1's capitals for letters.
// l7-filter lowercases every pattern byte with it, but the packet data only
// where it is ASCII, so such a byte in a pattern never meets its match.
func kernelFoldsCase(c byte) bool { return c >= 0xc0 && c <= 0xde && c != 0xd7 }

// RouterOSWarnings are what may not work as written in the RouterOS output
// for s, for the caller to show; the script's header repeats them.
func RouterOSWarnings(s Spec) []string {
	p, err := newPlan(s)
	if err != nil {
		return nil
	}
	return p.routerOSWarnings()
}

func (p *plan) routerOSWarnings() []string {
	var w []string
	for _, sg := range p.stages {
		if p.matcher == Content && exactPayload(sg.step) && len(sg.step.Payload.Data) > contentMaxLen {
			w = append(w, fmt.Sprintf(
				"step %d's payload is %d bytes; Linux's string match, which content= likely uses, takes at most %d and RouterOS documents no limit: if the router refuses the rule, use --layer7 or the nftables format",
				sg.index+1, len(sg.step.Payload.Data), contentMaxLen))
		}
	}
	return w
}

func (p *plan) usesLayer7() bool { return p.matcher == Layer7 && p.hasExactPayload() }

func (p *plan) hasExactPayload() bool {
	for _, sg := range p.stages {
		if exactPayload(sg.step) {
			return true
		}
	}
	return false
}

func (p *plan) writeRouterOSHeader(b *strings.Builder) {
	fmt.Fprintf(b, "# Knocker %s: %d-step knock opening %s for %s.\n",
		p.name, len(p.stages), p.protect, formatDuration(p.timeout))
	fmt.Fprintf(b, "# Paste it into a RouterOS terminal, or upload it and /import it. Run again,\n")
	fmt.Fprintf(b, "# it replaces the rules commented \"knocker %s: ...\", IPv4 and IPv6, and\n", p.name)
	b.WriteString("# touches nothing else.\n")
	fmt.Fprintf(b, "# The router knows this knock as %s: address lists %s-*.\n", p.name, p.name)
	b.WriteString("# The rules go just above defconf's \"drop invalid\" (below its \"accept\n")
	b.WriteString("# established,related,untracked\"), or at the top of the input chain.\n")
	if p.lanList == NoLANList {
		fmt.Fprintf(b, "# %s is closed to new connections on every interface; connections already\n", p.protect)
		b.WriteString("# open, this one too, are never cut.\n")
	} else {
		fmt.Fprintf(b, "# %s is closed only to new connections from outside the interface list %s\n", p.protect, p.lanList)
		b.WriteString("# (as defconf's \"drop all not coming from LAN\"): the LAN needs no knock, and\n")
		b.WriteString("# connections already open, this one too, are never cut.\n")
	}
	if p.usesLayer7() {
		b.WriteString("# Layer-7 matching ignores letter case.\n")
	}
	for _, w := range p.routerOSWarnings() {
		b.WriteString("# Warning: " + w + "\n")
	}
}

// writeRouterOSRules adds the close rule first, before defconf's "drop
// invalid" or the chain's first rule, then every other rule just above it,
// in order. Were the script stopped half way, the port would be closed, not
// open.
func (p *plan) writeRouterOSRules(b *strings.Builder, f family) {
	menu := f.rosMenu + " filter"
	at, closeRule := "knockerAt"+f.rosSuffix, "knockerClose"+f.rosSuffix
	closeComment := p.rosComment("close " + p.protect.String())
	fmt.Fprintf(b, ":local %s [%s find where chain=input comment=%s]\n", at, menu, rosString([]byte(defconfAnchor)))
	fmt.Fprintf(b, ":if ([:len $%s] = 0) do={:set %s [%s find where chain=input dynamic=no]}\n", at, at, menu)
	fmt.Fprintf(b, ":if ([:len $%s] = 0) do={\n", at)
	fmt.Fprintf(b, "%s add %s\n", menu, p.rosCloseRule(closeComment))
	b.WriteString("} else={\n")
	fmt.Fprintf(b, "%s add place-before=[:pick $%s 0] %s\n", menu, at, p.rosCloseRule(closeComment))
	b.WriteString("}\n")
	fmt.Fprintf(b, ":local %s [%s find where comment=%s]\n", closeRule, menu, rosString([]byte(closeComment)))
	for _, sg := range p.reversed() {
		fmt.Fprintf(b, "%s add place-before=$%s %s\n", menu, closeRule, p.rosStepRule(f, sg))
	}
	fmt.Fprintf(b, "%s add place-before=$%s chain=input protocol=%s dst-port=%d src-address-list=%s action=accept comment=%s\n",
		menu, closeRule, p.protect.Proto, p.protect.Port, p.rosList(finalList),
		rosString([]byte(p.rosComment("open "+p.protect.String()))))
}

// defconfAnchor is the comment of the rule RouterOS's default configuration
// puts right after "accept established,related,untracked" in the input
// chains of both /ip and /ipv6 firewall filter.
const defconfAnchor = "defconf: drop invalid"

// rosCloseRule drops new connections to the protected port from outside
// the LAN. For TCP only a SYN counts as new: were connection tracking off
// until now (RouterOS tracks only when rules need it), the first packets of
// a session already open would be new to it, and dropping them would cut
// the very session the script is pasted over.
func (p *plan) rosCloseRule(comment string) string {
	flags := ""
	if p.protect.Proto == knock.TCP {
		flags = " tcp-flags=syn,!ack"
	}
	lan := ""
	if p.lanList != NoLANList {
		lan = " in-interface-list=!" + p.lanList
	}
	return fmt.Sprintf("chain=input protocol=%s dst-port=%d%s connection-state=new%s action=drop comment=%s",
		p.protect.Proto, p.protect.Port, flags, lan, rosString([]byte(comment)))
}

func (p *plan) rosStepRule(f family, sg stage) string {
	var b strings.Builder
	b.WriteString("chain=input")
	switch sg.step.Proto {
	case knock.TCP:
		fmt.Fprintf(&b, " protocol=tcp dst-port=%d tcp-flags=syn,!ack", sg.step.Port)
	case knock.UDP:
		fmt.Fprintf(&b, " protocol=udp dst-port=%d", sg.step.Port)
	case knock.ICMP:
		fmt.Fprintf(&b, " protocol=%s icmp-options=%s", f.rosICMP, f.rosEcho)
	}
	if sg.from != "" {
		b.WriteString(" src-address-list=" + p.rosList(sg.from))
	}
	if lengthMatched(sg.step) {
		// content= finds text anywhere in the packet; the exact size
		// keeps a longer packet that merely contains it from counting.
		fmt.Fprintf(&b, " packet-size=%d", f.packetSize(sg.step))
	}
	if exactPayload(sg.step) {
		if p.matcher == Layer7 {
			b.WriteString(" layer7-protocol=" + p.layer7Name(sg))
		} else {
			b.WriteString(" content=" + rosString(sg.step.Payload.Data))
		}
	}
	fmt.Fprintf(&b, " action=add-src-to-address-list address-list=%s address-list-timeout=%s comment=%s",
		p.rosList(sg.to), formatDuration(sg.timeout),
		rosString([]byte(p.rosComment(fmt.Sprintf("step %d of %d", sg.index+1, sg.count)))))
	return b.String()
}

// rosComment is the comment that marks a rule as this name's.
func (p *plan) rosComment(what string) string { return "knocker " + p.name + ": " + what }

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

// layer7Regexp anchors an exact match of data, written so that RouterOS's
// regexp engine (POSIX) and l7-filter's reading of a pattern agree on it.
// The matcher lowercases the data, so letters are written lowercase.
// Metacharacters are escaped with a backslash, but a backslash itself is
// written [\\]: l7-filter turns any \xHH in a pattern into that byte before
// compiling it, which would make \\x41 match "a", and it does so to escaped
// metacharacters too, so \xHH cannot stand in for them. "]" and "}" are
// plain characters outside a bracket or a bound, and stay bare. Other bytes
// are used as they are; rosString escapes the ones the console cannot take
// raw.
func layer7Regexp(data []byte) []byte {
	out := []byte{'^'}
	for _, c := range data {
		switch {
		case c == '\\':
			out = append(out, `[\\]`...)
		case strings.IndexByte(`^$.|?*+()[{`, c) >= 0:
			out = append(out, '\\', c)
		case c >= 'A' && c <= 'Z':
			out = append(out, c+('a'-'A'))
		default:
			out = append(out, c)
		}
	}
	return append(out, '$')
}
