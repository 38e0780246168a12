package profile

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/routerconf"
)

// looksLikeRouterOS: the first line that is not blank or a comment is a
// RouterOS command (a menu path, a ":" command, or a "{" block that opens
// with one), or print output, which the reader then names as such.
func looksLikeRouterOS(data []byte) bool {
	inBlock := false
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		t := bytes.TrimSpace(line)
		switch {
		case len(t) == 0 || t[0] == '#' && !inBlock:
			continue
		case t[0] == '/' || t[0] == ':':
			return true
		case !inBlock && bytes.Equal(t, []byte("{")):
			inBlock = true
			continue
		case !inBlock && bytes.HasPrefix(t, []byte("Flags: ")):
			return true
		}
		return false
	}
	return false
}

// ParseRouterOS reads RouterOS configuration (an export, a script, one
// command a line) and makes a profile knocking host of each knock its rules
// let in, named after the list that grants access. Chains of list rules
// that are not knocks Knocker can send are Skipped, each with its reason.
func ParseRouterOS(data []byte, host string) (Imported, error) {
	if host == "" {
		return Imported{}, errors.New("RouterOS configuration does not say where the router is: give its name or address with --host")
	}
	rd, err := routerconf.ReadRouterOS(string(data))
	if err != nil {
		return Imported{}, err
	}
	if len(rd.Knocks) == 0 && len(rd.LeftOut) == 0 {
		return Imported{}, errors.New("no knock found: no rules add a source to an address list that a rule then lets in")
	}
	b := newImportBatch()
	for _, w := range rd.Warnings {
		b.warnings.add(Printable(w))
	}
	for _, l := range rd.LeftOut {
		b.skipped.add(Skipped{Section: Printable(l.Where()), Reason: Printable(l.Reason)})
	}
	taken := map[string]bool{}
	for i, k := range rd.Knocks {
		p := Profile{ID: NewID(), Name: knockName(k, i, taken), Host: host, Family: k.Family, Steps: k.Steps,
			Timeout: k.Timeout, AutoRefresh: k.Timeout > 0, Created: time.Now().UTC()}
		if k.Protect.Proto == knock.TCP {
			p.Verify = &Verify{Port: k.Protect.Port}
		}
		var warns []string
		for _, w := range k.Warnings {
			warns = append(warns, Printable(w))
		}
		if err := b.take("list "+p.Name, p, warns, nil); err != nil {
			return Imported{}, err
		}
	}
	// With no knock, the error names the chains left out.
	return b.imported()
}

// knockName names a knock after its list, the family added when another
// knock has the list's name already.
func knockName(k routerconf.Found, i int, taken map[string]bool) string {
	name := k.List
	if ValidateName(name) != nil || len(name) > 64 {
		name = fmt.Sprintf("knock %d", i+1)
	}
	if taken[name] {
		name += map[knock.Family]string{knock.IPv4: " (IPv4)", knock.IPv6: " (IPv6)"}[k.Family]
	}
	taken[name] = true
	return name
}
