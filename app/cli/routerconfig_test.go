package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/knocker/knocker/app/secret"
)

func TestRouterConfig(t *testing.T) {
	tests := []struct {
		args       []string
		has, lacks []string
	}{
		{
			args: []string{"router-config", "--format", "routeros", "192.0.2.1", "1234:udp=test"},
			has: []string{"/ip firewall filter", `dst-port=1234 packet-size=32 content="test"`,
				"dst-port=22 src-address-list=knock-allow action=accept",
				"dst-port=22 tcp-flags=syn,!ack connection-state=new in-interface-list=!LAN action=drop",
				// No IPv6 rules, and an earlier run's removed, where the
				// router has IPv6 at all.
				`:do {[[:parse "/ipv6 firewall filter remove [find where comment~\"^knocker knock: \"]"]]} on-error={}`,
				"# The router knows this knock as knock: address lists knock-*.\n"},
			lacks: []string{"/ipv6 firewall filter add"},
		},
		{
			// knock(1)'s bare UDP ports carry one zero byte: packet-size 29.
			args:  []string{"router-config", "--format", "routeros", "-u", "--lan-list", "none", "192.0.2.1", "7000", "8000"},
			has:   []string{"dst-port=7000 packet-size=29 action", "dst-port=22 tcp-flags=syn,!ack connection-state=new action=drop", "on every interface"},
			lacks: []string{"in-interface-list"},
		},
		{
			args: []string{"router-config", "--format", "nftables", "--table", "inet:filter", "router.example", "1234:udp=test"},
			has: []string{"#   nft insert rule inet filter input jump knocker-knock\n", "add chain inet filter knocker-knock\n",
				"add set inet filter knocker-knock-allow-v6 {", "tcp dport 22 tcp flags & (fin | syn | rst | ack) == syn ct state new reject with tcp reset"},
			lacks: []string{"add table", "hook input"},
		},
		{
			// Flags after positionals, a bare port made UDP, and the delay
			// raising the default stage timeout.
			args: []string{"router-config", "2001:db8::1", "-u", "7000", "8000", "--format", "nftables",
				"-d", "2s", "--protect", "udp/51820", "--timeout", "90m", "--name", "vpn"},
			has: []string{"add table ip6 knocker-vpn\n", "udp dport 7000 udp length 9 update @stage1 { ip6 saddr timeout 32s }",
				"update @allow { ip6 saddr timeout 1h30m }", "udp dport 51820 ip6 saddr @allow accept",
				"add table ip knocker-vpn\ndelete table ip knocker-vpn\n", "# The router knows this knock as vpn: table ip6 knocker-vpn.\n"},
			lacks: []string{"add set ip knocker-vpn", "add chain ip knocker-vpn"},
		},
		{
			args: []string{"router-config", "--format", "routeros", "--layer7", "-4", "router.example", "1:udp=Open"},
			has:  []string{`add name=knock-step1 regexp="^open\$"`, "layer7-protocol=knock-step1"},
		},
		{
			args: []string{"router-config", "--format", "nftables", "router.example", "icmp=size:64"},
			has:  []string{"icmp type echo-request ip length 92", "icmpv6 type echo-request ip6 length 72"},
		},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, code := run(tt.args...)
			if code != ExitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			for _, s := range tt.has {
				if !strings.Contains(stdout, s) {
					t.Errorf("output lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range tt.lacks {
				if strings.Contains(stdout, s) {
					t.Errorf("output has %q:\n%s", s, stdout)
				}
			}
		})
	}
}

func TestRouterConfigBadInput(t *testing.T) {
	tests := []struct {
		args   []string
		errHas string
	}{
		{[]string{"router-config", "h", "1"}, "--format must be routeros or nftables"},
		{[]string{"router-config", "--format", "pf", "h", "1"}, "--format must be routeros or nftables"},
		{[]string{"router-config", "--format", "nftables"}, "want a saved profile NAME, or HOST and steps"},
		{[]string{"router-config", "--format", "nftables", "--protect", "icmp/1", "h", "1"}, "is not PROTO/PORT"},
		{[]string{"router-config", "--format", "nftables", "--protect", "tcp/0", "h", "1"}, "port 0 is out of range"},
		{[]string{"router-config", "--format", "nftables", "--timeout", "0s", "h", "1"}, "--timeout must be positive"},
		{[]string{"router-config", "--format", "nftables", "-4", "-6", "h", "1"}, "exclude each other"},
		{[]string{"router-config", "--format", "nftables", "--name", "a b", "h", "1"}, "name must be"},
		{[]string{"router-config", "--format", "nftables", "h", "1=secret"}, "step 1: a TCP step cannot carry a payload"},
		{[]string{"router-config", "--format", "nftables", "--stage-timeout", "1s", "-d", "5s", "h", "1", "2"}, "too short"},
		{[]string{"router-config", "--format", "routeros", "h", "1:udp=hex:00736563"}, "step 1: RouterOS cannot match a payload holding a zero byte"},
		{[]string{"router-config", "--format", "routeros", "--layer7", "2001:db8::1", "1:udp=secret"}, "IPv4 only"},
		{[]string{"router-config", "--format", "routeros", "--layer7", "-4", "h", "1:udp=hex:736563c9"}, "layer-7 matcher cannot match bytes 0xC0-0xDE"},
		{[]string{"router-config", "--format", "routeros", "--table", "inet:filter", "h", "1"}, "--table is for the nftables format"},
		{[]string{"router-config", "--format", "nftables", "--lan-list", "LAN", "h", "1"}, "are for the routeros format"},
		{[]string{"router-config", "--format", "nftables", "--table", "filter", "h", "1"}, "is not FAMILY:NAME"},
		{[]string{"router-config", "--format", "nftables", "--table", "ip:filter", "2001:db8::1", "1"}, "sees IPv4 only"},
		{[]string{"router-config", "--format", "routeros", "--lan-list", "my lan", "h", "1"}, "LAN interface list's name"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, code := run(tt.args...)
			if code != ExitUsage || stdout != "" {
				t.Errorf("exit code %d and stdout %q, want %d and nothing", code, stdout, ExitUsage)
			}
			if !strings.Contains(stderr, tt.errHas) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q should be one line saying %q", stderr, tt.errHas)
			}
			if strings.Contains(stderr, "secret") || strings.Contains(stderr, "736563") {
				t.Errorf("stderr %q reveals the payload", stderr)
			}
		})
	}
}

func TestRouterConfigForSavedProfile(t *testing.T) {
	useTestProfiles(t, &secret.Memory{})
	if _, stderr, code := runStdin(`{"version": 1, "profiles": [{"name": "Office", "host": "192.0.2.7", "timeout": "90m",
		"steps": [{"proto": "udp", "port": 1234, "payload": "test", "encoding": "text"}],
		"verify": {"proto": "tcp", "port": 8291}}]}`, "import", "-"); code != ExitOK {
		t.Fatalf("import: %s", stderr)
	}
	stdout, stderr, code := run("router-config", "--format", "routeros", "office")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{`content="test"`, "dst-port=1234", "dst-port=8291", "address-list-timeout=1h30m"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	// "Office" is not a router name as it stands: cleaned to office, it
	// could be a profile named office's, so its ID goes with it.
	name := regexp.MustCompile(`(?m)^# The router knows this knock as (office-[0-9a-f]{8}): address lists office-[0-9a-f]{8}-\*\.$`).FindStringSubmatch(stdout)
	if name == nil || !strings.Contains(stdout, "address-list="+name[1]+"-allow ") {
		t.Fatalf("the header must name the router's name, and the lists use it:\n%s", stdout)
	}
	stdout, _, code = run("router-config", "--format", "nftables", "--protect", "tcp/22", "Office")
	if code != ExitOK || !strings.Contains(stdout, "tcp dport 22 ") || strings.Contains(stdout, "8291") {
		t.Fatalf("--protect must override the profile's check port:\n%s", stdout)
	}
	_, stderr, code = run("router-config", "--format", "nftables", "-u", "office")
	if code != ExitUsage || !strings.Contains(stderr, "a profile has its own") {
		t.Fatalf("-u with a profile: %d %q", code, stderr)
	}
	_, stderr, code = run("router-config", "--format", "nftables", "nobody")
	if code != ExitUsage || !strings.Contains(stderr, "nobody") {
		t.Fatalf("missing profile: %d %q", code, stderr)
	}
}

// A payload longer than Linux's string match takes is written, with a
// warning on stderr and in the script that says what to use instead.
func TestRouterConfigWarnsOfLongContent(t *testing.T) {
	stdout, stderr, code := run("router-config", "--format", "routeros", "-4", "h", "1:udp="+strings.Repeat("x", 129))
	if code != ExitOK || !strings.Contains(stdout, "# Warning: step 1's payload is 129 bytes") {
		t.Fatalf("exit %d, output:\n%s", code, stdout)
	}
	if !strings.HasPrefix(stderr, "knocker: warning: step 1's payload is 129 bytes") || strings.Count(stderr, "\n") != 1 ||
		!strings.Contains(stderr, "use --layer7 or the nftables format") {
		t.Fatalf("stderr %q, want one warning line naming what to use instead", stderr)
	}
	if strings.Contains(stderr, "xxxx") {
		t.Fatalf("the warning shows the payload: %q", stderr)
	}
}

// The README's examples are what router-config writes, whole, so the two
// cannot drift apart.
func TestREADMEShowsGeneratedRules(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"routeros", "nftables"} {
		stdout, stderr, code := run("router-config", "--format", format, "--name", "office", "--protect", "tcp/22", "--timeout", "2h", "192.0.2.1", "1234:udp=test")
		if code != ExitOK {
			t.Fatal(stderr)
		}
		if !strings.Contains(string(readme), "```\n"+stdout+"```\n") {
			t.Errorf("README.md lacks the %s output as a block of its own:\n%s", format, stdout)
		}
	}
}

// Two saved profiles whose names clean to the same router name get two
// router names, so neither script touches the other's lists and rules.
func TestRouterConfigTwoProfilesOneCleanedName(t *testing.T) {
	useTestProfiles(t, &secret.Memory{})
	if _, stderr, code := runStdin(`{"version": 1, "profiles": [
		{"name": "Office (old)", "host": "192.0.2.7", "steps": [{"proto": "udp", "port": 1234, "payload": "test", "encoding": "text"}]},
		{"name": "Office old", "host": "192.0.2.7", "steps": [{"proto": "udp", "port": 1234, "payload": "test", "encoding": "text"}]},
		{"name": "office-old", "host": "192.0.2.7", "steps": [{"proto": "udp", "port": 1234, "payload": "test", "encoding": "text"}]}]}`,
		"import", "-"); code != ExitOK {
		t.Fatalf("import: %s", stderr)
	}
	header := regexp.MustCompile(`(?m)^# The router knows this knock as ([a-z0-9_-]+):`)
	seen := map[string]string{}
	for _, profile := range []string{"Office (old)", "Office old", "office-old"} {
		for _, format := range []string{"routeros", "nftables"} {
			stdout, stderr, code := run("router-config", "--format", format, profile)
			m := header.FindStringSubmatch(stdout)
			if code != ExitOK || m == nil {
				t.Fatalf("%s %q: exit %d %s\n%s", format, profile, code, stderr, stdout)
			}
			if other, ok := seen[m[1]]; ok && other != profile {
				t.Fatalf("%q and %q share the router name %s", other, profile, m[1])
			}
			seen[m[1]] = profile
		}
	}
	if seen["office-old"] != "office-old" {
		t.Fatalf("a profile named as a router name must keep it: %v", seen)
	}
}
