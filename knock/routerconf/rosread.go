package routerconf

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/routerconf/rosscript"
)

// The reader finds the knocks in RouterOS configuration text: an export, a
// script (this package's own included), one-liners. It follows address
// lists, not their names: a knock is a chain of add-src-to-address-list
// rules, each later one requiring the list of the one before, that ends in
// a list a rule lets in (an accept from it, or a drop of all but it), and
// that packets Knocker can send walk through, rule by rule, as RouterOS
// would walk them.

// Reading is what ReadRouterOS found.
type Reading struct {
	Knocks []Found
	// LeftOut are the chains of list rules that are not offered, each
	// with its reason.
	LeftOut []LeftOut
	// Warnings are about the text as a whole: what was read but not
	// applied, such as a set or a move on a firewall menu.
	Warnings []string
}

// Found is a knock the router's rules let in.
type Found struct {
	List    string       // the list that grants access
	Family  knock.Family // IPv4, IPv6, or Auto for both alike
	Steps   []knock.Step // delays are not in the router's rules: none
	Timeout time.Duration
	// Protect is the first TCP port (else UDP) the grant's rule names; the
	// zero Protect when it names none.
	Protect  Protect
	Warnings []string
	stages   []*rosRule
	grant    *rosRule
}

// LeftOut is a chain that is not a knock, or not one Knocker can send.
type LeftOut struct {
	List   string
	Family knock.Family
	Reason string
}

// Where names the chain: its list and family.
func (l LeftOut) Where() string { return fmt.Sprintf("list %s (%s)", l.List, familyLabel(l.Family)) }

func (l LeftOut) String() string { return l.Where() + ": " + l.Reason }

// Limits that keep a hostile text cheap: the rules read, and how many rule
// matches the reader may try (each knock is walked through the rules).
const (
	maxROSItems   = 5000
	maxROSMatches = 2_000_000
)

// Menus the reader reads; every other menu is skipped.
const (
	rosIPFilter   = "/ip firewall filter"
	rosIPRaw      = "/ip firewall raw"
	rosIPv6Filter = "/ipv6 firewall filter"
	rosIPv6Raw    = "/ipv6 firewall raw"
	rosLayer7     = "/ip firewall layer7-protocol"
)

var rosMenus = []string{rosIPFilter, rosIPRaw, rosIPv6Filter, rosIPv6Raw, rosLayer7}

// printOutput is what /ip firewall filter print writes: a flags legend, or
// numbered rows.
var printOutput = regexp.MustCompile(`(?m)^(Flags: [A-Z] - |\s*\d+\s+(?:[XIDC]\s+)*(;;;|chain=))`)

// ErrNotRouterOS is text the reader cannot take as RouterOS configuration.
var ErrNotRouterOS = errors.New("not RouterOS configuration")

// ReadRouterOS reads RouterOS configuration text and finds its knocks.
// Only a text that is not RouterOS's console language is an error; what it
// does not need is skipped, and chains that are not knocks are LeftOut.
func ReadRouterOS(text string) (Reading, error) {
	_, rd, err := readRouterOS(text)
	return rd, err
}

func readRouterOS(text string) (*reader, Reading, error) {
	if m := printOutput.FindString(text); m != "" {
		return nil, Reading{}, fmt.Errorf("%w: this is print output, which RouterOS cannot read back; use export (e.g. /ip firewall export)", ErrNotRouterOS)
	}
	cfg := rosscript.NewConfig(rosscript.Dialect{Lenient: true, Menus: rosMenus})
	cfg.MaxItems = maxROSItems
	if err := cfg.Run(text); err != nil {
		var se *rosscript.SyntaxError
		if errors.As(err, &se) {
			return nil, Reading{}, fmt.Errorf("%w: %v", ErrNotRouterOS, err)
		}
		return nil, Reading{}, err
	}
	r := &reader{cfg: cfg, budget: maxROSMatches}
	var rd Reading
	for _, n := range cfg.Notes {
		if n.Menu == "" {
			rd.Warnings = append(rd.Warnings, fmt.Sprintf("line %d: %s", n.Line, n.Msg))
			continue
		}
		rd.Warnings = append(rd.Warnings, fmt.Sprintf("line %d: %s; the rules are read as added", n.Line, n.Msg))
	}
	for _, f := range []family{ipv4, ipv6} {
		r.readFamily(f, &rd)
		if err := r.overBudget(); err != nil {
			return nil, Reading{}, err
		}
	}
	rd.Knocks = mergeFamilies(rd.Knocks)
	return r, rd, nil
}

func (r *reader) overBudget() error {
	if r.budget < 0 {
		return errors.New("the configuration has more rules than the reader follows at once")
	}
	return nil
}

// reader holds a configuration while its knocks are found.
type reader struct {
	cfg    *rosscript.Config
	budget int // rule matches left
	paths  map[family]chains
	l7     map[string]*rosscript.L7Matcher
}

// rosRule is a rule as a packet meets it: its item, the table and the
// chain path it sits in, and the matchers of the jumps that lead to it.
type rosRule struct {
	item   *rosscript.Item
	table  string // "filter" or "raw"
	path   string // "input", or "input > knock" through a jump
	guards []map[string]string
	frames []int // the jumps it sits under, for return
}

func (r *rosRule) prop(k string) string { return r.item.Props[k] }
func (r *rosRule) action() string {
	if a := r.prop("action"); a != "" {
		return a
	}
	return "accept"
}
func (r *rosRule) disabled() bool { return r.prop("disabled") == "yes" }

// String names the rule for the user: its line, and its comment.
func (r *rosRule) String() string {
	s := "a rule"
	if r.item.Line > 0 {
		s = "the rule at line " + strconv.Itoa(r.item.Line)
	}
	if c := r.prop("comment"); c != "" {
		s += fmt.Sprintf(" (%q)", excerptText(c))
	}
	return s
}

func excerptText(s string) string {
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

// flatten lists the rules a packet meets in chain of menu, in order, a
// jump's target chain in the jump's place. Disabled rules stay in the list
// (they are skipped when matching) so that a chain can say it is one.
func (r *reader) flatten(menu, table, chain string) []*rosRule {
	var out []*rosRule
	frame := 0
	var walk func(chain, path string, guards []map[string]string, frames []int, depth int)
	walk = func(chain, path string, guards []map[string]string, frames []int, depth int) {
		for _, it := range r.cfg.Menus[menu] {
			if it.Props["chain"] != chain || len(out) >= maxROSItems {
				continue
			}
			rule := &rosRule{item: it, table: table, path: path, guards: guards, frames: frames}
			target := it.Props["jump-target"]
			if rule.action() != "jump" || target == "" || rule.disabled() || depth >= 8 || slices.Contains(strings.Split(path, " > "), target) {
				out = append(out, rule)
				continue
			}
			frame++
			walk(target, path+" > "+target, append(slices.Clip(guards), it.Props), append(slices.Clip(frames), frame), depth+1)
		}
	}
	walk(chain, chain, nil, nil, 0)
	return out
}

// chains are the rule paths a family's packets take: to the router
// (knocks, and a protected service on it) and through it (a service behind
// it, such as a forwarded port).
type chains struct {
	f       family
	input   []*rosRule
	forward []*rosRule
}

// chains are made once a family, so that a rule is one *rosRule wherever
// the reader meets it.
func (r *reader) chains(f family) chains {
	if ch, ok := r.paths[f]; ok {
		return ch
	}
	filter, raw := f.rosMenu+" filter", f.rosMenu+" raw"
	pre := r.flatten(raw, "raw", "prerouting")
	ch := chains{
		f:       f,
		input:   append(slices.Clip(pre), r.flatten(filter, "filter", "input")...),
		forward: append(slices.Clip(pre), r.flatten(filter, "filter", "forward")...),
	}
	if r.paths == nil {
		r.paths = map[family]chains{}
	}
	r.paths[f] = ch
	return ch
}

func (r *reader) readFamily(f family, rd *Reading) {
	ch := r.chains(f)
	leaveOut := func(list, format string, a ...any) {
		rd.LeftOut = append(rd.LeftOut, LeftOut{List: list, Family: f.knockFamily(), Reason: fmt.Sprintf(format, a...)})
	}
	// Rules that add to lists where no packet from outside meets them.
	reached := map[*rosscript.Item]bool{}
	for _, rule := range append(slices.Clip(ch.input), ch.forward...) {
		reached[rule.item] = true
	}
	for _, menu := range []string{f.rosMenu + " filter", f.rosMenu + " raw"} {
		for _, it := range r.cfg.Menus[menu] {
			if it.Props["action"] == "add-src-to-address-list" && !reached[it] && it.Props["chain"] != "output" {
				leaveOut(it.Props["address-list"], "%s sits in chain %s, which no rule of input or forward jumps to",
					(&rosRule{item: it}).String(), it.Props["chain"])
			}
		}
	}
	var adders []*rosRule
	required := map[string]bool{}
	for _, rule := range ch.input {
		if rule.action() == "add-src-to-address-list" && rule.prop("address-list") != "" {
			adders = append(adders, rule)
			if l := rule.prop("src-address-list"); l != "" && !strings.HasPrefix(l, "!") {
				required[l] = true
			}
		}
	}
	var lists []string
	for _, a := range adders {
		if l := a.prop("address-list"); !slices.Contains(lists, l) {
			lists = append(lists, l)
		}
	}
	for _, list := range lists {
		grant := ch.grantRule(list)
		if grant == nil {
			if required[list] {
				continue // a stage of another chain
			}
			if drop := ch.dropRule(list); drop != nil {
				leaveOut(list, "%s drops sources on it: a blocklist (such as a brute-force ladder), not a knock", drop)
			} else {
				leaveOut(list, "no rule accepts sources on it")
			}
			continue
		}
		k, err := r.knock(ch, list, grant, adders)
		if err != nil {
			leaveOut(list, "%v", err)
			continue
		}
		rd.Knocks = append(rd.Knocks, k)
	}
}

// grantRule is the first rule that lets list in: an accept from it, or a
// drop of all sources but it.
func (ch chains) grantRule(list string) *rosRule {
	for _, rules := range [][]*rosRule{ch.input, ch.forward} {
		for _, rule := range rules {
			if rule.disabled() {
				continue
			}
			src := rule.prop("src-address-list")
			if src == list && rule.action() == "accept" && rule.table == "filter" ||
				src == "!"+list && (rule.action() == "drop" || rule.action() == "reject") {
				return rule
			}
		}
	}
	return nil
}

// dropRule is the first rule that drops sources on list.
func (ch chains) dropRule(list string) *rosRule {
	for _, rule := range append(slices.Clip(ch.input), ch.forward...) {
		if !rule.disabled() && rule.prop("src-address-list") == list && slices.Contains([]string{"drop", "reject", "tarpit"}, rule.action()) {
			return rule
		}
	}
	return nil
}

// knock follows list back to the chain's first stage, reads each stage as
// a step, and walks the steps through the rules.
func (r *reader) knock(ch chains, list string, grant *rosRule, adders []*rosRule) (Found, error) {
	k := Found{List: list, Family: ch.f.knockFamily()}
	var stages []*rosRule
	seen := []string{list}
	for cur := list; ; {
		var pick, off *rosRule
		others := 0
		for _, a := range adders {
			need := a.prop("src-address-list")
			switch {
			case a.prop("address-list") != cur:
			case need != "" && !strings.HasPrefix(need, "!") && slices.Contains(seen, need):
				// Refreshes an entry (allow → allow) or loops: no stage.
			case a.disabled():
				off = cmp(off, a)
			case pick == nil:
				pick = a
			default:
				others++
			}
		}
		if pick == nil {
			if off != nil {
				return Found{}, fmt.Errorf("%s, which adds to list %s, is disabled", off, cur)
			}
			if len(stages) == 0 {
				return Found{}, errors.New("no rule adds to it from a packet")
			}
			return Found{}, fmt.Errorf("a stage needs list %s, which no rule adds to", cur)
		}
		if others > 0 {
			k.Warnings = append(k.Warnings, fmt.Sprintf("other rules add to list %s too; the chain through %s is read", cur, pick))
		}
		if pick.item.Unsure != "" {
			return Found{}, fmt.Errorf("%s cannot be read: %s", pick, pick.item.Unsure)
		}
		stages = append(stages, pick)
		if len(stages) > maxStages {
			return Found{}, fmt.Errorf("more than %d stages", maxStages)
		}
		need := pick.prop("src-address-list")
		if need == "" || strings.HasPrefix(need, "!") {
			break
		}
		seen = append(seen, need)
		cur = need
	}
	slices.Reverse(stages)
	for i, sg := range stages {
		st, warns, err := r.stageStep(ch.f, sg)
		if err != nil {
			return Found{}, fmt.Errorf("step %d (%s): %v", i+1, sg, err)
		}
		k.Steps = append(k.Steps, st)
		for _, w := range warns {
			k.Warnings = append(k.Warnings, fmt.Sprintf("step %d: %s", i+1, w))
		}
		if i < len(stages)-1 && sg.prop("address-list-timeout") == "" {
			k.Warnings = append(k.Warnings, fmt.Sprintf("step %d's list has no timeout: a source stays on it until the router restarts", i+1))
		}
	}
	last := stages[len(stages)-1]
	timeout, err := rosscript.ParseTime(last.prop("address-list-timeout"))
	if last.prop("address-list-timeout") != "" && err != nil {
		return Found{}, fmt.Errorf("%s: address-list-timeout: %v", last, err)
	}
	k.Timeout = timeout
	if timeout == 0 {
		k.Warnings = append(k.Warnings, fmt.Sprintf("list %s has no timeout: a knock keeps the port open until the router restarts", list))
	}
	k.Protect = grantProtect(grant)
	k.stages, k.grant = stages, grant
	if err := r.walkKnock(ch, &k, grant); err != nil {
		return Found{}, err
	}
	return k, nil
}

// maxStages bounds a chain: no profile holds more steps.
const maxStages = 100

func cmp(a, b *rosRule) *rosRule {
	if a == nil {
		return b
	}
	return a
}

// grantProtect is the service a grant rule opens: its first TCP port, else
// its first UDP one.
func grantProtect(g *rosRule) Protect {
	proto := g.prop("protocol")
	ports, err := parsePorts(g.prop("dst-port"))
	if err != nil || ports.negated || len(ports.ranges) == 0 {
		return Protect{}
	}
	switch proto {
	case "tcp", "6":
		return Protect{Proto: knock.TCP, Port: ports.ranges[0][0]}
	case "udp", "17":
		return Protect{Proto: knock.UDP, Port: ports.ranges[0][0]}
	}
	return Protect{}
}

// stageStep reads one stage rule as the step that passes it.
func (r *reader) stageStep(f family, sg *rosRule) (knock.Step, []string, error) {
	var warns []string
	p := sg.item.Props
	var st knock.Step
	proto := p["protocol"]
	if g := sg.guardProp("protocol"); proto == "" {
		proto = g
	}
	switch proto {
	case "tcp", "6":
		st.Proto = knock.TCP
	case "udp", "17":
		st.Proto = knock.UDP
	case f.rosICMP, map[string]string{"icmp": "1", "icmpv6": "58"}[f.rosICMP]:
		st.Proto = knock.ICMP
	case "icmp", "icmpv6", "1", "58":
		return st, nil, fmt.Errorf("protocol=%s never matches in %s", proto, f.rosMenu+" "+sg.table)
	case "":
		return st, nil, errors.New("it matches any protocol, and Knocker sends one")
	default:
		return st, nil, fmt.Errorf("knocks are TCP, UDP or ICMP, not protocol=%s", excerptText(proto))
	}
	if sg.table == "raw" {
		for _, k := range []string{"layer7-protocol", "connection-state"} {
			if p[k] != "" {
				return st, nil, fmt.Errorf("%s= needs connection tracking, which the raw table comes before: RouterOS refuses it there", k)
			}
		}
	}
	if st.Proto != knock.ICMP {
		dp := p["dst-port"]
		if dp == "" {
			dp = sg.guardProp("dst-port")
		}
		ports, err := parsePorts(dp)
		switch {
		case err != nil:
			return st, nil, fmt.Errorf("dst-port: %v", err)
		case dp == "":
			return st, nil, fmt.Errorf("it matches any %s port: a knock needs one", st.Proto)
		case ports.negated:
			return st, nil, errors.New("it matches every port but the ones it names")
		}
		st.Port = ports.ranges[0][0]
		if len(ports.ranges) > 1 || ports.ranges[0][0] != ports.ranges[0][1] {
			warns = append(warns, fmt.Sprintf("any port of %s works; Knocker knocks the first", dp))
		}
	} else if o := p["icmp-options"]; o != "" {
		if !icmpOptionsMatch(o, f.icmpEchoType(), 0) {
			return st, nil, fmt.Errorf("icmp-options=%s is not an echo request, which is what Knocker sends", excerptText(o))
		}
	}
	data, exact, payWarns, err := r.stagePayload(f, sg, st.Proto)
	if err != nil {
		return st, nil, err
	}
	warns = append(warns, payWarns...)
	switch {
	case exact:
		st.Payload = textOrHex(data)
	case len(data) > 0:
		st.Payload = knock.Payload{Data: data, Encoding: knock.Size}
	case st.Proto == knock.UDP:
		st.Payload = knock.KnockZeroByte()
	}
	warns = append(warns, unknownMatchers(sg)...)
	return st, warns, st.Validate()
}

func (r *rosRule) guardProp(k string) string {
	for _, g := range slices.Backward(r.guards) {
		if v := g[k]; v != "" {
			return v
		}
	}
	return ""
}

// stagePayload reads a stage's payload: the bytes content= or a layer-7
// pattern wants (exact), or the size packet-size asks for (zero bytes).
func (r *reader) stagePayload(f family, sg *rosRule, proto knock.Proto) (data []byte, exact bool, warns []string, err error) {
	p := sg.item.Props
	size := -1
	if ps := p["packet-size"]; ps != "" {
		lo, hi, err := parseRange(ps, 65535)
		if err != nil {
			return nil, false, nil, fmt.Errorf("packet-size: %v", err)
		}
		if lo != hi {
			warns = append(warns, fmt.Sprintf("any packet size of %s works; Knocker sends the smallest", ps))
		}
		if proto == knock.TCP {
			return nil, false, nil, errors.New("packet-size on a TCP step: Knocker's TCP knock is a SYN whose size the system chooses")
		}
		size = lo - f.ipHeader - 8
		if size < 0 {
			if hi-f.ipHeader-8 < 0 {
				return nil, false, nil, fmt.Errorf("packet-size=%s is smaller than any %s %s packet (%d bytes of headers)", ps, f.label, proto, f.ipHeader+8)
			}
			size = 0
		}
		if size > knock.MaxPayload {
			return nil, false, nil, fmt.Errorf("packet-size=%s is more than one packet carries", ps)
		}
	}
	var want []byte
	matchers := 0
	if c, ok := p["content"]; ok {
		matchers++
		if proto == knock.TCP {
			return nil, false, nil, errors.New("content= on a TCP step: Knocker's TCP knock is a bare SYN, without data")
		}
		want = []byte(c)
	}
	if name, ok := p["layer7-protocol"]; ok {
		matchers++
		re, found := r.layer7(name)
		switch {
		case f != ipv4:
			return nil, false, nil, errors.New("layer7-protocol= in /ipv6: RouterOS has layer-7 matching for IPv4 only")
		case !found:
			return nil, false, nil, fmt.Errorf("layer7-protocol=%s is not defined in this text (/ip firewall layer7-protocol)", excerptText(name))
		case proto == knock.TCP:
			return nil, false, nil, errors.New("layer7-protocol= on a TCP step: Knocker's TCP knock is a bare SYN, without data")
		}
		lit, w, err := layer7Payload(re, size)
		if err != nil {
			return nil, false, nil, fmt.Errorf("layer7-protocol=%s: %v", excerptText(name), err)
		}
		warns = append(warns, w...)
		if want != nil && string(lit) != string(want) {
			return nil, false, nil, errors.New("content= and layer7-protocol= want different payloads")
		}
		want = lit
	}
	switch {
	case matchers == 0 && size < 0:
		return nil, false, warns, nil
	case matchers == 0:
		return make([]byte, size), false, warns, nil
	case len(want) == 0:
		return nil, false, nil, errors.New("it wants an empty payload text")
	case size >= 0 && size != len(want):
		return nil, false, nil, fmt.Errorf("packet-size=%s leaves %d payload bytes, but the payload it wants has %d", p["packet-size"], size, len(want))
	case size < 0 && p["content"] != "":
		warns = append(warns, "content= matches anywhere in a packet, and Knocker sends exactly it")
	}
	return want, true, warns, nil
}

// layer7 is the pattern named name.
func (r *reader) layer7(name string) (string, bool) {
	for _, it := range r.cfg.Menus[rosLayer7] {
		if it.Props["name"] == name && it.Props["disabled"] != "yes" {
			return it.Props["regexp"], true
		}
	}
	return "", false
}

// textOrHex keeps a payload of printable text as text, anything else as hex.
func textOrHex(data []byte) knock.Payload {
	if utf8.Valid(data) && !slices.ContainsFunc(data, func(c byte) bool { return c < 0x20 || c == 0x7f }) {
		return knock.Payload{Data: data, Encoding: knock.Text}
	}
	return knock.Payload{Data: data, Encoding: knock.Hex}
}

// unknownMatchers are what a stage rule also asks that Knocker cannot
// choose, such as the interface or the source address.
func unknownMatchers(sg *rosRule) []string {
	var w []string
	for _, k := range slices.Sorted(mapKeys(sg.item.Props)) {
		if matcherKnown(k) {
			continue
		}
		w = append(w, fmt.Sprintf("its rule also asks for %s=%s, which Knocker cannot check", k, excerptText(sg.item.Props[k])))
	}
	return w
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// mergeFamilies makes one knock of an IPv4 and an IPv6 one that are the
// same (this package writes both for a host name).
func mergeFamilies(ks []Found) []Found {
	var out []Found
	for _, k := range ks {
		i := slices.IndexFunc(out, func(o Found) bool {
			return o.Family == knock.IPv4 && k.Family == knock.IPv6 && o.List == k.List && o.Timeout == k.Timeout &&
				o.Protect == k.Protect && slices.EqualFunc(o.Steps, k.Steps, sameStep)
		})
		if i >= 0 {
			out[i].Family = knock.Auto
			continue
		}
		out = append(out, k)
	}
	return out
}

func sameStep(a, b knock.Step) bool {
	return a.Proto == b.Proto && a.Port == b.Port && string(a.Payload.Data) == string(b.Payload.Data) &&
		(a.Payload.Encoding == knock.Size) == (b.Payload.Encoding == knock.Size)
}

func familyLabel(f knock.Family) string {
	switch f {
	case knock.IPv4:
		return "IPv4"
	case knock.IPv6:
		return "IPv6"
	}
	return "IPv4 and IPv6"
}

// portSet is a dst-port value: ports and ranges, or all but them.
type portSet struct {
	ranges  [][2]uint16
	negated bool
}

func parsePorts(v string) (portSet, error) {
	var s portSet
	if v == "" {
		return s, nil
	}
	v, s.negated = strings.CutPrefix(v, "!")
	for _, item := range strings.Split(v, ",") {
		lo, hi, err := parseRange(item, 65535)
		if err != nil || lo == 0 {
			return portSet{}, fmt.Errorf("%q is not a port, a range or a list of them", excerptText(v))
		}
		s.ranges = append(s.ranges, [2]uint16{uint16(lo), uint16(hi)})
	}
	return s, nil
}

func (s portSet) has(port uint16) bool {
	for _, r := range s.ranges {
		if port >= r[0] && port <= r[1] {
			return !s.negated
		}
	}
	return s.negated
}

// parseRange reads N or N-M, each at most limit.
func parseRange(v string, limit int) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(strings.TrimSpace(v), "-")
	lo, err1 := strconv.Atoi(a)
	hi, err2 := lo, error(nil)
	if isRange {
		hi, err2 = strconv.Atoi(b)
	}
	if err1 != nil || err2 != nil || lo < 0 || hi < lo || hi > limit {
		return 0, 0, fmt.Errorf("%q is not a number or range 0-%d", excerptText(v), limit)
	}
	return lo, hi, nil
}

// icmpOptionsMatch reports whether icmp-options=o (TYPE[:CODE[-CODE]], or
// a range of types) lets an ICMP packet of this type and code through.
func icmpOptionsMatch(o string, typ, code int) bool {
	neg := strings.HasPrefix(o, "!")
	o = strings.TrimPrefix(o, "!")
	t, c, hasCode := strings.Cut(o, ":")
	tlo, thi, err := parseRange(t, 255)
	if err != nil {
		return false
	}
	ok := typ >= tlo && typ <= thi
	if hasCode {
		clo, chi, err := parseRange(c, 255)
		ok = ok && err == nil && code >= clo && code <= chi
	}
	return ok != neg
}

func (f family) knockFamily() knock.Family {
	if f == ipv6 {
		return knock.IPv6
	}
	return knock.IPv4
}

func (f family) icmpEchoType() int {
	if f == ipv6 {
		return 128
	}
	return 8
}
