package profile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
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
	// AllowIP is the address fwknopd lets in (fwknop -a). The zero value,
	// with no ResolveURL, asks it to use the packet's source address (fwknop
	// -s, 0.0.0.0 in the packet), which fwknopd refuses when its access.conf
	// sets REQUIRE_SOURCE_ADDRESS Y.
	AllowIP netip.Addr
	// ResolveURL, when set, is where this machine's public address is
	// looked up over HTTPS before each knock (fwknop -R): the reply's body
	// starts with the address, which the packet then carries. Never a
	// default: only a URL someone chose is contacted. AllowIP is then empty.
	ResolveURL string
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
	if s.ResolveURL != "" {
		if s.AllowIP.IsValid() {
			return fieldErr("allow_ip", errors.New("an address to allow and a lookup URL both given: choose one"))
		}
		if err := spa.CheckResolveURL(s.ResolveURL); err != nil {
			return fieldErr("resolve_url", err)
		}
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
// with its secret (Book.Get), and an SPA profile that looks its address up
// must have had it looked up (Book.Knock does both). Errors never quote a
// key or a payload.
func (p *Profile) KnockSteps(now time.Time) ([]knock.Step, error) {
	if err := p.secretLoaded(); err != nil {
		return nil, err
	}
	if p.SPA == nil {
		return p.Steps, nil
	}
	if p.SPA.ResolveURL != "" && !p.SPA.AllowIP.IsValid() {
		// Never 0.0.0.0 in place of an address that was not looked up.
		return nil, fmt.Errorf("profile %q: its public address was not looked up", p.Name)
	}
	pkt, err := spa.Build(p.SPA.Keys.Keys(), p.SPA.request(now), nil)
	if err != nil {
		return nil, fmt.Errorf("profile %q: SPA: %w", p.Name, err)
	}
	return []knock.Step{{Proto: knock.UDP, Port: p.SPA.port(), Payload: knock.Payload{Data: pkt, Encoding: knock.Text}}}, nil
}

// secretLoaded says whether p holds what it knocks with.
func (p *Profile) secretLoaded() error {
	switch {
	case p.SPA == nil && len(p.Steps) == 0:
		return fmt.Errorf("profile %q: %w", p.Name, knock.ErrNoSteps)
	case p.SPA != nil && p.SPA.Keys.IsZero():
		return fmt.Errorf("profile %q: its SPA keys were not read from the keyring", p.Name)
	}
	return nil
}

// withPublicAddress is p with the address its packets ask for looked up,
// for an SPA profile with a ResolveURL; other profiles come back as they
// are. client nil means the system's certificate authorities and proxy.
func (p Profile) withPublicAddress(ctx context.Context, client *http.Client) (Profile, error) {
	if p.SPA == nil || p.SPA.ResolveURL == "" {
		return p, nil
	}
	a, err := spa.ResolveAllowIP(ctx, client, p.SPA.ResolveURL)
	if err != nil {
		return p, fmt.Errorf("profile %q: %w", p.Name, err)
	}
	s := *p.SPA
	s.AllowIP = a
	p.SPA = &s
	return p, nil
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
	switch {
	case p.SPA.ResolveURL != "":
		b.WriteString("# The profile looks its public address up before each knock and names it,\n")
		b.WriteString("# so fwknopd can insist on one.\n")
		line("REQUIRE_SOURCE_ADDRESS", "Y")
	case p.SPA.AllowIP.IsValid():
		b.WriteString("# The profile names the address to allow, so fwknopd can insist on one.\n")
		line("REQUIRE_SOURCE_ADDRESS", "Y")
	default:
		b.WriteString("# The profile asks fwknopd to allow the packet's source address:\n")
		b.WriteString("# REQUIRE_SOURCE_ADDRESS Y would refuse its packets.\n")
		line("REQUIRE_SOURCE_ADDRESS", "N")
	}
	return b.String(), nil
}

// allowIPText is allow_ip in the interchange JSON: "source", "resolve"
// (with resolve_url) or the address.
func allowIPText(s *SPA) string {
	switch {
	case s.ResolveURL != "":
		return allowResolve
	case !s.AllowIP.IsValid():
		return "source"
	}
	return s.AllowIP.String()
}

// allowResolve is allow_ip for an address looked up at resolve_url, as
// fwknop's ALLOW_IP resolve.
const allowResolve = "resolve"

// parseAllowIP reads allow_ip and resolve_url into s.
func parseAllowIP(s *SPA, allow, resolveURL string) error {
	switch {
	case allow == allowResolve && resolveURL == "":
		return fieldErr("resolve_url", errors.New(`missing: allow_ip "resolve" needs the https URL to look the address up at`))
	case allow == allowResolve:
		if err := spa.CheckResolveURL(resolveURL); err != nil {
			return fieldErr("resolve_url", err)
		}
		s.ResolveURL = resolveURL
		return nil
	case resolveURL != "":
		return fieldErr("resolve_url", errors.New(`given, but allow_ip is not "resolve"`))
	case allow == "" || allow == "source":
		return nil
	}
	a, err := netip.ParseAddr(allow)
	if err != nil || !a.Unmap().Is4() || a.Unmap().IsUnspecified() {
		return fieldErr("allow_ip", errors.New(`want "source", "resolve" or an IPv4 address (fwknop 2.6 carries IPv4 only)`))
	}
	s.AllowIP = a.Unmap()
	return nil
}
