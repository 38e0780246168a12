package rosmodel

import (
	"github.com/knocker/knocker/knock/routerconf/rosscript"

	"errors"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// What the model accepts of each property, after the RouterOS manual
// (Filter, Common Firewall Matchers and Actions, Layer7, Interface Lists,
// Scripting) and the Linux limits RouterOS builds on. Where the manual
// allows more than routerconf needs, the model allows only what routerconf
// writes, so that nothing it writes goes untested.
type propCheck func(menu, v string) error

var filterProps = map[string]propCheck{
	"chain":                oneOf("input", "forward", "output"),
	"action":               oneOf("accept", "drop", "add-src-to-address-list", "passthrough"),
	"protocol":             checkProtocol,
	"dst-port":             checkPort,
	"tcp-flags":            checkTCPFlags,
	"icmp-options":         checkICMPOptions,
	"src-address-list":     checkName,
	"address-list":         checkName,
	"address-list-timeout": checkTime,
	"packet-size":          checkPacketSize,
	"content":              checkContent,
	"layer7-protocol":      checkName,
	"connection-state":     checkConnectionState,
	"in-interface-list":    checkInterfaceList,
	"dst-address":          checkAddress,
	"comment":              func(string, string) error { return nil },
	"disabled":             oneOf("yes", "no"),
}

var layer7Props = map[string]propCheck{
	"name":   checkName,
	"regexp": checkL7Regexp,
}

func schema(menu string) map[string]propCheck {
	switch menu {
	case IPFilter, IPv6Filter:
		return filterProps
	case Layer7:
		return layer7Props
	}
	return nil
}

// isPropertyName reports names a script variable must not take.
func isPropertyName(s string) bool {
	_, filter := filterProps[s]
	_, l7 := layer7Props[s]
	return filter || l7 || s == "name" || s == "where" || s == "dynamic" || s == "place-before"
}

// ContentMaxLen is the longest pattern Linux's string match (xt_string)
// takes; RouterOS's manual gives content= no limit, so a longer one is a
// warning, not an error.
const ContentMaxLen = 128

// checkAdd checks an item's properties one by one and together.
func (r *Router) checkAdd(menu string, props map[string]string) error {
	sc := schema(menu)
	if sc == nil {
		return fmt.Errorf("adding to %s is not modelled", menu)
	}
	valid := true
	for k, v := range props {
		if check, ok := sc[k]; !ok || check(menu, v) != nil {
			valid = false
			break
		}
	}
	// On a fault, the first in name order, so an item always gets the
	// same error.
	for _, k := range slices.Sorted(maps.Keys(props)) {
		if valid {
			break
		}
		check, ok := sc[k]
		if !ok {
			return fmt.Errorf("unknown property %s", k)
		}
		if err := check(menu, props[k]); err != nil {
			return fmt.Errorf("%s=%s: %w", k, exportValue(props[k]), err)
		}
	}
	if menu == Layer7 {
		if props["name"] == "" || props["regexp"] == "" {
			return errors.New("a layer-7 protocol needs name= and regexp=")
		}
		for _, it := range r.cfg.Menus[Layer7] {
			if it.Props["name"] == props["name"] {
				return fmt.Errorf("failure: already have such name %s", props["name"])
			}
		}
		return nil
	}
	return r.checkRule(menu, props)
}

func (r *Router) checkRule(menu string, props map[string]string) error {
	has := func(k string) bool { _, ok := props[k]; return ok }
	proto := props["protocol"]
	switch {
	case !has("chain"):
		return errors.New("chain= is required")
	case has("dst-port") && proto != "tcp" && proto != "udp":
		return errors.New("dst-port needs protocol=tcp or udp")
	case has("tcp-flags") && proto != "tcp":
		return errors.New("tcp-flags needs protocol=tcp")
	case has("icmp-options") && proto != "icmp" && proto != "icmpv6":
		return errors.New("icmp-options needs protocol=icmp or icmpv6")
	case has("layer7-protocol") && menu != IPFilter:
		return errors.New("layer7-protocol is an IPv4 matcher")
	case has("dst-address") && menu != IPFilter:
		return errors.New("dst-address here is an IPv4 address")
	}
	action := props["action"]
	if action == "" {
		action = "accept"
	}
	listed := has("address-list") || has("address-list-timeout")
	if (action == "add-src-to-address-list") != listed || listed && !(has("address-list") && has("address-list-timeout")) {
		return errors.New("action=add-src-to-address-list goes with address-list= and address-list-timeout=")
	}
	if l7 := props["layer7-protocol"]; l7 != "" && !slices.ContainsFunc(r.cfg.Menus[Layer7], func(it *Item) bool { return it.Props["name"] == l7 }) {
		return fmt.Errorf("input does not match any value of layer7-protocol (%s)", l7)
	}
	if list, ok := props["in-interface-list"]; ok {
		list = strings.TrimPrefix(list, "!")
		if !slices.ContainsFunc(r.cfg.Menus[IfaceList], func(it *Item) bool { return it.Props["name"] == list }) {
			return fmt.Errorf("input does not match any value of interface list (%s)", list)
		}
	}
	if c, ok := props["content"]; ok && len(c) > ContentMaxLen {
		r.Warnings = append(r.Warnings, fmt.Sprintf("content= of %d bytes, over Linux's %d", len(c), ContentMaxLen))
	}
	return nil
}

func oneOf(allowed ...string) propCheck {
	return func(_, v string) error {
		if !slices.Contains(allowed, v) {
			return fmt.Errorf("want one of %s", strings.Join(allowed, ", "))
		}
		return nil
	}
}

func checkProtocol(menu, v string) error {
	icmp := map[string]string{IPFilter: "icmp", IPv6Filter: "icmpv6"}[menu]
	if v != "tcp" && v != "udp" && v != icmp {
		return fmt.Errorf("want tcp, udp or %s here", icmp)
	}
	return nil
}

func number(v string, lo, hi int) error {
	n, err := strconv.Atoi(v)
	if err != nil || strconv.Itoa(n) != v || n < lo || n > hi {
		return fmt.Errorf("want a number %d-%d", lo, hi)
	}
	return nil
}

func checkPort(_, v string) error { return number(v, 1, 65535) }

func checkPacketSize(_, v string) error { return number(v, 0, 65535) }

func checkTCPFlags(_, v string) error {
	for _, f := range strings.Split(v, ",") {
		if !slices.Contains([]string{"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr"}, strings.TrimPrefix(f, "!")) {
			return fmt.Errorf("unknown TCP flag %q", f)
		}
	}
	return nil
}

func checkICMPOptions(_, v string) error {
	typ, code, ok := strings.Cut(v, ":")
	if !ok || number(typ, 0, 255) != nil || number(code, 0, 255) != nil {
		return errors.New("want TYPE:CODE, each 0-255")
	}
	return nil
}

// listNameRE is a list, pattern or interface-list name as routerconf writes
// them: bare words, so the console needs no quotes for them.
var listNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$`)

func checkName(_, v string) error {
	if !listNameRE.MatchString(v) {
		return errors.New("want a name of letters, digits, _, . and -")
	}
	return nil
}

func checkInterfaceList(menu, v string) error { return checkName(menu, strings.TrimPrefix(v, "!")) }

var timeRE = regexp.MustCompile(`^(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?$`)

// checkTime takes a positive time in whole seconds: RouterOS reads
// fractions too, but routerconf promises whole seconds.
func checkTime(_, v string) error {
	if _, err := ParseTime(v); err != nil {
		return err
	}
	return nil
}

// ParseTime reads a RouterOS time such as 1d2h3m4s, in whole seconds.
func ParseTime(v string) (int64, error) {
	if v == "" || !timeRE.MatchString(v) {
		return 0, errors.New("want a time in whole seconds such as 2h or 1m30s")
	}
	d, err := rosscript.ParseTime(v)
	switch {
	case err != nil:
		return 0, err
	case d > 1<<31*time.Second:
		return 0, errors.New("time out of range")
	case d == 0:
		return 0, errors.New("a timeout of zero keeps an address forever")
	}
	return int64(d / time.Second), nil
}

func checkContent(_, v string) error {
	if v == "" {
		return errors.New("empty content")
	}
	if strings.IndexByte(v, 0) >= 0 {
		return errors.New("content is text and cannot hold a zero byte")
	}
	return nil
}

func checkConnectionState(_, v string) error {
	for _, s := range strings.Split(v, ",") {
		if !slices.Contains([]string{"established", "related", "new", "invalid", "untracked"}, s) {
			return fmt.Errorf("unknown connection state %q", s)
		}
	}
	return nil
}

func checkAddress(_, v string) error {
	if _, err := netip.ParseAddr(v); err != nil {
		return errors.New("want an address")
	}
	return nil
}

// L7MaxPattern is l7-filter's MAX_PATTERN_LEN, the buffer a pattern must fit
// with its terminating NUL.
const L7MaxPattern = 8192

func checkL7Regexp(_, v string) error {
	if len(v) >= L7MaxPattern {
		return fmt.Errorf("a pattern of %d bytes exceeds l7-filter's %d", len(v), L7MaxPattern-1)
	}
	if strings.IndexByte(v, 0) >= 0 {
		return errors.New("a zero byte ends the pattern early")
	}
	if _, err := rosscript.CompileL7(v); err != nil {
		return err
	}
	return nil
}
