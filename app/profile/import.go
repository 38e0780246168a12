package profile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/knocker/knocker/app/secret"
	"github.com/knocker/knocker/knock"
)

// Imported is what an import file held, checked and ready to add.
type Imported struct {
	Format Format // what the file was found to be
	// Profiles are each with a fresh ID and its secret; there are at most
	// MaxImportProfiles, and a preview says how many (len).
	Profiles []Profile
	// Warnings name settings that were read but cannot be honoured.
	Warnings []string
	// Skipped are the sections of a knockd.conf or stanzas of a .fwknoprc
	// left out, each with its reason, while the others import. When none
	// imports, the parser's error lists them too.
	Skipped []Skipped
}

// Skipped is a section of a file that Knocker cannot knock, and why.
type Skipped struct {
	Section string // where and which: "line 12: [openSSH]"
	Reason  string // never quotes a key or a payload
	// NeedsKeys is the stanza read as far as it goes when all it lacks are
	// its keys, which fwknop asks for at each run: a window can ask for
	// them and import it; the command line cannot.
	NeedsKeys *Profile
}

// String is the section and the reason, as one line.
func (s Skipped) String() string { return s.Section + ": " + s.Reason }

// errNothingImported is the error of a file all of whose sections were
// left out: it names each, so a one-line error says everything.
func errNothingImported(skipped []Skipped, more int) error {
	parts := make([]string, len(skipped))
	for i, s := range skipped {
		parts[i] = s.String()
	}
	if more > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", more))
	}
	return errors.New("nothing can be imported: " + strings.Join(parts, "; "))
}

// Format is a kind of file ParseImport reads.
type Format string

// The formats ParseImport tells apart, named as the user is told.
const (
	FormatKnocker   Format = "Knocker JSON"
	FormatKoP       Format = "Knock on Ports JSON (format version 1)"
	FormatKoPLegacy Format = "Knock on Ports JSON (legacy, unversioned)"
	FormatKnockd    Format = "knockd.conf"
	FormatFwknoprc  Format = "fwknop client configuration (.fwknoprc)"
	FormatRouterOS  Format = "RouterOS configuration"
)

// DetectFormat says which format data looks like, from its shape alone; the
// parser for that format then gives the precise error if it is damaged.
func DetectFormat(data []byte) Format {
	trimmed := bytes.TrimSpace(data)
	if looksLikeRouterOS(data) {
		return FormatRouterOS
	}
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{':
		var head struct {
			Sequences json.RawMessage `json:"sequences"`
		}
		if json.Unmarshal(trimmed, &head) == nil && head.Sequences != nil {
			return FormatKoP
		}
		return FormatKnocker
	case len(trimmed) > 0 && trimmed[0] == '[':
		// A JSON array of objects, or an INI section header such as [openSSH].
		if rest := bytes.TrimLeft(trimmed[1:], " \t\r\n"); len(rest) == 0 || rest[0] == '{' || rest[0] == ']' {
			return FormatKoPLegacy
		}
	}
	if looksLikeFwknoprc(data) {
		return FormatFwknoprc
	}
	return FormatKnockd
}

// ParseImport reads any format DetectFormat knows. host is the router to
// knock for knockd.conf and RouterOS configuration, which describe only the
// server side; the other formats name their own hosts and host must then be
// empty. The whole file
// is checked before anything is returned, and the first error names the
// field or line.
func ParseImport(data []byte, host string) (Imported, error) {
	if len(data) > MaxFileSize {
		return Imported{}, fmt.Errorf("the file is larger than %d bytes", MaxFileSize)
	}
	format := DetectFormat(data)
	if host != "" && format != FormatKnockd && format != FormatRouterOS {
		return Imported{Format: format}, fmt.Errorf("this is %s, which names its own hosts; --host is for knockd.conf and RouterOS configuration", format)
	}
	var imp Imported
	var err error
	switch format {
	case FormatKnocker:
		imp.Profiles, err = ParseKnocker(data)
	case FormatKoP, FormatKoPLegacy:
		imp, err = ParseKnockOnPorts(data)
	case FormatFwknoprc:
		imp, err = ParseFwknoprc(data)
	case FormatRouterOS:
		imp, err = ParseRouterOS(data, host)
	default:
		imp, err = ParseKnockd(data, host)
	}
	imp.Format = format
	return imp, err
}

// ParseKnocker reads Knocker's own JSON, as export writes it. Every profile
// must carry its steps: an export made without secrets cannot be knocked.
func ParseKnocker(data []byte) ([]Profile, error) {
	if !json.Valid(data) {
		// decodeDoc names the place.
		_, err := decodeDoc(data, true)
		return nil, err
	}
	if err := checkJSONLists(data); err != nil {
		return nil, err
	}
	doc, err := decodeDoc(data, true)
	if err != nil {
		return nil, err
	}
	if len(doc.Profiles) == 0 {
		return nil, fieldErr("profiles", errors.New("no profiles in the file"))
	}
	b := newImportBatch()
	for i := range doc.Profiles {
		j := &doc.Profiles[i]
		j.ID, j.Created, j.LastKnocked = NewID(), time.Now().UTC(), time.Time{}
		var p Profile
		var err error
		switch {
		case payloadBound(j.Steps) > b.budget:
			// Checked before a size payload is made.
			err = errBudget
		case j.SPA != nil && !j.SPA.hasKeys():
			err = fieldErr("spa.key_base64", errNoSecret)
		case j.SPA == nil && len(j.Steps) == 0:
			err = fieldErr("steps", errNoSecret)
		default:
			p, err = fromJSON(j, hiddenRune)
		}
		if err := b.take(profileField("profiles", i, j.Name), p, nil, err); err != nil {
			return nil, err
		}
	}
	return b.out, nil
}

// lineField names line n of a file, for errors.
func lineField(n int) string { return "line " + strconv.Itoa(n) }

// payloadBound is at most how many payload bytes steps decode into.
func payloadBound(steps []stepJSON) int {
	n := 0
	for _, s := range steps {
		if s.Encoding == knock.Size.String() {
			if size, err := strconv.Atoi(s.Payload); err == nil {
				n += min(max(size, 0), knock.MaxPayload)
			}
			continue
		}
		n += len(s.Payload)
	}
	return n
}

var errNoSecret = errors.New("missing: this looks like an export made without --with-secrets, which cannot be knocked")

// profileField names the i-th profile of a file, with its name when usable.
func profileField(list string, i int, name string) string {
	field := fmt.Sprintf("%s[%d]", list, i)
	if name != "" && ValidateName(name) == nil {
		field += " (" + name + ")"
	}
	return field
}

// importBatch collects the profiles of one file, checking each as the
// book will (valid, names and IDs free within the file, secret fits the
// keyring) and keeping their secrets, which a List drops. It also holds the
// file's limits: how many profiles, how much payload, how many warnings.
type importBatch struct {
	l        List
	names    *listAdder
	out      []Profile
	warnings warningList
	skipped  capped[Skipped]
	budget   int // payload bytes the file may still expand into
}

func newImportBatch() *importBatch {
	b := &importBatch{budget: importBudget}
	b.names = b.l.adder()
	return b
}

// take adds the profile read from field, or fails the whole file with the
// error of reading it, named by field; warnings say what could not be
// carried over.
func (b *importBatch) take(field string, p Profile, warnings []string, err error) error {
	if err == nil {
		err = b.add(p)
	}
	if err != nil {
		return fieldErr(field, err)
	}
	for _, w := range warnings {
		b.warnings.add(field + ": " + w)
	}
	return nil
}

// takeOrSkip adds the profile read from section, or leaves the section out
// with the reason it cannot be knocked. Only a limit of the whole file (too
// many profiles, too much payload) is an error.
func (b *importBatch) takeOrSkip(section string, p Profile, warnings []string, err error) error {
	if err == nil {
		err = b.add(p)
	}
	switch {
	case errors.Is(err, errBudget) || errors.Is(err, errTooManyProfiles):
		return fieldErr(section, err)
	case err != nil:
		b.skipped.add(Skipped{Section: section, Reason: err.Error()})
		return nil
	}
	for _, w := range warnings {
		b.warnings.add(section + ": " + w)
	}
	return nil
}

func (b *importBatch) add(p Profile) error {
	if len(b.out) >= MaxImportProfiles {
		return tooManyProfiles()
	}
	if len(p.Steps) > MaxSteps {
		return fieldErr("steps", tooManySteps())
	}
	if err := b.charge(p.Steps); err != nil {
		return err
	}
	if err := checkSecretSize(&p); err != nil {
		return err
	}
	if err := b.names.add(p); err != nil {
		return err
	}
	// A URL from a file is opened only once the user has seen it.
	p.OpenURLImported = p.OpenURL != ""
	b.out = append(b.out, p)
	return nil
}

// charge counts payload the importer has already made against the budget.
func (b *importBatch) charge(steps []knock.Step) error {
	for _, s := range steps {
		if b.budget -= len(s.Payload.Data); b.budget < 0 {
			return errBudget
		}
	}
	return nil
}

// imported is the batch's result, with its warnings and the sections left
// out; with none imported, the error names those.
func (b *importBatch) imported() (Imported, error) {
	imp := Imported{Profiles: b.out, Warnings: b.warnings.all(), Skipped: b.skipped.list}
	if len(b.out) == 0 && len(b.skipped.list) > 0 {
		return imp, errNothingImported(b.skipped.list, b.skipped.dropped)
	}
	if b.skipped.dropped > 0 {
		imp.Skipped = append(imp.Skipped, Skipped{Section: "the rest of the file", Reason: fmt.Sprintf("%d more sections left out", b.skipped.dropped)})
	}
	return imp, nil
}

// knockdIgnored are knockd.conf settings that only matter to the server
// (command_6 and the like are the IPv6 twins of the commands). seq_timeout
// (and its alias timeout) is met by any knock Knocker sends, since it
// sends the steps back to back.
var knockdIgnored = map[string]bool{
	"command": true, "start_command": true, "stop_command": true, "cmd_timeout": true,
	"command_6": true, "start_command_6": true, "stop_command_6": true,
	"target": true, "interface": true, "seq_timeout": true, "timeout": true,
}

// knockdForks are settings of knockd's forks (not of knockd 0.8) that
// change what the server expects, with why Knocker cannot knock them.
var knockdForks = map[string]string{
	"key":   "key is a TOTP secret of a knockd fork: its sequence changes with time, and Knocker knocks a fixed one",
	"ipset": "ipset is a setting of a knockd fork, not of knockd 0.8: Knocker imports only what knockd 0.8 reads",
}

// ParseKnockd reads the knock sequences of a knockd.conf, one profile per
// section named after it:
//
//	[openSSH]
//	    sequence = 7000:udp,8000:tcp,9000
//
// A section Knocker cannot knock is left out with its reason, and the
// others import: tcpflags must be met by a plain SYN, which is what Knocker
// sends (syn and negations such as !ack pass, any other flag does not);
// one_time_sequences and settings knockd 0.8 does not know (a fork's
// ipset or TOTP key) leave the section out too.
func ParseKnockd(data []byte, host string) (Imported, error) {
	b := newImportBatch()
	type section struct {
		name     string
		line     int
		sequence []knock.Step
		bad      error // the first reason it cannot be knocked
	}
	var cur *section
	sections := 0
	finish := func() error {
		if cur == nil || strings.EqualFold(cur.name, "options") {
			return nil
		}
		field := fmt.Sprintf("line %d: [%s]", cur.line, excerpt(cur.name))
		err := cur.bad
		if err == nil && cur.sequence == nil {
			err = errors.New("no sequence")
		}
		p := Profile{ID: NewID(), Name: cur.name, Host: host, Steps: cur.sequence, Created: time.Now().UTC()}
		return b.takeOrSkip(field, p, nil, err)
	}
	if host == "" {
		return Imported{}, errors.New("knockd.conf does not say where the router is: give its name or address with --host")
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, MaxFileSize)
	for n := 1; sc.Scan(); n++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		text = strings.TrimSpace(text)
		switch {
		case text == "":
			continue
		case strings.HasPrefix(text, "["):
			name, ok := strings.CutSuffix(text[1:], "]")
			if !ok {
				return Imported{}, fieldErr(lineField(n), errors.New(`section header without "]"`))
			}
			if err := finish(); err != nil {
				return Imported{}, err
			}
			// Sections left out count too: a file is read whole or refused.
			if sections++; sections > MaxImportProfiles+1 {
				return Imported{}, fieldErr(lineField(n), tooManyProfiles())
			}
			cur = &section{name: strings.TrimSpace(name), line: n}
			continue
		case cur == nil:
			return Imported{}, fieldErr(lineField(n), errors.New("setting before the first [section]"))
		case strings.EqualFold(cur.name, "options") || cur.bad != nil:
			continue
		}
		if err := knockdSetting(text, &cur.sequence); err != nil {
			cur.bad = fieldErr(lineField(n), err)
		}
	}
	if err := sc.Err(); err != nil {
		return Imported{}, err
	}
	if err := finish(); err != nil {
		return Imported{}, err
	}
	if len(b.out) == 0 && len(b.skipped.list) == 0 {
		return Imported{}, errors.New("no knock sequence found (want a knockd.conf section with sequence = PORT[:PROTO],...)")
	}
	return b.imported()
}

// knockdSetting reads one line of a section: the sequence into sequence,
// or the reason the section cannot be knocked.
func knockdSetting(text string, sequence *[]knock.Step) error {
	key, value, _ := strings.Cut(text, "=")
	key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
	switch {
	case key == "sequence":
		if *sequence != nil {
			return errors.New("second sequence in one section")
		}
		steps, err := parseKnockdSequence(value)
		if err != nil {
			return err
		}
		*sequence = steps
	case key == "one_time_sequences":
		return errors.New("one_time_sequences is not supported: Knocker knocks a fixed sequence")
	case key == "tcpflags":
		return checkKnockdFlags(value)
	case knockdIgnored[key]:
	case knockdForks[key] != "":
		return errors.New(knockdForks[key])
	default:
		return fmt.Errorf("unknown knockd setting %s (knockd 0.8 does not read it: a fork's?)", quoted(key))
	}
	return nil
}

// knockdFlags are the TCP flags knockd's tcpflags names.
var knockdFlags = []string{"fin", "syn", "rst", "psh", "ack", "urg"}

// checkKnockdFlags accepts a tcpflags list that a plain SYN, which Knocker
// sends, matches: knockd ignores TCP packets that do not.
func checkKnockdFlags(value string) error {
	for _, item := range strings.Split(value, ",") {
		f := strings.ToLower(strings.TrimSpace(item))
		flag, negated := strings.CutPrefix(f, "!")
		switch {
		case !slices.Contains(knockdFlags, flag):
			return fmt.Errorf("tcpflags: unknown flag %s (knockd knows fin, syn, rst, psh, ack, urg, each optionally negated with !)", quoted(f))
		case flag == "syn" && negated:
			return errors.New("tcpflags !syn is not supported: Knocker sends plain SYNs")
		case flag != "syn" && !negated:
			return fmt.Errorf("tcpflags %s is not supported: Knocker sends plain SYNs", flag)
		}
	}
	return nil
}

// parseKnockdSequence reads "7000:udp,8000:tcp,9000" (bare ports are TCP, as in knockd).
func parseKnockdSequence(s string) ([]knock.Step, error) {
	if s == "" {
		return nil, errors.New("sequence is empty")
	}
	if strings.Count(s, ",") >= MaxSteps {
		return nil, tooManySteps()
	}
	items := strings.Split(s, ",")
	steps := make([]knock.Step, len(items))
	for i, item := range items {
		portText, protoText, hasProto := strings.Cut(strings.TrimSpace(item), ":")
		step := knock.Step{Proto: knock.TCP}
		if hasProto {
			p, err := knock.ParseProto(strings.TrimSpace(protoText))
			if err != nil || p == knock.ICMP {
				return nil, fmt.Errorf("sequence item %d: protocol must be tcp or udp", i+1)
			}
			step.Proto = p
		}
		port, err := knock.ParsePort(strings.TrimSpace(portText))
		if err != nil {
			return nil, fmt.Errorf("sequence item %d: %w", i+1, err)
		}
		step.Port = port
		steps[i] = step
	}
	return steps, nil
}

// secretLowerBound is at least how long EncodeSecret writes steps: their
// payloads as written, without quotes or other JSON.
func secretLowerBound(steps []knock.Step) int {
	n := 0
	for _, s := range steps {
		switch d := len(s.Payload.Data); s.Payload.Encoding {
		case knock.Hex:
			n += 2 * d
		case knock.Base64:
			n += (d + 2) / 3 * 4
		case knock.Size:
			n += len(strconv.Itoa(d))
		default:
			n += d
		}
	}
	return n
}

// checkSecretSize fails early for a profile whose secret part would not fit
// a keyring item, so an import is refused before anything is written.
func checkSecretSize(p *Profile) error {
	// Written out, a 64 KiB payload is 128 KiB of hex: steps that cannot
	// fit are refused before they are encoded.
	if n := secretLowerBound(p.Steps); n > secret.MaxSize {
		return fieldErr("steps", fmt.Errorf("the secret part would be at least %d bytes, more than the %d bytes a keyring item can hold on every system: use fewer steps or shorter payloads", n, secret.MaxSize))
	}
	v, err := EncodeSecret(p)
	if err != nil {
		return err
	}
	if err := secret.CheckSize(v); err != nil {
		field := "steps"
		if p.SPA != nil {
			field = "spa"
		}
		return fieldErr(field, err)
	}
	return nil
}
