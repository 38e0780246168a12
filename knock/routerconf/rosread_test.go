package routerconf

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/knock"
)

// RouterOS texts in the styles people paste, written after MikroTik's
// manual (Firewall: Filter, Port knocking, Layer7, Address lists; the
// scripting manual's line joining), its default configuration and the
// exports RouterOS writes (continuations anywhere, even inside a value).
var (
	// DESIGN.md's reference setup, as one-liners with full paths.
	rosDesignRef = `/ip firewall layer7-protocol add name=knock regexp="^test\$"
/ip firewall filter add chain=input protocol=udp dst-port=1234 layer7-protocol=knock \
    action=add-src-to-address-list address-list=allow address-list-timeout=2h
/ip firewall filter add chain=input protocol=tcp dst-port=22 src-address-list=allow action=accept
`
	// The manual's port knocking: two TCP knocks open Winbox.
	rosManual = `/ip firewall filter
add action=add-src-to-address-list address-list=888 address-list-timeout=30s chain=input dst-port=888 protocol=tcp
add action=add-src-to-address-list address-list=555 address-list-timeout=30s chain=input dst-port=555 protocol=tcp src-address-list=888
add action=accept chain=input dst-port=8291 protocol=tcp src-address-list=555
add action=drop chain=input dst-port=8291 protocol=tcp
`
	// A whole v7 export: defconf, menus Knocker does not read, and a
	// two-step content= knock placed above defconf's drops, wrapped the
	// way /export wraps, inside values and strings too.
	rosExport = `# 2024-05-01 10:00:00 by RouterOS 7.14.3
# software id = ABCD-1234
#
# model = RB5009UG+S+
/interface bridge
add admin-mac=48:A9:8A:00:00:01 auto-mac=no comment=defconf name=bridge
/interface list
add comment=defconf name=WAN
add comment=defconf name=LAN
/ip pool
add name=default-dhcp ranges=192.168.88.10-192.168.88.254
/ip firewall layer7-protocol
add name=unused regexp="^GET /"
/ip firewall filter
add action=accept chain=input comment=\
    "defconf: accept established,related,untracked" connection-state=\
    established,related,untracked
add action=add-src-to-address-list address-list=office-allow address-list-timeout=\
    2h chain=input comment="knock 2 of 2" content=se\
    cond dst-port=5678 protocol=udp src-address-list=office-stage1
add action=add-src-to-address-list address-list=office-stage1 \
    address-list-timeout=30s chain=input comment="knock 1 of 2" content=\
    "first" dst-port=1234 packet-size=33 protocol=udp
add action=accept chain=input comment="open ssh" dst-port=22 protocol=tcp \
    src-address-list=office-allow
add action=drop chain=input comment="defconf: drop invalid" connection-state=\
    invalid
add action=accept chain=input comment="defconf: accept ICMP" protocol=icmp
add action=drop chain=input comment="defconf: drop all not coming from LAN" \
    in-interface-list=!LAN
add action=fasttrack-connection chain=forward comment="defconf: fasttrack" \
    connection-state=established,related hw-offload=yes
/ip firewall nat
add action=masquerade chain=srcnat comment="defconf: masquerade" \
    ipsec-policy=out,none out-interface-list=WAN
/system identity
set name=office-router
/tool mac-server
set allowed-interface-list=LAN
`
	// v7's slash paths, and ICMP echoes of two sizes.
	rosSlashICMP = `/ip/firewall/filter/add chain=input protocol=icmp icmp-options=8:0 packet-size=60 action=add-src-to-address-list address-list=ping1 address-list-timeout=10s
/ip/firewall/filter/add chain=input protocol=icmp icmp-options=8:0 packet-size=128 src-address-list=ping1 action=add-src-to-address-list address-list=pinged address-list-timeout=1h
/ip/firewall/filter/add chain=input protocol=tcp dst-port=8291 src-address-list=pinged action=accept
/ip/firewall/filter/add chain=input protocol=tcp dst-port=8291 action=drop
`
	rosIPv6 = `/ipv6 firewall filter
add chain=input protocol=udp dst-port=7000 packet-size=53 action=add-src-to-address-list address-list=v6-stage address-list-timeout=20s comment="size 5"
add chain=input protocol=udp dst-port=7001 content=hello packet-size=53 src-address-list=v6-stage action=add-src-to-address-list address-list=v6-allow address-list-timeout=1d
add chain=input protocol=tcp dst-port=22 src-address-list=v6-allow action=accept
add chain=input protocol=tcp dst-port=22 action=drop
`
	// RouterOS escapes (\\ \? \$ \_) and regexp ones, and l7-filter's \xHH.
	rosL7Escapes = `/ip firewall layer7-protocol
add name=k1 regexp="^knock\\.me\\\?\$"
add name=k2 regexp="^Hi\\x21\_There\$"
/ip firewall filter
add chain=input protocol=udp dst-port=4000 src-address-list=l7-one layer7-protocol=k2 action=add-src-to-address-list address-list=l7-ok address-list-timeout=8h
add chain=input protocol=udp dst-port=3999 layer7-protocol=k1 action=add-src-to-address-list address-list=l7-one address-list-timeout=30s
add chain=input protocol=tcp dst-port=2222 src-address-list=l7-ok action=accept
`
	// A jump chain with the stages last first (the safe order), and a
	// return.
	rosJump = `/ip firewall filter
add chain=input action=jump jump-target=knocking comment="to the knock"
add chain=knocking protocol=tcp dst-port=3333 src-address-list=kn2 action=add-src-to-address-list address-list=kn-ok address-list-timeout=4h
add chain=knocking protocol=tcp dst-port=2222 src-address-list=kn1 action=add-src-to-address-list address-list=kn2 address-list-timeout=15s
add chain=knocking protocol=tcp dst-port=1111 action=add-src-to-address-list address-list=kn1 address-list-timeout=15s
add chain=knocking action=return
add chain=input protocol=tcp dst-port=22 src-address-list=kn-ok action=accept
add chain=input protocol=tcp dst-port=22 action=drop
`
	// The brute-force ladder of many exports: it adds to lists as a knock
	// does, and ends in a drop.
	rosLadder = `/ip firewall filter
add chain=input protocol=tcp dst-port=22 src-address-list=ssh_blacklist action=drop comment="drop ssh brute forcers"
add chain=input protocol=tcp dst-port=22 connection-state=new src-address-list=ssh_stage3 action=add-src-to-address-list address-list=ssh_blacklist address-list-timeout=10d
add chain=input protocol=tcp dst-port=22 connection-state=new src-address-list=ssh_stage2 action=add-src-to-address-list address-list=ssh_stage3 address-list-timeout=1m
add chain=input protocol=tcp dst-port=22 connection-state=new src-address-list=ssh_stage1 action=add-src-to-address-list address-list=ssh_stage2 address-list-timeout=1m
add chain=input protocol=tcp dst-port=22 connection-state=new action=add-src-to-address-list address-list=ssh_stage1 address-list-timeout=1m
`
	rosDisabled = `/ip firewall filter
add chain=input protocol=tcp dst-port=1111 action=add-src-to-address-list address-list=k1 address-list-timeout=30s
add chain=input protocol=tcp dst-port=2222 src-address-list=k1 action=add-src-to-address-list address-list=ok address-list-timeout=1h disabled=yes
add chain=input protocol=tcp dst-port=22 src-address-list=ok action=accept
`
	// Knock rules pasted at the end of defconf's input chain: its drop of
	// all that is not from the LAN comes first.
	rosBelowDefconf = `/ip firewall filter
add action=accept chain=input comment="defconf: accept established,related,untracked" connection-state=established,related,untracked
add action=drop chain=input comment="defconf: drop all not coming from LAN" in-interface-list=!LAN
add action=add-src-to-address-list chain=input protocol=udp dst-port=1234 address-list=late address-list-timeout=1h
add action=accept chain=input protocol=tcp dst-port=22 src-address-list=late
`
	rosBelowICMPAccept = `/ip firewall filter
add action=accept chain=input comment="defconf: accept ICMP" protocol=icmp
add action=add-src-to-address-list chain=input protocol=icmp packet-size=100 address-list=pingok address-list-timeout=1h
add action=accept chain=input protocol=tcp dst-port=22 src-address-list=pingok
`
	rosVariable = `:global knockPort
/ip firewall filter add chain=input protocol=udp dst-port=$knockPort action=add-src-to-address-list address-list=var-ok address-list-timeout=1h
/ip firewall filter add chain=input protocol=tcp dst-port=22 src-address-list=var-ok action=accept
`
	// The raw table closes the port to all but the list.
	rosRaw = `/ip firewall raw
add chain=prerouting protocol=tcp dst-port=22 src-address-list=!raw-ok action=drop
/ip firewall filter
add chain=input protocol=udp dst-port=9000-9009 action=add-src-to-address-list address-list=raw-ok address-list-timeout=00:30:00
`
	rosL7Many = `/ip firewall layer7-protocol
add name=many regexp="^(open|close)[0-9]+\$"
add name=anything regexp=".*"
/ip firewall filter
add chain=input protocol=udp dst-port=5000 layer7-protocol=many action=add-src-to-address-list address-list=many-ok address-list-timeout=1h
add chain=input protocol=udp dst-port=5001 layer7-protocol=anything action=add-src-to-address-list address-list=any-ok address-list-timeout=1h
add chain=input protocol=tcp dst-port=22 src-address-list=many-ok action=accept
add chain=input protocol=tcp dst-port=23 src-address-list=any-ok action=accept
`
	rosL7IPv6 = `/ipv6 firewall filter
add chain=input protocol=udp dst-port=5000 layer7-protocol=x action=add-src-to-address-list address-list=six address-list-timeout=1h
add chain=input protocol=tcp dst-port=22 src-address-list=six action=accept
`
	rosNoJump = `/ip firewall filter
add chain=orphan protocol=tcp dst-port=1111 action=add-src-to-address-list address-list=lost address-list-timeout=1h
add chain=input protocol=tcp dst-port=22 src-address-list=lost action=accept
`
	// Steps in the wrong order on one port: one packet counts twice.
	rosSamePort = `/ip firewall filter
add chain=input protocol=udp dst-port=7777 action=add-src-to-address-list address-list=sp1 address-list-timeout=30s
add chain=input protocol=udp dst-port=7777 src-address-list=sp1 action=add-src-to-address-list address-list=sp-ok address-list-timeout=1h
add chain=input protocol=tcp dst-port=22 src-address-list=sp-ok action=accept
`
)

type wantKnock struct {
	list    string
	family  knock.Family
	steps   []string
	timeout time.Duration
	protect string
	warn    string // a warning it must carry, if any
}

func TestReadRouterOS(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		knocks  []wantKnock
		leftOut []string // list: reason excerpt
		warn    string   // a warning about the text
	}{
		{"design reference, one-liners", rosDesignRef,
			[]wantKnock{{"allow", knock.IPv4, []string{"1234:udp=test"}, 2 * time.Hour, "tcp/22", "open without the knock"}}, nil, ""},
		{"manual's port knocking", rosManual,
			[]wantKnock{{"555", knock.IPv4, []string{"888", "555"}, 30 * time.Second, "tcp/8291", ""}}, nil, ""},
		{"v7 export, continuations mid-value, defconf", rosExport,
			[]wantKnock{{"office-allow", knock.IPv4, []string{"1234:udp=first", "5678:udp=second"}, 2 * time.Hour, "tcp/22", "content= matches anywhere"}}, nil, ""},
		{"v7 export with CRLF", strings.ReplaceAll(rosExport, "\n", "\r\n"),
			[]wantKnock{{"office-allow", knock.IPv4, []string{"1234:udp=first", "5678:udp=second"}, 2 * time.Hour, "tcp/22", ""}}, nil, ""},
		{"slash paths, ICMP sizes", rosSlashICMP,
			[]wantKnock{{"pinged", knock.IPv4, []string{"icmp=size:32", "icmp=size:100"}, time.Hour, "tcp/8291", ""}}, nil, ""},
		{"IPv6 sizes and content", rosIPv6,
			[]wantKnock{{"v6-allow", knock.IPv6, []string{"7000:udp=size:5", "7001:udp=hello"}, 24 * time.Hour, "tcp/22", ""}}, nil, ""},
		{"layer-7 with escapes", rosL7Escapes,
			[]wantKnock{{"l7-ok", knock.IPv4, []string{"3999:udp=knock.me?", "4000:udp=hi! there"}, 8 * time.Hour, "tcp/2222", ""}}, nil, ""},
		{"jump chain, stages last first", rosJump,
			[]wantKnock{{"kn-ok", knock.IPv4, []string{"1111", "2222", "3333"}, 4 * time.Hour, "tcp/22", ""}}, nil, ""},
		{"raw drop of all but the list, port range, clock time", rosRaw,
			[]wantKnock{{"raw-ok", knock.IPv4, []string{"9000:udp"}, 30 * time.Minute, "tcp/22", "any port of 9000-9009"}}, nil, ""},
		{"layer-7 of many payloads", rosL7Many,
			[]wantKnock{{"many-ok", knock.IPv4, []string{"5000:udp=open0"}, time.Hour, "tcp/22", "matches many payloads"}},
			[]string{"any-ok: step 1 (the rule at line 6): layer7-protocol=anything: the pattern matches any data"}, ""},
		{"same port, rules in order", rosSamePort,
			[]wantKnock{{"sp-ok", knock.IPv4, []string{"7777:udp", "7777:udp"}, time.Hour, "tcp/22", "one packet of step 1 also passes step 2"}}, nil, ""},
		{"ladder", rosLadder, nil, []string{"ssh_blacklist: the rule at line 2 (\"drop ssh brute forcers\") drops sources on it"}, ""},
		{"disabled stage", rosDisabled, nil, []string{"ok: the rule at line 3, which adds to list ok, is disabled"}, ""},
		{"below defconf's drop", rosBelowDefconf, nil,
			[]string{`late: step 1 never reaches its rule, the rule at line 4: the rule at line 3 ("defconf: drop all not coming from LAN") drops it first`}, ""},
		{"below defconf's ICMP accept", rosBelowICMPAccept, nil, []string{`pingok: step 1 never reaches its rule, the rule at line 3: the rule at line 2 ("defconf: accept ICMP") accepts it first`}, ""},
		{"script variable", rosVariable, nil, []string{"var-ok: the rule at line 2 cannot be read: line 2: its dst-port= is a value this text does not set"}, ""},
		{"layer-7 in IPv6", rosL7IPv6, nil, []string{"six: step 1 (the rule at line 2): layer7-protocol= in /ipv6: RouterOS has layer-7 matching for IPv4 only"}, ""},
		{"chain never jumped to", rosNoJump, nil, []string{"lost: the rule at line 2 sits in chain orphan, which no rule of input or forward jumps to"}, ""},
		{"set on a firewall menu", rosManual + "/ip firewall filter set [find dst-port=888] disabled=yes\n",
			[]wantKnock{{"555", knock.IPv4, []string{"888", "555"}, 30 * time.Second, "tcp/8291", ""}}, nil, "set on /ip firewall filter was not applied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd, err := ReadRouterOS(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if len(rd.Knocks) != len(tt.knocks) {
				t.Fatalf("%d knocks, want %d: %+v\nleft out: %v", len(rd.Knocks), len(tt.knocks), rd.Knocks, rd.LeftOut)
			}
			for i, w := range tt.knocks {
				k := rd.Knocks[i]
				want := steps(t, w.steps...)
				if k.List != w.list || k.Family != w.family || k.Timeout != w.timeout || k.Protect.String() != w.protect || !sameSteps(k.Steps, want) {
					t.Errorf("knock %d = %s %v %v %v %s, want %s %v %v %v %s", i, k.List, k.Family, stepSpecs(k.Steps), k.Timeout, k.Protect,
						w.list, w.family, w.steps, w.timeout, w.protect)
				}
				if w.warn != "" && !strings.Contains(strings.Join(k.Warnings, "\n"), w.warn) {
					t.Errorf("knock %d's warnings %q lack %q", i, k.Warnings, w.warn)
				}
			}
			var left []string
			for _, l := range rd.LeftOut {
				left = append(left, l.List+": "+l.Reason)
			}
			for _, w := range tt.leftOut {
				if !strings.Contains(strings.Join(left, "\n"), w) {
					t.Errorf("left out %q, want one saying %q", left, w)
				}
			}
			if tt.warn != "" && !strings.Contains(strings.Join(rd.Warnings, "\n"), tt.warn) {
				t.Errorf("warnings %q lack %q", rd.Warnings, tt.warn)
			}
		})
	}
}

func sameSteps(a, b []knock.Step) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameStep(a[i], b[i]) {
			return false
		}
	}
	return true
}

func stepSpecs(s []knock.Step) []string {
	var out []string
	for _, st := range s {
		out = append(out, st.Spec())
	}
	return out
}

// Texts that are not RouterOS configuration at all.
func TestReadRouterOSRefuses(t *testing.T) {
	for _, tt := range []struct{ name, text, want string }{
		{"print output", "Flags: X - disabled, I - invalid; D - dynamic\n 0    ;;; defconf\n      chain=input action=accept\n", "print output"},
		{"numbered rows", " 0    chain=input action=accept protocol=icmp\n", "print output"},
		{"bare add", "add chain=input action=accept\n", "without a menu path"},
		{"unclosed string", `/ip firewall filter add comment="x`, "string is not closed"},
		{"deep nesting", strings.Repeat(":put [", 100), "nested deeper"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadRouterOS(tt.text)
			if err == nil || !errors.Is(err, ErrNotRouterOS) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrNotRouterOS saying %q", err, tt.want)
			}
		})
	}
}

func TestCheckRouterOS(t *testing.T) {
	tcp22 := Protect{Proto: knock.TCP, Port: 22}
	for _, tt := range []struct {
		name    string
		text    string
		steps   []string
		fam     knock.Family
		protect Protect
		want    string
		ok      bool
	}{
		{"export lets it in", rosExport, []string{"1234:udp=first", "5678:udp=second"}, knock.IPv4, tcp22,
			"the router's rules let this knock in (through list office-allow, 2h, tcp/22)", true},
		{"wrong port", rosExport, []string{"1234:udp=first", "5679:udp=second"}, knock.IPv4, tcp22,
			"step 2: the router wants udp/5678, this profile sends udp/5679", false},
		{"one byte more", rosExport, []string{"1234:udp=firstx", "5678:udp=second"}, knock.IPv4, tcp22,
			"step 1: the router wants 5 payload bytes, this profile sends 6", false},
		{"one byte changed", rosExport, []string{"1234:udp=firsT", "5678:udp=second"}, knock.IPv4, tcp22,
			"step 1: the router wants other payload bytes than this profile sends", false},
		{"steps missing", rosJump, []string{"1111", "2222"}, knock.IPv4, tcp22,
			"the router wants 3 steps (list kn-ok), this profile sends 2", false},
		{"other port protected", rosManual, []string{"888", "555"}, knock.IPv4, tcp22,
			"no rule lets the final list reach tcp/22 (list 555 opens tcp/8291)", false},
		{"ICMP size", rosSlashICMP, []string{"icmp=size:32", "icmp=size:101"}, knock.IPv4, Protect{Proto: knock.TCP, Port: 8291},
			"step 2: the router wants 100 payload bytes, this profile sends 101", false},
		{"IPv6 lets it in", rosIPv6, []string{"7000:udp=size:5", "7001:udp=hello"}, knock.Auto, tcp22,
			"the router's rules let this knock in (through list v6-allow, 1d, tcp/22)", true},
		{"no knock", rosLadder, []string{"22"}, knock.IPv4, tcp22, "the router's rules hold no knock (left out: list ssh_blacklist", false},
		{"layer-7 ignores case", rosDesignRef, []string{"1234:udp=TEST"}, knock.IPv4, tcp22,
			"the router's rules let this knock in (through list allow, 2h, tcp/22)", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, err := CheckRouterOS(tt.text, steps(t, tt.steps...), tt.fam, tt.protect)
			if err != nil {
				t.Fatal(err)
			}
			if v.OK != tt.ok || !strings.HasPrefix(v.String(), tt.want) {
				t.Fatalf("verdict %v %q, want %v %q", v.OK, v, tt.ok, tt.want)
			}
			for _, st := range steps(t, tt.steps...) {
				if d := st.Payload.Data; len(d) > 1 && strings.Contains(v.String(), string(d)) {
					t.Fatalf("the verdict quotes a payload: %q", v)
				}
			}
		})
	}
}

// No text makes the reader panic, and every knock it offers passes the
// same rules when router-check walks it through them.
func FuzzReadRouterOS(f *testing.F) {
	for _, s := range []string{rosDesignRef, rosManual, rosExport, rosSlashICMP, rosIPv6, rosL7Escapes, rosJump, rosLadder,
		rosDisabled, rosBelowDefconf, rosRaw, rosL7Many, rosVariable, rosSamePort,
		"{\n:local a [/ip firewall filter find where chain=input]\n:if ([:len $a] = 0) do={:error x} else={/ip firewall filter add place-before=[:pick $a 0] chain=input}\n}",
		":foreach i in=[/ip firewall filter find] do={ :put $i }", "/ip firewall filter\nadd chain=input place-before=0 action=accept",
		"{\n:local s \"/ip firewall filter add chain=input action=accept src-address-list=a\"\n[[:parse $s]]\n:do {[[:parse \"/ipv6 firewall filter remove [find]\"]]} on-error={}\n}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rd, err := ReadRouterOS(text)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("a refusal of more than one line: %q", err)
			}
			return
		}
		for _, k := range rd.Knocks {
			if len(k.Steps) == 0 || len(k.Steps) > maxStages {
				t.Fatalf("a knock of %d steps", len(k.Steps))
			}
			v, err := CheckRouterOS(text, k.Steps, k.Family, k.Protect)
			if err != nil || !v.OK || v.List != k.List {
				t.Fatalf("router-check disagrees with the reader on list %s: %v %v\n%s", k.List, v, err, text)
			}
		}
	})
}
