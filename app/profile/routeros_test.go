package profile

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/knock"
)

// rosExport is an export with a two-step knock above defconf's drops, and
// a ladder that is no knock; the command line's tests read it too.
var rosExport = func() string {
	data, err := os.ReadFile("testdata/routeros-export.rsc")
	if err != nil {
		panic(err)
	}
	return string(data)
}()

// RouterOS text is told from the other formats by its shape.
func TestDetectRouterOS(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Format
	}{
		{rosExport, FormatRouterOS},
		{"\r\n# Knocker lab\r\n{\r\n:local a 1\r\n}\r\n", FormatRouterOS},
		{"/ip/firewall/filter/add chain=input", FormatRouterOS},
		{":global x 1", FormatRouterOS},
		{"Flags: X - disabled\n 0 chain=input", FormatRouterOS},
		{"{\n  \"version\": 1, \"profiles\": []}", FormatKnocker},
		{"{\"sequences\": []}", FormatKoP},
		{"[openSSH]\nsequence = 1,2\n", FormatKnockd},
		{"# /etc/knockd.conf\n[options]\n", FormatKnockd},
		{"[default]\nSPA_SERVER h\n", FormatFwknoprc},
	} {
		if got := DetectFormat([]byte(tt.in)); got != tt.want {
			t.Errorf("DetectFormat(%.30q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestImportRouterOS(t *testing.T) {
	imp, err := ParseImport([]byte(rosExport), "router.example")
	if err != nil {
		t.Fatal(err)
	}
	if imp.Format != FormatRouterOS || len(imp.Profiles) != 1 {
		t.Fatalf("%s with %d profiles, want %s with 1", imp.Format, len(imp.Profiles), FormatRouterOS)
	}
	p := imp.Profiles[0]
	want := []string{"1234:udp=first", "5678:udp=second"}
	if p.Name != "office-allow" || p.Host != "router.example" || p.Family != knock.IPv4 || p.Timeout != 2*time.Hour ||
		!p.AutoRefresh || p.Verify == nil || p.Verify.Port != 22 || len(p.Steps) != 2 {
		t.Fatalf("profile %+v %+v", p, p.Verify)
	}
	for i, s := range want {
		if p.Steps[i].Spec() != s {
			t.Errorf("step %d = %s, want %s", i+1, p.Steps[i].Spec(), s)
		}
	}
	if len(imp.Skipped) != 1 || !strings.Contains(imp.Skipped[0].String(), "telnet_black") || !strings.Contains(imp.Skipped[0].Reason, "blocklist") {
		t.Errorf("left out %q, want the telnet ladder named as a blocklist", imp.Skipped)
	}
	for _, tt := range []struct{ in, host, want string }{
		{rosExport, "", "give its name or address with --host"},
		{"/ip firewall filter\nadd chain=input protocol=tcp dst-port=22 src-address-list=x action=drop\n", "h", "no knock found: no rules add"},
		{"/ip firewall filter\nadd chain=input protocol=tcp dst-port=22 action=add-src-to-address-list address-list=b address-list-timeout=1d\n", "h", "nothing can be imported: list b (IPv4): no rule accepts sources on it"},
		{"Flags: X - disabled\n 0 chain=input action=accept\n", "h", "print output"},
	} {
		if _, err := ParseImport([]byte(tt.in), tt.host); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseImport(%.40q, %q) err = %v, want %q", tt.in, tt.host, err, tt.want)
		}
	}
}

// A hostile RouterOS file is refused fast and small, as the other formats'
// are (TestImportBombsStaySmall).
func TestRouterOSBombsStaySmall(t *testing.T) {
	if testing.Short() || raceDetector {
		t.Skip("builds files of several megabytes")
	}
	rule := "/ip firewall filter add chain=input protocol=tcp dst-port=1 action=add-src-to-address-list address-list=a address-list-timeout=1s\n"
	grant := "/ip firewall filter add chain=input src-address-list=a action=accept\n"
	for _, tt := range []struct{ name, in string }{
		{"many rules", strings.Repeat(rule, (MaxFileSize-len(grant))/len(rule)) + grant},
		{"one long command", "/ip firewall filter add " + strings.Repeat("a=b ", MaxFileSize/5)},
		{"deep brackets", strings.Repeat(":put [", MaxFileSize/7)},
		{"many skipped lines", strings.Repeat("/system identity set name=x\n", MaxFileSize/29)},
		{"many menus", strings.Repeat("/ip firewall filter\n", MaxFileSize/20)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.in)
			var err error
			n := allocated(func() { _, err = ParseImport(data, "h") })
			if err == nil {
				t.Fatal("accepted")
			}
			if n > maxBombAlloc {
				t.Fatalf("allocated %d MiB (err %v)", n>>20, err)
			}
			t.Logf("%d KiB of input: refused after %d KiB allocated: %v", len(data)>>10, n>>10, shortErr(err))
		})
	}
}

func FuzzParseRouterOS(f *testing.F) {
	f.Add([]byte(rosExport))
	f.Add([]byte("/ip/firewall/filter/add chain=input protocol=icmp packet-size=60 action=add-src-to-address-list address-list=p address-list-timeout=1h\n/ip/firewall/filter/add chain=input src-address-list=p protocol=tcp dst-port=22\n"))
	f.Add([]byte("/ip firewall layer7-protocol add name=k regexp=\"^a(b|c)+\\$\"\n/ip firewall filter add chain=input protocol=udp dst-port=1 layer7-protocol=k action=add-src-to-address-list address-list=z address-list-timeout=1m\n/ip firewall filter add chain=input src-address-list=z action=accept\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		imp, err := parseBounded(t, data, func() (Imported, error) { return ParseRouterOS(data, "router.example") })
		checkImport(t, imp, err)
		for _, s := range imp.Skipped {
			if l := s.String(); strings.ContainsFunc(l, hiddenRune) || strings.Contains(l, "\n") {
				t.Fatalf("a left-out reason is not one line of printable text: %q", l)
			}
		}
	})
}
