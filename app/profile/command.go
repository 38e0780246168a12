package profile

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/knocker/knocker/knock"
)

// The command lines ParseCommand reads, named as the user is told.
const (
	FormatNping       Format = "nping command"
	FormatKnockClient Format = "knock command"
	FormatKnockerSend Format = "knocker send command"
)

// MaxCommandLen bounds a pasted command line; real ones are a few hundred bytes.
const MaxCommandLen = 16 << 10

// maxCommandSteps bounds the steps a port list or range may expand to.
const maxCommandSteps = 64

// ParseCommand reads the one command line someone knocks with today into a
// profile named after its host: an nping one-liner, a knock (knockd's
// client) line, or a knocker send line. It only reads the line, as a shell
// would split it; nothing is run and nothing is expanded. Warnings say what
// the command asks for that a profile cannot carry. Errors never quote a
// payload, which is as secret on a command line as in the keyring.
func ParseCommand(line string) (Imported, error) {
	if len(line) > MaxCommandLen {
		return Imported{}, fmt.Errorf("the command is longer than %d bytes", MaxCommandLen)
	}
	words, cut, err := splitShellWords(line)
	if err != nil {
		return Imported{}, err
	}
	words, root := dropLaunchers(words)
	if len(words) == 0 {
		return Imported{}, errors.New("no command: paste an nping, knock or knocker send line")
	}
	var c parsedCommand
	switch prog := strings.TrimSuffix(strings.ToLower(filepath.Base(words[0])), ".exe"); {
	case prog == "nping":
		c, err = parseNping(words[1:], root, root)
	case prog == "knock":
		c, err = parseKnockClient(words[1:])
	case prog == "knocker" && len(words) > 1 && words[1] == "send":
		c, err = parseKnockerSend(words[2:])
	case prog == "knocker":
		err = errors.New("of knocker's commands only knocker send describes a knock; a saved profile is already one")
	default:
		err = errors.New("the line does not start with nping, knock or knocker send")
	}
	if err != nil {
		return Imported{Format: c.format}, err
	}
	if cut {
		c.warnings = append(c.warnings, "only the first command was read: what follows ;, &, | or a line break was left out")
	}
	for i, s := range c.steps {
		if s.Payload.Encoding == knock.Text && !utf8.Valid(s.Payload.Data) {
			c.steps[i].Payload.Encoding = knock.Hex // text files and forms hold UTF-8 only
		}
	}
	p := Profile{ID: NewID(), Name: c.host, Host: c.host, Family: c.family, Steps: c.steps, Verify: c.verify, Created: time.Now().UTC()}
	b := newImportBatch()
	if err := b.add(p); err != nil {
		return Imported{Format: c.format}, err
	}
	return Imported{Format: c.format, Profiles: b.out, Warnings: c.warnings}, nil
}

// parsedCommand is what a command line says about a profile.
type parsedCommand struct {
	format   Format
	host     string
	family   knock.Family
	steps    []knock.Step
	verify   *Verify
	warnings []string
}

// oneHost takes the target from the positional words.
func (c *parsedCommand) oneHost(pos []string) error {
	switch {
	case len(pos) == 0:
		return errors.New("no host: the command names no router to knock")
	case len(pos) > 1:
		// Not quoted: a stray word may be a payload typed without its option.
		return fmt.Errorf("%d words where one host was expected; Knocker knocks one router per profile", len(pos))
	}
	c.host = pos[0]
	return ValidateHost(c.host)
}

// splitShellWords splits line as a POSIX shell would, quotes and
// backslashes included, up to the first ;, &, |, line break or comment;
// cut says whether something came after. Expansions ($VAR, $(…), `…`) are
// refused: the line is never run, so their values are unknown. So is bash's
// $'…' and $"…" quoting, whose escapes and translations a POSIX reading
// would take literally.
func splitShellWords(line string) (words []string, cut bool, err error) {
	var word strings.Builder
	inWord := false
	end := func() {
		if inWord {
			words = append(words, word.String())
			word.Reset()
			inWord = false
		}
	}
	expansion := errors.New("the command holds a shell expansion ($VAR, $(…) or `…`); paste it with the values written out")
	bashQuote := errors.New(`the command holds bash's $'…' or $"…" quoting, which rewrites what it quotes (escapes such as \n, or a translation); paste it with the value written out`)
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == '\\' && i+1 < len(line) && line[i+1] == '\n':
			i++ // a continued line
		case ch == '\\' && i+1 < len(line):
			i++
			word.WriteByte(line[i])
			inWord = true
		case ch == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, false, errors.New("a ' quote is not closed")
			}
			word.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case ch == '"':
			closed := false
			for i++; i < len(line); i++ {
				c := line[i]
				if c == '"' {
					closed = true
					break
				}
				if isExpansion(line, i) {
					return nil, false, expansion
				}
				if c == '\\' && i+1 < len(line) && strings.IndexByte("\"\\$`\n", line[i+1]) >= 0 {
					i++
					if line[i] == '\n' {
						continue
					}
					c = line[i]
				}
				word.WriteByte(c)
			}
			if !closed {
				return nil, false, errors.New(`a " quote is not closed`)
			}
			inWord = true
		case ch == '$' && i+1 < len(line) && (line[i+1] == '\'' || line[i+1] == '"'):
			return nil, false, bashQuote
		case isExpansion(line, i):
			return nil, false, expansion
		case ch == ';' || ch == '&' || ch == '|' || ch == '\n' || ch == '\r':
			end()
			return words, strings.TrimSpace(line[i+1:]) != "", nil
		case ch == '#' && !inWord:
			end()
			return words, false, nil
		case ch == ' ' || ch == '\t':
			end()
		default:
			word.WriteByte(ch)
			inWord = true
		}
	}
	end()
	return words, false, nil
}

// isExpansion reports whether line[i] starts something a shell would
// expand: a backquote, or a $ before a name, a digit, a brace, a
// parenthesis or a special parameter. A lone $ (a prompt) is literal.
func isExpansion(line string, i int) bool {
	switch {
	case line[i] == '`':
		return true
	case line[i] != '$' || i+1 == len(line):
		return false
	}
	next := line[i+1]
	return next == '_' || next == '{' || next == '(' || strings.IndexByte("@*#?-$!", next) >= 0 ||
		('a' <= next && next <= 'z') || ('A' <= next && next <= 'Z') || ('0' <= next && next <= '9')
}

// dropLaunchers removes what merely starts the command: a prompt, sudo or
// doas, env and VAR=value assignments. root says whether the command then
// runs as root: after sudo or doas, or at a root prompt (#).
func dropLaunchers(words []string) (rest []string, root bool) {
	for len(words) > 0 {
		w := words[0]
		switch {
		case w == "sudo" || w == "doas" || w == "#":
			root = true
		case w == "$" || w == "env":
		case strings.Contains(w, "=") && !strings.HasPrefix(w, "-") && !strings.Contains(w, "/"):
		default:
			return words, root
		}
		words = words[1:]
	}
	return words, root
}

// npingOptions is nping's option table (nping/ArgParser.cc): getopt_long_only
// over these long options and the optstring "46c:d::e:fg:hHK:NP:q::p:S:Vv::".
var npingOptions = func() *getoptTable {
	t := &getoptTable{short: parseShortOptstring("46c:d::e:fg:hHK:NP:q::p:S:Vv::"), long: map[string]longOpt{}, longOnly: true}
	for _, name := range strings.Fields(`tcp-connect tcp udp icmp arp tr traceroute echo-request
		destination-unreachable dest-unr timestamp timestamp-request information information-request
		netmask netmask-request arp-request arp-reply rarp-request rarp-reply badsum df mf evil badsum-ip
		no-crypto nc once safe-payloads include-payloads privileged unprivileged send-eth send-ip debug quiet`) {
		t.long[name] = longOpt{kind: noArg}
	}
	for _, name := range strings.Fields(`seq flags ack win icmp-type icmp-code icmp-id icmp-seq icmp-redirect-addr
		icmp-param-pointer icmp-advert-lifetime icmp-advert-entry icmp-orig-time icmp-recv-time icmp-trans-time
		arp-type rarp-type arp-code rarp-code arp-operation arp-op rarp-operation rarp-op arp-sender-mac
		arp-sender-ip arp-target-mac arp-target-ip rarp-sender-mac rarp-sender-ip rarp-target-mac rarp-target-ip
		dest-mac source-mac spoof-mac ethertype ethtype ether-type dest-ip tos id ttl ip-options mtu hop-limit
		tc traffic-class flow data data-length data-string echo-client ec echo-server es echo-port ep delay rate
		bpf-filter filter nsock-engine`) {
		t.long[name] = longOpt{kind: needsArg}
	}
	for name, o := range map[string]longOpt{
		"source-port": {needsArg, 'g'}, "dest-port": {needsArg, 'p'}, "IPv4": {noArg, '4'}, "ipv4": {noArg, '4'},
		"source-ip": {needsArg, 'S'}, "IPv6": {noArg, '6'}, "ipv6": {noArg, '6'}, "help": {noArg, 'h'},
		"version": {noArg, 'V'}, "count": {needsArg, 'c'}, "interface": {needsArg, 'e'}, "no-capture": {noArg, 'N'},
		"hide-sent": {noArg, 'H'}, "verbose": {optionalArg, 'v'}, "reduce-verbosity": {optionalArg, 'q'},
	} {
		t.long[name] = o
	}
	return t
}()

// npingQuiet are nping options about output or nping itself: dropping
// them changes nothing on the wire. -K and -P are in nping's optstring
// but it does nothing with them.
var npingQuiet = []string{"-v", "-q", "-d", "--debug", "--quiet", "-H", "-N", "--privileged", "--unprivileged",
	"--send-eth", "--send-ip", "-e", "--bpf-filter", "--filter", "--nsock-engine", "-K", "-P"}

// npingNotEcho are nping's shortcuts for ICMP messages other than echo.
var npingNotEcho = []string{"--destination-unreachable", "--dest-unr", "--timestamp", "--timestamp-request",
	"--information", "--information-request", "--netmask", "--netmask-request"}

// npingNoKnock are nping's modes and roles that send no knock.
var npingNoKnock = []string{"--arp", "--arp-request", "--arp-reply", "--rarp-request", "--rarp-reply", "--tr", "--traceroute",
	"--ec", "--echo-client", "--es", "--echo-server"}

// nping's defaults when a line leaves them out.
const (
	npingUDPPort = 40125
	npingTCPPort = 80
	npingDelay   = time.Second
)

// npingMode is the probe nping sends.
type npingMode uint8

const (
	npingDefault    npingMode = iota // none given: nping picks by privilege and family
	npingTCPConnect                  // --tcp-connect: a connect(), no payload
	npingTCPRaw                      // --tcp: a crafted SYN, which may carry the payload
	npingUDP
	npingICMP
)

var npingModeNames = map[string]npingMode{"--tcp-connect": npingTCPConnect, "--tcp": npingTCPRaw, "--udp": npingUDP, "--icmp": npingICMP, "--echo-request": npingICMP}

// nping's limits and defaults (nping/nping.h).
const (
	npingMaxPayload   = 65400 // MAX_PAYLOAD_ALLOWED
	npingRounds       = 5     // DEFAULT_PACKET_COUNT
	npingHexBuffer    = 16384 // parseBufferSpec's output buffer
	npingHexEscapeMax = 1023  // parseBufferSpec's \x digit buffer
)

// parseNping reads an nping line. root says whether the line shows nping
// run with privileges (sudo, doas), which decides its default probe and
// its empty UDP payload; rootShown whether the line says either way.
func parseNping(args []string, root, rootShown bool) (parsedCommand, error) {
	c := parsedCommand{format: FormatNping}
	opts, pos, err := npingOptions.scan("nping", args)
	if err != nil {
		return c, err
	}
	var (
		mode        npingMode
		modeName    string
		ports       []uint16
		portsSorted bool
		payload     knock.Payload
		payloadKind string
		delay       = npingDelay
		rounds      = uint64(npingRounds)
		roundsGiven string
		icmpType    = -1
		ignored     []string
	)
	for _, o := range opts {
		switch {
		case npingModeNames[o.name] != 0:
			m := npingModeNames[o.name]
			if modeName != "" && mode != m {
				return c, fmt.Errorf("nping: %s and %s both choose the probe; nping takes one", modeName, o.name)
			}
			modeName, mode = o.name, m
			if o.name == "--echo-request" {
				icmpType = 8
			}
			continue
		case slices.Contains(npingNoKnock, o.name):
			return c, fmt.Errorf("nping %s does not knock: Knocker reads --udp, --tcp, --tcp-connect and --icmp probes", o.name)
		case slices.Contains(npingNotEcho, o.name):
			return c, fmt.Errorf("nping %s sends ICMP other than echo requests; Knocker sends echo requests only", o.name)
		}
		switch o.name {
		case "-p":
			if ports, portsSorted, err = parseNpingPorts(o.value); err != nil {
				return c, fmt.Errorf("nping -p: %w", err)
			}
		case "--data", "--data-string", "--data-length":
			if o.name == "--data-length" && payloadKind != "" {
				return c, fmt.Errorf("nping refuses --data-length after %s (only one type of payload may be selected)", payloadKind)
			}
			var warn string
			if payload, warn, err = npingPayload(o.name, o.value); err != nil {
				return c, err
			}
			if warn != "" {
				c.warnings = append(c.warnings, warn)
			}
			payloadKind = o.name
		case "--delay":
			if delay, err = parseNpingDelay(o.value); err != nil {
				return c, fmt.Errorf("nping --delay: %w", err)
			}
		case "--rate":
			n, err := parseCUnsigned(o.value, 1000)
			if err != nil || n == 0 {
				return c, errors.New("nping --rate: want 1-1000 packets a second")
			}
			delay = time.Duration(1000/n) * time.Millisecond // nping's integer division
		case "-c":
			if meansRandom(o.value) {
				return c, errors.New("nping -c random sends a random number of rounds; give a number")
			}
			if rounds, err = parseCUnsigned(o.value, 1<<32-1); err != nil {
				return c, errors.New("nping -c: want a number of rounds (0: until stopped)")
			}
			roundsGiven = o.value
		case "-4":
			c.family = knock.IPv4
		case "-6":
			c.family = knock.IPv6
		case "--dest-ip":
			pos = append(pos, o.value)
		case "--icmp-type":
			if modeName != "" && mode != npingICMP {
				return c, fmt.Errorf("nping refuses --icmp-type with %s", modeName)
			}
			if icmpType, err = npingICMPType(o.value); err != nil {
				return c, err
			}
		case "-S":
			c.warnings = append(c.warnings, "-S: nping would send from another source address; Knocker sends from this machine's own, which is the one the router then lets in")
		case "--flags":
			if f := strings.ToLower(o.value); f != "syn" && f != "s" && f != "2" && f != "0x02" && f != "0x2" && !slices.Contains(ignored, o.name) {
				ignored = append(ignored, o.name)
			}
		case "--privileged":
			root, rootShown = true, true
		case "--unprivileged":
			root, rootShown = false, true
		case "-h", "-V":
			return c, fmt.Errorf("nping %s prints nping's help or version; it knocks nothing", o.name)
		default:
			if !slices.Contains(npingQuiet, o.name) && !slices.Contains(ignored, o.name) {
				ignored = append(ignored, o.name)
			}
		}
	}
	if err := c.oneHost(pos); err != nil {
		return c, err
	}
	if c.family == knock.Auto {
		if a, err := netip.ParseAddr(strings.Trim(c.host, "[]")); err == nil && a.Is6() && !a.Is4In6() {
			return c, errors.New("nping reads its target as IPv4 unless -6 is given: add -6 for an IPv6 address")
		}
		c.family = knock.IPv4 // nping's default, whatever the name resolves to
	}
	if mode == npingDefault {
		mode = npingDefaultMode(&c, root, rootShown)
	}
	var proto knock.Proto
	switch mode {
	case npingUDP:
		proto = knock.UDP
	case npingICMP:
		proto = knock.ICMP
	default:
		proto = knock.TCP
	}
	if icmpType >= 0 {
		echo := 8
		if c.family == knock.IPv6 {
			echo = 128 // ICMPv6 echo request
		}
		if mode == npingICMP && icmpType != echo {
			return c, fmt.Errorf("nping --icmp-type: Knocker sends ICMP echo requests (type %d here) only", echo)
		}
	}
	switch {
	case proto == knock.ICMP && len(ports) > 0:
		c.warnings = append(c.warnings, "ICMP has no ports: -p was left out, as nping leaves it out")
		ports = nil
	case proto == knock.UDP && len(ports) == 0:
		ports = []uint16{npingUDPPort}
		c.warnings = append(c.warnings, fmt.Sprintf("no -p: nping's default UDP port %d was used", npingUDPPort))
	case proto == knock.TCP && len(ports) == 0:
		ports = []uint16{npingTCPPort}
		c.warnings = append(c.warnings, fmt.Sprintf("no -p: nping's default TCP port %d was used", npingTCPPort))
	}
	if portsSorted {
		c.warnings = append(c.warnings, "-p: nping sends its ports in ascending order, each once, whatever order the line gives: the steps follow nping's order")
	}
	switch {
	case mode == npingTCPRaw && len(payload.Data) > 0:
		c.warnings = append(c.warnings, "a Knocker TCP step is a bare SYN: the payload nping --tcp would put in its SYNs was left out")
		payload = knock.Payload{}
	case proto == knock.TCP:
		payload = knock.Payload{} // a TCP connect carries none, in nping as in Knocker
	case proto == knock.UDP && payloadKind == "":
		payload = npingEmptyUDP(&c, root, rootShown)
	}
	if payloadKind == "--data-length" {
		c.warnings = append(c.warnings, "--data-length: nping sends random bytes, Knocker sends zero bytes of the same length (a packet-size rule sees no difference)")
	}
	switch {
	case roundsGiven == "":
		c.warnings = append(c.warnings, fmt.Sprintf("no -c: nping sends the sequence %d times over; Knocker sends it once per knock, which is what a knock needs", npingRounds))
	case rounds != 1:
		c.warnings = append(c.warnings, "-c: nping sends the sequence in rounds; Knocker sends it once per knock, which is what a knock needs")
	}
	if len(ignored) > 0 {
		c.warnings = append(c.warnings, "not carried over: "+strings.Join(ignored, ", "))
	}
	if proto == knock.ICMP {
		c.steps = []knock.Step{{Proto: knock.ICMP, Payload: payload}}
		return c, nil
	}
	for i, port := range ports {
		s := knock.Step{Proto: proto, Port: port, Payload: payload}
		if i > 0 {
			s.Delay = delay
		}
		c.steps = append(c.steps, s)
	}
	return c, nil
}

// npingDefaultMode is the probe nping picks when the line names none: as
// root ICMP echo over IPv4 and a crafted TCP SYN over IPv6, otherwise TCP
// connects (nping/NpingOps.cc, validateOptions).
func npingDefaultMode(c *parsedCommand, root, rootShown bool) npingMode {
	rootMode, rootName := npingICMP, "ICMP echo"
	if c.family == knock.IPv6 {
		rootMode, rootName = npingTCPRaw, "TCP SYNs"
	}
	switch {
	case !rootShown:
		c.warnings = append(c.warnings, fmt.Sprintf("no probe mode (--udp, --tcp, --icmp) was given, and the line does not show whether nping ran as root: read as %s, as nping sends as root (without root it connects to TCP ports)", rootName))
		return rootMode
	case root:
		c.warnings = append(c.warnings, fmt.Sprintf("no probe mode (--udp, --tcp, --icmp) was given: read as %s, as nping sends as root", rootName))
		return rootMode
	}
	c.warnings = append(c.warnings, "no probe mode (--udp, --tcp, --icmp) was given: read as TCP connects, as nping makes without root")
	return npingTCPConnect
}

// npingEmptyUDP is the payload of a UDP probe whose line gives none: none
// at all as root, four zero bytes without root (nsock cannot send an empty
// datagram; nping/ProbeMode.cc).
func npingEmptyUDP(c *parsedCommand, root, rootShown bool) knock.Payload {
	switch {
	case !rootShown:
		c.warnings = append(c.warnings, "no payload: read as empty datagrams, as nping sends as root (without root it sends 4 zero bytes)")
	case !root:
		return knock.Payload{Data: make([]byte, 4), Encoding: knock.Size}
	}
	return knock.Payload{}
}

// meansRandom is nping's test for a value asking for a random one.
func meansRandom(s string) bool {
	return strings.EqualFold(s, "rand") || strings.EqualFold(s, "random")
}

// parseCUnsigned reads a number as nping's parse_u32 does (strtoul, base 0:
// 0x hex, a leading 0 octal; no sign) up to max.
func parseCUnsigned(s string, max uint64) (uint64, error) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	base := 10
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		base, s = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base = 8
	}
	if s == "" || strings.ContainsAny(s, "+-_") {
		return 0, errors.New("not a number")
	}
	n, err := strconv.ParseUint(s, base, 64)
	if err != nil || n > max {
		return 0, errors.New("not a number in range")
	}
	return n, nil
}

// npingICMPType reads --icmp-type as nping does: a number 0-255 or one of
// its names, of which echo requests are "echo-request", "echo" and "e".
func npingICMPType(s string) (int, error) {
	if n, err := parseCUnsigned(s, 255); err == nil && !meansRandom(s) {
		return int(n), nil
	}
	switch strings.ToLower(s) {
	case "echo-request", "echo", "e":
		return 8, nil
	}
	return 0, errors.New("nping --icmp-type: Knocker sends ICMP echo requests only")
}

// npingPayload reads --data (hex as 0xAABB, \xAA\xBB or AABB), --data-string
// or --data-length as nping's parser does, and says where nping itself cuts
// what was given. Errors describe the value, never quote it.
func npingPayload(name, value string) (knock.Payload, string, error) {
	if meansRandom(value) && name != "--data" {
		return knock.Payload{}, "", fmt.Errorf("nping %s random makes a new payload each run; Knocker needs the one the router expects", name)
	}
	warn := ""
	var (
		p   knock.Payload
		err error
	)
	switch name {
	case "--data-string":
		if len(value) > npingMaxPayload {
			return p, "", fmt.Errorf("nping %s: nping refuses more than %d bytes", name, npingMaxPayload)
		}
		if value == "" {
			return p, "", nil
		}
		p, err = knock.DecodePayload(value, knock.Text)
	case "--data-length":
		n, numErr := parseCUnsigned(value, npingMaxPayload)
		if numErr != nil {
			return p, "", fmt.Errorf("nping %s: want a length 0-%d", name, npingMaxPayload)
		}
		p = knock.Payload{Data: make([]byte, n), Encoding: knock.Size}
	default:
		digits := value
		switch {
		case strings.HasPrefix(value, "0x") && len(value) > 2:
			digits = value[2:]
		case strings.HasPrefix(value, `\x`) && len(value) > 2:
			// nping drops every \, x and X, then keeps the first 1023 characters.
			digits = strings.Map(func(r rune) rune {
				if r == '\\' || r == 'x' || r == 'X' {
					return -1
				}
				return r
			}, value)
			if len(digits) > npingHexEscapeMax {
				digits = digits[:npingHexEscapeMax]
				warn = fmt.Sprintf("--data: nping keeps only the first %d digits of a \\x payload; so does this profile", npingHexEscapeMax)
			}
		}
		if digits == "" || strings.Trim(digits, "0123456789abcdefABCDEF") != "" || len(digits)%2 != 0 {
			return p, "", fmt.Errorf(`nping %s: nping reads hex written as 0xAABB, \xAA\xBB or AABB, with an even number of digits; this value is none of those`, name)
		}
		if len(digits) > 2*npingHexBuffer {
			digits = digits[:2*npingHexBuffer]
			warn = fmt.Sprintf("--data: nping keeps only the first %d bytes; so does this profile", npingHexBuffer)
		}
		p, err = knock.DecodePayload(digits, knock.Hex)
	}
	if err != nil {
		return knock.Payload{}, "", fmt.Errorf("nping %s: %w", name, err)
	}
	return p, warn, nil
}

// parseNpingDelay reads a time as nping's tval2msecs does: a non-negative
// number with ms, s, m or h after it (any case), seconds without, cut to
// whole milliseconds. Like nping it refuses 10 or more seconds written
// without a unit, which older nping read as milliseconds.
func parseNpingDelay(s string) (time.Duration, error) {
	num := strings.TrimLeft(s, " \t\n\v\f\r")
	end := 0
	for end < len(num) && strings.IndexByte("0123456789.eE+-", num[end]) >= 0 {
		end++
	}
	unit := strings.ToLower(num[end:])
	secs, err := strconv.ParseFloat(num[:end], 64)
	scale := map[string]float64{"ms": 0.001, "": 1, "s": 1, "m": 60, "h": 3600}[unit]
	if err != nil || scale == 0 || math.IsInf(secs, 0) || math.IsNaN(secs) {
		return 0, errors.New("want a time such as 200ms, 1s or 1.5")
	}
	ms := secs * scale * 1000
	switch {
	case ms < 0:
		return 0, errors.New("nping refuses a negative delay")
	case ms >= 10*1000 && unit == "":
		return 0, errors.New("nping refuses 10 or more without a unit (write 10s, or 10ms)")
	case ms > float64(math.MaxInt64/int64(time.Millisecond)):
		return 0, errors.New("too long")
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// parseNpingPorts reads nping's -p as nping does (getpts_aux): ports and
// ranges such as 7000,8000-8002, "-100" from 1, "60000-" to 65535, one
// level of [brackets]. nping sends the ports in ascending order, each once:
// sorted says whether the line gave them otherwise. Errors never quote a
// port, which is as secret as a payload.
func parseNpingPorts(s string) (ports []uint16, sorted bool, err error) {
	seen := map[int]bool{}
	var given []int
	items := strings.Split(strings.NewReplacer("[", ",", "]", ",").Replace(s), ",")
	for _, item := range items {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		from, to, isRange := strings.Cut(item, "-")
		first, last := 1, 65535
		if from = strings.TrimSpace(from); from != "" || !isRange {
			if first, err = npingPort(from); err != nil {
				return nil, false, err
			}
		}
		switch to = strings.TrimSpace(to); {
		case !isRange:
			last = first
		case to != "":
			if last, err = npingPort(to); err != nil {
				return nil, false, err
			}
		}
		if last < first {
			return nil, false, errors.New("a range runs backwards")
		}
		if last-first+1 > maxCommandSteps {
			return nil, false, fmt.Errorf("more than %d ports", maxCommandSteps)
		}
		for p := first; p <= last; p++ {
			given = append(given, p)
			if !seen[p] {
				seen[p] = true
				ports = append(ports, uint16(p))
			}
		}
		if len(ports) > maxCommandSteps {
			return nil, false, fmt.Errorf("more than %d ports", maxCommandSteps)
		}
	}
	if len(ports) == 0 {
		return nil, false, errors.New("no ports")
	}
	slices.Sort(ports)
	sorted = len(given) != len(ports)
	for i := range ports {
		sorted = sorted || int(ports[i]) != given[i]
	}
	return ports, sorted, nil
}

// npingPort reads one port of -p; nping takes 0, a router cannot be knocked there.
func npingPort(s string) (int, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, errors.New(`nping reads ports as numbers and ranges, such as 7000,8000-8002`)
	}
	p, err := knock.ParsePort(strings.TrimLeft(s, "0"))
	if err != nil {
		return 0, errors.New("a port is out of range (want 1-65535)")
	}
	return int(p), nil
}

// knockOptions is knock's option table (knock.c, getopt_long).
var knockOptions = &getoptTable{short: parseShortOptstring("vud:hV46"), long: map[string]longOpt{
	"verbose": {noArg, 'v'}, "udp": {noArg, 'u'}, "delay": {needsArg, 'd'}, "help": {noArg, 'h'},
	"version": {noArg, 'V'}, "ipv4": {noArg, '4'}, "ipv6": {noArg, '6'},
}}

// parseKnockClient reads a knock line as knock 0.8 (knock.c) does: -u
// sends every step as UDP, whatever its :tcp says; a step is UDP when its
// protocol is exactly "udp" and TCP otherwise; -d is read by atoi; each
// port is looked up by getaddrinfo, so a comma list fails in knock itself.
func parseKnockClient(args []string) (parsedCommand, error) {
	c := parsedCommand{format: FormatKnockClient}
	opts, pos, err := knockOptions.scan("knock", args)
	if err != nil {
		return c, err
	}
	allUDP := false
	var delay time.Duration
	for _, o := range opts {
		switch o.name {
		case "-u":
			allUDP = true
		case "-d":
			ms, rest, err := atoi(o.value)
			switch {
			case err != nil:
				return c, errors.New("knock -d: the delay is too long")
			case ms < 0:
				return c, errors.New("knock refuses a negative -d")
			case rest != "":
				c.warnings = append(c.warnings, fmt.Sprintf("knock -d reads only the leading digits, as milliseconds: %s is %d ms", quoted(o.value), ms))
			}
			delay = time.Duration(ms) * time.Millisecond
		case "-4":
			c.family = knock.IPv4
		case "-6":
			c.family = knock.IPv6
		case "-h", "-V":
			return c, fmt.Errorf("knock %s prints knock's help or version; it knocks nothing", o.name)
		}
	}
	if len(pos) < 2 {
		return c, errors.New("knock: want HOST and at least one PORT[:PROTO]")
	}
	if err := c.oneHost(pos[:1]); err != nil {
		return c, err
	}
	if len(pos)-1 > maxCommandSteps {
		return c, fmt.Errorf("knock: more than %d ports", maxCommandSteps)
	}
	var madeUDP, readTCP []string
	for i, spec := range pos[1:] {
		n := strconv.Itoa(i + 1)
		portText, protoText, hasProto := strings.Cut(spec, ":")
		s := knock.Step{Proto: knock.TCP}
		switch {
		case protoText == "udp":
			s.Proto = knock.UDP
		case allUDP:
			if hasProto {
				madeUDP = append(madeUDP, n)
			}
		case hasProto && protoText != "tcp":
			readTCP = append(readTCP, n)
		}
		if allUDP {
			s.Proto = knock.UDP
		}
		if s.Proto == knock.UDP {
			s.Payload = knock.KnockZeroByte() // what knock sends in every datagram
		}
		switch {
		case strings.Contains(portText, ","):
			return c, fmt.Errorf("knock step %s: knock reads no lists (it fails to look one up as a port): give each port as its own word", n)
		case portText != "" && strings.Trim(portText, "0123456789") != "":
			return c, fmt.Errorf("knock step %s: not a port number (knock would look a name up in /etc/services: write the number)", n)
		}
		if s.Port, err = knock.ParsePort(portText); err != nil {
			return c, fmt.Errorf("knock step %s: %w", n, err)
		}
		if i > 0 {
			s.Delay = delay
		}
		c.steps = append(c.steps, s)
	}
	if len(madeUDP) > 0 {
		c.warnings = append(c.warnings, "knock -u sends every step as UDP, whatever its protocol says: "+stepsAre(madeUDP)+" UDP here too")
	}
	if len(readTCP) > 0 {
		c.warnings = append(c.warnings, "knock sends a step as UDP only when its protocol is exactly udp, else as TCP: "+stepsAre(readTCP)+" TCP here too")
	}
	return c, nil
}

// atoi reads a number as C's atoi does: leading blanks, a sign, digits, and
// whatever follows ignored (returned as rest). Unlike atoi, a number that
// does not fit an int is an error rather than undefined.
func atoi(s string) (n int64, rest string, err error) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	end := 0
	if end < len(t) && (t[end] == '+' || t[end] == '-') {
		end++
	}
	digits := end
	for end < len(t) && '0' <= t[end] && t[end] <= '9' {
		end++
	}
	if end == digits {
		return 0, s, nil
	}
	n, err = strconv.ParseInt(t[:end], 10, 32)
	return n, t[end:], err
}

// stepsAre names steps by number: "step 2 is", "steps 2, 3 are".
func stepsAre(numbers []string) string {
	if len(numbers) == 1 {
		return "step " + numbers[0] + " is"
	}
	return "steps " + strings.Join(numbers, ", ") + " are"
}

// knockerSendOptions are knocker send's flags, true for those taking a
// value (app/cli/send.go; Go's flag package adds -h and -help).
var knockerSendOptions = map[string]bool{
	"u": false, "d": true, "delay": true, "4": false, "6": false, "verify": true, "verify-timeout": true,
	"retries": true, "v": false, "h": false, "help": false,
}

func parseKnockerSend(args []string) (parsedCommand, error) {
	c := parsedCommand{format: FormatKnockerSend}
	opts, pos, err := scanGoFlags("knocker send", args, knockerSendOptions)
	if err != nil {
		return c, err
	}
	proto := knock.TCP
	var delay time.Duration
	var verify Verify
	for _, o := range opts {
		switch o.name {
		case "-u":
			proto = knock.UDP
		case "-d", "-delay":
			if delay, err = time.ParseDuration(o.value); err != nil {
				ms, numErr := strconv.ParseUint(o.value, 10, 31)
				if numErr != nil {
					return c, errors.New("knocker send --delay: want a duration such as 200ms (a bare number is milliseconds)")
				}
				delay = time.Duration(ms) * time.Millisecond
			}
			if delay < 0 {
				return c, errors.New("knocker send --delay: negative")
			}
		case "-4":
			c.family = knock.IPv4
		case "-6":
			c.family = knock.IPv6
		case "-verify":
			if verify.Port, err = knock.ParsePort(o.value); err != nil {
				return c, fmt.Errorf("knocker send --verify: %w", err)
			}
		case "-verify-timeout":
			if verify.Timeout, err = time.ParseDuration(o.value); err != nil || verify.Timeout <= 0 {
				return c, errors.New("knocker send --verify-timeout: want a positive duration such as 3s")
			}
		case "-retries":
			n, err := strconv.Atoi(o.value)
			if err != nil || n < 0 || n > MaxRetries {
				return c, fmt.Errorf("knocker send --retries: want 0-%d", MaxRetries)
			}
			verify.Retries = n
		case "-h", "-help":
			return c, errors.New("knocker send --help prints help; it knocks nothing")
		}
	}
	if len(pos) < 2 {
		return c, errors.New("knocker send: want HOST and at least one STEP")
	}
	if err := c.oneHost(pos[:1]); err != nil {
		return c, err
	}
	if len(pos)-1 > maxCommandSteps {
		return c, fmt.Errorf("knocker send: more than %d steps", maxCommandSteps)
	}
	for i, spec := range pos[1:] {
		s, err := knock.ParseStep(spec, proto)
		if err != nil {
			return c, fmt.Errorf("knocker send step %d: %w", i+1, err)
		}
		if i > 0 {
			s.Delay = delay
		}
		c.steps = append(c.steps, s)
	}
	switch {
	case verify.Port != 0:
		c.verify = &verify
	case verify.Timeout != 0 || verify.Retries != 0:
		return c, errors.New("knocker send: --verify-timeout and --retries need --verify PORT")
	}
	return c, nil
}
