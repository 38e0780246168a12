package netwatch

import (
	"bytes"
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
)

// System snapshots this machine: the addresses of interfaces that are up and
// running, and on Linux the default routes from /proc. Link-local addresses
// are left out: they cannot reach a router's public address, and virtual
// interfaces (containers, VMs) come and go with nothing but those.
func System() (Snapshot, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return Snapshot{}, err
	}
	var s Snapshot
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagUp == 0 || ifi.Flags&net.FlagRunning == 0 {
			continue
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			return Snapshot{}, err
		}
		for _, a := range addrs {
			p, err := netip.ParsePrefix(a.String())
			if err != nil || p.Addr().IsLinkLocalUnicast() {
				continue
			}
			s.Addrs = append(s.Addrs, ifi.Name+" "+p.String())
		}
	}
	for _, t := range routeTables {
		data, err := os.ReadFile(t.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // not Linux: addresses alone
		}
		if err != nil {
			return Snapshot{}, err
		}
		s.Routes = append(s.Routes, t.defaults(data)...)
	}
	slices.Sort(s.Addrs)
	slices.Sort(s.Routes)
	return s, nil
}

// routeTable describes the columns of a /proc/net route file. Only stable
// columns go into a snapshot: reference and use counts change all the time.
type routeTable struct {
	path                              string
	family                            string
	iface, dest, bits, gateway, flags int
	metric                            int
}

var routeTables = []routeTable{
	{path: "/proc/net/route", family: "4", iface: 0, dest: 1, gateway: 2, flags: 3, metric: 6, bits: 7},
	{path: "/proc/net/ipv6_route", family: "6", dest: 0, bits: 1, gateway: 4, metric: 5, flags: 8, iface: 9},
}

const (
	rtfUp     = 0x0001
	rtfReject = 0x0200 // the kernel's "unreachable" defaults on lo
)

// defaults returns a line per usable default route: destination and mask
// (IPv4) or prefix length (IPv6) all zero, up, not a reject route. Lines
// that do not parse, such as the IPv4 header, are skipped.
func (t routeTable) defaults(data []byte) []string {
	var out []string
	for line := range bytes.Lines(data) {
		f := strings.Fields(string(line))
		if len(f) <= max(t.iface, t.dest, t.bits, t.gateway, t.flags, t.metric) {
			continue
		}
		flags, err := strconv.ParseUint(f[t.flags], 16, 32)
		if err != nil || flags&rtfUp == 0 || flags&rtfReject != 0 || !zero(f[t.dest]) || !zero(f[t.bits]) {
			continue
		}
		out = append(out, strings.Join([]string{t.family, f[t.iface], f[t.gateway], f[t.metric]}, " "))
	}
	return out
}

func zero(hex string) bool { return strings.Trim(hex, "0") == "" }
