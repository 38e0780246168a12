package profile

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/spa"
)

// SPA is the fwknop single packet authorization part of a profile: instead
// of a knock sequence, one encrypted UDP datagram to fwknopd.
type SPA struct {
	// Keys are the secret part: kept in the keyring, never in profiles.json.
	Keys SPAKeys
	// Access is what fwknopd should open: "tcp/22", or "tcp/22,udp/53".
	Access string
	// AllowIP is the address fwknopd lets in. The zero value asks it to use
	// the packet's source address (fwknop -s), which fwknopd refuses when its
	// access.conf sets REQUIRE_SOURCE_ADDRESS Y.
	AllowIP netip.Addr
	// Port is fwknopd's UDP port; 0 means spa.DefaultPort.
	Port uint16
	// User is sent for fwknopd's REQUIRE_USERNAME; empty means the login name.
	User string
}

// SPAKeys holds the fwknop keys so that no fmt verb, %#v included, and no
// reflection-based printer can show them: the value sits behind an
// unexported pointer, which fmt prints as an address when it cannot call
// Format. Copies share the keys, which are never modified in place.
type SPAKeys struct{ k *spa.Keys }

// NewSPAKeys wraps keys.
func NewSPAKeys(k spa.Keys) SPAKeys { return SPAKeys{&k} }

// Keys returns the wrapped keys; the zero SPAKeys holds none.
func (s SPAKeys) Keys() spa.Keys {
	if s.k == nil {
		return spa.Keys{}
	}
	return *s.k
}

// IsZero reports that no keys are held, as for a profile read without its
// keyring item.
func (s SPAKeys) IsZero() bool { return s.k == nil }

// String says whether keys are present, never what they are.
func (s SPAKeys) String() string {
	if s.k == nil {
		return "SPA keys (not loaded)"
	}
	return "SPA keys (hidden)"
}

// GoString keeps %#v as discreet as %v.
func (s SPAKeys) GoString() string { return s.String() }

// Format answers every verb, so %d or %x cannot reach the bytes either.
func (s SPAKeys) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// port is the UDP port the packet goes to.
func (s *SPA) port() uint16 {
	if s.Port == 0 {
		return spa.DefaultPort
	}
	return s.Port
}

// request is what the packet asks for, stamped now.
func (s *SPA) request(now time.Time) spa.Request {
	return spa.Request{User: s.User, Access: s.Access, AllowIP: s.AllowIP, Time: now}
}

// placeholderKeys let validate check a request with spa.Build's own rules
// when the real keys are not loaded (profiles.json never has them).
var placeholderKeys = spa.Keys{Rijndael: []byte("knocker-validate"), HMAC: []byte("knocker-validate-hmac")}

// validate checks the SPA part with the rules spa.Build applies, so a profile
// that saves is one that knocks.
func (s *SPA) validate() error {
	keys := placeholderKeys
	if !s.Keys.IsZero() {
		keys = s.Keys.Keys()
		if err := keys.Validate(); err != nil {
			return fieldErr("keys", err)
		}
	}
	if s.Access == "" {
		return fieldErr("access", errors.New("missing (want e.g. tcp/22)"))
	}
	// A fixed time keeps validation independent of the clock; zero rand
	// would be crypto/rand, wasted on a packet nobody sends.
	if _, err := spa.Build(keys, s.request(time.Unix(0, 0)), zeroReader{}); err != nil {
		return err
	}
	return nil
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// KnockSteps is what every front end sends for p at time now: a sequence
// profile's own steps, or for an SPA profile one fresh UDP datagram carrying
// a packet stamped now to fwknopd's port. The profile must have been read
// with its secret (Book.Get). Errors never quote a key or a payload.
func (p *Profile) KnockSteps(now time.Time) ([]knock.Step, error) {
	if p.SPA == nil {
		if len(p.Steps) == 0 {
			return nil, fmt.Errorf("profile %q: %w", p.Name, knock.ErrNoSteps)
		}
		return p.Steps, nil
	}
	if p.SPA.Keys.IsZero() {
		return nil, fmt.Errorf("profile %q: its SPA keys were not read from the keyring", p.Name)
	}
	pkt, err := spa.Build(p.SPA.Keys.Keys(), p.SPA.request(now), nil)
	if err != nil {
		return nil, fmt.Errorf("profile %q: SPA: %w", p.Name, err)
	}
	return []knock.Step{{Proto: knock.UDP, Port: p.SPA.port(), Payload: knock.Payload{Data: pkt, Encoding: knock.Text}}}, nil
}

// ErrSPARouter is what a router-rules generator says for an SPA profile,
// which has no knock sequence for a router to follow.
var ErrSPARouter = errors.New("an SPA profile has no knock-sequence rules: its server side is fwknopd's access.conf (knocker router-config NAME --format fwknopd prints the stanza)")

// FwknopdAccess writes the access.conf stanza with which fwknopd accepts this
// profile's packets. It holds the keys: treat it like them. p must have been
// read with its secret.
func (p *Profile) FwknopdAccess() (string, error) {
	if p.SPA == nil {
		return "", fmt.Errorf("profile %q knocks a sequence, not SPA: fwknopd does not apply (see router-config --format routeros or nftables)", p.Name)
	}
	if p.SPA.Keys.IsZero() {
		return "", fmt.Errorf("profile %q: its SPA keys were not read from the keyring", p.Name)
	}
	key, hmacKey := p.SPA.Keys.Keys().Base64()
	var b strings.Builder
	line := func(name, value string) { fmt.Fprintf(&b, "%-24s%s\n", name, value) }
	fmt.Fprintf(&b, "# fwknopd access.conf stanza for the Knocker profile %q.\n", p.Name)
	b.WriteString("# It holds the profile's keys: keep the file mode 600.\n")
	line("SOURCE", "ANY")
	line("OPEN_PORTS", p.SPA.Access)
	line("KEY_BASE64", key)
	line("HMAC_KEY_BASE64", hmacKey)
	line("HMAC_DIGEST_TYPE", "SHA256")
	if p.Timeout > 0 {
		line("FW_ACCESS_TIMEOUT", fmt.Sprint(int64((p.Timeout+time.Second-1)/time.Second)))
	} else {
		b.WriteString("# FW_ACCESS_TIMEOUT is fwknopd's default: set the profile's timeout to match it.\n")
	}
	if p.SPA.User != "" {
		line("REQUIRE_USERNAME", p.SPA.User)
	}
	if p.SPA.AllowIP.IsValid() {
		b.WriteString("# The profile names the address to allow, so fwknopd can insist on one.\n")
		line("REQUIRE_SOURCE_ADDRESS", "Y")
	} else {
		b.WriteString("# The profile asks fwknopd to allow the packet's source address:\n")
		b.WriteString("# REQUIRE_SOURCE_ADDRESS Y would refuse its packets.\n")
		line("REQUIRE_SOURCE_ADDRESS", "N")
	}
	return b.String(), nil
}

// allowIPText is allow_ip in the interchange JSON.
func allowIPText(a netip.Addr) string {
	if !a.IsValid() {
		return "source"
	}
	return a.String()
}

func parseAllowIP(s string) (netip.Addr, error) {
	if s == "" || s == "source" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Unmap().Is4() || a.Unmap().IsUnspecified() {
		return netip.Addr{}, errors.New(`want "source" or an IPv4 address (fwknop 2.6 carries IPv4 only)`)
	}
	return a.Unmap(), nil
}
