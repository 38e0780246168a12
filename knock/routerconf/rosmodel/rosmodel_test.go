package rosmodel

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Scripts RouterOS would refuse, or read differently from what was meant,
// and the model's reason.
func TestRunRefuses(t *testing.T) {
	tests := []struct{ name, script, want string }{
		{"comment after a blank", "{\n  # note\n}", "a comment must start its line"},
		{"relative command outside [ ]", "add chain=input action=accept", "without a menu path"},
		{"unknown menu", "/ip firewall nat add chain=srcnat", "unknown menu"},
		{"unclosed block", "{\n:local a 1\n", "not closed"},
		{"unclosed string", `/ip firewall filter add chain=input comment="x`, "string is not closed"},
		{"unescaped dollar", `/ip firewall filter add chain=input comment="a$b"`, `unescaped '$'`},
		{"small hex escape", `/ip firewall filter add chain=input comment="\0a"`, "unknown escape"},
		{"variable named like a property", "{\n:local comment 1\n}", "has the name of a property"},
		{"undeclared variable", "{\n:set nope 1\n}", "not declared"},
		{"local across terminal lines", ":local a [/ip firewall filter find where chain=input]\n:if ([:len $a] = 0) do={}", "not declared"},
		{"unknown property", "/ip firewall filter add chain=input action=accept colour=red", "unknown property colour"},
		{"sub-second timeout", "/ip firewall filter add chain=input action=add-src-to-address-list address-list=a address-list-timeout=30s20ms", "whole seconds"},
		{"zero timeout", "/ip firewall filter add chain=input action=add-src-to-address-list address-list=a address-list-timeout=0s", "forever"},
		{"list without timeout", "/ip firewall filter add chain=input action=add-src-to-address-list address-list=a", "goes with address-list= and address-list-timeout="},
		{"content with a zero byte", `/ip firewall filter add chain=input protocol=udp content="a\00b"`, "cannot hold a zero byte"},
		{"port without protocol", "/ip firewall filter add chain=input dst-port=22", "dst-port needs protocol"},
		{"icmp in ipv6", "/ipv6 firewall filter add chain=input protocol=icmp", "want tcp, udp or icmpv6"},
		{"unknown interface list", "/ip firewall filter add chain=input in-interface-list=!LAN", "interface list (LAN)"},
		{"unknown layer-7 protocol", "/ip firewall filter add chain=input layer7-protocol=x", "layer7-protocol (x)"},
		{"layer-7 in ipv6", "/ipv6 firewall filter add chain=input layer7-protocol=x", "IPv4 matcher"},
		{"layer-7 name twice", "/ip firewall layer7-protocol add name=x regexp=\"^a\\$\"\n/ip firewall layer7-protocol add name=x regexp=\"^b\\$\"", "already have such name"},
		{"layer-7 pattern that does not compile", `/ip firewall layer7-protocol add name=x regexp="^(a\$"`, "not a POSIX regular expression"},
		{"place-before two items", "{\n:local at [/ip firewall filter find where chain=forward]\n/ip firewall filter add place-before=$at chain=input\n}", "place-before takes one item"},
		{"place-before nothing", "{\n:local at [/ip firewall filter find where comment=\"none\"]\n/ip firewall filter add place-before=[:pick $at 0] chain=input\n}", "place-before takes one item"},
		{"the script's own error", "{\n:error \"stop here\"\n/ip firewall filter add chain=input\n}", "script error: stop here"},
		{"remove takes items", "/ip firewall filter remove 3", "remove takes items"},
		{":do without on-error", "{\n:do {/ip firewall filter remove 3}\n}", ":do is used here with on-error"},
		{":parse of a number", "{\n[[:parse 3]]\n}", ":parse takes text"},
		{"calling a number", "{\n[[:len \"x\"]]\n}", "runs code only"},
		{"parsed code sees no locals", "{\n:local a 1\n[[:parse \":set a 2\"]]\n}", "not declared"},
		{"parsed code's errors outside :do", "{\n[[:parse \"/ip firewall filter add chain=nope\"]]\n}", "chain="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			r.AddRule(IPFilter, "chain", "forward", "action", "accept")
			r.AddRule(IPFilter, "chain", "forward", "action", "drop")
			before := r.Export()
			err := r.Run(tt.script)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
			if tt.name == "the script's own error" && r.Export() != before {
				t.Error("the block went on after :error")
			}
		})
	}
}

// find, :len, :pick, :if, remove and add place-before behave as the
// scripting manual describes, which the scripts' placement rests on.
func TestRunPlacement(t *testing.T) {
	r := New()
	for _, c := range []string{"a", "b", "c"} {
		if err := r.AddRule(IPFilter, "chain", "input", "action", "accept", "comment", c); err != nil {
			t.Fatal(err)
		}
	}
	script := `{
:local at [/ip firewall filter find where chain=input comment="b"]
:if ([:len $at] = 0) do={:error "b is there"}
/ip firewall filter add place-before=[:pick $at 0] chain=input action=drop comment="x1"
/ip firewall filter add place-before=$at chain=input action=drop comment="x2"
:local none [/ip firewall filter find where comment~"^nothing"]
:if ([:len $none] > 0) do={:error "found nothing"} else={/ip firewall filter add chain=input action=drop comment="last"}
/ip firewall filter remove [find where comment~"^(a|c)\$"]
}`
	if err := r.Run(script); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range r.Items(IPFilter) {
		got = append(got, it.Props["comment"])
	}
	if want := []string{"x1", "x2", "b", "last"}; !slices.Equal(got, want) {
		t.Fatalf("rules %q, want %q", got, want)
	}
}

// :do on-error catches what fails at run time, the syntax errors :parse
// finds included; a router without IPv6 refuses a script that names an
// /ipv6 menu before running any of it, but not one that hands it to :parse.
func TestRunDoParseWithoutIPv6(t *testing.T) {
	addV6 := `[[:parse "/ipv6 firewall filter add chain=input action=accept comment=\"v6\""]]`
	guarded := "{\n/ip firewall filter add chain=input action=accept comment=\"v4\"\n:do {" + addV6 +
		"} on-error={/ip firewall filter add chain=input action=accept comment=\"caught\"}\n}"
	bare := "{\n/ip firewall filter add chain=input action=accept comment=\"v4\"\n/ipv6 firewall filter add chain=input action=accept comment=\"v6\"\n}"
	tests := []struct {
		name   string
		router *Router
		script string
		err    string
		v4, v6 []string
	}{
		{"guarded, with IPv6", New(), guarded, "", []string{"v4"}, []string{"v6"}},
		{"guarded, without IPv6", New().WithoutIPv6(), guarded, "", []string{"v4", "caught"}, nil},
		{"bare, with IPv6", New(), bare, "", []string{"v4"}, []string{"v6"}},
		{"bare, without IPv6", New().WithoutIPv6(), bare, "unknown menu /ipv6 firewall filter", nil, nil},
		{"a refused command caught", New(), "{\n:do {/ip firewall filter add chain=nope} on-error={/ip firewall filter add chain=input action=accept comment=\"v4\"}\n}",
			"", []string{"v4"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.router.Run(tt.script)
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("error %v, want %q", err, tt.err)
			}
			for menu, want := range map[string][]string{IPFilter: tt.v4, IPv6Filter: tt.v6} {
				var got []string
				for _, it := range tt.router.Items(menu) {
					got = append(got, it.Props["comment"])
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s: %q, want %q", menu, got, want)
				}
			}
		})
	}
}

// The defconf model written as nftables is a ruleset the kernel takes.
func TestDefconfNFTables(t *testing.T) {
	r := Defconf([]string{"bridge"}, []string{"ether1"})
	out, err := r.NFTables("ros")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`add rule ip ros input ct state { established, related, untracked } accept comment "defconf: accept established,related,untracked"`,
		`add rule ip ros input iifname != { "bridge" } drop comment "defconf: drop all not coming from LAN"`,
		`add rule ip6 ros input meta l4proto ipv6-icmp accept`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ruleset lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "fasttrack") || strings.Contains(out, "chain=forward") {
		t.Errorf("only input chains are written:\n%s", out)
	}
	nft, err := exec.LookPath("nft")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and nft to check the ruleset with nft -c")
	}
	cmd := exec.Command(nft, "-c", "-f", "-")
	cmd.Stdin = strings.NewReader(out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft -c: %v\n%s", err, msg)
	}
}

// No script, however broken, makes the model panic or loop.
func FuzzRun(f *testing.F) {
	for _, seed := range []string{
		"{\n:local a [/ip firewall filter find where chain=input]\n:if ([:len $a] = 0) do={\n/ip firewall filter add chain=input action=accept\n} else={\n/ip firewall filter add place-before=[:pick $a 0] chain=input\n}\n}",
		`/ip firewall layer7-protocol add name=a regexp="^a\$"`,
		"# comment\n/ip firewall filter remove [find where comment~\"^x\"]",
		`{ :error "x" }`, `[`, `"`, `:if (`, "{{{{", `/ip firewall filter add comment="\`,
		`:do {[[:parse "/ipv6 firewall filter remove [find where comment~\"^k: \"]"]]} on-error={}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, script string) {
		r := Defconf([]string{"bridge"}, nil)
		if err := r.Run(script); err != nil {
			return
		}
		if _, err := r.NFTables("ros"); err != nil && !errors.Is(err, ErrTooLong) && !strings.Contains(err.Error(), "modelled") && !strings.Contains(err.Error(), "pattern") {
			t.Fatalf("rules the model took cannot be written: %v", err)
		}
	})
}

// An export as RouterOS writes it runs too: a menu path alone, then bare
// add lines; lines wrapped with a backslash anywhere, inside a value or a
// string; v7's slash paths; a disabled rule, which stays in the list and
// matches nothing.
func TestRunExport(t *testing.T) {
	r := New()
	export := "# 2024-05-01 by RouterOS 7.14\r\n/ip firewall layer7-protocol\r\nadd name=k regexp=\"^ab\\$\"\r\n" +
		"/ip firewall filter\nadd action=add-src-to-address-list address-list=s1 address-list-timeout=\\\n    30s chain=input comment=\"knock \\\n    one\" dst-port=1\\\n    234 protocol=udp\n" +
		"add action=accept chain=input disabled=yes dst-port=22 protocol=tcp src-address-list=s1\n" +
		"/ip/firewall/filter/add chain=input protocol=udp dst-port=9 layer7-protocol=k packet-size=30 action=drop\n"
	if err := r.Run(export); err != nil {
		t.Fatal(err)
	}
	items := r.Items(IPFilter)
	if len(items) != 3 || items[0].Props["comment"] != "knock one" || items[0].Props["dst-port"] != "1234" ||
		items[0].Props["address-list-timeout"] != "30s" || items[1].Props["disabled"] != "yes" {
		t.Fatalf("rules %v", items)
	}
	out, err := r.NFTables("ros")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "th dport 22") || !strings.Contains(out, "th dport 1234") {
		t.Fatalf("the disabled rule is written, or the first is not:\n%s", out)
	}
	for _, bad := range []string{"/ip firewall filter\nadd chain=input disabled=maybe", "/ip firewall nat\nadd chain=srcnat", "add chain=input"} {
		if err := New().Run(bad); err == nil {
			t.Errorf("ran %q", bad)
		}
	}
}
