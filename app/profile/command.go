package profile

import (
	"errors"
	"fmt"
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
	words = dropLaunchers(words)
	if len(words) == 0 {
		return Imported{}, errors.New("no command: paste an nping, knock or knocker send line")
	}
	var c parsedCommand
	switch prog := strings.TrimSuffix(strings.ToLower(filepath.Base(words[0])), ".exe"); {
	case prog == "nping":
		c, err = parseNping(words[1:])
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
// refused: the line is never run, so their values are unknown.
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
// doas, env and VAR=value assignments.
func dropLaunchers(words []string) []string {
	for len(words) > 0 {
		w := words[0]
		switch {
		case w == "$" || w == "#" || w == "sudo" || w == "doas" || w == "env":
		case strings.Contains(w, "=") && !strings.HasPrefix(w, "-") && !strings.Contains(w, "/"):
		default:
			return words
		}
		words = words[1:]
	}
	return words
}

// option is one option as a command line gave it.
type option struct {
	name  string // as written, without its value: -p, --data-string
	value string
}

// optionTable says which options a program knows and which take a value.
type optionTable map[string]bool

// scanOptions separates options from the other words, getopt style:
// options anywhere, "--" ends them, "--name=value" and "-xVALUE" forms,
// bundled short flags ("-uv"). An option the table lacks fails the line,
// since whether it takes a value decides what the following word is.
func scanOptions(prog string, args []string, table optionTable) ([]option, []string, error) {
	var opts []option
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func(name string) (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s option %s needs a value", prog, name)
			}
			i++
			return args[i], nil
		}
		long := ""
		switch {
		case a == "--":
			return opts, append(pos, args[i+1:]...), nil
		case strings.HasPrefix(a, "--"):
			long = a
		case len(a) > 2 && a[0] == '-':
			// A Go flag written with one dash: -verify 22, -delay=1s.
			if name, _, _ := strings.Cut("-"+a, "="); hasOption(table, name) {
				long = "-" + a
			}
		}
		switch {
		case long != "":
			name, v, hasValue := strings.Cut(long, "=")
			takes, known := table[name]
			if !known {
				return nil, nil, fmt.Errorf("%s option %s is not one Knocker knows", prog, excerpt(name))
			}
			if takes && !hasValue {
				var err error
				if v, err = value(name); err != nil {
					return nil, nil, err
				}
			}
			opts = append(opts, option{name, v})
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				name := "-" + a[j:j+1]
				takes, known := table[name]
				if !known {
					return nil, nil, fmt.Errorf("%s option %s is not one Knocker knows", prog, excerpt(name))
				}
				if !takes {
					if rest := a[j+1:]; rest != "" && strings.Trim(rest, "0123456789") == "" {
						opts = append(opts, option{name, rest}) // a level: -v3
						break
					}
					opts = append(opts, option{name, ""})
					continue
				}
				v := strings.TrimPrefix(a[j+1:], "=")
				if v == "" {
					var err error
					if v, err = value(name); err != nil {
						return nil, nil, err
					}
				}
				opts = append(opts, option{name, v})
				break
			}
		default:
			pos = append(pos, a)
		}
	}
	return opts, pos, nil
}

// hasOption reports whether the table knows name.
func hasOption(table optionTable, name string) bool {
	_, known := table[name]
	return known
}

// npingOptions are nping's options (nping(1)), true for those taking a value.
var npingOptions = optionTable{
	"--tcp-connect": false, "--tcp": false, "--udp": false, "--icmp": false, "--arp": false, "--tr": false, "--traceroute": false,
	"-p": true, "--dest-port": true, "-g": true, "--source-port": true,
	"--data": true, "--data-string": true, "--data-length": true,
	"-c": true, "--count": true, "--delay": true, "--rate": true, "-e": true, "--interface": true,
	"-4": false, "-6": false, "--ipv4": false, "--ipv6": false,
	"-S": true, "--source-ip": true, "--dest-ip": true, "--tos": true, "--id": true, "--ttl": true, "--mtu": true,
	"--df": false, "--mf": false, "--evil": false, "--badsum": false, "--badsum-ip": false, "--ip-options": true,
	"--traffic-class": true, "--flow": true, "--hop-limit": true,
	"--seq": true, "--flags": true, "--ack": true, "--win": true, "--mss": true, "--ws": true, "--ts": true,
	"--icmp-type": true, "--icmp-code": true, "--icmp-id": true, "--icmp-seq": true, "--icmp-redirect-addr": true,
	"--icmp-param-pointer": true, "--icmp-advert-lifetime": true, "--icmp-advert-entry": true,
	"--icmp-orig-time": true, "--icmp-recv-time": true, "--icmp-trans-time": true,
	"--arp-type": true, "--arp-sender-mac": true, "--arp-sender-ip": true, "--arp-target-mac": true, "--arp-target-ip": true,
	"--dest-mac": true, "--source-mac": true, "--ether-type": true,
	"--privileged": false, "--unprivileged": false, "--send-eth": false, "--send-ip": false,
	"-H": false, "--hide-sent": false, "-N": false, "--no-capture": false,
	"-v": false, "--verbose": false, "-q": false, "--reduce-verbosity": false, "-d": false, "--debug": false,
	"-h": false, "--help": false, "-V": false, "--version": false,
	"--ec": true, "--echo-client": true, "--es": true, "--echo-server": true, "--echo-port": true,
	"--no-crypto": false, "--once": false, "--safe-payloads": false, "--include-payloads": false,
}

// npingQuiet are nping options about output or nping itself: dropping
// them changes nothing on the wire.
var npingQuiet = []string{"-v", "--verbose", "-q", "--reduce-verbosity", "-d", "--debug",
	"-H", "--hide-sent", "-N", "--no-capture", "--privileged", "--unprivileged", "--send-eth", "--send-ip", "-e", "--interface"}

// nping's defaults when a line leaves them out.
const (
	npingUDPPort = 40125
	npingTCPPort = 80
	npingDelay   = time.Second
)

func parseNping(args []string) (parsedCommand, error) {
	c := parsedCommand{format: FormatNping}
	opts, pos, err := scanOptions("nping", args, npingOptions)
	if err != nil {
		return c, err
	}
	var (
		mode          knock.Proto
		modeName      string
		ports         []uint16
		payload       knock.Payload
		payloadOption string
		delay         = npingDelay
		count         = ""
		ignored       []string
	)
	for _, o := range opts {
		switch o.name {
		case "--tcp", "--tcp-connect", "--udp", "--icmp":
			if modeName != "" && modeName != o.name {
				return c, fmt.Errorf("nping: %s and %s both choose the probe; give one", modeName, o.name)
			}
			modeName = o.name
			mode = map[string]knock.Proto{"--tcp": knock.TCP, "--tcp-connect": knock.TCP, "--udp": knock.UDP, "--icmp": knock.ICMP}[o.name]
		case "--arp", "--tr", "--traceroute", "--ec", "--echo-client", "--es", "--echo-server":
			return c, fmt.Errorf("nping %s does not knock: Knocker reads --udp, --tcp and --icmp probes", o.name)
		case "-p", "--dest-port":
			if ports, err = parsePortList(o.value); err != nil {
				return c, fmt.Errorf("nping %s: %w", o.name, err)
			}
		case "--data", "--data-string", "--data-length":
			if payloadOption != "" {
				return c, fmt.Errorf("nping: %s and %s both set the payload; give one", payloadOption, o.name)
			}
			payloadOption = o.name
			if payload, err = npingPayload(o.name, o.value); err != nil {
				return c, err
			}
		case "--delay":
			if delay, err = parseNpingTime(o.value); err != nil {
				return c, fmt.Errorf("nping --delay: %w", err)
			}
		case "-c", "--count":
			count = o.value
		case "-4", "--ipv4":
			c.family = knock.IPv4
		case "-6", "--ipv6":
			c.family = knock.IPv6
		case "--dest-ip":
			pos = append(pos, o.value)
		case "--icmp-type":
			if t := strings.ToLower(o.value); t != "8" && t != "echo" && t != "echo-request" {
				return c, errors.New("nping --icmp-type: Knocker sends ICMP echo requests (type 8) only")
			}
		case "-h", "--help", "-V", "--version":
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
	if mode == 0 {
		// nping itself probes with ICMP echo as root, and with TCP connects otherwise.
		mode = knock.ICMP
		if len(ports) > 0 {
			mode = knock.TCP
		}
		c.warnings = append(c.warnings, fmt.Sprintf("no probe mode (--udp, --tcp, --icmp) was given: read as %s, as nping does as root", mode))
	}
	switch {
	case mode == knock.ICMP && len(ports) > 0:
		c.warnings = append(c.warnings, "ICMP has no ports: -p was left out")
		ports = nil
	case mode == knock.UDP && len(ports) == 0:
		ports = []uint16{npingUDPPort}
		c.warnings = append(c.warnings, fmt.Sprintf("no -p: nping's default UDP port %d was used", npingUDPPort))
	case mode == knock.TCP && len(ports) == 0:
		ports = []uint16{npingTCPPort}
		c.warnings = append(c.warnings, fmt.Sprintf("no -p: nping's default TCP port %d was used", npingTCPPort))
	}
	if mode == knock.TCP && len(payload.Data) > 0 {
		c.warnings = append(c.warnings, "a Knocker TCP step is a bare SYN: the payload nping would put in its TCP packets was left out")
		payload = knock.Payload{}
	}
	if payloadOption == "--data-length" {
		c.warnings = append(c.warnings, "--data-length: nping sends random bytes, Knocker sends zero bytes of the same length (a packet-size rule sees no difference)")
	}
	if count != "" && count != "1" {
		c.warnings = append(c.warnings, "-c: Knocker sends the sequence once per knock, not in rounds")
	}
	if len(ignored) > 0 {
		c.warnings = append(c.warnings, "not carried over: "+strings.Join(ignored, ", "))
	}
	if mode == knock.ICMP {
		c.steps = []knock.Step{{Proto: knock.ICMP, Payload: payload}}
		return c, nil
	}
	for i, port := range ports {
		s := knock.Step{Proto: mode, Port: port, Payload: payload}
		if i > 0 {
			s.Delay = delay
		}
		c.steps = append(c.steps, s)
	}
	return c, nil
}

// npingPayload reads --data (hex, with or without 0x or \x), --data-string
// or --data-length. Errors describe the value, never quote it.
func npingPayload(name, value string) (knock.Payload, error) {
	var (
		p   knock.Payload
		err error
	)
	switch name {
	case "--data-string":
		p, err = knock.DecodePayload(value, knock.Text)
	case "--data-length":
		p, err = knock.DecodePayload(value, knock.Size)
	default:
		digits := strings.ReplaceAll(value, `\x`, "")
		digits = strings.TrimPrefix(strings.TrimPrefix(digits, "0x"), "0X")
		p, err = knock.DecodePayload(digits, knock.Hex)
	}
	if err != nil {
		return knock.Payload{}, fmt.Errorf("nping %s: %w", name, err)
	}
	return p, nil
}

// parseNpingTime reads nping's times: a number of seconds, or one with
// ms, s, m or h after it.
func parseNpingTime(s string) (time.Duration, error) {
	if s != "" && strings.Trim(s, "0123456789.") == "" {
		s += "s"
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("want a time such as 200ms, 1s or 1.5")
	}
	return d, nil
}

// parsePortList reads nping's and knock's port lists: 7000,8000 and
// ranges 7000-7002, in the order given.
func parsePortList(s string) ([]uint16, error) {
	var ports []uint16
	for item := range strings.SplitSeq(s, ",") {
		from, to, isRange := strings.Cut(strings.TrimSpace(item), "-")
		first, err := knock.ParsePort(from)
		if err != nil {
			return nil, err
		}
		last := first
		if isRange {
			if last, err = knock.ParsePort(to); err != nil {
				return nil, err
			}
			if last < first {
				return nil, fmt.Errorf("range %d-%d runs backwards", first, last)
			}
		}
		if len(ports)+int(last-first)+1 > maxCommandSteps {
			return nil, fmt.Errorf("more than %d ports", maxCommandSteps)
		}
		for p := int(first); p <= int(last); p++ {
			ports = append(ports, uint16(p))
		}
	}
	return ports, nil
}

// knockOptions are those of knock, knockd's client.
var knockOptions = optionTable{
	"-u": false, "--udp": false, "-d": true, "--delay": true, "-4": false, "--ipv4": false, "-6": false, "--ipv6": false,
	"-v": false, "--verbose": false, "-h": false, "--help": false, "-V": false, "--version": false,
}

func parseKnockClient(args []string) (parsedCommand, error) {
	c := parsedCommand{format: FormatKnockClient}
	opts, pos, err := scanOptions("knock", args, knockOptions)
	if err != nil {
		return c, err
	}
	proto := knock.TCP
	var delay time.Duration
	for _, o := range opts {
		switch o.name {
		case "-u", "--udp":
			proto = knock.UDP
		case "-d", "--delay":
			ms, err := strconv.ParseUint(o.value, 10, 31)
			if err != nil {
				return c, errors.New("knock -d: want the delay in milliseconds, e.g. -d 200")
			}
			delay = time.Duration(ms) * time.Millisecond
		case "-4", "--ipv4":
			c.family = knock.IPv4
		case "-6", "--ipv6":
			c.family = knock.IPv6
		case "-h", "--help", "-V", "--version":
			return c, fmt.Errorf("knock %s prints knock's help or version; it knocks nothing", o.name)
		}
	}
	if len(pos) < 2 {
		return c, errors.New("knock: want HOST and at least one PORT[:PROTO]")
	}
	if err := c.oneHost(pos[:1]); err != nil {
		return c, err
	}
	for _, spec := range pos[1:] {
		for item := range strings.SplitSeq(spec, ",") {
			portText, protoText, hasProto := strings.Cut(item, ":")
			s := knock.Step{Proto: proto}
			if hasProto {
				p, err := knock.ParseProto(protoText)
				if err != nil || p == knock.ICMP {
					return c, fmt.Errorf("knock step %d: the protocol after : must be tcp or udp", len(c.steps)+1)
				}
				s.Proto = p
			}
			if s.Proto == knock.UDP {
				s.Payload = knock.KnockZeroByte() // what knock sends in every datagram
			}
			if s.Port, err = knock.ParsePort(portText); err != nil {
				return c, fmt.Errorf("knock step %d: %w", len(c.steps)+1, err)
			}
			if len(c.steps) > 0 {
				s.Delay = delay
			}
			if len(c.steps) == maxCommandSteps {
				return c, fmt.Errorf("knock: more than %d ports", maxCommandSteps)
			}
			c.steps = append(c.steps, s)
		}
	}
	return c, nil
}

// knockerSendOptions are knocker send's flags; Go's flag package takes
// them with one dash or two.
var knockerSendOptions = optionTable{
	"-u": false, "-d": true, "--delay": true, "-4": false, "-6": false, "--verify": true, "--verify-timeout": true,
	"--retries": true, "-v": false, "-h": false, "--help": false,
}

func parseKnockerSend(args []string) (parsedCommand, error) {
	c := parsedCommand{format: FormatKnockerSend}
	opts, pos, err := scanOptions("knocker send", args, knockerSendOptions)
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
		case "-d", "--delay":
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
		case "--verify":
			if verify.Port, err = knock.ParsePort(o.value); err != nil {
				return c, fmt.Errorf("knocker send --verify: %w", err)
			}
		case "--verify-timeout":
			if verify.Timeout, err = time.ParseDuration(o.value); err != nil || verify.Timeout <= 0 {
				return c, errors.New("knocker send --verify-timeout: want a positive duration such as 3s")
			}
		case "--retries":
			n, err := strconv.Atoi(o.value)
			if err != nil || n < 0 || n > MaxRetries {
				return c, fmt.Errorf("knocker send --retries: want 0-%d", MaxRetries)
			}
			verify.Retries = n
		case "-h", "--help":
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
