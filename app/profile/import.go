package profile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/knocker/knocker/app/secret"
	"github.com/knocker/knocker/knock"
)

// Imported is what an import file held, checked and ready to add.
type Imported struct {
	Profiles []Profile // each with a fresh ID and its steps
	// Warnings name settings that were read but cannot be honoured.
	Warnings []string
}

// ParseImport reads Knocker JSON or a knockd.conf. host is the router to
// knock for knockd.conf, which describes only the server side; JSON names
// its own hosts and host must then be empty. The whole file is checked
// before anything is returned, and the first error names the field or line.
func ParseImport(data []byte, host string) (Imported, error) {
	if len(data) > MaxFileSize {
		return Imported{}, fmt.Errorf("the file is larger than %d bytes", MaxFileSize)
	}
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		if host != "" {
			return Imported{}, errors.New("a Knocker JSON file names its own hosts; --host is for knockd.conf")
		}
		ps, err := ParseKnocker(data)
		return Imported{Profiles: ps}, err
	}
	return ParseKnockd(data, host)
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
	var l List
	for i := range doc.Profiles {
		j := &doc.Profiles[i]
		field := fmt.Sprintf("profiles[%d]", i)
		if j.Name != "" && ValidateName(j.Name) == nil {
			field += " (" + j.Name + ")"
		}
		j.ID, j.Created, j.LastKnocked = NewID(), time.Now().UTC(), time.Time{}
		p, err := fromJSON(j)
		if err == nil && len(p.Steps) == 0 {
			err = fieldErr("steps", errors.New("missing: this looks like an export made without --with-secrets, which cannot be knocked"))
		}
		if err == nil {
			err = checkSecretSize(&p)
		}
		if err == nil {
			err = l.Add(p)
		}
		if err != nil {
			return nil, fieldErr(field, err)
		}
		l.Profiles[len(l.Profiles)-1].Steps = p.Steps
	}
	return l.Profiles, nil
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
	var l List
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
		err := checkSecretSize(&p)
		if err == nil {
			err = l.Add(p)
		}
		if err != nil {
			return fieldErr(field, err)
		}
		l.Profiles[len(l.Profiles)-1].Steps = p.Steps
		return nil
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
	if len(l.Profiles) == 0 {
		return out, errors.New("no knock sequence found (want a knockd.conf section with sequence = PORT[:PROTO],...)")
	}
	out.Profiles = l.Profiles
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
		return fieldErr("steps", err)
	}
	return nil
}
