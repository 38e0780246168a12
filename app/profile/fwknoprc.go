package profile

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/knocker/knocker/knock/spa"
)

// The fwknop client's ~/.fwknoprc: [stanza] sections of "VARIABLE value"
// lines, where the value is one word (fwknop stops at a space, tab, ";" or
// "#") and [default] supplies what a named stanza leaves out.

// fwknoprcRole says what the importer does with a variable.
type fwknoprcRole uint8

const (
	rcUsed        fwknoprcRole = iota + 1 // becomes part of the profile
	rcIgnored                             // reported, the profile still works
	rcUnsupported                         // the stanza cannot become a profile
)

var fwknoprcVars = map[string]fwknoprcRole{
	"SPA_SERVER": rcUsed, "SPA_SERVER_PORT": rcUsed, "SPA_SERVER_PROTO": rcUsed, "ACCESS": rcUsed,
	"ALLOW_IP": rcUsed, "RESOLVE_IP_HTTPS": rcUsed, "RESOLVE_IP_HTTP": rcUsed, "RESOLVE_URL": rcUsed,
	"RESOLVE_HTTP_ONLY": rcUsed, "KEY": rcUsed, "KEY_BASE64": rcUsed,
	"HMAC_KEY": rcUsed, "HMAC_KEY_BASE64": rcUsed, "USE_HMAC": rcUsed, "HMAC_DIGEST_TYPE": rcUsed,
	"DIGEST_TYPE": rcUsed, "ENCRYPTION_MODE": rcUsed, "SPOOF_USER": rcUsed, "FW_TIMEOUT": rcUsed,
	"USE_GPG": rcUsed,

	"SPA_SOURCE_PORT": rcIgnored, "RAND_PORT": rcIgnored, "TIME_OFFSET": rcIgnored,
	"WGET_CMD":            rcIgnored,
	"USE_WGET_USER_AGENT": rcIgnored, "HTTP_USER_AGENT": rcIgnored, "HTTP_PROXY": rcIgnored,
	"SPOOF_SOURCE_IP": rcIgnored, "VERBOSE": rcIgnored, "NO_SAVE_ARGS": rcIgnored,
	"KEY_FILE": rcIgnored, "SAVE_PACKET": rcIgnored, "SAVE_PACKET_FILE": rcIgnored,
	"SAVE_PACKET_APPEND": rcIgnored,

	"NAT_ACCESS": rcUnsupported, "NAT_LOCAL": rcUnsupported, "NAT_PORT": rcUnsupported,
	"NAT_RAND_PORT": rcUnsupported, "SERVER_COMMAND": rcUnsupported, "GPG_RECIPIENT": rcUnsupported,
	"GPG_SIGNER": rcUnsupported, "GPG_HOMEDIR": rcUnsupported, "GPG_EXE": rcUnsupported,
	"GPG_SIGNING_PW": rcUnsupported, "GPG_NO_SIGNING_PW": rcUnsupported, "USE_GPG_AGENT": rcUnsupported,
}

// rcLongestName is the length of the longest name in fwknoprcVars.
const rcLongestName = len("USE_WGET_USER_AGENT")

// fwknoprcKeyVars hold key material: these are the lines ScrubFwknoprc removes.
var fwknoprcKeyVars = map[string]bool{"KEY": true, "KEY_BASE64": true, "HMAC_KEY": true, "HMAC_KEY_BASE64": true}

// rcLine splits a line as fwknop does; ok is false for blanks, comments and
// section headers. It allocates nothing unless the name needs upper-casing,
// since format detection runs it on every line of any file.
func rcLine(line string) (name, value string, ok bool) {
	first, rest := rcWord(line)
	if first == "" || first[0] == '#' || first[0] == '[' {
		return "", "", false
	}
	value, _ = rcWord(rest)
	value, _, _ = strings.Cut(value, ";")
	value, _, _ = strings.Cut(value, "#")
	return strings.ToUpper(strings.TrimSuffix(first, ":")), value, true
}

// rcWord is the first word of s, fwknop's way (words end at a space, tab or
// carriage return), and what follows it.
func rcWord(s string) (word, rest string) {
	isSep := func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' }
	s = strings.TrimLeftFunc(s, isSep)
	end := strings.IndexFunc(s, isSep)
	if end < 0 {
		return s, ""
	}
	return s[:end], s[end:]
}

// looksLikeFwknoprc: a line starting with a variable only .fwknoprc has
// (knockd.conf writes lower-case "name = value"); or, in a file with no
// setting at all, such a line commented out, as in the template fwknop
// writes on its first run, so that it is reported as a .fwknoprc without a
// stanza rather than as a knockd.conf.
func looksLikeFwknoprc(data []byte) bool {
	commented, settings := false, false
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimLeft(line, " \t\r")
		isComment := len(line) > 0 && line[0] == '#'
		if isComment {
			line = bytes.TrimLeft(line, "# \t")
		} else if len(line) > 0 && line[0] != '[' && line[0] != ';' {
			settings = true
		}
		// Only a line that starts with a known name can count: check that
		// before making a string of it.
		word := line
		if end := bytes.IndexAny(word, " \t\r"); end >= 0 {
			word = word[:end]
		}
		if len(word) == 0 || len(word) > rcLongestName+1 {
			continue
		}
		name, value, ok := rcLine(string(line))
		if ok && !strings.Contains(name, "=") && !strings.HasPrefix(value, "=") && fwknoprcVars[name] != 0 {
			if !isComment {
				return true
			}
			commented = true
		}
	}
	return commented && !settings
}

type rcSetting struct {
	value string
	line  int
}

// rcStanza holds the variables Knocker knows by name. Lines it does not
// know are kept by number only: a stray line may be a passphrase, and no
// message repeats it.
type rcStanza struct {
	name    string
	line    int
	bad     error // a line that keeps the stanza from being read
	vars    map[string]rcSetting
	unknown []int // line numbers, the first maxImportWarnings
	more    int   // unknown lines beyond those
}

func (st *rcStanza) addUnknown(line int) {
	if len(st.unknown) < maxImportWarnings {
		st.unknown = append(st.unknown, line)
	} else {
		st.more++
	}
}

// unknownWarning names the lines of st that are not settings, or is "".
func (st *rcStanza) unknownWarning() string {
	if len(st.unknown) == 0 {
		return ""
	}
	nums := make([]string, len(st.unknown))
	for i, n := range st.unknown {
		nums[i] = strconv.Itoa(n)
	}
	word := "line"
	if len(nums) > 1 {
		word = "lines"
	}
	more := ""
	if st.more > 0 {
		more = fmt.Sprintf(" and %d more", st.more)
	}
	return fmt.Sprintf("%s %s%s: not settings Knocker knows, ignored (not repeated here: they may hold keys)", word, strings.Join(nums, ", "), more)
}

// ParseFwknoprc reads the stanzas of a ~/.fwknoprc into SPA profiles, one a
// stanza; [default] fills in what the named ones leave out (and is a profile
// itself only when there is no other). A stanza Knocker cannot knock (GnuPG,
// a NAT request, a server command) is left out with its reason and the
// others import; so is one without keys, which fwknop asks for at each run,
// with the rest of it read (Skipped.NeedsKeys) so that a window can ask for
// them. The keys are the profiles' secrets: errors and warnings name only
// variables Knocker knows and line numbers, never a value or an unknown word.
func ParseFwknoprc(data []byte) (Imported, error) {
	var stanzas []*rcStanza
	var def *rcStanza
	var cur *rcStanza
	settings := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, MaxFileSize)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(text, "[") {
			name, _, ok := strings.Cut(text[1:], "]")
			if !ok {
				return Imported{}, fieldErr(lineField(n), errors.New(`section header without "]"`))
			}
			cur = &rcStanza{name: strings.TrimSpace(name), line: n, vars: map[string]rcSetting{}}
			switch {
			case strings.EqualFold(cur.name, "default"):
				def = cur
			case len(stanzas) == MaxImportProfiles:
				return Imported{}, fieldErr(lineField(n), tooManyProfiles())
			default:
				stanzas = append(stanzas, cur)
			}
			continue
		}
		name, value, ok := rcLine(text)
		if !ok {
			continue
		}
		settings++
		switch {
		case cur == nil:
			return Imported{}, fieldErr(lineField(n), errors.New("setting before the first [stanza]"))
		case fwknoprcVars[name] == 0:
			if known, _, joined := strings.Cut(name, "="); joined && fwknoprcVars[known] != 0 && cur.bad == nil {
				cur.bad = fieldErr(lineField(n), fmt.Errorf(`%s is joined to its value by "=": write %s, a space, then the value`, known, known))
			}
			cur.addUnknown(n)
		case value == "":
			if cur.bad == nil {
				cur.bad = fieldErr(lineField(n), fmt.Errorf("%s has no value", name))
			}
		default:
			cur.vars[name] = rcSetting{value, n}
		}
	}
	if err := sc.Err(); err != nil {
		return Imported{}, err
	}
	switch {
	case settings == 0:
		return Imported{}, errors.New("the file holds no stanza: every line is blank, a comment or a bare [header] (fwknop writes such a template on its first run); uncomment or add a [name] stanza with SPA_SERVER, ACCESS and keys")
	case def != nil && def.bad != nil:
		return Imported{}, fmt.Errorf("[default]: %w", def.bad) // every stanza would inherit it
	}
	if len(stanzas) == 0 && def != nil {
		stanzas, def = []*rcStanza{def}, nil
	}
	if len(stanzas) == 0 {
		return Imported{}, errors.New("no [stanza] found (want [name] with SPA_SERVER, ACCESS and keys)")
	}
	b := newImportBatch()
	if def != nil && len(def.unknown) > 0 {
		b.warnings.add(fmt.Sprintf("line %d: [default]: %s", def.line, def.unknownWarning()))
	}
	for _, st := range stanzas {
		if def != nil {
			for k, v := range def.vars {
				if _, ok := st.vars[k]; !ok {
					st.vars[k] = v
				}
			}
		}
		field := fmt.Sprintf("line %d: [%s]", st.line, excerpt(st.name))
		p, warnings, err := st.profile()
		if errors.Is(err, errNoKeys) {
			// Checked as the import would check it, bar the keys.
			if verr := p.validate(); verr != nil {
				b.skipped.add(Skipped{Section: field, Reason: "no KEY_BASE64 (fwknop asks for it at each run), and " + verr.Error()})
				continue
			}
			b.skipped.add(Skipped{Section: field, Reason: err.Error(), NeedsKeys: &p})
			continue
		}
		if err := b.takeOrSkip(field, p, warnings, err); err != nil {
			return Imported{}, err
		}
	}
	return b.imported()
}

// errNoKeys is a stanza without keys: fwknop asks for them at each run.
var errNoKeys = errors.New("no KEY_BASE64: fwknop asks for the key at each run, and Knocker must keep it (the window's import asks for it; or add KEY_BASE64 and HMAC_KEY_BASE64 to the stanza)")

func (st *rcStanza) profile() (Profile, []string, error) {
	var warn []string
	s := &SPA{}
	p := Profile{ID: NewID(), Name: st.name, SPA: s, Created: time.Now().UTC()}
	get := func(name string) string { return st.vars[name].value }
	at := func(name string) string { return fmt.Sprintf("line %d: %s", st.vars[name].line, name) }
	yes := func(name string) bool { return strings.EqualFold(get(name), "Y") }
	var names []string
	for name := range st.vars {
		names = append(names, name)
	}
	// Reported in file order; map order would shuffle the warnings.
	slices.SortFunc(names, func(a, b string) int { return st.vars[a].line - st.vars[b].line })
	if st.bad != nil {
		return p, nil, st.bad
	}
	if w := st.unknownWarning(); w != "" {
		warn = append(warn, w)
	}
	for _, name := range names {
		switch fwknoprcVars[name] {
		case rcIgnored:
			warn = append(warn, at(name)+": not supported, ignored")
		case rcUnsupported:
			return p, nil, fieldErr(at(name), rcUnsupportedWhy(name))
		}
	}
	p.Host = get("SPA_SERVER")
	if p.Host == "" {
		return p, nil, errors.New("no SPA_SERVER")
	}
	switch {
	case get("SPA_SERVER_PROTO") != "" && !strings.EqualFold(get("SPA_SERVER_PROTO"), "udp"):
		return p, nil, fieldErr(at("SPA_SERVER_PROTO"), errors.New("only udp is supported"))
	case yes("USE_GPG"):
		return p, nil, fieldErr(at("USE_GPG"), errors.New("GnuPG is not supported: use Rijndael and HMAC keys"))
	case get("USE_HMAC") != "" && !yes("USE_HMAC"):
		return p, nil, fieldErr(at("USE_HMAC"), errors.New("Knocker sends only HMAC-authenticated packets"))
	case get("ENCRYPTION_MODE") != "" && !strings.EqualFold(get("ENCRYPTION_MODE"), "CBC"):
		return p, nil, fieldErr(at("ENCRYPTION_MODE"), errors.New("only CBC is supported"))
	}
	for _, name := range []string{"HMAC_DIGEST_TYPE", "DIGEST_TYPE"} {
		if v := get(name); v != "" && !strings.EqualFold(v, "SHA256") {
			return p, nil, fieldErr(at(name), errors.New("only SHA256 is supported"))
		}
	}
	if v := get("SPA_SERVER_PORT"); v != "" {
		port, err := strconv.ParseUint(v, 10, 16)
		if err != nil || port == 0 {
			return p, nil, fieldErr(at("SPA_SERVER_PORT"), errors.New("want a port 1-65535"))
		}
		s.Port = uint16(port)
	}
	s.Access = strings.ToLower(get("ACCESS"))
	s.User = get("SPOOF_USER")
	w, err := st.allow(s, get, at, yes)
	if err != nil {
		return p, nil, err
	}
	warn = append(warn, w...)
	if v := get("FW_TIMEOUT"); v != "" {
		secs, err := strconv.ParseUint(v, 10, 32)
		if err != nil || secs == 0 || secs > spa.MaxTimeout {
			return p, nil, fieldErr(at("FW_TIMEOUT"), fmt.Errorf("want 1-%d seconds", spa.MaxTimeout))
		}
		p.Timeout = time.Duration(secs) * time.Second
		warn = append(warn, at("FW_TIMEOUT")+": Knocker does not ask fwknopd for a timeout; it is kept as the profile's timeout, for re-knocking")
	}
	keys, err := rcKeys(get, at)
	if err != nil {
		return p, nil, err
	}
	s.Keys = keys
	return p, warn, nil
}

// allow reads which address the stanza's packets ask fwknopd to let in, as
// fwknop's client settles it (config_init.c): an ALLOW_IP address or
// "source" wins; else "ALLOW_IP resolve", RESOLVE_IP_HTTPS Y, RESOLVE_IP_HTTP
// Y (also HTTPS) or a RESOLVE_URL alone look the public address up over
// HTTPS, at RESOLVE_URL or at fwknop's own service, which the warning names.
func (st *rcStanza) allow(s *SPA, get, at func(string) string, yes func(string) bool) ([]string, error) {
	v := get("ALLOW_IP")
	switch {
	case strings.EqualFold(v, "source"):
		return nil, nil
	case v != "" && !strings.EqualFold(v, "resolve"):
		a, err := netip.ParseAddr(v)
		if err != nil || !a.Is4() || a.IsUnspecified() {
			return nil, fieldErr(at("ALLOW_IP"), errors.New(`want "source", "resolve" or an IPv4 address`))
		}
		s.AllowIP = a
		return nil, nil
	case v == "" && !yes("RESOLVE_IP_HTTPS") && !yes("RESOLVE_IP_HTTP") && get("RESOLVE_URL") == "":
		return []string{"no ALLOW_IP: fwknop then wants -s, -a or -R on its command line; read as -s, the address the packet comes from"}, nil
	case yes("RESOLVE_HTTP_ONLY"):
		return nil, fieldErr(at("RESOLVE_HTTP_ONLY"), errors.New("fwknop looks the address up over plain HTTP here, which anyone on the way can change; Knocker looks it up over HTTPS only"))
	}
	s.ResolveURL = get("RESOLVE_URL")
	if s.ResolveURL == "" {
		s.ResolveURL = spa.FwknopResolveURL
		return []string{"the public address is looked up at fwknop's own service, " + spa.FwknopResolveURL + ", as fwknop does without RESOLVE_URL: choose another in the editor if you prefer"}, nil
	}
	if err := spa.CheckResolveURL(s.ResolveURL); err != nil {
		return nil, fieldErr(at("RESOLVE_URL"), err)
	}
	return nil, nil
}

// rcUnsupportedWhy says why a stanza with name cannot be knocked.
func rcUnsupportedWhy(name string) error {
	switch {
	case strings.Contains(name, "GPG"):
		return errors.New("GnuPG is not supported: Knocker sends packets encrypted with Rijndael and HMAC keys")
	case strings.HasPrefix(name, "NAT_"):
		return errors.New("NAT access requests are not supported: Knocker sends plain access requests")
	}
	return errors.New("server commands are not supported: Knocker sends plain access requests")
}

// rcKeys reads the keys; KEY and HMAC_KEY are passphrases whose bytes are
// the key, as fwknop uses them. A stanza without its encryption key, or
// without its HMAC key while USE_HMAC is Y, is one fwknop asks the keys
// for: errNoKeys.
func rcKeys(get func(string) string, at func(string) string) (SPAKeys, error) {
	var k spa.Keys
	var err error
	for _, kv := range []struct {
		dst         *[]byte
		raw, base64 string
	}{{&k.Rijndael, "KEY", "KEY_BASE64"}, {&k.HMAC, "HMAC_KEY", "HMAC_KEY_BASE64"}} {
		switch {
		case get(kv.base64) != "":
			if *kv.dst, err = decodeKey(get(kv.base64)); err != nil {
				return SPAKeys{}, fieldErr(at(kv.base64), err)
			}
		case get(kv.raw) != "":
			*kv.dst = []byte(get(kv.raw))
		}
	}
	switch {
	case k.Rijndael == nil || k.HMAC == nil && strings.EqualFold(get("USE_HMAC"), "Y"):
		return SPAKeys{}, errNoKeys
	case k.HMAC == nil:
		return SPAKeys{}, errors.New("no HMAC_KEY_BASE64: the stanza sends packets without HMAC, and Knocker sends only HMAC-authenticated ones (fwknop --key-gen prints both keys; fwknopd's access.conf needs the same)")
	}
	if err := k.Validate(); err != nil {
		return SPAKeys{}, err
	}
	return NewSPAKeys(k), nil
}

// decodeKey reads base64 as fwknop --key-gen writes it; the error never
// quotes the key.
func decodeKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("not valid base64")
	}
	return k, nil
}

// ScrubFwknoprc returns data with every key line (KEY, KEY_BASE64,
// HMAC_KEY, HMAC_KEY_BASE64) replaced by a comment saying where the key
// went, and how many lines that was. Everything else is kept byte for byte.
func ScrubFwknoprc(data []byte) ([]byte, int) {
	var b bytes.Buffer
	n := 0
	for line := range strings.Lines(string(data)) {
		name, _, ok := rcLine(line)
		if !ok || !fwknoprcKeyVars[name] {
			b.WriteString(line)
			continue
		}
		n++
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		eol := line[len(strings.TrimRight(line, "\r\n")):]
		fmt.Fprintf(&b, "%s# %s removed by knocker import --scrub-source: the key is in Knocker's keyring%s", indent, name, eol)
	}
	return b.Bytes(), n
}

// ScrubTarget is the file --scrub-source would rewrite for the .fwknoprc at
// path: the file itself, or the real file behind a symbolic link, such as a
// ~/.fwknoprc kept in a dotfiles folder, since that is where the keys are.
// A file with more than one hard link is refused: its other names would
// keep the keys after the rewrite, and rewriting it in place could not be
// atomic. So is anything but a regular file.
func ScrubTarget(path string) (string, error) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", err
	}
	fi, err := os.Lstat(target)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", target)
	}
	links, err := hardLinks(target)
	if err != nil {
		return "", err
	}
	if links > 1 {
		return "", fmt.Errorf("%s has %d hard links: its other names would keep the keys (remove them, or scrub by hand)", target, links)
	}
	return target, nil
}

// ScrubFwknoprcFile replaces the key lines of the .fwknoprc at path, read as
// imported, with comments (see ScrubFwknoprc), atomically and keeping the
// file's mode and owner. It writes the file ScrubTarget names, and only if
// that still holds exactly imported. It returns the file written and how
// many lines were replaced; with none, nothing is written.
func ScrubFwknoprcFile(path string, imported []byte) (target string, lines int, err error) {
	if target, err = ScrubTarget(path); err != nil {
		return "", 0, err
	}
	fi, err := os.Stat(target)
	if err != nil {
		return "", 0, err
	}
	current, err := os.ReadFile(target)
	if err != nil {
		return "", 0, err
	}
	if !bytes.Equal(current, imported) {
		return target, 0, fmt.Errorf("%s changed since it was read", target)
	}
	scrubbed, n := ScrubFwknoprc(current)
	if n == 0 {
		return target, 0, nil
	}
	if err := WriteFileAtomic(target, scrubbed, fi.Mode().Perm()); err != nil {
		return target, 0, err
	}
	return target, n, nil
}
