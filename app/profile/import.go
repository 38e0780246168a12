package profile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/knocker/knocker/app/secret"
	"github.com/knocker/knocker/knock"
)

// Imported is what an import file held, checked and ready to add.
type Imported struct {
	Format   Format    // what the file was found to be
	Profiles []Profile // each with a fresh ID and its secret
	// Warnings name settings that were read but cannot be honoured.
	Warnings []string
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
)

// DetectFormat says which format data looks like, from its shape alone; the
// parser for that format then gives the precise error if it is damaged.
func DetectFormat(data []byte) Format {
	trimmed := bytes.TrimSpace(data)
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
// knock for knockd.conf, which describes only the server side; the other
// formats name their own hosts and host must then be empty. The whole file
// is checked before anything is returned, and the first error names the
// field or line.
func ParseImport(data []byte, host string) (Imported, error) {
	if len(data) > MaxFileSize {
		return Imported{}, fmt.Errorf("the file is larger than %d bytes", MaxFileSize)
	}
	format := DetectFormat(data)
	if host != "" && format != FormatKnockd {
		return Imported{Format: format}, fmt.Errorf("this is %s, which names its own hosts; --host is for knockd.conf", format)
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
	default:
		imp, err = ParseKnockd(data, host)
	}
	imp.Format = format
	return imp, err
}

// ParseKnocker reads interchange JSON (DESIGN.md section 3). Every profile
// must carry its steps: an export made without secrets cannot be knocked.
func ParseKnocker(data []byte) ([]Profile, error) {
	doc, err := decodeDoc(data, true)
	if err != nil {
		return nil, err
	}
	if len(doc.Profiles) == 0 {
		return nil, fieldErr("profiles", errors.New("no profiles in the file"))
	}
	var b importBatch
	for i := range doc.Profiles {
		j := &doc.Profiles[i]
		j.ID, j.Created, j.LastKnocked = NewID(), time.Now().UTC(), time.Time{}
		p, err := fromJSON(j)
		switch {
		case err != nil:
		case j.SPA != nil && !j.SPA.hasKeys():
			err = fieldErr("spa.key_base64", errNoSecret)
		case j.SPA == nil && len(p.Steps) == 0:
			err = fieldErr("steps", errNoSecret)
		}
		if err := b.take(profileField("profiles", i, j.Name), p, nil, err); err != nil {
			return nil, err
		}
	}
	return b.out, nil
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
// keyring) and keeping their secrets, which a List drops.
type importBatch struct {
	l        List
	out      []Profile
	warnings []string
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
		b.warnings = append(b.warnings, field+": "+w)
	}
	return nil
}

func (b *importBatch) add(p Profile) error {
	if err := checkSecretSize(&p); err != nil {
		return err
	}
	if err := b.l.Add(p); err != nil {
		return err
	}
	b.out = append(b.out, p)
	return nil
}

// knockdIgnored are knockd.conf settings that only matter to the server.
var knockdIgnored = map[string]bool{
	"command": true, "start_command": true, "stop_command": true, "cmd_timeout": true,
	"target": true, "interface": true,
}

// ParseKnockd reads the knock sequences of a knockd.conf, one profile per
// section named after it:
//
//	[openSSH]
//	    sequence = 7000:udp,8000:tcp,9000
//
// seq_timeout is reported and ignored (Knocker sends the steps back to
// back); one_time_sequences and tcpflags other than syn cannot be honoured
// and fail the import.
func ParseKnockd(data []byte, host string) (Imported, error) {
	var out Imported
	var b importBatch
	type section struct {
		name     string
		line     int
		sequence []knock.Step
	}
	var cur *section
	finish := func() error {
		if cur == nil || strings.EqualFold(cur.name, "options") {
			return nil
		}
		field := fmt.Sprintf("line %d: [%s]", cur.line, cur.name)
		if cur.sequence == nil {
			return fieldErr(field, errors.New("no sequence"))
		}
		p := Profile{ID: NewID(), Name: cur.name, Host: host, Steps: cur.sequence, Created: time.Now().UTC()}
		return b.take(field, p, nil, nil)
	}
	if host == "" {
		return out, errors.New("knockd.conf does not say where the router is: give its name or address with --host")
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, MaxFileSize)
	for n := 1; sc.Scan(); n++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		text = strings.TrimSpace(text)
		at := fmt.Sprintf("line %d", n)
		switch {
		case text == "":
			continue
		case strings.HasPrefix(text, "["):
			name, ok := strings.CutSuffix(text[1:], "]")
			if !ok {
				return out, fieldErr(at, errors.New(`section header without "]"`))
			}
			if err := finish(); err != nil {
				return out, err
			}
			cur = &section{name: strings.TrimSpace(name), line: n}
			continue
		case cur == nil:
			return out, fieldErr(at, errors.New("setting before the first [section]"))
		case strings.EqualFold(cur.name, "options"):
			continue
		}
		key, value, _ := strings.Cut(text, "=")
		key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
		switch {
		case key == "sequence":
			if cur.sequence != nil {
				return out, fieldErr(at, errors.New("second sequence in one section"))
			}
			steps, err := parseKnockdSequence(value)
			if err != nil {
				return out, fieldErr(at, err)
			}
			cur.sequence = steps
		case key == "one_time_sequences":
			return out, fieldErr(at, errors.New("one_time_sequences is not supported: Knocker knocks a fixed sequence"))
		case key == "seq_timeout":
			out.Warnings = append(out.Warnings, at+": seq_timeout is not supported and was ignored (Knocker sends the steps back to back)")
		case key == "tcpflags":
			for _, flag := range strings.Split(value, ",") {
				if f := strings.ToLower(strings.TrimSpace(flag)); f != "syn" {
					return out, fieldErr(at, fmt.Errorf("tcpflags %q is not supported: Knocker sends plain SYNs", f))
				}
			}
		case knockdIgnored[key]:
		default:
			return out, fieldErr(at, fmt.Errorf("unknown knockd setting %q", key))
		}
	}
	if err := sc.Err(); err != nil {
		return out, err
	}
	if err := finish(); err != nil {
		return out, err
	}
	if len(b.out) == 0 {
		return out, errors.New("no knock sequence found (want a knockd.conf section with sequence = PORT[:PROTO],...)")
	}
	out.Profiles = b.out
	return out, nil
}

// parseKnockdSequence reads "7000:udp,8000:tcp,9000" (bare ports are TCP, as in knockd).
func parseKnockdSequence(s string) ([]knock.Step, error) {
	if s == "" {
		return nil, errors.New("sequence is empty")
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

// checkSecretSize fails early for a profile whose secret part would not fit
// a keyring item, so an import is refused before anything is written.
func checkSecretSize(p *Profile) error {
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
