package routerconf

import (
	"encoding/hex"
	"fmt"
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

// NFTables writes an nftables ruleset for s, for `nft -f`: one table per
// address family named knocker-NAME, holding a set per stage and the final
// set "allow", all with timeouts, and an input chain. Knock rules use
// `update`, so a repeated knock refreshes an entry's timer as a RouterOS
// re-add does. The protected port accepts sources in "allow" and otherwise
// answers with a TCP reset (or ICMP port unreachable for UDP).
//
// Loading the file again replaces the tables, which also forgets who had
// knocked. A packet accepted here can still be dropped by another table.
func NFTables(s Spec) (string, error) {
	p, err := newPlan(s)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("#!/usr/sbin/nft -f\n")
	fmt.Fprintf(&b, "# Knocker %s: %d-step knock opening %s for %s.\n",
		p.name, len(p.stages), p.protect, formatDuration(p.timeout))
	for _, f := range p.families {
		p.writeNFTables(&b, f)
	}
	return b.String(), nil
}

func (p *plan) nftTable() string { return "knocker-" + p.name }

func (p *plan) writeNFTables(b *strings.Builder, f family) {
	table := f.nftFamily + " " + p.nftTable()
	// Declaring the table first lets the delete succeed on a first load.
	fmt.Fprintf(b, "\ntable %s\ndelete table %s\ntable %s {\n", table, table, table)
	for _, list := range p.lists {
		fmt.Fprintf(b, "\tset %s {\n\t\ttype %s\n\t\tflags timeout\n\t}\n", list, f.nftAddr)
	}
	var input []string
	for _, sg := range p.reversed() {
		match := p.nftStepMatch(f, sg)
		update := fmt.Sprintf("update @%s { %s timeout %s } comment \"step %d of %d\"",
			sg.to, f.nftSaddr, formatDuration(sg.timeout), sg.index+1, sg.count)
		chunks := payloadChunks(sg.step)
		if len(chunks) <= chunksPerRule {
			input = append(input, strings.Join(append(match, chunks...), " ")+" "+update)
			continue
		}
		// The base chain jumps (a failed match must come back for the rules
		// below); helpers goto the next, so the call depth stays at one
		// however long the payload is. Helpers precede the input chain, as
		// a chain must exist before a rule names it.
		verb := "jump"
		for part := 1; len(chunks) > 0; part++ {
			name := fmt.Sprintf("step%d-part%d", sg.index+1, part)
			rule := strings.Join(match, " ") + " " + verb + " " + name
			if part == 1 {
				input = append(input, rule)
			} else {
				fmt.Fprintf(b, "\t\t%s\n\t}\n", rule)
			}
			fmt.Fprintf(b, "\tchain %s {\n", name)
			n := min(chunksPerRule, len(chunks))
			match, chunks, verb = chunks[:n], chunks[n:], "goto"
		}
		fmt.Fprintf(b, "\t\t%s %s\n\t}\n", strings.Join(match, " "), update)
	}
	b.WriteString("\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n")
	for _, rule := range input {
		fmt.Fprintf(b, "\t\t%s\n", rule)
	}
	proto, port := p.protect.Proto, p.protect.Port
	fmt.Fprintf(b, "\t\t%s dport %d %s @%s accept comment \"open %s\"\n", proto, port, f.nftSaddr, finalList, p.protect)
	reject := "reject"
	if proto == knock.TCP {
		reject = "reject with tcp reset"
	}
	fmt.Fprintf(b, "\t\t%s dport %d %s comment \"close %s\"\n\t}\n}\n", proto, port, reject, p.protect)
}

// nftStepMatch is everything a step's rule checks before the payload bytes.
func (p *plan) nftStepMatch(f family, sg stage) []string {
	var m []string
	if sg.from != "" {
		m = append(m, f.nftSaddr+" @"+sg.from)
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
