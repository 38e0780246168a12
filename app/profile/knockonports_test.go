package profile

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/knock"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// importReport renders an import as a golden file: the format, the
// warnings, then the profiles as Knocker JSON with their secrets.
func importReport(t *testing.T, imp Imported) []byte {
	t.Helper()
	out, err := Export(imp.Profiles, WithSecrets)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString("# format: " + string(imp.Format) + "\n")
	for _, w := range imp.Warnings {
		b.WriteString("# warning: " + w + "\n")
	}
	for _, s := range imp.Skipped {
		b.WriteString("# left out: " + s.String() + "\n")
		if s.NeedsKeys != nil {
			b.WriteString("#   (the window asks for its keys: " + s.NeedsKeys.Name + " knocking " + s.NeedsKeys.Host + ")\n")
		}
	}
	b.Write(out)
	return b.Bytes()
}

// TestImportGolden reads files in the styles people write them in; the
// mixed ones hold sections Knocker cannot knock, which are left out with
// their reasons while the others import.
func TestImportGolden(t *testing.T) {
	for name, host := range map[string]string{"kop-v1.json": "", "kop-legacy.json": "", "fwknoprc": "",
		"knockd-mixed.conf": "gw.example.net", "fwknoprc-mixed": ""} {
		t.Run(name, func(t *testing.T) {
			imp, err := ParseImport(readTestdata(t, name), host)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".import.golden", importReport(t, imp))
		})
	}
}

func TestExportKnockOnPortsGolden(t *testing.T) {
	ps, err := ParseKnocker(readTestdata(t, "export.json"))
	if err != nil {
		t.Fatal(err)
	}
	out, warnings, err := ExportKnockOnPorts(ps)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, w := range warnings {
		b.WriteString("# warning: " + w + "\n")
	}
	b.Write(out)
	golden(t, "export.kop.golden", b.Bytes())
}

// TestKnockOnPortsRoundTrip: Knocker → Knock on Ports → Knocker keeps every
// step byte for byte, with its encoding, and the settings both have.
func TestKnockOnPortsRoundTrip(t *testing.T) {
	ps, err := ParseKnocker(readTestdata(t, "export.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Only profiles whose delays Knock on Ports can carry: one delay for all.
	ps = ps[:1]
	out, _, err := ExportKnockOnPorts(ps)
	if err != nil {
		t.Fatal(err)
	}
	imp, err := ParseImport(out, "")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if imp.Format != FormatKoP || len(imp.Warnings) > 0 {
		t.Fatalf("read back as %s with warnings %q", imp.Format, imp.Warnings)
	}
	got, want := imp.Profiles[0], ps[0]
	if !reflect.DeepEqual(got.Steps, want.Steps) {
		for i := range max(len(got.Steps), len(want.Steps)) {
			if i >= len(got.Steps) || i >= len(want.Steps) || !reflect.DeepEqual(got.Steps[i], want.Steps[i]) {
				t.Fatalf("step %d changed in the round trip:\n got %#v\nwant %#v", i, got.Steps[i:], want.Steps[i:])
			}
		}
	}
	got.ID, got.Created = want.ID, want.Created
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip changed the profile:\n got %+v\nwant %+v", got, want)
	}
}

// TestKnockOnPortsICMPSizes pins what data length an ICMP step of each
// icmp_type and icmp_size puts on the wire, as Knock on Ports computes it:
// message = icmp_size + offset, at least the 8-byte header, at most what
// one IP packet carries; data = message - 8.
func TestKnockOnPortsICMPSizes(t *testing.T) {
	tests := []struct {
		icmpType, ipv string
		size, want    int
	}{
		{"without_headers", "", 100, 100},
		{"without_headers", "", 0, 0},
		{"with_ip_header", "", 100, 92},
		{"", "", 100, 92}, // absent: no offset
		{"with_ip_header", "", 4, 0},
		{"with_ip_and_icmp_headers", "only_ipv4", 100, 72},
		{"with_ip_and_icmp_headers", "prefer_ipv4", 128, 100},
		{"with_ip_and_icmp_headers", "only_ipv6", 100, 52},
		{"with_ip_and_icmp_headers", "only_ipv4", 20, 0},
		{"without_headers", "only_ipv4", 70000, 65507},
		{"without_headers", "only_ipv6", 70000, 65487},
		{"with_ip_header", "", -5, 0},
	}
	for _, tt := range tests {
		// Big payloads as zeros, which the keyring stores as a size.
		content := `,"content":"xy","encoding":"raw"`
		if tt.want > 1000 {
			content = ""
		}
		doc := `{"version":1,"sequences":[{"name":"s","host":"h","icmp_type":"` + tt.icmpType + `","ipv":"` + tt.ipv +
			`","steps":[{"type":"icmp","icmp_size":` + strconv.Itoa(tt.size) + content + `}]}]}`
		doc = strings.ReplaceAll(strings.ReplaceAll(doc, `"icmp_type":"",`, ""), `"ipv":"",`, "")
		imp, err := ParseKnockOnPorts([]byte(doc))
		if err != nil {
			t.Fatalf("%s/%s %d: %v", tt.icmpType, tt.ipv, tt.size, err)
		}
		data := imp.Profiles[0].Steps[0].Payload.Data
		if len(data) != tt.want {
			t.Errorf("%s/%s icmp_size %d: %d data bytes, want %d", tt.icmpType, tt.ipv, tt.size, len(data), tt.want)
		}
		if content != "" && tt.want >= 2 && !bytes.HasPrefix(data, []byte("xyxy"[:min(4, tt.want)])) {
			t.Errorf("%s %d: data does not repeat the content: %q", tt.icmpType, tt.size, data[:min(8, len(data))])
		}
	}
}

func TestKnockOnPortsSteps(t *testing.T) {
	seq := func(steps string) string {
		return `{"version":1,"sequences":[{"name":"s","host":"h","delay":40,"steps":[` + steps + `]}]}`
	}
	tests := []struct {
		name, doc string
		want      []knock.Step
	}{
		{"udp pads with zeros", seq(`{"type":"udp","port":1,"udp_payload_size":4,"content":"ab","encoding":"raw"}`),
			[]knock.Step{{Proto: knock.UDP, Port: 1, Payload: knock.Payload{Data: []byte("ab\x00\x00"), Encoding: knock.Hex}}}},
		{"udp cuts", seq(`{"type":"udp","port":1,"udp_payload_size":1,"content":"YWI=","encoding":"base64"}`),
			[]knock.Step{{Proto: knock.UDP, Port: 1, Payload: knock.Payload{Data: []byte("a"), Encoding: knock.Base64}}}},
		{"udp size zero", seq(`{"type":"udp","port":1,"udp_payload_size":0,"content":"ab","encoding":"raw"}`),
			[]knock.Step{{Proto: knock.UDP, Port: 1}}},
		{"icmp count and delay", seq(`{"type":"tcp","port":5},{"type":"icmp","icmp_size":8,"icmp_count":3}`),
			[]knock.Step{{Proto: knock.TCP, Port: 5},
				{Proto: knock.ICMP, Delay: 40 * time.Millisecond},
				{Proto: knock.ICMP, Delay: 40 * time.Millisecond},
				{Proto: knock.ICMP, Delay: 40 * time.Millisecond}}},
		{"unpadded base64", seq(`{"type":"udp","port":1,"content":"YWI","encoding":"base64"}`),
			[]knock.Step{{Proto: knock.UDP, Port: 1, Payload: knock.Payload{Data: []byte("ab"), Encoding: knock.Base64}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			imp, err := ParseKnockOnPorts([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := imp.Profiles[0].Steps; !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestKnockOnPortsErrors(t *testing.T) {
	seq := func(fields string) string {
		return `{"version":1,"sequences":[{"name":"s","host":"h",` + fields + `}]}`
	}
	tests := []struct{ name, doc, want string }{
		{"version 2", `{"version":2,"sequences":[]}`, "version: want 1"},
		{"no version", `{"sequences":[]}`, "version: want 1"},
		{"no sequences", `{"version":1,"sequences":[]}`, "no sequences"},
		{"unknown ipv", seq(`"ipv":"ipv5","steps":[{"type":"tcp","port":1}]`), `sequences[0] (s).ipv: unknown value "ipv5"`},
		{"unknown icmp type", seq(`"icmp_type":"big","steps":[{"type":"tcp","port":1}]`), `icmp_type: unknown value "big"`},
		{"unknown step type", seq(`"steps":[{"type":"sctp","port":1}]`), `steps[0].type: unknown value "sctp"`},
		{"unknown encoding", seq(`"steps":[{"type":"udp","port":1,"content":"x","encoding":"rot13"}]`), `steps[0].encoding: unknown value "rot13"`},
		{"bad hex", seq(`"steps":[{"type":"udp","port":1,"content":"de ad","encoding":"hex"}]`), "steps[0].content: hex payload"},
		{"bad base64", seq(`"steps":[{"type":"udp","port":1,"content":"!!","encoding":"base64"}]`), "steps[0].content: base64 payload"},
		{"huge count", seq(`"steps":[{"type":"icmp","icmp_size":8,"icmp_count":101}]`), "icmp_count: 101 echoes"},
		{"nothing to send", seq(`"steps":[{"type":"udp","port":0}]`), "steps: no step Knock on Ports would send"},
		{"no name", `{"version":1,"sequences":[{"host":"h","steps":[{"type":"tcp","port":1}]}]}`, "sequences[0].name: name is empty"},
		{"no host", `{"version":1,"sequences":[{"name":"s","steps":[{"type":"tcp","port":1}]}]}`, "sequences[0] (s).host: missing"},
		{"string port", seq(`"steps":[{"type":"tcp","port":"22"}]`), "want a whole number, found string"},
		{"unknown check type", seq(`"checkAccess":true,"check_type":"DNS","steps":[{"type":"tcp","port":1}]`), `check_type: unknown value "DNS"`},
		{"legacy string enum", `[{"name":"s","host":"h","steps":[{"type":"udp","port":1}]}, {"name":"t","host":"h","ipv":"x","steps":[]}]`, "want a whole number, found string"},
		{"duplicate names", `[{"name":"s","host":"h","steps":[{"port":1}]},{"name":"S","host":"h","steps":[{"port":1}]}]`, `[1] (S): a profile named "S" already exists`},
		{"truncated", `{"version":1,"sequences":[{"name"`, "ends too early"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseKnockOnPorts([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is more than one line: %q", err)
			}
		})
	}
}

func TestExportKnockOnPortsRefuses(t *testing.T) {
	p := sample("spa")
	p.SPA = &SPA{Access: "tcp/22"}
	if _, _, err := ExportKnockOnPorts([]Profile{p}); err == nil || !strings.Contains(err.Error(), `profile "spa": an SPA profile`) {
		t.Fatalf("SPA: %v", err)
	}
	p = sample("bare")
	if _, _, err := ExportKnockOnPorts([]Profile{p}); err == nil || !strings.Contains(err.Error(), "no steps") {
		t.Fatalf("without steps: %v", err)
	}
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		name string
		data string
		want Format
	}{
		{"knocker", exampleJSON, FormatKnocker},
		{"knocker, broken", `{"version": 1, "profi`, FormatKnocker},
		{"kop v1", `{"version":1,"sequences":[]}`, FormatKoP},
		{"kop v1, sequences first", ` {"sequences":[{}],"version":1}`, FormatKoP},
		{"kop legacy", `[{"name":"a"}]`, FormatKoPLegacy},
		{"kop legacy, spaced", "\n[\n  {\"name\":\"a\"}]", FormatKoPLegacy},
		{"kop legacy, empty", `[]`, FormatKoPLegacy},
		{"knockd", knockdConf, FormatKnockd},
		{"knockd section first", "[openSSH]\n  sequence = 7000,8000\n", FormatKnockd},
		{"fwknoprc", "[default]\nSPA_SERVER 1.2.3.4\n", FormatFwknoprc},
		{"fwknoprc lower case, colon", "[x]\n  spa_server: host\n", FormatFwknoprc},
		{"knockd with a key-like name", "[x]\nkey_base64 = 1\n", FormatKnockd},
		{"empty", "", FormatKnockd},
	}
	for _, tt := range tests {
		if got := DetectFormat([]byte(tt.data)); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestParseImportHostOnlyForKnockd(t *testing.T) {
	imp, err := ParseImport(readTestdata(t, "kop-v1.json"), "router.example")
	if err == nil || !strings.Contains(err.Error(), "--host is for knockd.conf") || imp.Format != FormatKoP {
		t.Fatalf("err = %v, format %s", err, imp.Format)
	}
}

func FuzzParseKnockOnPorts(f *testing.F) {
	f.Add(readTestdataF(f, "kop-v1.json"))
	f.Add(readTestdataF(f, "kop-legacy.json"))
	f.Add([]byte(`{"version":1,"sequences":[{"name":"a","host":"h","icmp_type":"with_ip_and_icmp_headers","steps":[{"type":"icmp","icmp_size":99999,"icmp_count":100,"content":"AA","encoding":"hex"}]}]}`))
	f.Add([]byte(`[{"name":"a","host":"h","steps":[{"type":null,"encoding":9,"port":1}]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		imp, err := parseBounded(t, data, func() (Imported, error) { return ParseKnockOnPorts(data) })
		checkImport(t, imp, err)
		if err == nil {
			// What was read can be written back for the phone.
			if _, _, err := ExportKnockOnPorts(imp.Profiles); err != nil {
				t.Fatalf("an imported profile does not export: %v", err)
			}
		}
	})
}

func readTestdataF(f *testing.F, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return b
}
