package routerconf

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/routerconf/rosmodel"
	"github.com/knocker/knocker/knock/routerconf/rosscript"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func steps(t testing.TB, specs ...string) []knock.Step {
	t.Helper()
	out := make([]knock.Step, len(specs))
	for i, s := range specs {
		st, err := knock.ParseStep(s, knock.TCP)
		if err != nil {
			t.Fatalf("step %q: %v", s, err)
		}
		out[i] = st
	}
	return out
}

var ssh = Protect{Proto: knock.TCP, Port: 22}

// goldenSpecs are the profiles whose output is checked by hand against the
// RouterOS manual and nft(8), then frozen in testdata, in the formats named.
func goldenSpecs(t *testing.T) []struct {
	name    string
	spec    Spec
	formats []string
} {
	both := []string{"routeros", "nft"}
	return []struct {
		name    string
		spec    Spec
		formats []string
	}{
		// The design's seed: nping --udp -p 1234 --data-string test.
		{"seed", Spec{Name: "knock", Steps: steps(t, "1234:udp=test"), Protect: ssh, Family: knock.IPv4}, both},
		{"seed-layer7", Spec{Name: "knock", Steps: steps(t, "1234:udp=test"), Protect: ssh, Family: knock.IPv4, Matcher: Layer7}, both},
		{"chained", Spec{Name: "office", Steps: steps(t, "1234:udp=open", "2345", "icmp=size:64"),
			Timeout: 8 * time.Hour, StageTimeout: 20 * time.Second, Protect: Protect{knock.TCP, 8291}}, both},
		// knock(1)'s bare UDP ports, which carry one zero byte each.
		{"knockd-style", Spec{Name: "plain", Steps: steps(t, "7000:udp", "8000", "9000:udp"), Protect: ssh,
			Family: knock.IPv6, Timeout: 30 * time.Minute, LANList: NoLANList}, both},
		// Every byte the console treats specially, and the regexp metacharacters.
		{"escapes", Spec{Name: "esc", Steps: steps(t, `1:udp=a"b\c$d?e f#g;[h]`, "icmp=hex:0a7fff", "2:udp=^x.*(y|z)+$"),
			Protect: Protect{knock.UDP, 51820}, Family: knock.IPv4, Timeout: 90 * time.Second, LANList: "trusted"}, both},
		{"escapes-layer7", Spec{Name: "esc", Steps: steps(t, `1:udp=a"b\c$d?e f#g;[h]{}`, `2:udp=^X.*(y|z)+$\x41`),
			Protect: ssh, Family: knock.IPv4, Matcher: Layer7}, both},
		{"table-inet", Spec{Name: "office", Steps: steps(t, "1234:udp=test", "2345"), Protect: ssh,
			Table: NFTTable{"inet", "filter"}}, []string{"nft"}},
	}
}

func TestGolden(t *testing.T) {
	gens := map[string]func(Spec) (string, error){"routeros": RouterOS, "nft": NFTables}
	for _, g := range goldenSpecs(t) {
		for _, format := range g.formats {
			t.Run(g.name+"."+format, func(t *testing.T) {
				got, err := gens[format](g.spec)
				if err != nil {
					t.Fatal(err)
				}
				checkGolden(t, g.name+"."+format+".golden", got)
				if again, _ := gens[format](g.spec); again != got {
					t.Error("two runs gave different output")
				}
			})
		}
	}
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", file, got)
	}
}

// paste runs a RouterOS script on a modelled router, failing the test on
// any error RouterOS would report.
func paste(t *testing.T, r *rosmodel.Router, script string) {
	t.Helper()
	if err := r.Run(script); err != nil {
		t.Fatalf("the router refuses the script: %v\n%s", err, script)
	}
}

// The scripts pasted into a router with MikroTik's default configuration:
// the whole configuration after one paste is frozen in testdata, and a
// second paste, of the same script or after the profile changed, must leave
// one copy of Knocker's rules and no other change.
func TestRouterOSOnDefconf(t *testing.T) {
	for _, g := range goldenSpecs(t) {
		if !slices.Contains(g.formats, "routeros") {
			continue
		}
		t.Run(g.name, func(t *testing.T) {
			script, err := RouterOS(g.spec)
			if err != nil {
				t.Fatal(err)
			}
			r := rosmodel.Defconf([]string{"bridge"}, []string{"ether1"})
			if g.spec.LANList == "trusted" {
				if err := r.AddInterfaceList("trusted", "bridge"); err != nil {
					t.Fatal(err)
				}
			}
			paste(t, r, script)
			once := r.Export()
			checkGolden(t, g.name+".defconf.golden", once)
			paste(t, r, script)
			if twice := r.Export(); twice != once {
				t.Errorf("pasting twice differs from pasting once:\n%s", twice)
			}
		})
	}
}

// inputComments lists a rule menu's input chain by comment, in order.
func inputComments(r *rosmodel.Router, menu string) []string {
	var out []string
	for _, it := range r.Items(menu) {
		if it.Props["chain"] == "input" {
			out = append(out, it.Props["comment"])
		}
	}
	return out
}

func TestRouterOSPlacement(t *testing.T) {
	spec := Spec{Name: "office", Steps: steps(t, "1234:udp=test", "2345"), Protect: ssh, Family: knock.IPv4}
	script, err := RouterOS(spec)
	if err != nil {
		t.Fatal(err)
	}
	ours := []string{"knocker office: step 2 of 2", "knocker office: step 1 of 2", "knocker office: open tcp/22", "knocker office: close tcp/22"}
	tests := []struct {
		name   string
		router func(t *testing.T) *rosmodel.Router
		want   []string
	}{
		{
			// Below the fast path for established traffic, above every rule
			// that drops or accepts new traffic (ICMP too: ICMP steps).
			name:   "defconf",
			router: func(*testing.T) *rosmodel.Router { return rosmodel.Defconf([]string{"bridge"}, []string{"ether1"}) },
			want: slices.Concat([]string{"defconf: accept established,related,untracked"}, ours,
				[]string{"defconf: drop invalid", "defconf: accept ICMP", "defconf: accept to local loopback (for CAPsMAN)", "defconf: drop all not coming from LAN"}),
		},
		{
			name: "own rules, no defconf",
			router: func(t *testing.T) *rosmodel.Router {
				r := lanRouter(t)
				for _, c := range []string{"accept icmp", "drop the rest"} {
					action := map[string]string{"accept icmp": "accept", "drop the rest": "drop"}[c]
					props := []string{"chain", "input", "action", action, "comment", c}
					if action == "accept" {
						props = append(props, "protocol", "icmp")
					}
					if err := r.AddRule(rosmodel.IPFilter, props...); err != nil {
						t.Fatal(err)
					}
				}
				return r
			},
			want: append(ours[:len(ours):len(ours)], "accept icmp", "drop the rest"),
		},
		{
			name:   "empty input chain",
			router: lanRouter,
			want:   ours,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.router(t)
			paste(t, r, script)
			paste(t, r, script)
			if got := inputComments(r, rosmodel.IPFilter); !slices.Equal(got, tt.want) {
				t.Errorf("input chain after pasting twice:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// lanRouter has no firewall rules, only an interface list LAN.
func lanRouter(t *testing.T) *rosmodel.Router {
	r := rosmodel.New()
	if err := r.AddInterfaceList("LAN", "bridge"); err != nil {
		t.Fatal(err)
	}
	return r
}

// Pasting again replaces this profile's rules and patterns, also those of
// an older, longer sequence and of the format before comments marked them,
// and leaves every other rule and pattern as it was.
func TestRouterOSRePasteTouchesOnlyItsOwn(t *testing.T) {
	r := rosmodel.Defconf([]string{"bridge"}, []string{"ether1"})
	others := []struct{ menu, key, script string }{
		{rosmodel.IPFilter, "winbox from the office", `/ip firewall filter add chain=input protocol=tcp dst-port=8291 action=accept comment="winbox from the office"`},
		{rosmodel.IPFilter, "knocker office2: open tcp/22", `/ip firewall filter add chain=input protocol=tcp dst-port=22 action=accept comment="knocker office2: open tcp/22"`},
		{rosmodel.IPFilter, "my knocker office: notes", `/ip firewall filter add chain=input protocol=tcp dst-port=22 action=accept comment="my knocker office: notes"`},
		{rosmodel.Layer7, "office2-step1", `/ip firewall layer7-protocol add name=office2-step1 regexp="^x\$"`},
		{rosmodel.Layer7, "officestep1", `/ip firewall layer7-protocol add name=officestep1 regexp="^x\$"`},
	}
	for _, o := range others {
		paste(t, r, o.script)
	}
	longer, err := RouterOS(Spec{Name: "office", Steps: steps(t, "1:udp=a", "2:udp=b", "3:udp=c"), Protect: ssh, Family: knock.IPv4, Matcher: Layer7})
	if err != nil {
		t.Fatal(err)
	}
	paste(t, r, longer)
	// As the format before this one left a pattern: no comment, same name.
	paste(t, r, `/ip firewall layer7-protocol remove [find where name="office-step2"]`)
	paste(t, r, `/ip firewall layer7-protocol add name=office-step2 regexp="^old\$"`)
	shorter, err := RouterOS(Spec{Name: "office", Steps: steps(t, "1:udp=a", "2:udp=b"), Protect: ssh, Family: knock.IPv4, Matcher: Layer7})
	if err != nil {
		t.Fatal(err)
	}
	paste(t, r, shorter)
	count := func(menu, prop, want string) int {
		n := 0
		for _, it := range r.Items(menu) {
			if it.Props[prop] == want {
				n++
			}
		}
		return n
	}
	for _, o := range others {
		prop := map[string]string{rosmodel.IPFilter: "comment", rosmodel.Layer7: "name"}[o.menu]
		if n := count(o.menu, prop, o.key); n != 1 {
			t.Errorf("someone else's %q is there %d times after the re-paste", o.key, n)
		}
	}
	var ours []string
	for _, it := range r.Items(rosmodel.IPFilter) {
		if strings.HasPrefix(it.Props["comment"], "knocker office: ") {
			ours = append(ours, it.Props["comment"])
		}
	}
	want := []string{"knocker office: step 2 of 2", "knocker office: step 1 of 2", "knocker office: open tcp/22", "knocker office: close tcp/22"}
	if !slices.Equal(ours, want) {
		t.Errorf("office's rules after the re-paste: %q, want %q", ours, want)
	}
	for name, re := range map[string]string{"office-step1": "^a$", "office-step2": "^b$", "office-step3": ""} {
		got := ""
		for _, it := range r.Items(rosmodel.Layer7) {
			if it.Props["name"] == name {
				got = it.Props["regexp"]
			}
		}
		if got != re {
			t.Errorf("pattern %s is %q after the re-paste, want %q", name, got, re)
		}
	}
}

// A router without the LAN list refuses the script before it changes
// anything: the rules of an earlier paste stay.
func TestRouterOSWithoutLANList(t *testing.T) {
	spec := Spec{Name: "office", Steps: steps(t, "1234:udp=test"), Protect: ssh, Family: knock.IPv4, LANList: "admins"}
	script, err := RouterOS(spec)
	if err != nil {
		t.Fatal(err)
	}
	r := rosmodel.Defconf([]string{"bridge"}, nil)
	before := r.Export()
	err = r.Run(script)
	if err == nil || !strings.Contains(err.Error(), "no interface list admins") {
		t.Fatalf("error %v, want the script's own about the missing list", err)
	}
	if r.Export() != before {
		t.Error("the script changed the router before failing")
	}
	spec.LANList = NoLANList
	if script, err = RouterOS(spec); err != nil {
		t.Fatal(err)
	}
	paste(t, r, script)
	for _, it := range r.Items(rosmodel.IPFilter) {
		if it.Props["comment"] == "knocker office: close tcp/22" && it.Props["in-interface-list"] != "" {
			t.Errorf("with no LAN list the port must close on every interface: %v", it.Props)
		}
	}
}

func TestInvalidSpecs(t *testing.T) {
	base := func() Spec { return Spec{Name: "k", Steps: steps(t, "1234:udp=test", "2000"), Protect: ssh} }
	cases := []struct {
		name    string
		edit    func(*Spec)
		format  func(Spec) (string, error)
		wantErr string
	}{
		{"empty name", func(s *Spec) { s.Name = "" }, NFTables, "name must be"},
		{"name with space", func(s *Spec) { s.Name = "my office" }, RouterOS, "name must be"},
		{"name with quote", func(s *Spec) { s.Name = `a"b` }, NFTables, "name must be"},
		{"no steps", func(s *Spec) { s.Steps = nil }, RouterOS, "no knock steps"},
		{"tcp payload", func(s *Spec) { s.Steps[1].Payload = knock.Payload{Data: []byte("secret")} }, NFTables, "step 2: a TCP step cannot carry a payload"},
		{"protect icmp", func(s *Spec) { s.Protect.Proto = knock.ICMP }, RouterOS, "must be tcp or udp"},
		{"protect port 0", func(s *Spec) { s.Protect.Port = 0 }, NFTables, "port 0"},
		{"negative timeout", func(s *Spec) { s.Timeout = -time.Second }, RouterOS, "timeout must be positive"},
		{"timeout over a year", func(s *Spec) { s.Timeout = MaxTimeout + time.Second }, NFTables, "at most 365d"},
		{"stage shorter than delay", func(s *Spec) { s.Steps[1].Delay = 5 * time.Second; s.StageTimeout = 5 * time.Second },
			NFTables, "stage timeout 5s is too short for a 5s delay between steps (want at least 6s)"},
		{"unknown matcher", func(s *Spec) { s.Matcher = 9 }, RouterOS, "unknown matcher"},
		{"routeros nul", func(s *Spec) { s.Steps[0].Payload = knock.Payload{Data: []byte("a\x00b"), Encoding: knock.Hex} },
			RouterOS, "step 1: RouterOS cannot match a payload holding a zero byte"},
		{"layer7 ipv6", func(s *Spec) { s.Matcher = Layer7 }, RouterOS, "layer-7 matching for IPv4 only: leave out --layer7"},
		{"layer7 over 2047 bytes", func(s *Spec) {
			s.Matcher, s.Family = Layer7, knock.IPv4
			s.Steps[0].Payload = knock.Payload{Data: bytes.Repeat([]byte("x"), 2048)}
		}, RouterOS, "step 1: RouterOS's layer-7 matcher sees at most 2047 bytes of a connection, and this payload has 2048; leave out --layer7"},
		{"layer7 latin-1 capital", func(s *Spec) {
			s.Matcher, s.Family = Layer7, knock.IPv4
			s.Steps[0].Payload = knock.Payload{Data: []byte("caf\xc9"), Encoding: knock.Hex}
		}, RouterOS, "step 1: RouterOS's layer-7 matcher cannot match bytes 0xC0-0xDE"},
		{"routeros huge ipv6", func(s *Spec) {
			s.Family = knock.IPv6
			s.Steps[0].Payload = knock.Payload{Data: bytes.Repeat([]byte("x"), knock.MaxPayload)}
		}, RouterOS, "step 1: an IPv6 packet with this payload exceeds"},
		{"lan list with space", func(s *Spec) { s.LANList = "my lan" }, RouterOS, "LAN interface list's name"},
		{"ip table for ipv6 rules", func(s *Spec) { s.Family, s.Table = knock.IPv6, NFTTable{"ip", "filter"} }, NFTables,
			"table ip filter sees IPv4 only, but these rules are for IPv6"},
		{"bridge table", func(s *Spec) { s.Table = NFTTable{"bridge", "filter"} }, NFTables, "FAMILY:NAME with FAMILY ip, ip6 or inet"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := base()
			c.edit(&s)
			out, err := c.format(s)
			if err == nil {
				t.Fatalf("no error; output:\n%s", out)
			}
			if !strings.Contains(err.Error(), c.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line containing %q", err, c.wantErr)
			}
			for _, st := range s.Steps {
				if len(st.Payload.Data) > 1 && strings.Contains(err.Error(), string(st.Payload.Data)) {
					t.Errorf("error %q reveals a payload", err)
				}
			}
		})
	}
}

// What RouterOS can match only by size or not at all still works for nft.
func TestZeroBytes(t *testing.T) {
	s := Spec{Name: "k", Steps: steps(t, "1:udp=hex:00ff0a22", "icmp=size:10"), Protect: ssh, Family: knock.IPv4}
	nft, err := NFTables(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(nft, "udp dport 1 udp length 12 @th,64,32 0x00ff0a22 update @stage1") {
		t.Errorf("binary payload not matched exactly:\n%s", nft)
	}
	if !strings.Contains(nft, "icmp type echo-request ip length 38 update @allow") {
		t.Errorf("size payload should be matched by length only:\n%s", nft)
	}
	s.Steps = s.Steps[1:]
	ros, err := RouterOS(s)
	if err != nil {
		t.Fatalf("a size:N payload is all zeros but needs no content=: %v", err)
	}
	if !strings.Contains(ros, "packet-size=38 action") || strings.Contains(ros, "content=") {
		t.Errorf("size payload should be matched by packet-size only:\n%s", ros)
	}
}

// The router matches the datagram the client sends: a bare UDP port is
// knock(1)'s one zero byte, size:0 (and a step saved without a payload) an
// empty datagram that the router takes at any length.
func TestUDPStepLengths(t *testing.T) {
	for _, tt := range []struct {
		step     knock.Step
		ros, nft string
	}{
		{steps(t, "7000:udp")[0], "dst-port=7000 packet-size=29 action", "udp dport 7000 udp length 9 update"},
		{steps(t, "7000:udp=size:0")[0], "dst-port=7000 action", "udp dport 7000 update"},
		{knock.Step{Proto: knock.UDP, Port: 7000}, "dst-port=7000 action", "udp dport 7000 update"},
	} {
		ros, nft := bothFormats(t, Spec{Name: "k", Steps: []knock.Step{tt.step}, Protect: ssh, Family: knock.IPv4})
		if !strings.Contains(ros, tt.ros) || !strings.Contains(nft, tt.nft) {
			t.Errorf("step %s: RouterOS lacks %q or nftables %q:\n%s\n%s", tt.step.Spec(), tt.ros, tt.nft, ros, nft)
		}
	}
}

// bothFormats writes s as RouterOS and nftables rules, neither of which may fail.
func bothFormats(t *testing.T, s Spec) (ros, nft string) {
	t.Helper()
	ros, err := RouterOS(s)
	if err != nil {
		t.Fatal(err)
	}
	if nft, err = NFTables(s); err != nil {
		t.Fatal(err)
	}
	return ros, nft
}

func TestTimeouts(t *testing.T) {
	s := Spec{Name: "k", Steps: steps(t, "1:udp", "2:udp"), Protect: ssh, Family: knock.IPv4}
	s.Steps[1].Delay = time.Minute + 150*time.Millisecond
	s.Timeout = 90*time.Minute + 20*time.Millisecond
	ros, nft := bothFormats(t, s)
	// The default stage timeout covers the delay plus 30 s; both round up
	// to whole seconds.
	for _, want := range []string{"update @stage1 { ip saddr timeout 1m31s }", "update @allow { ip saddr timeout 1h30m1s }"} {
		if !strings.Contains(nft, want) {
			t.Errorf("nftables lacks %q:\n%s", want, nft)
		}
	}
	for _, want := range []string{"address-list-timeout=1m31s ", "address-list-timeout=1h30m1s "} {
		if !strings.Contains(ros, want) {
			t.Errorf("RouterOS lacks %q:\n%s", want, ros)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		500 * time.Millisecond: "500ms", 30 * time.Second: "30s", 90 * time.Second: "1m30s",
		2 * time.Hour: "2h", 26*time.Hour + 1500*time.Millisecond: "1d2h1s500ms",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestRouterOSString(t *testing.T) {
	for in, want := range map[string]string{
		"test":           `"test"`,
		`a"b\c`:          `"a\"b\\c"`,
		"$x?":            `"\$x\?"`,
		"\x00\n\x7f\xff": `"\00\0A\7F\FF"`,
		"a b#;{}[]":      `"a b#;{}[]"`,
	} {
		got := rosString([]byte(in))
		if got != want {
			t.Errorf("rosString(%q) = %s, want %s", in, got, want)
		}
		if back, err := rosscript.Unquote(got); err != nil || back != in {
			t.Errorf("RouterOS reads %s as %q (%v), want %q", got, back, err, in)
		}
	}
}

// Payloads that the readings of a layer-7 pattern could take apart: a
// literal \x41 (l7-filter would turn \\x41 into \a), brackets and braces,
// bytes above ASCII that tolower leaves alone, and letters in either case.
func TestLayer7Regexp(t *testing.T) {
	for _, payload := range []string{`\x41`, `a\\b`, `]}{[`, "\xff\xe0\xd7\x80", "MiXeD", `^$.|?*+()`, `\`, `x\`} {
		re := string(layer7Regexp([]byte(payload)))
		ok, err := rosscript.L7Matches(re, []byte(payload))
		if err != nil || !ok {
			t.Errorf("pattern %q does not match its payload %q: %v", re, payload, err)
		}
		for i := range payload {
			other := []byte(payload)
			other[i] ^= 0x01 // never only a letter's case
			if ok, err := rosscript.L7Matches(re, other); ok || err != nil {
				t.Errorf("pattern %q also matches %q (%v)", re, other, err)
			}
		}
		if lit, err := rosscript.L7Literal(re); err != nil || string(lit) != asciiLower(payload) {
			t.Errorf("pattern %q reads back as %q (%v)", re, lit, err)
		}
	}
}

// asciiLower lowercases ASCII letters only, as the layer-7 matcher does
// (strings.ToLower would also fold UTF-8 sequences).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func TestContentLengthWarning(t *testing.T) {
	for n, warn := range map[int]bool{128: false, 129: true} {
		s := Spec{Name: "k", Steps: []knock.Step{{Proto: knock.UDP, Port: 1, Payload: knock.Payload{Data: bytes.Repeat([]byte("x"), n)}}},
			Protect: ssh, Family: knock.IPv4}
		ros, err := RouterOS(s)
		if err != nil {
			t.Fatal(err)
		}
		w := RouterOSWarnings(s)
		if (len(w) > 0) != warn || strings.Contains(ros, "# Warning: ") != warn {
			t.Errorf("%d-byte content=: warnings %q, want some: %v", n, w, warn)
		}
		if warn && !strings.Contains(w[0], "use --layer7 or the nftables format") {
			t.Errorf("the warning does not say what to use instead: %q", w[0])
		}
		s.Matcher = Layer7
		if w := RouterOSWarnings(s); len(w) > 0 {
			t.Errorf("layer-7 matching has no such limit, yet: %q", w)
		}
	}
}

var chunkRE = regexp.MustCompile(`@th,(\d+),(\d+) 0x([0-9a-f]+)`)

// nftPayload reassembles the bytes the raw payload matches of a ruleset
// compare, checking that they are contiguous from the end of the 8-byte header.
func nftPayload(ruleset string) ([]byte, error) {
	var out []byte
	for _, m := range chunkRE.FindAllStringSubmatch(ruleset, -1) {
		off, _ := strconv.Atoi(m[1])
		bits, _ := strconv.Atoi(m[2])
		if off != 64+8*len(out) {
			return nil, fmt.Errorf("chunk at bit %d, want %d", off, 64+8*len(out))
		}
		if bits > 128 || bits%8 != 0 || len(m[3]) != bits/4 {
			return nil, fmt.Errorf("chunk of %d bits written as %d hex digits", bits, len(m[3]))
		}
		var b []byte
		if _, err := fmt.Sscanf(m[3], "%x", &b); err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

// quotedValue finds key's quoted value in a script: the string runs to the
// first quote not escaped by a backslash. RouterOS reads it as Unquote does.
func quotedValue(t *testing.T, script, key string) string {
	t.Helper()
	i := strings.Index(script, " "+key+`"`)
	if i < 0 {
		t.Fatalf("no %s in:\n%s", key, script)
	}
	s := script[i+1+len(key):]
	for j := 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			v, err := rosscript.Unquote(s[:j+1])
			if err != nil {
				t.Fatalf("RouterOS cannot read %s%s: %v", key, s[:j+1], err)
			}
			return v
		}
	}
	t.Fatalf("unterminated %s", key)
	return ""
}

// Any payload bytes: nftables compares exactly them, and RouterOS reads
// exactly them in content=, and its layer-7 matcher, read either way it may
// be, exactly them without regard to ASCII case (or the generator refuses,
// for a reason that holds). FuzzRouterOSScript runs whole scripts;
// TestLayer7Regexp runs patterns on data.
func FuzzPayloadEscaping(f *testing.F) {
	for _, seed := range []string{"test", `"\$?`, "\x00\xff\n", "^a.b$", strings.Repeat("x", 800), "AbC", `\x41`, "caf\xc9"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || len(data) > knock.MaxPayload {
			return
		}
		step := knock.Step{Proto: knock.UDP, Port: 1234, Payload: knock.Payload{Data: data, Encoding: knock.Hex}}
		spec := Spec{Name: "f", Steps: []knock.Step{step}, Protect: ssh, Family: knock.IPv4}

		nft, err := NFTables(spec)
		if err != nil {
			t.Fatal(err)
		}
		got, err := nftPayload(nft)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("nft matches %x (%v), want %x", got, err, data)
		}
		if !strings.Contains(nft, fmt.Sprintf("udp length %d", len(data)+8)) {
			t.Fatal("nft rule does not pin the datagram length")
		}

		ros, err := RouterOS(spec)
		if bytes.IndexByte(data, 0) >= 0 {
			if err == nil {
				t.Fatal("RouterOS accepted a payload with a zero byte")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if content := quotedValue(t, ros, "content="); content != string(data) {
			t.Fatalf("content= reads as %x, want %x", content, data)
		}

		spec.Matcher = Layer7
		ros, err = RouterOS(spec)
		if len(data) > layer7MaxData || slices.ContainsFunc(data, kernelFoldsCase) {
			if err == nil {
				t.Fatal("layer-7 accepted a payload it cannot match")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		re := quotedValue(t, ros, "regexp=")
		if lit, err := rosscript.L7Literal(re); err != nil || string(lit) != asciiLower(string(data)) {
			t.Fatalf("pattern %q matches %q (%v), want the payload %q without case", re, lit, err, data)
		}
	})
}

// Nothing Knocker accepts becomes a script RouterOS would refuse: any mix of
// steps, payloads, matchers, families, LAN lists and timeouts either makes a
// script that the model of RouterOS runs on defconf and writes as nftables, or is refused with one line that names no
// payload. (Pasting twice is TestRouterOSOnDefconf's: here it would only
// double the time.)
func FuzzRouterOSScript(f *testing.F) {
	f.Add([]byte("test"), uint8(1), uint16(0), false, false, uint32(7_200_000), uint8(0))
	f.Add([]byte("a\xffb?$\"\\[x]"), uint8(3), uint16(0b100110), true, false, uint32(30_500), uint8(1))
	f.Add([]byte{}, uint8(2), uint16(0b1001), false, true, uint32(1), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, n uint8, kinds uint16, layer7, v6 bool, timeoutMS uint32, lan uint8) {
		// Payload bytes and lengths are FuzzPayloadEscaping's; here they
		// only need to reach every kind of step.
		data = data[:min(len(data), 300)]
		n = 1 + n%3
		var st []knock.Step
		for i := range int(n) {
			s := knock.Step{Port: uint16(1000 + i)}
			part := data[min(len(data), i*len(data)/int(n)):min(len(data), (i+1)*len(data)/int(n))]
			switch kinds >> (2 * i) & 3 {
			case 0:
				s.Proto, s.Payload = knock.UDP, knock.Payload{Data: part}
			case 1:
				s.Proto = knock.TCP
			case 2:
				s.Proto, s.Port, s.Payload = knock.ICMP, 0, knock.Payload{Data: part, Encoding: knock.Hex}
			case 3:
				s.Proto, s.Payload = knock.UDP, knock.Payload{Data: make([]byte, len(part)), Encoding: knock.Size}
			}
			if i > 0 {
				s.Delay = time.Duration(kinds>>12) * 100 * time.Millisecond
			}
			st = append(st, s)
		}
		spec := Spec{Name: "fz", Steps: st, Protect: ssh, Family: knock.IPv4,
			Timeout: time.Duration(timeoutMS) * time.Millisecond, LANList: []string{"", NoLANList, "trusted"}[lan%3]}
		if v6 {
			spec.Family = knock.Auto
		}
		if layer7 {
			spec.Matcher = Layer7
		}
		script, err := RouterOS(spec)
		if err != nil {
			msg := err.Error()
			if strings.Contains(msg, "\n") || len(data) > 3 && strings.Contains(msg, string(data)) {
				t.Fatalf("refusal %q is not one line or shows the payload", msg)
			}
			return
		}
		// One router is enough: the rules carry the same properties wherever
		// the script places them (TestRouterOSPlacement has the places).
		r := rosmodel.Defconf([]string{"bridge"}, nil)
		if err := r.AddInterfaceList("trusted", "bridge"); err != nil {
			t.Fatal(err)
		}
		readBack(t, spec, script)
		paste(t, r, script)
		if _, err := r.NFTables("ros"); err != nil && !errors.Is(err, rosmodel.ErrTooLong) {
			t.Fatalf("the model cannot write the pasted rules as nftables: %v\n%s", err, script)
		}
		if len(r.Warnings) > 0 && len(RouterOSWarnings(spec)) == 0 {
			t.Fatalf("the router warns %q, the generator does not", r.Warnings)
		}
	})
}

// TestNFTAcceptsRandomPayloads hands nft many generated rulesets with random
// payload bytes and lengths (long ones spill into helper chains), in tables
// of their own and in an existing one, to check. It needs nft and root, as
// nft -c asks the kernel.
func TestNFTAcceptsRandomPayloads(t *testing.T) {
	nft, err := exec.LookPath("nft")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and nft (nftables) to check rulesets with nft -c")
	}
	rng := rand.New(rand.NewPCG(4, 2))
	var all strings.Builder
	all.WriteString("add table inet host\n")
	for i := range 60 {
		n := 1 + rng.IntN(64)
		if i%10 == 0 {
			n = 700 + rng.IntN(3000)
		}
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		st := []knock.Step{
			{Proto: knock.UDP, Port: uint16(1 + rng.IntN(65535)), Payload: knock.Payload{Data: data, Encoding: knock.Hex}},
			{Proto: knock.ICMP, Payload: knock.Payload{Data: data[:min(n, 1400)], Encoding: knock.Base64}},
			{Proto: knock.TCP, Port: 2},
		}
		spec := Spec{Name: "check" + strconv.Itoa(i), Steps: st, Protect: ssh, Timeout: 500 * time.Millisecond}
		if i%2 == 1 {
			spec.Table = NFTTable{"inet", "host"}
		}
		out, err := NFTables(spec)
		if err != nil {
			t.Fatal(err)
		}
		all.WriteString(out)
	}
	cmd := exec.Command(nft, "-c", "-f", "-")
	cmd.Stdin = strings.NewReader(all.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft -c rejected a generated ruleset: %v\n%.2000s", err, out)
	}
}

// The hand-written name checks accept exactly what these regexps do.
func FuzzIdentifiers(f *testing.F) {
	for _, s := range []string{"", "a", "_x", "9lan", "LAN", "office-router", "a.b", "-x", ".x", strings.Repeat("a", 64), strings.Repeat("b", 65), "é"} {
		f.Add(s)
	}
	checks := []struct {
		id identifier
		re *regexp.Regexp
	}{
		{nftIdent, regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`)},
		{rosName, regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$`)},
		{knockName, regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,31}$`)},
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range checks {
			if got, want := c.id.matches(s), c.re.MatchString(s); got != want {
				t.Fatalf("%q: identifier says %v, %s says %v", s, got, c.re, want)
			}
		}
	})
}
