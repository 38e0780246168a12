package profile

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/knock"
)

const exampleJSON = `{"version": 1, "profiles": [{
   "name": "office", "host": "203.0.113.7", "family": "auto",
   "steps": [{"proto": "udp", "port": 1234, "payload": "test", "encoding": "text", "delay": "0s"}],
   "timeout": "2h", "auto_refresh": true,
   "verify": {"proto": "tcp", "port": 22, "timeout": "3s"}}]}`

func TestParseKnockerExample(t *testing.T) {
	ps, err := ParseKnocker([]byte(exampleJSON))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 {
		t.Fatalf("%d profiles", len(ps))
	}
	p := ps[0]
	if p.ID == "" || p.Created.IsZero() {
		t.Fatalf("imported profile lacks an ID or creation time: %+v", p)
	}
	want := Profile{
		ID: p.ID, Created: p.Created, Name: "office", Host: "203.0.113.7", Family: knock.Auto,
		Steps:   []knock.Step{{Proto: knock.UDP, Port: 1234, Payload: knock.Payload{Data: []byte("test"), Encoding: knock.Text}}},
		Timeout: 2 * time.Hour, AutoRefresh: true, Verify: &Verify{Port: 22, Timeout: 3 * time.Second},
	}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", p, want)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	p := sample("office")
	p.Steps = []knock.Step{
		{Proto: knock.UDP, Port: 1234, Payload: knock.Payload{Data: []byte("test"), Encoding: knock.Text}},
		{Proto: knock.UDP, Port: 1235, Payload: knock.Payload{Data: []byte{0, 0xff}, Encoding: knock.Hex}, Delay: 250 * time.Millisecond},
		{Proto: knock.UDP, Port: 1236, Payload: knock.Payload{Data: []byte("a:b"), Encoding: knock.Base64}, Delay: time.Second},
		{Proto: knock.ICMP, Payload: knock.Payload{Data: make([]byte, 36), Encoding: knock.Size}, Delay: 1500 * time.Millisecond},
		{Proto: knock.TCP, Port: 22, Delay: 2 * time.Hour},
	}
	out, err := Export([]Profile{p}, WithSecrets)
	if err != nil {
		t.Fatal(err)
	}
	for _, local := range []string{p.ID, `"created"`, `"last_knocked"`} {
		if bytes.Contains(out, []byte(local)) {
			t.Errorf("export holds machine-local %s", local)
		}
	}
	if !bytes.Contains(out, []byte(`"timeout": "2h"`)) || !bytes.Contains(out, []byte(`"delay": "1.5s"`)) {
		t.Errorf("durations not written the short way:\n%s", out)
	}
	back, err := ParseKnocker(out)
	if err != nil {
		t.Fatalf("re-import: %v\n%s", err, out)
	}
	got := back[0]
	p.ID, p.Created, p.LastKnocked = got.ID, got.Created, got.LastKnocked
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("round trip changed the profile:\n%+v\n%+v", got, p)
	}

	bare, err := Export([]Profile{p}, WithoutSecrets)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bare, []byte("steps")) || bytes.Contains(bare, []byte("1234")) || bytes.Contains(bare, []byte("test")) {
		t.Fatalf("export without secrets holds steps:\n%s", bare)
	}
	if _, err := ParseKnocker(bare); err == nil || !strings.Contains(err.Error(), "--with-secrets") {
		t.Fatalf("importing a secret-less export: err = %v, want a hint about --with-secrets", err)
	}
}

func TestParseKnockerErrors(t *testing.T) {
	const secret = "hunter2-payload"
	wrap := func(steps string) string {
		return `{"version":1,"profiles":[{"name":"ok","host":"h","steps":[{"proto":"udp","port":1}]},{"name":"office","host":"h","steps":[` + steps + `]}]}`
	}
	tests := []struct{ name, in, want string }{
		{"not json", "{nope", "line 1, column 2: not valid JSON"},
		{"truncated", `{"version":1,"profiles":[`, "ends too early"},
		{"syntax line", "{\"version\":1,\n\"profiles\":\n[,]}", "line 3, column 2"},
		{"no version", `{"profiles":[]}`, "version: missing"},
		{"future", `{"version":9,"profiles":[]}`, "newer Knocker"},
		{"no profiles", `{"version":1,"profiles":[]}`, "no profiles in the file"},
		{"unknown field", `{"version":1,"profiles":[{"name":"a","host":"h","colour":"red"}]}`, `unknown field "colour"`},
		{"type", `{"version":1,"profiles":[{"name":"a","host":"h","steps":[{"proto":"udp","port":"1"}]}]}`, "line 1, column 83: profiles.steps.port: want a whole number, found string"},
		{"bad name", `{"version":1,"profiles":[{"name":"-x","host":"h","steps":[{"proto":"tcp","port":1}]}]}`, `profiles[0].name: name starts with "-"`},
		{"duplicate name", `{"version":1,"profiles":[{"name":"a","host":"h","steps":[{"proto":"tcp","port":1}]},{"name":"A","host":"h","steps":[{"proto":"tcp","port":1}]}]}`, `profiles[1] (A): a profile named "A" already exists`},
		{"no host", `{"version":1,"profiles":[{"name":"a","steps":[{"proto":"tcp","port":1}]}]}`, "profiles[0] (a).host: missing"},
		{"family", `{"version":1,"profiles":[{"name":"a","host":"h","family":"ipv5","steps":[{"proto":"tcp","port":1}]}]}`, `profiles[0] (a).family: "ipv5" is not an address family`},
		{"timeout", `{"version":1,"profiles":[{"name":"a","host":"h","timeout":"soon","steps":[{"proto":"tcp","port":1}]}]}`, `profiles[0] (a).timeout: "soon" is not a duration`},
		{"verify proto", `{"version":1,"profiles":[{"name":"a","host":"h","verify":{"proto":"udp","port":1},"steps":[{"proto":"tcp","port":1}]}]}`, "verify.proto: only tcp"},
		{"verify port", `{"version":1,"profiles":[{"name":"a","host":"h","verify":{"port":0},"steps":[{"proto":"tcp","port":1}]}]}`, "verify.port: port 0 is out of range"},
		{"verify retries", `{"version":1,"profiles":[{"name":"a","host":"h","verify":{"port":22,"retries":99},"steps":[{"proto":"tcp","port":1}]}]}`, "verify.retries: want 0-10"},
		{"proto", wrap(`{"proto":"sctp","port":1}`), "profiles[1] (office).steps[0].proto: unknown protocol"},
		{"port range", wrap(`{"proto":"udp","port":70000}`), "steps[0].port: port 70000 is out of range"},
		{"icmp port", wrap(`{"proto":"icmp","port":7}`), "steps[0].port: ICMP has no ports"},
		{"tcp payload", wrap(`{"proto":"tcp","port":7,"payload":"` + secret + `"}`), "steps[0]: a TCP step cannot carry a payload"},
		{"encoding", wrap(`{"proto":"udp","port":7,"payload":"` + secret + `","encoding":"rot13"}`), "steps[0].encoding: unknown payload encoding"},
		{"bad hex", wrap(`{"proto":"udp","port":7,"payload":"` + secret + `","encoding":"hex"}`), "steps[0].payload: hex payload"},
		{"encoding alone", wrap(`{"proto":"udp","port":7,"encoding":"hex"}`), "steps[0].encoding: given without a payload"},
		{"delay", wrap(`{"proto":"udp","port":7},{"proto":"udp","port":8,"delay":"-1s"}`), "steps[1].delay: negative duration"},
		{"too big for keyring", wrap(`{"proto":"udp","port":7,"payload":"` + strings.Repeat("x", 3000) + `"}`), "profiles[1] (office).steps: the secret part"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := ParseKnocker([]byte(tt.in))
			if err == nil {
				t.Fatalf("accepted: %+v", ps)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error %q quotes the payload", err)
			}
		})
	}
}

const knockdConf = `# knockd.conf from a server
[options]
	UseSyslog
	Interface = eth0

[openSSH]
	sequence    = 7000:udp, 8000:tcp,9000
	seq_timeout = 5
	command     = /sbin/iptables -A INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
	tcpflags    = syn

[closeSSH]   # comment after a header
	Sequence = 9000,8000,7000
	start_command = true
	cmd_timeout = 10
	stop_command = true
`

func TestParseKnockd(t *testing.T) {
	imp, err := ParseImport([]byte(knockdConf), "router.example")
	if err != nil {
		t.Fatal(err)
	}
	// seq_timeout is met by steps sent back to back: nothing to warn about.
	if len(imp.Warnings) != 0 || len(imp.Skipped) != 0 {
		t.Fatalf("warnings %q, left out %v", imp.Warnings, imp.Skipped)
	}
	step := func(p knock.Proto, port uint16) knock.Step { return knock.Step{Proto: p, Port: port} }
	want := map[string][]knock.Step{
		"openSSH":  {step(knock.UDP, 7000), step(knock.TCP, 8000), step(knock.TCP, 9000)},
		"closeSSH": {step(knock.TCP, 9000), step(knock.TCP, 8000), step(knock.TCP, 7000)},
	}
	if len(imp.Profiles) != len(want) {
		t.Fatalf("%d profiles", len(imp.Profiles))
	}
	for _, p := range imp.Profiles {
		if !reflect.DeepEqual(p.Steps, want[p.Name]) || p.Host != "router.example" || p.ID == "" {
			t.Errorf("%s: %+v", p.Name, p)
		}
	}
}

// TestParseKnockdServerSettings: the settings of knockd's own manual page
// examples import: timeout is seq_timeout's alias, the IPv6 commands are
// the server's business, and tcpflags a plain SYN meets, negations
// included, pass; a section with flags it cannot meet, or flags knockd does
// not know, is left out with its reason.
func TestParseKnockdServerSettings(t *testing.T) {
	const conf = `[options]
	logfile = /var/log/knockd.log
[opencloseSMTP]
	sequence           = 2222:udp,3333:tcp,4444:udp
	timeout            = 15
	tcpflags           = syn,!ack
	start_command      = /usr/sbin/iptables -A INPUT -s %IP% -p tcp --dport 25 -j ACCEPT
	start_command_6    = /usr/sbin/ip6tables -A INPUT -s %IP% -p tcp --dport 25 -j ACCEPT
	command_6          = /usr/sbin/ip6tables -A INPUT -s %IP% -j ACCEPT
	cmd_timeout        = 5
	stop_command       = /usr/sbin/iptables -D INPUT -s %IP% -p tcp --dport 25 -j ACCEPT
	stop_command_6     = /usr/sbin/ip6tables -D INPUT -s %IP% -p tcp --dport 25 -j ACCEPT
	TCPFlags           = SYN, !FIN, !RST, !PSH, !URG
`
	imp, err := ParseKnockd([]byte(conf), "h")
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Profiles) != 1 || len(imp.Profiles[0].Steps) != 3 || len(imp.Warnings) != 0 {
		t.Fatalf("%+v %q", imp.Profiles, imp.Warnings)
	}
	for flags, want := range map[string]string{
		"fin,!ack":   "tcpflags fin is not supported: Knocker sends plain SYNs",
		"!syn":       "tcpflags !syn is not supported",
		"syn,ecn":    `tcpflags: unknown flag "ecn"`,
		"syn,!\x1b]": `unknown flag "!\x1b]"`,
	} {
		imp, err := ParseKnockd([]byte("[a]\nsequence = 1\ntcpflags = "+flags+"\n[b]\nsequence = 2\n"), "h")
		if err != nil || len(imp.Profiles) != 1 || imp.Profiles[0].Name != "b" || len(imp.Skipped) != 1 ||
			!strings.HasPrefix(imp.Skipped[0].String(), "line 1: [a]: line 3: ") || !strings.Contains(imp.Skipped[0].Reason, want) {
			t.Errorf("tcpflags %q: %v %v, want [b] imported and [a] left out for %q", flags, err, imp.Skipped, want)
		}
	}
}

func TestParseKnockdErrors(t *testing.T) {
	tests := []struct{ name, in, host, want string }{
		{"no host", knockdConf, "", "--host"},
		{"one time", "[a]\nsequence = 1\none_time_sequences = /etc/seq\n", "h", "nothing can be imported: line 1: [a]: line 3: one_time_sequences is not supported"},
		{"tcpflags", "[a]\nsequence = 1\ntcpflags = syn,ack\n", "h", `line 3: tcpflags ack is not supported`},
		{"no sequence", "[a]\ncommand = x\n", "h", "line 1: [a]: no sequence"},
		{"empty sequence", "[a]\nsequence =\n", "h", "line 2: sequence is empty"},
		{"bad port", "[a]\nsequence = 1,x:udp\n", "h", "line 2: sequence item 2: port is not a number"},
		{"icmp", "[a]\nsequence = 1:icmp\n", "h", "line 2: sequence item 1: protocol must be tcp or udp"},
		{"two sequences", "[a]\nsequence = 1\nsequence = 2\n", "h", "line 3: second sequence"},
		{"before section", "sequence = 1\n", "h", "line 1: setting before the first [section]"},
		{"header", "[a\n", "h", `line 1: section header without "]"`},
		{"unknown", "[a]\nsequence = 1\nfrobnicate = 2\n", "h", `line 3: unknown knockd setting "frobnicate"`},
		{"bad name", "[-a]\nsequence = 1\n", "h", `line 1: [-a]: name: name starts with "-"`},
		{"two left out", "[a]\nkey = s3cret\nsequence = 1\n[b]\nipset = knock\n", "h",
			"nothing can be imported: line 1: [a]: line 2: key is a TOTP secret of a knockd fork: its sequence changes with time, and Knocker knocks a fixed one; line 4: [b]: line 5: ipset is a setting of a knockd fork"},
		{"nothing", "[options]\nUseSyslog\n", "h", "no knock sequence found"},
		{"json with host", exampleJSON, "h", "--host is for knockd.conf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			imp, err := ParseImport([]byte(tt.in), tt.host)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q (profiles %+v)", err, tt.want, imp.Profiles)
			}
		})
	}
}

func TestParseImportTooLarge(t *testing.T) {
	if _, err := ParseImport(make([]byte, MaxFileSize+1), "h"); err == nil {
		t.Fatal("accepted a file above MaxFileSize")
	}
}

func TestSecretRoundTrip(t *testing.T) {
	ps, err := ParseKnocker([]byte(exampleJSON))
	if err != nil {
		t.Fatal(err)
	}
	v, err := EncodeSecret(&ps[0])
	if err != nil {
		t.Fatal(err)
	}
	if v != `{"steps":[{"proto":"udp","port":1234,"payload":"test","encoding":"text","delay":"0s"}]}` {
		t.Fatalf("secret value %s", v)
	}
	var back Profile
	if err := DecodeSecret(v, &back); err != nil || !reflect.DeepEqual(back.Steps, ps[0].Steps) {
		t.Fatalf("DecodeSecret = %+v, %v", back.Steps, err)
	}
	for _, bad := range []string{"", "null", `{"steps":[]}`, `{"steps":[{"proto":"udp","port":0,"payload":"hunter2"}]}`, `{"x":1}`, `{"steps":"hunter2"}`, `{"steps":[{"proto":"udp","port":1}]} trailing`,
		`{"spa":{"key_base64":"AAAA","hmac_key_base64":"AQEB"}}`} {
		if err := DecodeSecret(bad, &Profile{}); !errors.Is(err, errBadSecret) {
			t.Errorf("DecodeSecret(%q) = %v, want errBadSecret", bad, err)
		}
	}
}

// checkImport is what both fuzzers assert: no panic, and whatever is
// accepted is valid, fits the keyring, and survives an export round trip.
func checkImport(t *testing.T, imp Imported, err error) {
	for _, s := range imp.Skipped {
		switch {
		case s.Section == "" || s.Reason == "":
			t.Fatalf("left out without saying what or why: %+v", s)
		case s.NeedsKeys != nil && (!s.NeedsKeys.SPA.Keys.IsZero() || s.NeedsKeys.validate() != nil):
			t.Fatalf("a stanza offered for its keys is not otherwise valid: %v", s.NeedsKeys.validate())
		}
	}
	if err != nil {
		return
	}
	var l List
	for i := range imp.Profiles {
		p := imp.Profiles[i]
		if len(p.Steps) == 0 && (p.SPA == nil || p.SPA.Keys.IsZero()) {
			t.Fatalf("accepted a profile without its secret: %+v", p)
		}
		if err := checkSecretSize(&p); err != nil {
			t.Fatalf("accepted a secret that does not fit: %v", err)
		}
		if err := l.Add(p); err != nil {
			t.Fatalf("accepted profile fails Add: %v", err)
		}
	}
	out, err := Export(imp.Profiles, WithSecrets)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseKnocker(out)
	if err != nil {
		t.Fatalf("export of an accepted import does not import: %v\n%s", err, out)
	}
	for i := range back {
		if !reflect.DeepEqual(back[i].Steps, imp.Profiles[i].Steps) || back[i].Name != imp.Profiles[i].Name || !sameSPA(back[i].SPA, imp.Profiles[i].SPA) {
			t.Fatalf("round trip changed profile %d", i)
		}
	}
}

func FuzzParseKnocker(f *testing.F) {
	f.Add([]byte(exampleJSON))
	f.Add([]byte(`{"version":1,"profiles":[{"name":"a","host":"::1","family":"6","steps":[{"proto":"icmp","payload":"64","encoding":"size"},{"proto":"udp","port":9,"payload":"AAE=","encoding":"base64","delay":"1ms"}]}]}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1,"profiles":[{"name":"a","host":"h","steps":[{"proto":"udp","port":1,"payload":"hex:00","encoding":"text"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		imp, err := parseBounded(t, data, func() (Imported, error) {
			ps, err := ParseKnocker(data)
			return Imported{Profiles: ps}, err
		})
		checkImport(t, imp, err)
	})
}

func FuzzParseKnockd(f *testing.F) {
	f.Add([]byte(knockdConf))
	f.Add([]byte("[a]\nsequence = 1:udp,2:tcp\n[b]\nsequence=3\n"))
	f.Add([]byte("[a]\none_time_sequences = /x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		imp, err := parseBounded(t, data, func() (Imported, error) { return ParseKnockd(data, "router.example") })
		checkImport(t, imp, err)
	})
}

// FuzzParseImport reads any input as the user's import would, format
// detection included.
func FuzzParseImport(f *testing.F) {
	f.Add([]byte(exampleJSON), false)
	f.Add([]byte(knockdConf), true)
	f.Add([]byte("[s]\nSPA_SERVER h\nACCESS tcp/22\nKEY k\nHMAC_KEY hh\n"), false)
	f.Add([]byte(`[{"name":"a","host":"h","steps":[{"port":1}]}]`), false)
	f.Fuzz(func(t *testing.T, data []byte, knockd bool) {
		host := ""
		if knockd {
			host = "router.example"
		}
		imp, err := parseBounded(t, data, func() (Imported, error) { return ParseImport(data, host) })
		checkImport(t, imp, err)
		if err == nil && len(imp.Profiles) > MaxImportProfiles {
			t.Fatalf("%d profiles imported", len(imp.Profiles))
		}
	})
}

func FuzzDecodeList(f *testing.F) {
	f.Add([]byte(`{"version":1,"profiles":[{"id":"a","name":"a","host":"h","family":"ipv4","timeout":"1h","verify":{"port":22},"created":"2026-01-02T03:04:05Z"}]}`))
	f.Add([]byte(`{"version":1,"profiles":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var l List
		_, err := parseBounded(t, data, func() (Imported, error) {
			var err error
			l, _, err = decodeList(data)
			return Imported{}, err
		})
		if err != nil {
			return
		}
		out, err := encodeList(l)
		if err != nil {
			t.Fatal(err)
		}
		back, _, err := decodeList(out)
		if err != nil {
			t.Fatalf("a loaded list does not load after saving: %v\n%s", err, out)
		}
		again, _ := encodeList(back)
		if !bytes.Equal(out, again) {
			t.Fatalf("save, load, save differs:\n%s\n%s", out, again)
		}
	})
}

// An empty packet (size:0) is a knock of its own: over UDP, no payload at
// all sends knock's one zero byte instead. An export keeps the difference.
func TestExportKeepsAnEmptyPacket(t *testing.T) {
	for _, spec := range []string{"1234:udp=size:0", "icmp=size:0"} {
		step, err := knock.ParseStep(spec, knock.TCP)
		if err != nil {
			t.Fatal(err)
		}
		p := Profile{ID: NewID(), Name: "empty", Host: "192.0.2.1", Steps: []knock.Step{step}}
		out, err := Export([]Profile{p}, WithSecrets)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseKnocker(out)
		if err != nil {
			t.Fatal(err)
		}
		if got := back[0].Steps[0]; got.Payload.Encoding != knock.Size || got.Payload.Data == nil || len(got.Payload.Data) != 0 {
			t.Errorf("%s came back as %s", spec, got.Spec())
		}
	}
}
