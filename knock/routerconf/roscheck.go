package routerconf

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/routerconf/rosscript"
)

// Verdict is whether a router's rules let a knock in.
type Verdict struct {
	OK bool
	// Through the list that let the knock in, its timeout and the service.
	List    string
	Timeout time.Duration
	Protect Protect
	// Reason is the first disagreement between the knock and the rules.
	Reason   string
	Warnings []string
}

func (v Verdict) String() string {
	switch {
	case !v.OK:
		return v.Reason
	}
	timeout := "no timeout"
	if v.Timeout > 0 {
		timeout = formatDuration(v.Timeout)
	}
	return fmt.Sprintf("the router's rules let this knock in (through list %s, %s, %s)", v.List, timeout, v.Protect)
}

// CheckRouterOS walks a knock (steps, from family fam) through the rules of
// RouterOS configuration text, then a connection to protect, and says
// whether it gets in, or where the knock and the rules first disagree. The
// verdict names ports and lengths, never payload bytes. For a knock of
// either family (Auto), each family that has a knock in the text must
// let it in.
func CheckRouterOS(text string, steps []knock.Step, fam knock.Family, protect Protect) (Verdict, error) {
	r, rd, err := readRouterOS(text)
	if err != nil {
		return Verdict{}, err
	}
	fams := []family{ipv4}
	switch fam {
	case knock.IPv6:
		fams = []family{ipv6}
	case knock.IPv4:
	default:
		if slices.ContainsFunc(rd.Knocks, func(k Found) bool { return k.Family != knock.IPv4 }) {
			fams = []family{ipv4, ipv6}
			if !slices.ContainsFunc(rd.Knocks, func(k Found) bool { return k.Family != knock.IPv6 }) {
				fams = []family{ipv6}
			}
		}
	}
	var v Verdict
	for _, f := range fams {
		v = r.check(f, rd, steps, protect)
		if err := r.overBudget(); err != nil {
			return Verdict{}, err
		}
		if !v.OK {
			if len(fams) > 1 {
				v.Reason = f.label + ": " + v.Reason
			}
			return v, nil
		}
	}
	return v, nil
}

func (r *reader) check(f family, rd Reading, steps []knock.Step, protect Protect) Verdict {
	ch := r.chains(f)
	path := ch.input
	for _, k := range rd.Knocks {
		if k.Protect == protect && k.Family != f.otherKnockFamily() && strings.HasPrefix(k.grant.path, "forward") {
			path = ch.forward
		}
	}
	// A stage rule of a knock the reader found takes the step it is for
	// whatever else it asks that Knocker cannot tell, as the reader did.
	stages := map[*rosRule]bool{}
	for _, k := range rd.Knocks {
		for _, sg := range k.stages {
			stages[sg] = true
		}
	}
	isStage := func(r *rosRule) bool { return stages[r] }
	lists := map[string]bool{}
	var added []*rosRule
	for _, st := range steps {
		w := r.walk(ch.input, stepPacket(f, st, lists), isStage)
		added = append(added, w.added...)
	}
	list, w := r.letIn(path, f, protect, lists, added)
	if list == nil {
		return Verdict{Reason: r.disagreement(f, rd, steps, protect, w)}
	}
	v := Verdict{OK: true, Protect: protect, Warnings: w.maybes, List: list.prop("address-list")}
	v.Timeout, _ = parseTimeout(list.prop("address-list-timeout"))
	if r.walk(path, r.checkPacket(f, protect, map[string]bool{}), nil).verdict == "accept" {
		v.Warnings = append(v.Warnings, fmt.Sprintf("%s is open without the knock too", protect))
	}
	return v
}

// letIn walks a connection to protect from a source on lists, which the
// rules added put it on, and returns the rule that added the list that let
// it in: the list the accepting rule asks for, or else the one without
// which it would not get in. It is nil when the connection does not get in,
// or gets in whatever the lists.
func (r *reader) letIn(path []*rosRule, f family, protect Protect, lists map[string]bool, added []*rosRule) (*rosRule, walked) {
	w := r.walk(path, r.checkPacket(f, protect, lists), grantFor(lists))
	if w.verdict != "accept" {
		return nil, w
	}
	need := ""
	if w.stop != nil && lists[w.stop.prop("src-address-list")] {
		need = w.stop.prop("src-address-list")
	}
	for _, a := range slices.Backward(added) {
		l := a.prop("address-list")
		if need != "" {
			if l == need {
				return a, w
			}
			continue
		}
		without := map[string]bool{}
		for k := range lists {
			without[k] = k != l
		}
		if r.walk(path, r.checkPacket(f, protect, without), grantFor(without)).verdict != "accept" {
			return a, w
		}
	}
	return nil, w
}

func (f family) otherKnockFamily() knock.Family {
	if f == ipv6 {
		return knock.IPv4
	}
	return knock.IPv6
}

// disagreement finds where steps and the router's knock part: the knock
// for the same service if there is one, else the closest.
func (r *reader) disagreement(f family, rd Reading, steps []knock.Step, protect Protect, final walked) string {
	var best *Found
	bestScore := -1
	for i := range rd.Knocks {
		k := &rd.Knocks[i]
		if k.Family == f.otherKnockFamily() {
			continue
		}
		score := 0
		if k.Protect == protect {
			score += 1000
		}
		for j := range min(len(k.Steps), len(steps)) {
			if t, _ := r.match(k.stages[j], r.stagePacket(f, k, j, steps[j])); t == no {
				break
			}
			score++
		}
		if score > bestScore {
			best, bestScore = k, score
		}
	}
	if best == nil {
		for _, l := range rd.LeftOut {
			if l.Family == f.knockFamily() {
				return fmt.Sprintf("%s (left out: %s)", errNoKnock, l)
			}
		}
		return errNoKnock.Error()
	}
	k := best
	for i := range min(len(k.Steps), len(steps)) {
		if t, _ := r.match(k.stages[i], r.stagePacket(f, k, i, steps[i])); t == no {
			return fmt.Sprintf("step %d: %s", i+1, stepDifference(k.stages[i], k.Steps[i], steps[i], f))
		}
	}
	if len(k.Steps) != len(steps) {
		return fmt.Sprintf("the router wants %d steps (list %s), this profile sends %d", len(k.Steps), k.List, len(steps))
	}
	lists := map[string]bool{}
	for i, st := range steps {
		w := r.walk(r.chains(f).input, stepPacket(f, st, lists), nil)
		if !slices.Contains(w.added, k.stages[i]) && w.stop != nil {
			return fmt.Sprintf("step %d never reaches the router's rule for it: %s %ss it first", i+1, w.stop, w.stop.action())
		}
	}
	if k.Protect != protect && k.Protect.Port != 0 {
		return fmt.Sprintf("no rule lets the final list reach %s (list %s opens %s)", protect, k.List, k.Protect)
	}
	switch {
	case final.verdict == "accept":
		return fmt.Sprintf("%s is open to all: the knock opens nothing", protect)
	case final.stop != nil:
		return fmt.Sprintf("no rule lets the final list reach %s: %s drops it", protect, final.stop)
	}
	return fmt.Sprintf("no rule lets the final list reach %s", protect)
}

// stagePacket is step st sent as step i of k, from a source on the lists
// of the stages before it.
func (r *reader) stagePacket(f family, k *Found, i int, st knock.Step) packet {
	lists := map[string]bool{}
	for _, sg := range k.stages[:i] {
		lists[sg.prop("address-list")] = true
	}
	return stepPacket(f, st, lists)
}

// stepDifference says how the profile's step misses the router's rule:
// by protocol and port, by payload length, or by payload bytes (never
// shown: they are secret).
func stepDifference(sg *rosRule, want, got knock.Step, f family) string {
	wantPorts := sg.prop("dst-port")
	ports, _ := parsePorts(wantPorts)
	if want.Proto != got.Proto || want.Proto != knock.ICMP && !ports.has(got.Port) {
		return fmt.Sprintf("the router wants %s, this profile sends %s", stepTarget(want.Proto, wantPorts), stepTarget(got.Proto, fmt.Sprint(got.Port)))
	}
	size := len(want.Payload.Data)
	if ps := sg.prop("packet-size"); ps != "" || want.Payload.Encoding != knock.Size {
		if lo, hi, err := parseRange(ps, 65535); err == nil && ps != "" {
			n := f.ipHeader + 8 + len(got.Payload.Data)
			if n < lo || n > hi {
				if lo != hi {
					return fmt.Sprintf("the router wants %d-%d payload bytes, this profile sends %d", lo-f.ipHeader-8, hi-f.ipHeader-8, len(got.Payload.Data))
				}
				return fmt.Sprintf("the router wants %d payload bytes, this profile sends %d", size, len(got.Payload.Data))
			}
		}
		if want.Payload.Encoding != knock.Size && len(got.Payload.Data) != size && sg.prop("packet-size") == "" && sg.prop("content") == "" {
			return fmt.Sprintf("the router wants %d payload bytes, this profile sends %d", size, len(got.Payload.Data))
		}
		if want.Payload.Encoding != knock.Size {
			return "the router wants other payload bytes than this profile sends"
		}
	}
	return fmt.Sprintf("it does not pass the router's rule, %s", sg)
}

func stepTarget(p knock.Proto, ports string) string {
	if p == knock.ICMP {
		return "icmp"
	}
	return p.String() + "/" + ports
}

// parseTimeout reads an address-list-timeout; none is 0.
func parseTimeout(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	return rosscript.ParseTime(v)
}
