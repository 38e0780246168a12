package profile

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// SSHHost is what an OpenSSH Host block for a profile needs beyond the
// profile itself.
type SSHHost struct {
	// Alias is the name typed after ssh. Empty: the profile's name, made
	// fit for a Host line (lower case, other characters turned into "-").
	Alias string
	// User is the login name. Empty: the user of the profile's ssh:// URL
	// to open, if any, else no User line (ssh then uses the local name).
	User string
	// Port is the SSH port. 0: the port of the profile's ssh:// URL, else
	// its check port, else 22.
	Port uint16
	// Program is the absolute path of the knocker binary ProxyCommand runs.
	Program string
	// Windows quotes ProxyCommand for Windows' OpenSSH, which starts it
	// with CreateProcess, rather than for the POSIX shell that runs it
	// everywhere else.
	Windows bool
}

// ErrNoSSHAlias means a profile's name has nothing to make a Host alias of
// (no ASCII letter or digit): one must be given.
var ErrNoSSHAlias = errors.New("no ASCII letter or digit to make an ssh Host alias of")

// SSHConfig returns an ssh_config Host block that reaches p's host through
// "knocker proxy", ready to append to ~/.ssh/config, or why it cannot be
// written. It holds no secret.
func (p *Profile) SSHConfig(h SSHHost) (string, error) {
	alias := h.Alias
	if alias == "" {
		alias = sshAlias(p.Name)
		if alias == "" {
			return "", fmt.Errorf("profile name %q: %w", p.Name, ErrNoSSHAlias)
		}
	} else if err := checkSSHWord(alias, "-"); err != nil {
		return "", fmt.Errorf("alias %q: %w", alias, err)
	}
	urlUser, urlPort := p.sshURL()
	user := h.User
	if user == "" {
		user = urlUser
	}
	if user != "" {
		if err := checkSSHWord(user, "-@"); err != nil {
			return "", fmt.Errorf("user %q: %w", user, err)
		}
	}
	port := h.Port
	switch {
	case port != 0:
	case urlPort != 0:
		port = urlPort
	case p.Verify != nil && p.Verify.Port != 0:
		port = p.Verify.Port
	default:
		port = 22
	}
	host := BareHost(p.Host)
	if host == "" || strings.ContainsFunc(host, func(r rune) bool { return !isHostRune(r) }) {
		return "", fmt.Errorf("profile host %q cannot be an ssh HostName (want a DNS name or an IP address)", p.Host)
	}
	if h.Program == "" {
		return "", errors.New("no path to the knocker program")
	}
	program, err := commandWord(h.Program, h.Windows)
	if err != nil {
		return "", fmt.Errorf("program path: %w", err)
	}
	name, err := commandWord(p.Name, h.Windows)
	if err != nil {
		return "", fmt.Errorf("profile name: %w", err)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "# Knocker: knocks %s before each connection (knocker ssh-config)\n", singleLine(p.Name))
	fmt.Fprintf(&b, "Host %s\n", alias)
	// HostName expands %-tokens as ProxyCommand does; an IPv6 zone holds "%".
	fmt.Fprintf(&b, "\tHostName %s\n", strings.ReplaceAll(host, "%", "%%"))
	fmt.Fprintf(&b, "\tPort %d\n", port)
	if user != "" {
		fmt.Fprintf(&b, "\tUser %s\n", user)
	}
	fmt.Fprintf(&b, "\tProxyCommand %s proxy %s %%h %%p\n", program, name)
	return b.String(), nil
}

// BareHost is host without the brackets of an IPv6 literal written "[::1]".
func BareHost(host string) string {
	if len(host) > 2 && host[0] == '[' && host[len(host)-1] == ']' {
		return host[1 : len(host)-1]
	}
	return host
}

// sshURL is the user and port of p's ssh:// URL to open, if it has one.
func (p *Profile) sshURL() (user string, port uint16) {
	u, err := url.Parse(p.OpenURL)
	if err != nil || !strings.EqualFold(u.Scheme, "ssh") {
		return "", 0
	}
	if n, err := strconv.ParseUint(u.Port(), 10, 16); err == nil {
		port = uint16(n)
	}
	return u.User.Username(), port
}

// sshAlias turns a profile name into a Host alias: lower case ASCII letters,
// digits, ".", "_" and "-", with runs of anything else as one "-".
func sshAlias(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-':
			b.WriteRune(r)
		case !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-.")
}

// checkSSHWord accepts a word ssh_config takes literally: ASCII letters,
// digits, "." and "_", and the characters in extra, not starting with "-".
// Anything else would need quoting, or would read as a pattern, a comment
// or a %-token.
func checkSSHWord(s, extra string) error {
	switch {
	case s == "":
		return errors.New("empty")
	case s[0] == '-':
		return errors.New(`starts with "-"`)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || strings.ContainsRune(extra, r)) {
			return fmt.Errorf("holds %q; use letters, digits, \".\", \"_\" or %q", r, extra)
		}
	}
	return nil
}

// isHostRune accepts the characters of DNS names and IP addresses (":" for
// IPv6, "%" for its zone).
func isHostRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-_:%", r)
}

// commandWord writes s as one word of a ProxyCommand. ssh first replaces
// %-tokens (so "%" is doubled), then hands the line to "sh -c", where single
// quotes keep everything literal, or on Windows to CreateProcess, where
// double quotes group a word and cannot themselves be written.
func commandWord(s string, windows bool) (string, error) {
	s = strings.ReplaceAll(s, "%", "%%")
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool { return !isPlainRune(r) }) {
		return s, nil
	}
	if windows {
		if strings.ContainsRune(s, '"') {
			return "", errors.New(`holds a double quote ("), which a Windows ProxyCommand cannot pass`)
		}
		return `"` + s + `"`, nil
	}
	if strings.ContainsAny(s, "\n\r") {
		return "", errors.New("holds a line break")
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'", nil
}

// isPlainRune is a character that needs no quoting in sh or CreateProcess.
// The backslash is plain only for Windows paths, so it is quoted on both.
func isPlainRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("%+,-./:=@_", r)
}

// singleLine keeps a name from breaking out of a comment line.
func singleLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
