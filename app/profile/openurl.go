package profile

import (
	"errors"
	"fmt"
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
func ValidateOpenURL(u string) error {
	if u == "" {
		return nil
	}
	if len(u) > MaxOpenURLLen {
		return fmt.Errorf("longer than %d bytes", MaxOpenURLLen)
	}
	if strings.ContainsFunc(u, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar }) {
		return errors.New("holds a space or control character")
	}
	parsed, err := url.Parse(u)
	if err != nil {
		return errors.New("not a valid URL (want e.g. ssh://admin@router or https://router/)")
	}
	if !slices.Contains(OpenURLSchemes, strings.ToLower(parsed.Scheme)) {
		return fmt.Errorf("scheme must be one of %s (no shell or file URLs)", strings.Join(OpenURLSchemes, ", "))
	}
	if parsed.Host == "" || parsed.Opaque != "" {
		return fmt.Errorf("want %s://HOST followed by what the program needs", strings.ToLower(parsed.Scheme))
	}
	if _, hasPassword := parsed.User.Password(); hasPassword {
		return errors.New("holds a password, which would be saved in plain text (leave it out; the program asks for it)")
	}
	return nil
}
