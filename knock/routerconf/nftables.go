package routerconf

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/knocker/knocker/knock"
)

// Limits of nftables as tested with nft 1.0.6 on Linux 6.x: one raw payload
// match compares at most 128 bits ("Value too large for defined data type"
// beyond), and a rule holds at most 128 expressions, which a 1000-byte
// payload already exceeds. Longer payloads are split over several matches,
// and past chunksPerRule matches over a chain of helper chains.
const (
	chunkBytes    = 16
	chunksPerRule = 48
)

// NFTables writes an nftables ruleset for s, for `nft -f`: a set per stage
// and the final set "allow", all with timeouts, and the rules in a chain.
// Knock rules use `update`, so a repeated knock refreshes an entry's timer
// as a RouterOS re-add does. The protected port accepts sources in "allow"
// and answers other new connections with a TCP reset (or ICMP port
// unreachable for UDP); established and related traffic is never touched.
//
// Without s.Table the rules go into a table of their own per address
// family, knocker-NAME, whose input chain hooks input with policy accept. A
// packet accepted there can still be dropped by another table, such as a
// host firewall's; with s.Table they go into that existing table as a
// chain named knocker-NAME that the table's input chain must jump to.
//
// Loading the file again is safe over the connection it protects: the sets
// are declared as they are (so they keep their members), and the chains
// are flushed and filled in the same transaction. Only the table of a
// family the rules no longer cover is deleted, so a knock over that family
// stops opening the port.
func NFTables(s Spec) (string, error) {
	p, err := newPlan(s)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("#!/usr/sbin/nft -f\n")
	fmt.Fprintf(&b, "# Knocker %s: %d-step knock opening %s for %s", p.name, len(p.stages), p.protect, formatDuration(p.timeout))
	if p.table == (NFTTable{}) {
		b.WriteString(".\n")
		p.writeReloadNote(&b)
		b.WriteString("# These tables accept on their own: a drop in another table, a host\n")
		b.WriteString("# firewall's, still drops. Then use router-config --table FAMILY:NAME.\n")
		var tables []string
		for _, f := range p.families {
			tables = append(tables, f.nftFamily+" "+p.nftTable())
		}
		fmt.Fprintf(&b, "# The router knows this knock as %s: table %s.\n", p.name, strings.Join(tables, " and "))
		for _, f := range []family{ipv4, ipv6} {
			table := f.nftFamily + " " + p.nftTable()
			if !slices.Contains(p.families, f) {
				// An earlier load may have made this family's table: had
				// the host an address of both families then, its rules
				// would still let knocks over this family in. Adding the
				// table first makes the delete succeed when there is none.
				fmt.Fprintf(&b, "\n# No %s rules: a table an earlier load made for %s goes.\nadd table %s\ndelete table %s\n",
					f.label, f.label, table, table)
				continue
			}
			sc := nftScope{table: table, chain: "input", families: []family{f}}
			fmt.Fprintf(&b, "\nadd table %s\n", sc.table)
			p.writeNFTables(&b, sc, "{ type filter hook input priority filter; policy accept; }")
		}
		return b.String(), nil
	}
	sc := nftScope{table: p.table.String(), chain: p.nftTable(), prefix: p.nftTable() + "-", tagged: true, families: p.families}
	fmt.Fprintf(&b, ", as the chain\n# %s of the existing table %s. Add this rule once to the\n", sc.chain, sc.table)
	b.WriteString("# table's chain that hooks input, above its rules that drop (the chain is\n")
	b.WriteString("# named input here; use its name):\n")
	fmt.Fprintf(&b, "#   %s\n", p.nftJumpRule(sc))
	fmt.Fprintf(&b, "# The router knows this knock as %s: the chain %s and its\n# sets %s-*.\n", p.name, sc.chain, sc.chain)
	p.writeReloadNote(&b)
	b.WriteString("\n")
	p.writeNFTables(&b, sc, "")
	return b.String(), nil
}

// nftJumpRule is the command that calls the chain of a --table ruleset from
// the table's input chain.
func (p *plan) nftJumpRule(sc nftScope) string {
	return fmt.Sprintf("nft insert rule %s input jump %s", sc.table, sc.chain)
}

func (p *plan) writeReloadNote(b *strings.Builder) {
	b.WriteString("# Load it with sudo nft -f FILE. Loading it again, over SSH too, swaps the\n")
	b.WriteString("# rules in one step and keeps whoever is on the lists; the port is closed\n")
	b.WriteString("# to new connections only, so open ones, that session too, are never cut.\n")
}

// nftScope is where a ruleset's objects go: a table, the chain that holds
// the rules, and how the sets and helper chains are named there. Tables of
// their own need no prefix; in a shared table every name carries the
// profile's, and in one that may hold both families (tagged), the family's.
type nftScope struct {
	table    string // "FAMILY NAME"
	chain    string
	prefix   string
	tagged   bool
	families []family
}

func (sc nftScope) name(f family, base string) string {
	if sc.tagged {
		return sc.prefix + base + "-v" + f.rosSuffix
	}
	return base
}

type nftRule struct{ chain, text string }

// writeNFTables declares the sets and chains as add commands, which leave
// existing ones as they are, flushes the chains and fills them again. The
// sets' flags are what nft makes of a set that rules `update`: declared with
// fewer, a second load fails with "File exists".
func (p *plan) writeNFTables(b *strings.Builder, sc nftScope, chainSpec string) {
	for _, f := range sc.families {
		for _, list := range p.lists {
			fmt.Fprintf(b, "add set %s %s { type %s; flags dynamic,timeout; }\n", sc.table, sc.name(f, list), f.nftAddr)
		}
	}
	var helpers []string
	var rules []nftRule
	for _, f := range sc.families {
		h, r := p.nftStepRules(f, sc)
		helpers, rules = append(helpers, h...), append(rules, r...)
	}
	chains := append(helpers, sc.chain)
	for _, c := range helpers {
		fmt.Fprintf(b, "add chain %s %s\n", sc.table, c)
	}
	if chainSpec != "" {
		chainSpec = " " + chainSpec
	}
	fmt.Fprintf(b, "add chain %s %s%s\n", sc.table, sc.chain, chainSpec)
	for _, c := range chains {
		fmt.Fprintf(b, "flush chain %s %s\n", sc.table, c)
	}
	proto, port := p.protect.Proto, p.protect.Port
	for _, f := range sc.families {
		rules = append(rules, nftRule{sc.chain, fmt.Sprintf("%s dport %d %s @%s accept comment \"open %s\"",
			proto, port, f.nftSaddr, sc.name(f, finalList), p.protect)})
	}
	// Only a SYN starts a TCP connection: a host that tracked no connections
	// before this loads sees the packets of a session already open as new,
	// and must not reset the session that loads the rules.
	closeMatch := fmt.Sprintf("udp dport %d ct state new reject", port)
	if proto == knock.TCP {
		closeMatch = fmt.Sprintf("tcp dport %d tcp flags & (fin | syn | rst | ack) == syn ct state new reject with tcp reset", port)
	}
	rules = append(rules, nftRule{sc.chain, fmt.Sprintf("%s comment \"close %s\"", closeMatch, p.protect)})
	for _, r := range rules {
		fmt.Fprintf(b, "add rule %s %s %s\n", sc.table, r.chain, r.text)
	}
}

// nftStepRules writes the knock rules of one family, last stage first, and
// the helper chains that long payloads need.
func (p *plan) nftStepRules(f family, sc nftScope) (helpers []string, rules []nftRule) {
	for _, sg := range p.reversed() {
		match := p.nftStepMatch(f, sg, sc)
		update := fmt.Sprintf("update @%s { %s timeout %s } comment \"step %d of %d\"",
			sc.name(f, sg.to), f.nftSaddr, formatDuration(sg.timeout), sg.index+1, sg.count)
		chunks := payloadChunks(sg.step)
		if len(chunks) <= chunksPerRule {
			rules = append(rules, nftRule{sc.chain, strings.Join(append(match, chunks...), " ") + " " + update})
			continue
		}
		// The base chain jumps (a failed match must come back for the rules
		// below); helpers goto the next, so the call depth stays at one
		// however long the payload is.
		chain, verb := sc.chain, "jump"
		for part := 1; len(chunks) > 0; part++ {
			helper := sc.name(f, fmt.Sprintf("step%d-part%d", sg.index+1, part))
			helpers = append(helpers, helper)
			rules = append(rules, nftRule{chain, strings.Join(match, " ") + " " + verb + " " + helper})
			n := min(chunksPerRule, len(chunks))
			chain, match, chunks, verb = helper, chunks[:n], chunks[n:], "goto"
		}
		rules = append(rules, nftRule{chain, strings.Join(match, " ") + " " + update})
	}
	return helpers, rules
}

func (p *plan) nftTable() string { return "knocker-" + p.name }

// nftStepMatch is everything a step's rule checks before the payload bytes.
func (p *plan) nftStepMatch(f family, sg stage, sc nftScope) []string {
	var m []string
	if sg.from != "" {
		m = append(m, f.nftSaddr+" @"+sc.name(f, sg.from))
	}
	s := sg.step
	switch s.Proto {
	case knock.TCP:
		// A SYN without ACK: the first packet of a connection attempt.
		m = append(m, fmt.Sprintf("tcp dport %d tcp flags & (fin | syn | rst | ack) == syn", s.Port))
	case knock.UDP:
		m = append(m, fmt.Sprintf("udp dport %d", s.Port))
		if lengthMatched(s) {
			m = append(m, fmt.Sprintf("udp length %d", 8+len(s.Payload.Data)))
		}
	case knock.ICMP:
		m = append(m, f.nftEcho, fmt.Sprintf("%s %d", f.nftIPLen, f.packetSize(s)-f.nftLenBias))
	}
	return m
}

// payloadChunks compares the payload after the 8-byte UDP or ICMP echo
// header, at most 128 bits at a time, as hex integers so any byte is safe.
func payloadChunks(s knock.Step) []string {
	if !exactPayload(s) {
		return nil
	}
	data := s.Payload.Data
	var out []string
	for off := 0; off < len(data); off += chunkBytes {
		c := data[off:min(off+chunkBytes, len(data))]
		out = append(out, fmt.Sprintf("@th,%d,%d 0x%s", 64+8*off, 8*len(c), hex.EncodeToString(c)))
	}
	return out
}
