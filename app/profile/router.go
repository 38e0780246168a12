package profile

import (
	"strings"
	"unicode"

	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/routerconf"
)

// RouterSpec describes the router side of p, for knocker router-config NAME
// and the window's Router setup view. The protected service is the verify
// port when the profile has one, else SSH; the family follows the host.
func (p *Profile) RouterSpec() routerconf.Spec {
	protect := routerconf.Protect{Proto: knock.TCP, Port: 22}
	if p.Verify != nil {
		protect.Port = p.Verify.Port
	}
	return routerconf.Spec{
		Name:    routerName(p.Name),
		Steps:   p.Steps,
		Timeout: p.Timeout,
		Protect: protect,
		Family:  routerconf.HostFamily(p.Host, p.Family),
	}
}

// routerName turns a profile name into a list and table name routers
// accept: a letter, then up to 31 letters, digits, "_" or "-".
func routerName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) || r == '_' || r == '-':
			b.WriteRune(r)
		case (unicode.IsSpace(r) || r == '.') && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" || !unicode.IsLetter(rune(s[0])) {
		s = "knock-" + s
	}
	return strings.TrimRight(s[:min(len(s), 32)], "-")
}
