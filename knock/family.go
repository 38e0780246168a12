package knock

import (
	"net/netip"
	"strconv"
)

// Family chooses between IPv4 and IPv6 when a host name has both.
type Family uint8

const (
	Auto       Family = iota // the resolver's first choice (RFC 6724 order)
	IPv4                     // IPv4 only
	IPv6                     // IPv6 only
	PreferIPv4               // IPv4 when the name has one, else IPv6
	PreferIPv6               // IPv6 when the name has one, else IPv4
)

var familyNames = [...]string{Auto: "auto", IPv4: "ipv4", IPv6: "ipv6", PreferIPv4: "prefer-ipv4", PreferIPv6: "prefer-ipv6"}

func (f Family) String() string {
	if int(f) < len(familyNames) {
		return familyNames[f]
	}
	return "Family(" + strconv.Itoa(int(f)) + ")"
}

// ParseFamily reads a family name as written in profile files; "4" and "6"
// are accepted as short forms.
func ParseFamily(s string) (Family, error) {
	switch s {
	case "4":
		return IPv4, nil
	case "6":
		return IPv6, nil
	}
	for f, name := range familyNames {
		if s == name {
			return Family(f), nil
		}
	}
	return 0, &familyError{s}
}

type familyError struct{ s string }

func (e *familyError) Error() string {
	return strconv.Quote(e.s) + " is not an address family (want auto, ipv4, ipv6, prefer-ipv4 or prefer-ipv6)"
}

func (f Family) lookupNetwork() string {
	switch f {
	case IPv4:
		return "ip4"
	case IPv6:
		return "ip6"
	}
	return "ip"
}

func (f Family) allows(a netip.Addr) bool {
	switch f {
	case IPv4:
		return a.Is4()
	case IPv6:
		return a.Is6()
	}
	return a.IsValid()
}

func (f Family) only() string {
	switch f {
	case IPv4:
		return "IPv4"
	case IPv6:
		return "IPv6"
	}
	return "IP"
}

// choose picks the address to knock from a non-empty list the family allows.
func (f Family) choose(all []netip.Addr) netip.Addr {
	var want func(netip.Addr) bool
	switch f {
	case PreferIPv4:
		want = netip.Addr.Is4
	case PreferIPv6:
		want = netip.Addr.Is6
	default:
		return all[0]
	}
	for _, a := range all {
		if want(a) {
			return a
		}
	}
	return all[0]
}
