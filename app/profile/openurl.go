package profile

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"unicode"
)

// OpenURLSchemes are the schemes an after-knock URL may use: each opens a
// network client through the desktop's handler, none runs a command.
// file:, javascript:, data: and the like are refused.
var OpenURLSchemes = []string{"ssh", "sftp", "http", "https", "winbox", "rdp", "vnc"}

// MaxOpenURLLen bounds the after-knock URL, far above any real one.
const MaxOpenURLLen = 2048

// ValidateOpenURL reports why u cannot be opened after a knock; empty is
// fine (nothing is opened). The URL is kept in profiles.json, so it may not
// carry a password.
//
// The desktop hands the URL to whatever program handles its scheme, and
// some of those (an ssh handler above all) pass its parts on as command
// arguments or through a shell. So the user and host are plain names that
// cannot read as an option (ssh://-oProxyCommand=…@router) or as shell
// syntax, no part decodes to a control or invisible character, and outside
// the web schemes no path, query or fragment part starts with "-".
func ValidateOpenURL(u string) error {
	if u == "" {
		return nil
	}
	if len(u) > MaxOpenURLLen {
		return fmt.Errorf("longer than %d bytes", MaxOpenURLLen)
	}
	if strings.ContainsFunc(u, func(r rune) bool { return unicode.IsSpace(r) || hiddenRune(r) || r == unicode.ReplacementChar }) {
		return errors.New("holds a space or control character")
	}
	parsed, err := url.Parse(u)
	if err != nil {
		return errors.New("not a valid URL (want e.g. ssh://admin@router or https://router/)")
	}
	scheme := strings.ToLower(parsed.Scheme)
	if !slices.Contains(OpenURLSchemes, scheme) {
		return fmt.Errorf("scheme must be one of %s (no shell or file URLs)", strings.Join(OpenURLSchemes, ", "))
	}
	if parsed.Host == "" || parsed.Opaque != "" {
		return fmt.Errorf("want %s://HOST followed by what the program needs", scheme)
	}
	if _, hasPassword := parsed.User.Password(); hasPassword {
		return errors.New("holds a password, which would be saved in plain text (leave it out; the program asks for it)")
	}
	if parsed.User != nil {
		if err := checkURLUser(parsed.User.Username()); err != nil {
			return err
		}
	}
	if err := checkURLHost(parsed.Hostname()); err != nil {
		return err
	}
	query, err := url.QueryUnescape(parsed.RawQuery)
	if err != nil {
		return errors.New("the query is not validly escaped")
	}
	web := scheme == "http" || scheme == "https"
	for _, part := range []struct{ name, decoded string }{{"path", parsed.Path}, {"query", query}, {"fragment", parsed.Fragment}} {
		switch {
		case strings.ContainsFunc(part.decoded, hiddenRune):
			return fmt.Errorf("the %s decodes to a control or invisible character", part.name)
		case !web && slices.ContainsFunc(strings.FieldsFunc(part.decoded, isURLSeparator), optionLike):
			return fmt.Errorf("the %s has a part starting with \"-\", which a %s program could take for an option", part.name, scheme)
		}
	}
	return nil
}

func optionLike(s string) bool { return strings.HasPrefix(s, "-") }

func isURLSeparator(r rune) bool { return strings.ContainsRune("/?&;=#,", r) }

// checkURLUser allows the names login accounts have: letters, digits and
// . _ - + ~ @, not starting with "-".
func checkURLUser(user string) error {
	switch {
	case user == "":
		return errors.New(`the user name before "@" is empty`)
	case optionLike(user):
		return errors.New(`the user name starts with "-", which the program could take for an option`)
	case strings.ContainsFunc(user, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("._-+~@", r)
	}):
		return errors.New("the user name may hold letters, digits and . _ - + ~ @ only")
	}
	return nil
}

// checkURLHost allows an IP address or a DNS name: letters, digits, ".",
// "-" and "_", starting with neither "-" nor ".".
func checkURLHost(host string) error {
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	switch {
	case optionLike(host) || strings.HasPrefix(host, "."):
		return errors.New(`the host starts with "-" or ".", which the program could take for an option`)
	case strings.ContainsFunc(host, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(".-_", r)
	}):
		return errors.New("the host may hold letters, digits and . - _ only (or be an IP address)")
	}
	return nil
}

// NeedsOpenURLConsent reports that p's after-knock URL came from an
// imported file and the user has not yet agreed to open it: the window
// shows the URL and asks once, then calls Book.ConsentOpenURL.
func (p *Profile) NeedsOpenURLConsent() bool { return p.OpenURL != "" && p.OpenURLImported }

// ConsentOpenURL records that the user agreed to open openURL after
// knocking the profile with id. It fails, changing nothing, when the
// profile's URL is no longer openURL: the user agreed to a different one.
func (b *Book) ConsentOpenURL(id, openURL string) error {
	return b.Store.Update(func(l *List) error {
		i := l.indexID(id)
		if i < 0 {
			return errors.New("the profile was deleted meanwhile")
		}
		p := &l.Profiles[i]
		if p.OpenURL != openURL {
			return fmt.Errorf("profile %q: its URL changed meanwhile; nothing was agreed", p.Name)
		}
		p.OpenURLImported = false
		return nil
	})
}
