package profile

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/knocker/knocker/knock"
)

// Knock on Ports (Android, github.com/impalex/knockonports) exchange.
//
// Its export is {"version": 1, "sequences": [...]}; the older, unversioned
// export is a bare array of sequences with enums written as their ordinal
// numbers. Every meaning below follows what its knocker sends, not what its
// editor shows:
//
//   - delay: milliseconds after each UDP/TCP step and after each ICMP echo,
//     500 when absent, clamped to 0-15000.
//   - UDP: content decoded by encoding (raw = UTF-8, base64 with optional
//     padding, hex), then cut or zero-padded to udp_payload_size when set.
//     Content without an encoding is not sent.
//   - ICMP: icmp_count echo requests; each ICMP message (8-byte header plus
//     data) is icmp_size + offset bytes, at least the header, where the
//     offset is +8 for without_headers, 0 for with_ip_header (the ICMP header
//     is counted) and -20 (IPv6: -40) for with_ip_and_icmp_headers; the data
//     is the content repeated to fill it, or zeros.
//   - TCP: a bare SYN; content is ignored.
//
// Its "custom IPv4 header size" is a phone setting, not in the file: the
// standard 20 bytes is assumed.

// kop* mirror Knock on Ports' JSON. Pointers tell absent from zero; the
// app ignores unknown keys, and so does this reader.
type kopDoc struct {
	Version   *int          `json:"version"`
	Sequences []kopSequence `json:"sequences"`
}

type kopSequence struct {
	Name            *string   `json:"name,omitempty"`
	Host            *string   `json:"host,omitempty"`
	Delay           *int      `json:"delay,omitempty"`
	Application     *string   `json:"application,omitempty"`
	AppName         *string   `json:"app_name,omitempty"`
	ICMPType        *string   `json:"icmp_type,omitempty"`
	IPv             *string   `json:"ipv,omitempty"`
	LocalPort       *int      `json:"local_port,omitempty"`
	TTL             *int      `json:"ttl,omitempty"`
	URI             *string   `json:"uri,omitempty"`
	Group           *string   `json:"group,omitempty"`
	CheckAccess     bool      `json:"checkAccess,omitempty"`
	CheckType       *string   `json:"check_type,omitempty"`
	CheckPort       *int      `json:"check_port,omitempty"`
	CheckHost       *string   `json:"check_host,omitempty"`
	CheckTimeout    *int      `json:"check_timeout,omitempty"`
	CheckPostKnock  bool      `json:"check_post_knock,omitempty"`
	CheckMaxRetries *int      `json:"check_max_retries,omitempty"`
	Steps           []kopStep `json:"steps"`
}

type kopStep struct {
	Type           *string `json:"type,omitempty"`
	Port           *int    `json:"port,omitempty"`
	ICMPSize       *int    `json:"icmp_size,omitempty"`
	ICMPCount      *int    `json:"icmp_count,omitempty"`
	Content        *string `json:"content,omitempty"`
	Encoding       *string `json:"encoding,omitempty"`
	UDPPayloadSize *int    `json:"udp_payload_size,omitempty"`
}

// The legacy format: the same names, but enums are ordinals and the local
// port is camel-case.
type kopLegacySequence struct {
	Name        *string         `json:"name"`
	Host        *string         `json:"host"`
	Delay       *int            `json:"delay"`
	Application *string         `json:"application"`
	AppName     *string         `json:"app_name"`
	ICMPType    kopOrdinal      `json:"icmp_type"`
	IPv         kopOrdinal      `json:"ipv"`
	LocalPort   *int            `json:"localPort"`
	Steps       []kopLegacyStep `json:"steps"`
}

type kopLegacyStep struct {
	Type      kopOrdinal `json:"type"`
	Port      *int       `json:"port"`
	ICMPSize  *int       `json:"icmp_size"`
	ICMPCount *int       `json:"icmp_count"`
	Content   *string    `json:"content"`
	Encoding  kopOrdinal `json:"encoding"`
}

// kopOrdinal is a legacy enum: absent takes the field's default, while null
// or an unknown number falls back to the first value, as the app does.
type kopOrdinal struct {
	set bool
	n   int // -1 for null
}

func (o *kopOrdinal) UnmarshalJSON(b []byte) error {
	o.set = true
	if string(b) == "null" {
		o.n = -1
		return nil
	}
	return json.Unmarshal(b, &o.n)
}

// name maps the ordinal onto the enum's names, in declaration order.
func (o kopOrdinal) name(names []string, def string) *string {
	v := def
	if o.set {
		v = names[0]
		if o.n >= 0 && o.n < len(names) {
			v = names[o.n]
		}
	}
	return &v
}

// Enum names in Knock on Ports' declaration order (the legacy ordinals).
var (
	kopICMPTypes  = []string{"without_headers", "with_ip_header", "with_ip_and_icmp_headers"}
	kopIPVersions = []string{"prefer_ipv4", "prefer_ipv6", "only_ipv4", "only_ipv6", "both_ipv4_ipv6"}
	kopStepTypes  = []string{"udp", "tcp", "icmp"}
	kopEncodings  = []string{"raw", "base64", "hex"}
)

func (l *kopLegacySequence) current() kopSequence {
	s := kopSequence{
		Name: l.Name, Host: l.Host, Delay: l.Delay, Application: l.Application, AppName: l.AppName,
		ICMPType: l.ICMPType.name(kopICMPTypes, "with_ip_header"), IPv: l.IPv.name(kopIPVersions, "prefer_ipv4"),
		LocalPort: l.LocalPort, Steps: make([]kopStep, len(l.Steps)),
	}
	for i, st := range l.Steps {
		s.Steps[i] = kopStep{
			Type: st.Type.name(kopStepTypes, "udp"), Port: st.Port, ICMPSize: st.ICMPSize, ICMPCount: st.ICMPCount,
			Content: st.Content, Encoding: st.Encoding.name(kopEncodings, "raw"),
		}
	}
	return s
}

// Knock on Ports' limits and defaults, from its constants.
const (
	kopDefaultDelay  = 500 * time.Millisecond
	kopMaxDelay      = 15 * time.Second
	kopMaxUDPPayload = 65535 - 8 - 60
	kopMaxCheckTries = 5
	icmpHeaderLen    = 8
	// MaxICMPCount bounds icmp_count: each echo becomes a step here.
	MaxICMPCount = 100
)

// ParseKnockOnPorts reads a Knock on Ports export, either format. The
// lengths of its lists are checked before it is decoded, and the steps a
// sequence expands into (each ICMP echo is one) before they are made.
func ParseKnockOnPorts(data []byte) (Imported, error) {
	if !json.Valid(data) {
		var v any
		return Imported{}, describeJSONError(data, json.Unmarshal(data, &v))
	}
	if err := checkJSONLists(data); err != nil {
		return Imported{}, err
	}
	var seqs []kopSequence
	// Valid JSON: the legacy format is the bare array.
	if bytes.TrimSpace(data)[0] == '[' {
		var legacy []kopLegacySequence
		if err := json.Unmarshal(data, &legacy); err != nil {
			return Imported{}, describeJSONError(data, err)
		}
		for i := range legacy {
			seqs = append(seqs, legacy[i].current())
		}
	} else {
		var doc kopDoc
		if err := json.Unmarshal(data, &doc); err != nil {
			return Imported{}, describeJSONError(data, err)
		}
		if doc.Version == nil || *doc.Version != 1 {
			return Imported{}, fieldErr("version", errors.New("want 1 (the only Knock on Ports format version Knocker knows)"))
		}
		seqs = doc.Sequences
	}
	if len(seqs) == 0 {
		return Imported{}, errors.New("no sequences in the file")
	}
	b := newImportBatch()
	for i := range seqs {
		name := ""
		if seqs[i].Name != nil {
			name = *seqs[i].Name
		}
		field := profileField("sequences", i, name)
		// The batch charges what the profile holds; this copy stops the
		// profile from making more than is left.
		budget := b.budget
		p, warnings, err := seqs[i].profile(&budget)
		if err := b.take(field, p, warnings, err); err != nil {
			return Imported{}, err
		}
	}
	return b.imported()
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// profile turns one sequence into a profile, with warnings for what Knocker
// cannot do. budget is the payload bytes the import may still allocate.
func (s *kopSequence) profile(budget *int) (Profile, []string, error) {
	var warn []string
	warnf := func(format string, a ...any) { warn = append(warn, fmt.Sprintf(format, a...)) }
	p := Profile{ID: NewID(), Name: deref(s.Name), Host: strings.TrimSpace(deref(s.Host)), Created: time.Now().UTC()}
	switch v := deref(s.IPv); v {
	case "":
	case "prefer_ipv4":
		p.Family = knock.PreferIPv4
	case "prefer_ipv6":
		p.Family = knock.PreferIPv6
	case "only_ipv4":
		p.Family = knock.IPv4
	case "only_ipv6":
		p.Family = knock.IPv6
	case "both_ipv4_ipv6":
		warnf("ipv both_ipv4_ipv6: Knocker knocks one address, the resolver's first choice")
	default:
		return p, nil, fieldErr("ipv", fmt.Errorf("unknown value %s", quoted(v)))
	}
	delay := kopDefaultDelay
	if s.Delay != nil {
		delay = min(max(time.Duration(*s.Delay)*time.Millisecond, 0), kopMaxDelay)
	}
	icmp, err := s.icmpRule(p.Family, warnf)
	if err != nil {
		return p, nil, err
	}
	if err := s.checkStepCount(); err != nil {
		return p, nil, err
	}
	for i := range s.Steps {
		steps, err := s.Steps[i].steps(icmp, budget, func(format string, a ...any) {
			warnf("steps[%d]: "+format, append([]any{i}, a...)...)
		})
		if err != nil {
			return p, nil, fieldErr(fmt.Sprintf("steps[%d]", i), err)
		}
		p.Steps = append(p.Steps, steps...)
	}
	if len(p.Steps) == 0 {
		return p, nil, fieldErr("steps", errors.New("no step Knock on Ports would send"))
	}
	for i := 1; i < len(p.Steps); i++ {
		p.Steps[i].Delay = delay
	}
	if v := deref(s.TTL); v > 0 {
		warnf("ttl %d: not supported, Knocker sends with the system's default TTL", v)
	}
	if v := deref(s.LocalPort); v > 0 && v <= 65535 {
		warnf("local_port %d: not supported, Knocker sends UDP from a random port", v)
	}
	if v := deref(s.Application); v != "" {
		warnf("application %s: Knocker does not start Android apps", quoted(v))
	}
	if v := deref(s.Group); v != "" {
		warnf("group %s: Knocker has no groups", quoted(v))
	}
	if v := deref(s.URI); v != "" {
		if err := ValidateOpenURL(v); err != nil {
			warnf("uri was not imported: %v", err)
		} else {
			p.OpenURL = v
		}
	}
	if s.CheckAccess {
		p.Verify, err = s.verify(p.Host, warnf)
		if err != nil {
			return p, nil, err
		}
	}
	return p, warn, nil
}

// icmpRule is how Knock on Ports turns icmp_size into an ICMP message
// length: it adds offset and clamps to what one IP packet carries.
type icmpRule struct{ offset, maxMsg int }

// icmpRule is the rule for the profile's family: IPv6 only when it knocks
// nothing else, since the header sizes differ.
func (s *kopSequence) icmpRule(f knock.Family, warnf func(string, ...any)) (icmpRule, error) {
	ipHeader := 20
	if f == knock.IPv6 {
		ipHeader = 40
	}
	r := icmpRule{maxMsg: 65535 - ipHeader}
	switch v := deref(s.ICMPType); v {
	case "", "with_ip_header":
	case "without_headers":
		r.offset = icmpHeaderLen
	case "with_ip_and_icmp_headers":
		r.offset = -ipHeader
		if f != knock.IPv4 && f != knock.IPv6 && s.hasICMP() {
			warnf("icmp_type with_ip_and_icmp_headers: sizes assume IPv4; over IPv6 Knock on Ports would send 20 bytes less")
		}
	default:
		return r, fieldErr("icmp_type", fmt.Errorf("unknown value %s", quoted(v)))
	}
	return r, nil
}

// checkStepCount counts the steps the sequence becomes, one per UDP or TCP
// step and icmp_count per ICMP step, before any is made.
func (s *kopSequence) checkStepCount() error {
	n := 0
	for i, st := range s.Steps {
		count := 1
		if deref(st.Type) == "icmp" {
			if count = max(deref(st.ICMPCount), 1); count > MaxICMPCount {
				return fieldErr(fmt.Sprintf("steps[%d].icmp_count", i), fmt.Errorf("%d echoes; Knocker sends at most %d", count, MaxICMPCount))
			}
		}
		if n += count; n > MaxSteps {
			return fieldErr("steps", tooManySteps())
		}
	}
	return nil
}

func (s *kopSequence) hasICMP() bool {
	for _, st := range s.Steps {
		if deref(st.Type) == "icmp" {
			return true
		}
	}
	return false
}

// verify maps a port check; the other checks are reported.
func (s *kopSequence) verify(host string, warnf func(string, ...any)) (*Verify, error) {
	typ := deref(s.CheckType)
	if typ == "" {
		typ = "URL"
	}
	switch {
	case typ != "PORT" && typ != "URL" && typ != "PING":
		return nil, fieldErr("check_type", fmt.Errorf("unknown value %s", quoted(typ)))
	case typ != "PORT":
		warnf("check_type %s: not supported, Knocker checks a TCP port", typ)
		return nil, nil
	case s.CheckHost != nil && !strings.EqualFold(strings.TrimSpace(*s.CheckHost), host):
		warnf("check_host %s: not supported, Knocker checks the host it knocked", quoted(*s.CheckHost))
		return nil, nil
	}
	port, err := parsePort(deref(s.CheckPort))
	if err != nil {
		warnf("check_port: %v; the check was not imported", err)
		return nil, nil
	}
	v := &Verify{Port: port}
	if t := deref(s.CheckTimeout); t > 0 {
		v.Timeout = time.Duration(t) * time.Second
	}
	if s.CheckPostKnock {
		v.Retries = min(max(deref(s.CheckMaxRetries), 1), kopMaxCheckTries) - 1
	}
	return v, nil
}

// steps is what Knock on Ports sends for one step: none, one, or
// icmp_count echo requests.
func (st *kopStep) steps(icmp icmpRule, budget *int, warnf func(string, ...any)) ([]knock.Step, error) {
	typ := deref(st.Type)
	var proto knock.Proto
	switch typ {
	case "":
		warnf("no type: skipped, as Knock on Ports does")
		return nil, nil
	case "udp":
		proto = knock.UDP
	case "tcp":
		proto = knock.TCP
	case "icmp":
		proto = knock.ICMP
	default:
		return nil, fieldErr("type", fmt.Errorf("unknown value %s", quoted(typ)))
	}
	var pattern []byte
	enc := knock.Text
	if proto == knock.TCP {
		if deref(st.Content) != "" {
			warnf("content: not sent, a TCP step is a bare SYN (Knock on Ports ignores it too)")
		}
	} else {
		var err error
		if pattern, enc, err = st.content(warnf); err != nil {
			return nil, err
		}
	}
	step := knock.Step{Proto: proto}
	count := 1
	switch proto {
	case knock.UDP:
		data := pattern
		sized := st.UDPPayloadSize != nil && *st.UDPPayloadSize >= 0
		n := len(pattern)
		if sized {
			n = min(*st.UDPPayloadSize, kopMaxUDPPayload)
		}
		if *budget -= n; *budget < 0 {
			return nil, errBudget
		}
		if sized {
			data = make([]byte, n)
			copy(data, pattern)
		}
		step.Payload = payloadFor(data, pattern, enc)
	case knock.ICMP:
		count = max(deref(st.ICMPCount), 1) // checkStepCount bounded it
		// Knock on Ports clamps the message to what IPv4 carries; the data
		// is the message less its header.
		n := max(min(deref(st.ICMPSize)+icmp.offset, icmp.maxMsg), icmpHeaderLen) - icmpHeaderLen
		if *budget -= n * count; *budget < 0 {
			return nil, errBudget
		}
		data := make([]byte, n)
		if len(pattern) > 0 {
			for i := 0; i < n; i += len(pattern) {
				copy(data[i:], pattern)
			}
		}
		step.Payload = payloadFor(data, pattern, enc)
	}
	if proto != knock.ICMP {
		port := deref(st.Port)
		if port < 1 || port > 65535 {
			warnf("port %d: skipped, as Knock on Ports does (want 1-65535)", port)
			return nil, nil
		}
		step.Port = uint16(port)
	}
	out := make([]knock.Step, count)
	for i := range out {
		out[i] = step
	}
	return out, nil
}

// content decodes the step's content as Knock on Ports does; bad base64 or
// hex, which it would silently send as nothing, is an error here.
func (st *kopStep) content(warnf func(string, ...any)) ([]byte, knock.Encoding, error) {
	text := deref(st.Content)
	if text == "" {
		return nil, knock.Text, nil
	}
	var enc knock.Encoding
	switch e := deref(st.Encoding); e {
	case "":
		warnf("content without an encoding: not sent, as Knock on Ports does")
		return nil, knock.Text, nil
	case "raw":
		return []byte(text), knock.Text, nil
	case "base64":
		enc = knock.Base64
	case "hex":
		enc = knock.Hex
	default:
		return nil, 0, fieldErr("encoding", fmt.Errorf("unknown value %s", quoted(e)))
	}
	p, err := knock.DecodePayload(text, enc)
	if err != nil {
		return nil, 0, fieldErr("content", err)
	}
	return p.Data, enc, nil
}

// payloadFor keeps the encoding the content was written in where the sent
// bytes are the content itself; zeros from an empty content are a size; any
// other bytes are text when they read as text, else hex.
func payloadFor(data, content []byte, enc knock.Encoding) knock.Payload {
	switch {
	case len(data) == 0:
		return knock.Payload{}
	case len(content) == 0:
		return knock.Payload{Data: data, Encoding: knock.Size}
	case bytes.Equal(data, content):
		return knock.Payload{Data: data, Encoding: enc}
	case enc == knock.Text && (!utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0):
		return knock.Payload{Data: data, Encoding: knock.Hex}
	}
	return knock.Payload{Data: data, Encoding: enc}
}

// ExportKnockOnPorts writes profiles as a Knock on Ports export (format
// version 1), secrets included: the file is for the phone. What cannot be
// carried is returned as warnings; an SPA profile cannot be carried at all.
func ExportKnockOnPorts(profiles []Profile) ([]byte, []string, error) {
	doc := kopDoc{Version: new(int), Sequences: make([]kopSequence, len(profiles))}
	*doc.Version = 1
	var warn []string
	for i := range profiles {
		p := &profiles[i]
		s, w, err := kopFromProfile(p)
		if err != nil {
			return nil, nil, fmt.Errorf("profile %q: %w", p.Name, err)
		}
		for _, msg := range w {
			warn = append(warn, fmt.Sprintf("profile %q: %s", p.Name, msg))
		}
		doc.Sequences[i] = s
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, nil, err
	}
	return b.Bytes(), warn, nil
}

func ptr[T any](v T) *T { return &v }

func kopFromProfile(p *Profile) (kopSequence, []string, error) {
	var warn []string
	warnf := func(format string, a ...any) { warn = append(warn, fmt.Sprintf(format, a...)) }
	if p.SPA != nil {
		return kopSequence{}, nil, errors.New("an SPA profile cannot be written for Knock on Ports, which has no SPA")
	}
	if len(p.Steps) == 0 {
		return kopSequence{}, nil, errors.New("no steps (read the profile with its secret)")
	}
	s := kopSequence{
		Name: ptr(p.Name), Host: ptr(p.Host), ICMPType: ptr("without_headers"),
		Steps: make([]kopStep, len(p.Steps)),
	}
	switch p.Family {
	case knock.IPv4:
		s.IPv = ptr("only_ipv4")
	case knock.IPv6:
		s.IPv = ptr("only_ipv6")
	case knock.PreferIPv4:
		s.IPv = ptr("prefer_ipv4")
	case knock.PreferIPv6:
		s.IPv = ptr("prefer_ipv6")
	}
	// One delay serves every step; the longest keeps every gap at least as
	// long as the profile asks.
	var delay time.Duration
	uniform := true
	for i, st := range p.Steps[1:] {
		uniform = uniform && (i == 0 || st.Delay == delay)
		delay = max(delay, st.Delay)
	}
	if !uniform {
		warnf("steps have different delays; Knock on Ports has one for all, the longest is used")
	}
	ms := (delay + time.Millisecond - 1) / time.Millisecond
	if ms*time.Millisecond != delay {
		warnf("delay %v rounded up to whole milliseconds", delay)
	}
	if ms*time.Millisecond > kopMaxDelay {
		warnf("delay %v: Knock on Ports waits at most %v", delay, kopMaxDelay)
	}
	s.Delay = ptr(int(ms))
	for i, st := range p.Steps {
		s.Steps[i] = kopStepFrom(st)
	}
	if p.OpenURL != "" {
		s.URI = ptr(p.OpenURL)
	}
	if v := p.Verify; v != nil {
		s.CheckAccess, s.CheckType, s.CheckPort, s.CheckHost = true, ptr("PORT"), ptr(int(v.Port)), ptr(p.Host)
		if v.Timeout > 0 {
			s.CheckTimeout = ptr(int((v.Timeout + time.Second - 1) / time.Second))
		}
		if v.Retries > 0 {
			s.CheckPostKnock, s.CheckMaxRetries = true, ptr(min(v.Retries+1, kopMaxCheckTries))
			if v.Retries+1 > kopMaxCheckTries {
				warnf("verify.retries %d: Knock on Ports knocks at most %d times", v.Retries, kopMaxCheckTries)
			}
		}
	}
	if p.Timeout > 0 || p.AutoRefresh {
		warnf("timeout and auto_refresh: Knock on Ports does not re-knock")
	}
	if p.Notes != "" {
		warnf("notes: Knock on Ports has no notes")
	}
	return s, warn, nil
}

// kopStepFrom writes a step so that Knock on Ports sends exactly its bytes:
// ICMP sizes count the data only (without_headers), zeros are a size.
func kopStepFrom(st knock.Step) kopStep {
	out := kopStep{Type: ptr(st.Proto.String())}
	data := st.Payload.Data
	size := len(data)
	if st.Proto == knock.ICMP {
		out.ICMPSize, out.ICMPCount = ptr(size), ptr(1)
	} else {
		out.Port = ptr(int(st.Port))
	}
	if size == 0 || st.Proto == knock.TCP {
		return out
	}
	switch enc := st.Payload.Encoding; {
	case enc == knock.Size && (st.Proto == knock.ICMP || size <= kopMaxUDPPayload):
		if st.Proto == knock.UDP {
			out.UDPPayloadSize = ptr(size)
		}
	case enc == knock.Base64:
		out.Content, out.Encoding = ptr(st.Payload.Value()), ptr("base64")
	case enc == knock.Text && utf8.Valid(data):
		out.Content, out.Encoding = ptr(string(data)), ptr("raw")
	default:
		out.Content, out.Encoding = ptr(hex.EncodeToString(data)), ptr("hex")
	}
	return out
}
