// Package routerconf writes the router side of a knock sequence: RouterOS
// firewall commands and an nftables ruleset with the same meaning. Both are
// generated from one Spec, so the client and the router cannot disagree.
//
// The model is RouterOS's: every step but the last adds the source address to
// a stage list with a short timeout, each later step only counts from an
// address in the previous stage's list, the last step adds it to the final
// list, and the protected port accepts only sources in that final list.
package routerconf

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/knocker/knocker/knock"
)

// Matcher chooses how RouterOS matches a payload. nftables always compares
// the raw bytes.
type Matcher uint8

const (
	// Content uses content= with packet-size=, cheap and available for IPv6.
	Content Matcher = iota
	// Layer7 uses a layer7-protocol regexp "^…$". RouterOS has it for IPv4
	// only, lowercases the data before matching and drops NUL bytes.
	Layer7
)

// Protect is the service the knock opens.
type Protect struct {
	Proto knock.Proto // TCP or UDP
	Port  uint16
}

func (p Protect) String() string { return p.Proto.String() + "/" + strconv.Itoa(int(p.Port)) }

// Spec is everything the router needs to know about a knock sequence.
type Spec struct {
	// Name becomes part of list, table and rule names: a letter, then up to 31
	// letters, digits, "_" or "-".
	Name  string
	Steps []knock.Step
	// Timeout is how long the final list keeps a source; 0 means DefaultTimeout.
	Timeout time.Duration
	// StageTimeout is how long a stage list keeps a source while it sends the
	// next step; 0 means DefaultStageTimeout plus the longest delay.
	StageTimeout time.Duration
	Protect      Protect
	// Family IPv4 or IPv6 writes rules for that family only; any other value
	// writes both, since a host with both addresses may knock over either.
	Family  knock.Family
	Matcher Matcher
	// LANList is the RouterOS interface list whose new connections the
	// protected port lets in without a knock, as defconf's "drop all not
	// coming from LAN" does: "" means DefaultLANList, NoLANList none.
	LANList string
	// Table, when set, puts the nftables rules into that existing table, as
	// a chain its input chain jumps to, instead of into tables of their own.
	Table NFTTable
}

// NFTTable names an existing nftables table.
type NFTTable struct {
	Family string // ip, ip6 or inet
	Name   string
}

func (t NFTTable) String() string { return t.Family + " " + t.Name }

// nftIdent is what nft(8) reads as a bare table, chain or set name.
var nftIdent = identifier{first: "_", rest: "_.-", max: 64}

// ParseNFTTable reads FAMILY:NAME, such as inet:filter.
func ParseNFTTable(s string) (NFTTable, error) {
	family, name, ok := strings.Cut(s, ":")
	t := NFTTable{Family: family, Name: name}
	if !ok || !slices.Contains([]string{"ip", "ip6", "inet"}, family) || !nftIdent.matches(name) {
		return NFTTable{}, fmt.Errorf("%q is not FAMILY:NAME with FAMILY ip, ip6 or inet (e.g. inet:filter)", s)
	}
	return t, nil
}

// Interface lists for Spec.LANList.
const (
	DefaultLANList = "LAN"  // defconf's list of the LAN side
	NoLANList      = "none" // RouterOS's built-in empty list: no interface is spared
)

// rosName is an interface list name RouterOS reads without quotes.
var rosName = identifier{first: "_", digitFirst: true, rest: "_.-", max: 64}

// Defaults for a Spec's zero values.
const (
	DefaultTimeout      = 2 * time.Hour
	DefaultStageTimeout = 30 * time.Second
	// StageSlack is the least a stage timeout must exceed the delay before
	// the next step, for scheduling jitter and the trip to the router.
	StageSlack = time.Second
	// MaxTimeout bounds both timeouts: a year is past any knock's use, and
	// keeps rounding and the routers' timers far from overflowing.
	MaxTimeout = 365 * 24 * time.Hour
)

var knockName = identifier{rest: "_-", max: 32}

// stage is one step as the router sees it: the list a source must already be
// in (none for the first step), and the list it joins.
type stage struct {
	index   int
	count   int
	step    knock.Step
	from    string
	to      string
	timeout time.Duration
}

// plan is a validated Spec with its defaults filled in.
type plan struct {
	name     string
	stages   []stage
	lists    []string // stage lists in order, then the final list
	protect  Protect
	timeout  time.Duration
	families []family
	matcher  Matcher
	lanList  string
	table    NFTTable
}

// finalList is the list (nftables: set) of sources the protected port accepts.
const finalList = "allow"

func stageList(i int) string { return "stage" + strconv.Itoa(i+1) }

func newPlan(s Spec) (*plan, error) {
	if !knockName.matches(s.Name) {
		return nil, errors.New("name must be a letter followed by up to 31 letters, digits, _ or -")
	}
	if len(s.Steps) == 0 {
		return nil, knock.ErrNoSteps
	}
	var maxDelay time.Duration
	for i, st := range s.Steps {
		if err := st.Validate(); err != nil {
			return nil, &knock.StepError{Index: i, Err: err}
		}
		if i > 0 {
			maxDelay = max(maxDelay, st.Delay)
		}
	}
	if s.Protect.Proto != knock.TCP && s.Protect.Proto != knock.UDP {
		return nil, errors.New("the protected service must be tcp or udp")
	}
	if s.Protect.Port == 0 {
		return nil, errors.New("protected port 0 is out of range (want 1-65535)")
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if timeout < 0 || timeout > MaxTimeout {
		return nil, fmt.Errorf("timeout must be positive and at most %s", formatDuration(MaxTimeout))
	}
	stageTimeout := s.StageTimeout
	if stageTimeout == 0 {
		stageTimeout = DefaultStageTimeout + maxDelay
	}
	if stageTimeout < 0 || stageTimeout > MaxTimeout {
		return nil, fmt.Errorf("stage timeout must be positive and at most %s", formatDuration(MaxTimeout))
	}
	// The RouterOS manual shows address list timeouts in whole seconds only;
	// rounding up keeps a list entry at least as long as asked, on either
	// router, and the two outputs the same.
	timeout, stageTimeout = roundUpToSecond(timeout), roundUpToSecond(stageTimeout)
	if len(s.Steps) > 1 && stageTimeout < maxDelay+StageSlack {
		return nil, fmt.Errorf("stage timeout %s is too short for a %s delay between steps (want at least %s)",
			formatDuration(stageTimeout), formatDuration(maxDelay), formatDuration(maxDelay+StageSlack))
	}
	if s.Matcher != Content && s.Matcher != Layer7 {
		return nil, fmt.Errorf("unknown matcher %d", s.Matcher)
	}

	lanList := s.LANList
	if lanList == "" {
		lanList = DefaultLANList
	}
	if !rosName.matches(lanList) {
		return nil, errors.New("the LAN interface list's name must be letters, digits, _, . or - (at most 64)")
	}
	p := &plan{name: s.Name, protect: s.Protect, timeout: timeout, matcher: s.Matcher, lanList: lanList, table: s.Table}
	switch s.Family {
	case knock.IPv4:
		p.families = []family{ipv4}
	case knock.IPv6:
		p.families = []family{ipv6}
	default:
		p.families = []family{ipv4, ipv6}
	}
	if s.Table != (NFTTable{}) {
		if err := p.fitTable(); err != nil {
			return nil, err
		}
	}
	for i, st := range s.Steps {
		sg := stage{index: i, count: len(s.Steps), step: st, to: finalList, timeout: timeout}
		if i > 0 {
			sg.from = stageList(i - 1)
		}
		if i < len(s.Steps)-1 {
			sg.to, sg.timeout = stageList(i), stageTimeout
			p.lists = append(p.lists, sg.to)
		}
		p.stages = append(p.stages, sg)
	}
	p.lists = append(p.lists, finalList)
	return p, nil
}

// reversed gives the stages last first. Rules are written in that order
// because adding to a list does not end rule processing: were stage 1's rule
// first, a packet that completes stage 1 could at once satisfy stage 2's rule
// when both steps use the same port, and one packet would count twice.
func (p *plan) reversed() []stage {
	r := make([]stage, len(p.stages))
	for i, sg := range p.stages {
		r[len(r)-1-i] = sg
	}
	return r
}

// exactPayload reports whether a step's payload bytes must be matched; a
// "size:N" payload asks only for the length, as RouterOS packet-size does.
func exactPayload(s knock.Step) bool {
	return len(s.Payload.Data) > 0 && s.Payload.Encoding != knock.Size
}

// lengthMatched reports whether a step is matched by its packet's length.
func lengthMatched(s knock.Step) bool {
	return s.Proto == knock.ICMP || len(s.Payload.Data) > 0
}

// fitTable keeps the families the existing table can see: an ip table only
// IPv4, an ip6 table only IPv6, an inet table both.
func (p *plan) fitTable() error {
	if _, err := ParseNFTTable(p.table.Family + ":" + p.table.Name); err != nil {
		return err
	}
	want := map[string]family{"ip": ipv4, "ip6": ipv6}
	f, single := want[p.table.Family]
	if !single {
		return nil
	}
	if !slices.Contains(p.families, f) {
		return fmt.Errorf("table %s sees %s only, but these rules are for %s", p.table, f.label, p.families[0].label)
	}
	p.families = []family{f}
	return nil
}

func roundUpToSecond(d time.Duration) time.Duration {
	return (d + time.Second - 1) / time.Second * time.Second
}

// formatDuration writes d the way both RouterOS and nft read it: "2h",
// "1m30s", "500ms", "1d12h".
func formatDuration(d time.Duration) string {
	units := []struct {
		suffix string
		size   time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}}
	var b strings.Builder
	for _, u := range units {
		if n := d / u.size; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteString(u.suffix)
			d -= n * u.size
		}
	}
	if b.Len() == 0 {
		return "0s"
	}
	return b.String()
}

// family holds what differs between the IPv4 and the IPv6 rules.
type family struct {
	label      string
	ipHeader   int    // bytes before the ICMP or UDP header
	rosMenu    string // RouterOS menu prefix
	rosSuffix  string // tells the script's variables for each family apart
	rosICMP    string // protocol= value
	rosEcho    string // icmp-options= value for an echo request
	nftFamily  string // table family
	nftSaddr   string
	nftAddr    string // set type
	nftEcho    string
	nftIPLen   string // header field holding the packet length
	nftLenBias int    // subtracted from the packet size for that field
}

var (
	ipv4 = family{
		label: "IPv4", ipHeader: 20, rosMenu: "/ip firewall", rosSuffix: "4", rosICMP: "icmp", rosEcho: "8:0",
		nftFamily: "ip", nftSaddr: "ip saddr", nftAddr: "ipv4_addr", nftEcho: "icmp type echo-request",
		nftIPLen: "ip length", nftLenBias: 0,
	}
	// IPv6's payload length field leaves out the 40-byte fixed header.
	ipv6 = family{
		label: "IPv6", ipHeader: 40, rosMenu: "/ipv6 firewall", rosSuffix: "6", rosICMP: "icmpv6", rosEcho: "128:0",
		nftFamily: "ip6", nftSaddr: "ip6 saddr", nftAddr: "ipv6_addr", nftEcho: "icmpv6 type echo-request",
		nftIPLen: "ip6 length", nftLenBias: 40,
	}
)

// packetSize is the whole IP packet's length for a step: RouterOS
// packet-size, e.g. payload + 28 for ICMP or UDP over IPv4, + 48 over IPv6.
func (f family) packetSize(s knock.Step) int {
	return f.ipHeader + 8 + len(s.Payload.Data)
}

// HostFamily picks the rules' address family for a client that knocks host
// with family f: f when it allows one family only, else the family of an
// address literal; a host name may knock over either, so it gets both.
func HostFamily(host string, f knock.Family) knock.Family {
	if f == knock.IPv4 || f == knock.IPv6 {
		return f
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if a.Unmap().Is4() {
			return knock.IPv4
		}
		return knock.IPv6
	}
	return knock.Auto
}

// identifier is a name of ASCII letters and digits plus a few punctuation
// marks, checked by hand: the equivalent regexps, with their counted
// repetitions, cost more to compile at every start than a whole knock.
type identifier struct {
	first      string // punctuation allowed first, besides a letter
	digitFirst bool   // a digit may come first
	rest       string // punctuation allowed after the first character
	max        int    // the longest name, in bytes
}

func (id identifier) matches(s string) bool {
	if s == "" || len(s) > id.max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9':
			if i == 0 && !id.digitFirst {
				return false
			}
		case i == 0:
			if !strings.ContainsRune(id.first, rune(c)) {
				return false
			}
		default:
			if !strings.ContainsRune(id.rest, rune(c)) {
				return false
			}
		}
	}
	return true
}
