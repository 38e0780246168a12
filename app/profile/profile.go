// Package profile holds saved knock profiles: the model (a knock sequence or
// fwknop SPA), the profiles.json store, and import/export of Knocker JSON,
// Knock on Ports JSON, knockd.conf and ~/.fwknoprc. The secret part of a
// profile (its steps, or its SPA keys) never goes to a file here; see package
// secret. It never imports the UI toolkit.
package profile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/knocker/knocker/knock"
)

// Profile is one saved router.
type Profile struct {
	// ID is random and never changes, so a rename keeps the keyring item.
	ID     string
	Name   string
	Host   string
	Family knock.Family
	// Steps are the secret part: kept in the keyring, never in profiles.json.
	// An SPA profile has none.
	Steps []knock.Step
	// SPA, when set, makes this a single packet authorization profile.
	SPA *SPA
	// Timeout is how long the router keeps the knocker's address allowed
	// (its address-list timeout); 0 means unknown.
	Timeout     time.Duration
	AutoRefresh bool
	Verify      *Verify // nil: no check after knocking
	Notes       string
	// OpenURL is opened by the desktop after a verified knock; see
	// ValidateOpenURL for what it may be.
	OpenURL string
	// OpenURLImported says OpenURL came from an imported file and the user
	// has not yet agreed to open it: see NeedsOpenURLConsent.
	OpenURLImported bool
	Created         time.Time
	LastKnocked     time.Time
}

// String describes p without its secret (steps or SPA keys), so a stray %v
// in a log line cannot leak it.
func (p Profile) String() string {
	kind := fmt.Sprintf("%d steps", len(p.Steps))
	if p.SPA != nil {
		kind = "SPA " + p.SPA.Access
	}
	return fmt.Sprintf("profile %q (%s, %s)", p.Name, p.Host, kind)
}

// GoString keeps %#v as discreet as %v.
func (p Profile) GoString() string { return p.String() }

// Verify is the TCP check run after a knock.
type Verify struct {
	Port    uint16
	Timeout time.Duration // 0: knock.DefaultVerifyTimeout
	Retries int
}

// Limits on hand-written fields, generous for people and small enough that
// the list stays readable and the file small.
const (
	MaxNameLen  = 100  // runes
	MaxHostLen  = 255  // bytes, a DNS name's limit
	MaxNotesLen = 4096 // bytes
	MaxRetries  = 10
)

// NewID returns a fresh random profile ID (128 bits, hex).
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported systems
	return hex.EncodeToString(b[:])
}

// Knocker returns an engine configured for this profile.
func (p *Profile) Knocker() knock.Knocker {
	k := knock.Knocker{Family: p.Family}
	if p.Verify != nil {
		k.Verify = &knock.Verify{Port: p.Verify.Port, Timeout: p.Verify.Timeout, Retries: p.Verify.Retries}
	}
	return k
}

// ValidateName reports why name cannot name a profile.
func ValidateName(name string) error { return validateName(name, hiddenRune) }

// savedRune is what a name or host read from profiles.json may not hold:
// controls only, as builds before hiddenRune allowed the rest, so that a
// list saved then still loads instead of being moved aside as corrupt. A
// rename or an edit asks for a name of today's rules.
func savedRune(r rune) bool { return unicode.IsControl(r) }

// validateName is ValidateName refusing the characters refused reports.
func validateName(name string, refused func(rune) bool) error {
	switch {
	case name == "":
		return errors.New("name is empty")
	case !utf8.ValidString(name):
		return errors.New("name is not valid UTF-8")
	case utf8.RuneCountInString(name) > MaxNameLen:
		return fmt.Errorf("name is longer than %d characters", MaxNameLen)
	case strings.TrimSpace(name) != name:
		return errors.New("name starts or ends with a space")
	case strings.HasPrefix(name, "-"):
		// It would read as a flag on the command line.
		return errors.New(`name starts with "-"`)
	case strings.ContainsFunc(name, refused):
		// Bidi overrides and zero-width characters make look-alikes of
		// other names; controls can rewrite a terminal.
		return errors.New("name holds a control or invisible formatting character")
	}
	return nil
}

// ValidateHost reports why host cannot name a router.
func ValidateHost(host string) error { return validateHost(host, hiddenRune) }

func validateHost(host string, refused func(rune) bool) error {
	switch {
	case host == "":
		return errors.New("missing (the router's name or address)")
	case len(host) > MaxHostLen:
		return fmt.Errorf("longer than %d bytes", MaxHostLen)
	case !utf8.ValidString(host) || strings.ContainsFunc(host, func(r rune) bool { return unicode.IsSpace(r) || refused(r) }):
		return errors.New("holds a space, control or invisible formatting character")
	}
	return nil
}

// validate checks every field; errors name the field, never a secret.
func (p *Profile) validate() error { return p.check(hiddenRune) }

// check is validate with names and hosts refusing what refused reports.
func (p *Profile) check(refused func(rune) bool) error {
	if err := validateName(p.Name, refused); err != nil {
		return fieldErr("name", err)
	}
	switch {
	case p.ID == "":
		return fieldErr("id", errors.New("missing"))
	case len(p.ID) > 64 || strings.ContainsFunc(p.ID, func(r rune) bool { return !isIDRune(r) }):
		return fieldErr("id", errors.New("must be up to 64 letters, digits or dashes"))
	}
	if err := validateHost(p.Host, refused); err != nil {
		return fieldErr("host", err)
	}
	switch {
	case p.Family > knock.PreferIPv6:
		return fieldErr("family", errors.New("unknown address family"))
	case p.Timeout < 0:
		return fieldErr("timeout", errors.New("negative"))
	case len(p.Notes) > MaxNotesLen:
		return fieldErr("notes", fmt.Errorf("longer than %d bytes", MaxNotesLen))
	}
	if v := p.Verify; v != nil {
		switch {
		case v.Port == 0:
			return fieldErr("verify.port", errors.New("missing (want 1-65535)"))
		case v.Timeout < 0:
			return fieldErr("verify.timeout", errors.New("negative"))
		case v.Retries < 0 || v.Retries > MaxRetries:
			return fieldErr("verify.retries", fmt.Errorf("want 0-%d", MaxRetries))
		}
	}
	if err := ValidateOpenURL(p.OpenURL); err != nil {
		return fieldErr("open_url", err)
	}
	for i, s := range p.Steps {
		if err := s.Validate(); err != nil {
			return fieldErr(fmt.Sprintf("steps[%d]", i), err)
		}
	}
	if p.SPA != nil {
		if len(p.Steps) > 0 {
			return fieldErr("spa", errors.New("a profile knocks steps or sends SPA, not both"))
		}
		if err := p.SPA.validate(); err != nil {
			return fieldErr("spa", err)
		}
	}
	return nil
}

// public is p as profiles.json holds it: without steps or SPA keys.
func (p Profile) public() Profile {
	p.Steps = nil
	if p.SPA != nil {
		s := *p.SPA
		s.Keys = SPAKeys{}
		p.SPA = &s
	}
	return p
}

func isIDRune(r rune) bool {
	return r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// FieldError names the field of a file or profile at fault.
type FieldError struct {
	Field string // "profiles[2] (office).steps[0].port", "line 7"
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// fieldErr prefixes err with field, joining nested field names with dots.
func fieldErr(field string, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) && fe.Field != "" {
		sep := "."
		if strings.HasPrefix(fe.Field, "[") {
			sep = ""
		}
		return &FieldError{Field: field + sep + fe.Field, Err: fe.Err}
	}
	return &FieldError{Field: field, Err: err}
}

// NotFoundError reports a profile name that is not saved.
type NotFoundError struct{ Name string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no profile named %q (see knocker list)", e.Name)
}

// ExistsError reports a name already taken.
type ExistsError struct{ Name string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("a profile named %q already exists (rename or delete it first)", e.Name)
}

// List is the saved profiles in file order. Names are unique regardless of
// case, so "Office" and "office" cannot both exist and confuse a CLI user.
type List struct {
	Profiles []Profile
}

// Index returns the position of the profile called name (any case), or -1.
func (l *List) Index(name string) int {
	for i := range l.Profiles {
		if strings.EqualFold(l.Profiles[i].Name, name) {
			return i
		}
	}
	return -1
}

func (l *List) indexID(id string) int {
	for i := range l.Profiles {
		if l.Profiles[i].ID == id {
			return i
		}
	}
	return -1
}

// Get returns the profile called name.
func (l *List) Get(name string) (Profile, error) {
	i := l.Index(name)
	if i < 0 {
		return Profile{}, &NotFoundError{Name: name}
	}
	return l.Profiles[i], nil
}

// Add appends p after checking it and that its name and ID are free. The
// stored copy has no secret (steps or SPA keys): it belongs in the keyring.
func (l *List) Add(p Profile) error { return l.adder().add(p) }

// listAdder adds profiles to a list, finding taken names and IDs in maps
// rather than by a scan per profile: a file of many thousand profiles is
// checked in linear time.
type listAdder struct {
	l       *List
	names   map[string]bool // foldName of every name
	ids     map[string]bool
	refused func(rune) bool // in names and hosts
}

func (l *List) adder() *listAdder {
	a := &listAdder{l: l, names: make(map[string]bool, len(l.Profiles)), ids: make(map[string]bool, len(l.Profiles)), refused: hiddenRune}
	for i := range l.Profiles {
		a.names[foldName(l.Profiles[i].Name)] = true
		a.ids[l.Profiles[i].ID] = true
	}
	return a
}

func (a *listAdder) add(p Profile) error {
	if err := p.check(a.refused); err != nil {
		return err
	}
	name := foldName(p.Name)
	if a.names[name] {
		return &ExistsError{Name: p.Name}
	}
	if a.ids[p.ID] {
		return fieldErr("id", errors.New("used by two profiles"))
	}
	a.names[name], a.ids[p.ID] = true, true
	a.l.Profiles = append(a.l.Profiles, p.public())
	return nil
}

// foldName maps every letter to one member of its case-folding orbit, so
// that two names are equal under strings.EqualFold exactly when their
// foldNames are equal.
func foldName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// Rename gives the profile called name a new name; its ID, and so its
// secret, stay.
func (l *List) Rename(name, newName string) error {
	i := l.Index(name)
	if i < 0 {
		return &NotFoundError{Name: name}
	}
	if err := ValidateName(newName); err != nil {
		return err
	}
	if j := l.Index(newName); j >= 0 && j != i {
		return &ExistsError{Name: newName}
	}
	l.Profiles[i].Name = newName
	return nil
}
