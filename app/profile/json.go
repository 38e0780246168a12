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
	"github.com/knocker/knocker/knock/spa"
)

// FormatVersion is the version of profiles.json and of the interchange JSON
// this build reads and writes. Any new field bumps it, so that an older
// build, which refuses newer files, never drops data it does not know.
// Version 2 added "spa" and "open_url", version 3 "open_url_imported",
// version 4 an SPA allow_ip of "resolve" with "resolve_url"; a file without
// them is still written as the oldest version that holds it, so older
// builds keep reading it.
const FormatVersion = 4

// docVersion is the lowest format version that holds profiles.
func docVersion(profiles []profileJSON) int {
	v := 1
	for i := range profiles {
		switch {
		case profiles[i].SPA != nil && profiles[i].SPA.ResolveURL != "":
			return 4
		case profiles[i].OpenURLImported:
			v = 3
		case profiles[i].SPA != nil || profiles[i].OpenURL != "":
			v = max(v, 2)
		}
	}
	return v
}

// document is the shape of profiles.json and of an export: the interchange
// format other tools and older Knockers read, so its field names never change.
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
	SPA         *spaJSON    `json:"spa,omitempty"`
	Timeout     string      `json:"timeout,omitempty"`
	AutoRefresh bool        `json:"auto_refresh"`
	Verify      *verifyJSON `json:"verify,omitempty"`
	Notes       string      `json:"notes,omitempty"`
	OpenURL     string      `json:"open_url,omitempty"`
	// OpenURLImported is local, like the ID: an import sets it anew.
	OpenURLImported bool      `json:"open_url_imported,omitempty"`
	Created         time.Time `json:"created,omitzero"`
	LastKnocked     time.Time `json:"last_knocked,omitzero"`
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

// spaJSON is an SPA profile's "spa" object, in place of "steps". The keys appear only
// in an export with secrets and, alone, in the keyring item.
type spaJSON struct {
	KeyBase64     string `json:"key_base64,omitempty"`
	HMACKeyBase64 string `json:"hmac_key_base64,omitempty"`
	Access        string `json:"access,omitempty"`
	AllowIP       string `json:"allow_ip,omitempty"`
	ResolveURL    string `json:"resolve_url,omitempty"`
	Port          int    `json:"port,omitempty"`
	User          string `json:"user,omitempty"`
}

func (j *spaJSON) hasKeys() bool { return j.KeyBase64 != "" || j.HMACKeyBase64 != "" }

// secretJSON is the keyring item's value: the secret part of one profile,
// its steps or its SPA keys.
type secretJSON struct {
	Steps []stepJSON `json:"steps,omitempty"`
	SPA   *spaJSON   `json:"spa,omitempty"`
}

func toJSON(p *Profile, secrets, local bool) profileJSON {
	j := profileJSON{
		Name:        p.Name,
		Host:        p.Host,
		Family:      p.Family.String(),
		AutoRefresh: p.AutoRefresh,
		Notes:       p.Notes,
		OpenURL:     p.OpenURL,
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
	if s := p.SPA; s != nil {
		j.SPA = &spaJSON{Access: s.Access, AllowIP: allowIPText(s), ResolveURL: s.ResolveURL, Port: int(s.port()), User: s.User}
		if secrets {
			j.SPA.KeyBase64, j.SPA.HMACKeyBase64 = s.Keys.Keys().Base64()
		}
	}
	if secrets {
		j.Steps = stepsToJSON(p.Steps)
	}
	if local {
		j.ID, j.Created, j.LastKnocked = p.ID, p.Created, p.LastKnocked
		j.OpenURLImported = p.OpenURLImported && p.OpenURL != ""
	}
	return j
}

func stepsToJSON(steps []knock.Step) []stepJSON {
	out := make([]stepJSON, len(steps))
	for i, s := range steps {
		out[i] = stepJSON{Proto: s.Proto.String(), Port: int(s.Port), Delay: formatDuration(s.Delay)}
		// size:0 is an empty packet, asked for: no payload at all is
		// another knock (knock's one zero byte over UDP).
		if len(s.Payload.Data) > 0 || s.Payload.Encoding == knock.Size {
			out[i].Payload = s.Payload.Value()
			out[i].Encoding = s.Payload.Encoding.String()
		}
	}
	return out
}

// fromJSON reads and checks one profile, its name and host refusing what
// refused reports; errors name the field at fault.
func fromJSON(j *profileJSON, refused func(rune) bool) (Profile, error) {
	p := Profile{
		ID:              j.ID,
		Name:            j.Name,
		Host:            j.Host,
		AutoRefresh:     j.AutoRefresh,
		Notes:           j.Notes,
		OpenURL:         j.OpenURL,
		OpenURLImported: j.OpenURLImported && j.OpenURL != "",
		Created:         j.Created,
		LastKnocked:     j.LastKnocked,
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
	if j.SPA != nil {
		if p.SPA, err = spaFromJSON(j.SPA); err != nil {
			return Profile{}, fieldErr("spa", err)
		}
	}
	if err := p.check(refused); err != nil {
		return Profile{}, err
	}
	return p, nil
}

// spaFromJSON reads an "spa" object; the keys are optional here (the store
// has none) and required by the callers that need them.
func spaFromJSON(j *spaJSON) (*SPA, error) {
	s := &SPA{Access: j.Access, User: j.User}
	var err error
	if j.hasKeys() {
		if s.Keys, err = keysFromJSON(j); err != nil {
			return nil, err
		}
	}
	if err := parseAllowIP(s, j.AllowIP, j.ResolveURL); err != nil {
		return nil, err
	}
	if j.Port != 0 {
		if s.Port, err = parsePort(j.Port); err != nil {
			return nil, fieldErr("port", err)
		}
	}
	return s, nil
}

// keysFromJSON reads both keys; errors name the key, never quote it.
func keysFromJSON(j *spaJSON) (SPAKeys, error) {
	switch {
	case j.KeyBase64 == "":
		return SPAKeys{}, fieldErr("key_base64", errors.New("missing"))
	case j.HMACKeyBase64 == "":
		return SPAKeys{}, fieldErr("hmac_key_base64", errors.New("missing (Knocker sends only HMAC-authenticated packets)"))
	}
	k, err := spa.ParseKeys(j.KeyBase64, j.HMACKeyBase64)
	if err != nil {
		return SPAKeys{}, err
	}
	return NewSPAKeys(k), nil
}

func stepsFromJSON(js []stepJSON) ([]knock.Step, error) {
	if len(js) == 0 {
		return nil, nil
	}
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
		return 0, fmt.Errorf("%s is not a duration (e.g. 30s, 2h)", quoted(s))
	}
	if d < 0 {
		return 0, fmt.Errorf("negative duration %v", d)
	}
	return d, nil
}

// EncodeSecret renders the secret part of p, its steps or its SPA keys, as
// the compact JSON stored in its keyring item.
func EncodeSecret(p *Profile) (string, error) {
	v := secretJSON{Steps: stepsToJSON(p.Steps)}
	if p.SPA != nil {
		if p.SPA.Keys.IsZero() {
			return "", fmt.Errorf("profile %q: SPA without keys", p.Name)
		}
		v.SPA = &spaJSON{}
		v.SPA.KeyBase64, v.SPA.HMACKeyBase64 = p.SPA.Keys.Keys().Base64()
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// errBadSecret never wraps the decoder's error, which may quote the value.
var errBadSecret = errors.New("the profile's keyring item is damaged (delete the profile and import it again)")

// DecodeSecret reads a keyring item's value into p: its steps, or the keys
// of its SPA part. The kind must match what profiles.json says p is.
func DecodeSecret(value string, p *Profile) error {
	var s secretJSON
	dec := json.NewDecoder(strings.NewReader(value))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return errBadSecret
	}
	if _, err := dec.Token(); err != io.EOF {
		return errBadSecret
	}
	if p.SPA != nil {
		if len(s.Steps) > 0 || s.SPA == nil || *s.SPA != (spaJSON{KeyBase64: s.SPA.KeyBase64, HMACKeyBase64: s.SPA.HMACKeyBase64}) {
			return errBadSecret
		}
		keys, err := keysFromJSON(s.SPA)
		if err != nil {
			return errBadSecret
		}
		p.SPA.Keys = keys
		return nil
	}
	steps, err := stepsFromJSON(s.Steps)
	if err != nil || len(steps) == 0 || s.SPA != nil {
		return errBadSecret
	}
	p.Steps = steps
	return nil
}

// ExportSecrets says whether an export holds the profiles' secrets.
type ExportSecrets bool

const (
	WithSecrets    ExportSecrets = true
	WithoutSecrets ExportSecrets = false // safe to share or paste
)

// Export renders profiles as interchange JSON, with their steps and keys
// only when asked.
func Export(profiles []Profile, secrets ExportSecrets) ([]byte, error) {
	doc := document{Profiles: make([]profileJSON, len(profiles))}
	for i := range profiles {
		doc.Profiles[i] = toJSON(&profiles[i], bool(secrets), false)
	}
	return marshalDoc(doc)
}

// marshalDoc writes doc with the version its profiles need.
func marshalDoc(doc document) ([]byte, error) {
	doc.Version = docVersion(doc.Profiles)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
