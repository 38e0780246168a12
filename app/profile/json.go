package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/knocker/knocker/knock"
)

// FormatVersion is the version of profiles.json and of the interchange JSON
// this build reads and writes. Any new field bumps it, so that an older
// build, which refuses newer files, never drops data it does not know.
const FormatVersion = 1

// document is the shape of profiles.json and of an export (DESIGN.md section 3).
type document struct {
	Version  int           `json:"version"`
	Profiles []profileJSON `json:"profiles"`
}

// profileJSON carries every field; the store leaves out steps, an export
// leaves out the machine-local id and times (and steps unless asked).
type profileJSON struct {
	ID          string      `json:"id,omitempty"`
	Name        string      `json:"name"`
	Host        string      `json:"host"`
	Family      string      `json:"family,omitempty"`
	Steps       []stepJSON  `json:"steps,omitempty"`
	Timeout     string      `json:"timeout,omitempty"`
	AutoRefresh bool        `json:"auto_refresh"`
	Verify      *verifyJSON `json:"verify,omitempty"`
	Notes       string      `json:"notes,omitempty"`
	Created     time.Time   `json:"created,omitzero"`
	LastKnocked time.Time   `json:"last_knocked,omitzero"`
}

type stepJSON struct {
	Proto    string `json:"proto"`
	Port     int    `json:"port,omitempty"`
	Payload  string `json:"payload,omitempty"`
	Encoding string `json:"encoding,omitempty"`
	Delay    string `json:"delay,omitempty"`
}

type verifyJSON struct {
	Proto   string `json:"proto,omitempty"`
	Port    int    `json:"port"`
	Timeout string `json:"timeout,omitempty"`
	Retries int    `json:"retries,omitempty"`
}

// secretJSON is the keyring item's value: the secret part of one profile.
type secretJSON struct {
	Steps []stepJSON `json:"steps"`
}

func toJSON(p *Profile, steps, local bool) profileJSON {
	j := profileJSON{
		Name:        p.Name,
		Host:        p.Host,
		Family:      p.Family.String(),
		AutoRefresh: p.AutoRefresh,
		Notes:       p.Notes,
	}
	if p.Timeout > 0 {
		j.Timeout = formatDuration(p.Timeout)
	}
	if v := p.Verify; v != nil {
		j.Verify = &verifyJSON{Proto: "tcp", Port: int(v.Port), Retries: v.Retries}
		if v.Timeout > 0 {
			j.Verify.Timeout = formatDuration(v.Timeout)
		}
	}
	if steps {
		j.Steps = stepsToJSON(p.Steps)
	}
	if local {
		j.ID, j.Created, j.LastKnocked = p.ID, p.Created, p.LastKnocked
	}
	return j
}

func stepsToJSON(steps []knock.Step) []stepJSON {
	out := make([]stepJSON, len(steps))
	for i, s := range steps {
		out[i] = stepJSON{Proto: s.Proto.String(), Port: int(s.Port), Delay: formatDuration(s.Delay)}
		if len(s.Payload.Data) > 0 {
			out[i].Payload = s.Payload.Value()
			out[i].Encoding = s.Payload.Encoding.String()
		}
	}
	return out
}

// fromJSON reads and checks one profile; errors name the field at fault.
func fromJSON(j *profileJSON) (Profile, error) {
	p := Profile{
		ID:          j.ID,
		Name:        j.Name,
		Host:        j.Host,
		AutoRefresh: j.AutoRefresh,
		Notes:       j.Notes,
		Created:     j.Created,
		LastKnocked: j.LastKnocked,
	}
	var err error
	if j.Family != "" {
		if p.Family, err = knock.ParseFamily(j.Family); err != nil {
			return Profile{}, fieldErr("family", err)
		}
	}
	if p.Timeout, err = parseDuration(j.Timeout); err != nil {
		return Profile{}, fieldErr("timeout", err)
	}
	if v := j.Verify; v != nil {
		if v.Proto != "" && !strings.EqualFold(v.Proto, "tcp") {
			return Profile{}, fieldErr("verify.proto", errors.New("only tcp can be verified"))
		}
		port, err := parsePort(v.Port)
		if err != nil {
			return Profile{}, fieldErr("verify.port", err)
		}
		p.Verify = &Verify{Port: port, Retries: v.Retries}
		if p.Verify.Timeout, err = parseDuration(v.Timeout); err != nil {
			return Profile{}, fieldErr("verify.timeout", err)
		}
	}
	if p.Steps, err = stepsFromJSON(j.Steps); err != nil {
		return Profile{}, err
	}
	if err := p.validate(); err != nil {
		return Profile{}, err
	}
	return p, nil
}

func stepsFromJSON(js []stepJSON) ([]knock.Step, error) {
	steps := make([]knock.Step, len(js))
	for i, j := range js {
		field := fmt.Sprintf("steps[%d]", i)
		s, err := stepFromJSON(j)
		if err != nil {
			return nil, fieldErr(field, err)
		}
		if err := s.Validate(); err != nil {
			return nil, fieldErr(field, err)
		}
		steps[i] = s
	}
	return steps, nil
}

func stepFromJSON(j stepJSON) (knock.Step, error) {
	var s knock.Step
	var err error
	if s.Proto, err = knock.ParseProto(j.Proto); err != nil {
		return s, fieldErr("proto", err)
	}
	if s.Proto == knock.ICMP {
		if j.Port != 0 {
			return s, fieldErr("port", errors.New("ICMP has no ports"))
		}
	} else if s.Port, err = parsePort(j.Port); err != nil {
		return s, fieldErr("port", err)
	}
	switch {
	case j.Payload != "":
		enc := knock.Text
		if j.Encoding != "" {
			if enc, err = knock.ParseEncoding(j.Encoding); err != nil {
				return s, fieldErr("encoding", err)
			}
		}
		if s.Payload, err = knock.DecodePayload(j.Payload, enc); err != nil {
			return s, fieldErr("payload", err)
		}
	case j.Encoding != "":
		return s, fieldErr("encoding", errors.New("given without a payload"))
	}
	if s.Delay, err = parseDuration(j.Delay); err != nil {
		return s, fieldErr("delay", err)
	}
	return s, nil
}

func parsePort(n int) (uint16, error) {
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %d is out of range (want 1-65535)", n)
	}
	return uint16(n), nil
}

// formatDuration writes "2h" and "1h30m" rather than Go's "2h0m0s".
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// parseDuration reads "2h", "500ms"; empty is zero.
func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (e.g. 30s, 2h)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("negative duration %v", d)
	}
	return d, nil
}

// EncodeSecret renders the secret part of p as the compact JSON stored in
// its keyring item.
func EncodeSecret(p *Profile) (string, error) {
	b, err := json.Marshal(secretJSON{Steps: stepsToJSON(p.Steps)})
	return string(b), err
}

// errBadSecret never wraps the decoder's error, which may quote the value.
var errBadSecret = errors.New("the profile's keyring item is damaged (delete the profile and import it again)")

// DecodeSecret reads a keyring item's value back into steps.
func DecodeSecret(value string) ([]knock.Step, error) {
	var s secretJSON
	dec := json.NewDecoder(strings.NewReader(value))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, errBadSecret
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errBadSecret
	}
	steps, err := stepsFromJSON(s.Steps)
	if err != nil || len(steps) == 0 {
		return nil, errBadSecret
	}
	return steps, nil
}

// Export renders profiles as interchange JSON. Without withSecrets the steps
// are left out, so the result is safe to share or paste.
func Export(profiles []Profile, withSecrets bool) ([]byte, error) {
	doc := document{Version: FormatVersion, Profiles: make([]profileJSON, len(profiles))}
	for i := range profiles {
		doc.Profiles[i] = toJSON(&profiles[i], withSecrets, false)
	}
	return marshalDoc(doc)
}

func marshalDoc(doc document) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
