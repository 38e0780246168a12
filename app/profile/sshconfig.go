package profile

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
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
	// Program is the absolute path of this knocker binary. ProxyCommand
	// runs the headless build instead where one is installed beside it
	// (see ProxyProgram).
	Program string
	// Windows quotes ProxyCommand for Windows' OpenSSH, which starts it
	// with CreateProcess, rather than for the shell ($SHELL: sh, bash,
	// dash, zsh, fish...) that runs it everywhere else.
	Windows bool
}

// ErrNoSSHAlias means a profile's name has nothing to make a Host alias of
// (no ASCII letter or digit): one must be given.
var ErrNoSSHAlias = errors.New("no ASCII letter or digit to make an ssh Host alias of")

// SSHConfig returns an ssh_config Host block that reaches p's host through
// "knocker proxy --id", ready to append to ~/.ssh/config, or why it cannot
// be written. It holds no secret.
//
// Nothing of the profile's name reaches a line ssh reads but the comment:
// the alias keeps only [a-z0-9._-] of it, and ProxyCommand names the
// profile by its ID (letters, digits and "-"), which needs no quoting in
// ssh's config splitter or in any shell, and survives a rename.
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
	if host == "" || host[0] == '-' || strings.ContainsFunc(host, func(r rune) bool { return !isHostRune(r) }) {
		return "", fmt.Errorf("profile host %q cannot be an ssh HostName (want a DNS name or an IP address)", p.Host)
	}
	if p.ID == "" || strings.ContainsFunc(p.ID, func(r rune) bool { return !isIDRune(r) }) {
		return "", fmt.Errorf("profile ID %q: want letters, digits or dashes", p.ID)
	}
	if h.Program == "" {
		return "", errors.New("no path to the knocker program")
	}
	program, err := commandWord(ProxyProgram(h.Program), h.Windows)
	if err != nil {
		return "", fmt.Errorf("program path: %w", err)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "# Knocker: knocks %s before each connection (knocker ssh-config)\n", Printable(p.Name))
	fmt.Fprintf(&b, "Host %s\n", alias)
	// HostName expands %-tokens as ProxyCommand does; an IPv6 zone holds "%".
	fmt.Fprintf(&b, "\tHostName %s\n", strings.ReplaceAll(host, "%", "%%"))
	fmt.Fprintf(&b, "\tPort %d\n", port)
	if user != "" {
		fmt.Fprintf(&b, "\tUser %s\n", user)
	}
	fmt.Fprintf(&b, "\tProxyCommand %s proxy --id %s %%h %%p\n", program, p.ID)
	return b.String(), nil
}

// HeadlessProgram is the file name of the headless build (make cli), which
// the packages install beside the desktop one.
const HeadlessProgram = "knocker-cli"

// ProxyProgram is the program a ProxyCommand should run for the knocker
// at program: the headless build where it is installed in the same
// folder, else program itself. ssh starts the proxy for every connection,
// and the headless build starts about three times faster, with no
// graphics libraries to load.
func ProxyProgram(program string) string {
	if program == "" {
		return ""
	}
	name := HeadlessProgram
	if ext := filepath.Ext(program); strings.EqualFold(ext, ".exe") {
		name += ext
	}
	headless := filepath.Join(filepath.Dir(program), name)
	info, err := os.Stat(headless)
	if err != nil || !info.Mode().IsRegular() || runtime.GOOS != "windows" && info.Mode().Perm()&0o111 == 0 {
		return program
	}
	return headless
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

// commandWord writes the program path s as the first word of a
// ProxyCommand, where three readers take it apart in turn. OpenSSH's
// config splitter (argv_split, OpenSSH 8.7 and later) must find its quotes
// balanced, and reads a backslash before ' " or \ as an escape, even
// inside quotes. ssh then replaces %-tokens, so "%" is doubled. Last, ssh
// runs the line with "$SHELL -c", or on Windows with CreateProcess.
func commandWord(s string, windows bool) (string, error) {
	var word string
	var err error
	if windows {
		word, err = windowsWord(s)
	} else {
		word, err = shellWord(s)
	}
	return strings.ReplaceAll(word, "%", "%%"), err
}

// shellWord writes s so that sh, bash, dash, zsh and fish all read it back
// as s, and argv_split accepts it. Inside single quotes none of them gives
// any character a meaning but the quote itself and, in fish and in
// argv_split, the backslash. So every character but those two goes inside
// single quotes, and "'" and "\" go outside them, each after a backslash,
// which all five shells and argv_split read the same way.
func shellWord(s string) (string, error) {
	if err := checkPassable(s); err != nil {
		return "", err
	}
	if !strings.HasPrefix(s, "/") {
		// A word starting with "-" would be an option of the shell's exec.
		return "", errors.New("is not an absolute path")
	}
	if !strings.ContainsFunc(s, func(r rune) bool { return !isPlainRune(r) }) {
		return s, nil
	}
	var b strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '\'' || r == '\\':
			if quoted {
				b.WriteByte('\'')
				quoted = false
			}
			b.WriteByte('\\')
		case !quoted:
			b.WriteByte('\'')
			quoted = true
		}
		b.WriteRune(r)
	}
	if quoted {
		b.WriteByte('\'')
	}
	return b.String(), nil
}

// windowsWord writes s for CreateProcess, where double quotes group a word
// and cannot themselves be written.
func windowsWord(s string) (string, error) {
	if err := checkPassable(s); err != nil {
		return "", err
	}
	if !strings.ContainsFunc(s, func(r rune) bool { return !isPlainRune(r) && r != '\\' && r != ':' }) {
		return s, nil
	}
	switch {
	case strings.ContainsRune(s, '"'):
		return "", errors.New(`holds a double quote ("), which a Windows ProxyCommand cannot pass`)
	case strings.HasSuffix(s, `\`):
		// argv_split would read the closing quote as escaped.
		return "", errors.New(`ends with a backslash (\), which would escape the closing quote`)
	}
	return `"` + s + `"`, nil
}

// checkPassable refuses what no quoting carries through ssh_config and
// every shell: a line break ends the config line, other control characters
// are read differently by different shells, and fish does not pass bytes
// that are not UTF-8 on unchanged.
func checkPassable(s string) error {
	switch {
	case !utf8.ValidString(s):
		return errors.New("is not valid UTF-8")
	case strings.ContainsAny(s, "\n\r"):
		return errors.New("holds a line break")
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return fmt.Errorf("holds the control character %q", r)
	}
	return nil
}

// isPlainRune is a character that needs no quoting in any of the shells,
// in argv_split or in CreateProcess.
func isPlainRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+-./_", r)
}
