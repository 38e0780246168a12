package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"

	"github.com/knocker/knocker/app/secret"
	"github.com/knocker/knocker/internal/testbin"
	"github.com/knocker/knocker/knock/spa"
)

// importProfiles imports Knocker JSON into a fresh config folder through
// the binary, as a user would, and returns the folder.
func importProfiles(t *testing.T, json string) string {
	t.Helper()
	declareProfileSecrets(t, json)
	config := t.TempDir()
	file := filepath.Join(t.TempDir(), "profiles.json")
	if err := os.WriteFile(file, []byte(json), 0o600); err != nil {
		t.Fatal(err)
	}
	if res := testbin.Run(t, []string{"KNOCKER_CONFIG_DIR=" + config}, "import", file); res.Code != 0 {
		t.Fatalf("import: %s", res.Stderr)
	}
	return config
}

func needKeyring(t *testing.T) {
	t.Helper()
	if os.Getenv("KNOCKER_KEYRING_TEST") == "" {
		t.Skip("no test keyring: run under scripts/with-keyring.sh (make test does) to test against gnome-keyring")
	}
}

// TestSPAProfileLifecycle imports an SPA profile with known keys, knocks a
// UDP listener on loopback with it and decodes what arrived, all through
// the binary and a real keyring; the keys must never show in profiles.json,
// in output without --with-secrets, or in any process's argv.
func TestSPAProfileLifecycle(t *testing.T) {
	needKeyring(t)
	keys, err := spa.GenerateKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	k, h := keys.Base64()
	declareSecrets(t, k, h)
	ln, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	config := t.TempDir()
	env := append([]string{"KNOCKER_CONFIG_DIR=" + config}, noDisplay...)
	file := filepath.Join(t.TempDir(), "fw.json")
	doc := fmt.Sprintf(`{"version": 2, "profiles": [{"name": "fw", "host": "127.0.0.1", "family": "ipv4",
	  "spa": {"key_base64": %q, "hmac_key_base64": %q, "access": "tcp/22,udp/53", "allow_ip": "source", "port": %d},
	  "timeout": "2m"}]}`, k, h, ln.LocalAddr().(*net.UDPAddr).Port)
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}

	watch := watchArgv(k, h)
	public := &publicRuns{t: t, env: env}
	run := public.run
	run(0, "import", file)
	if res := run(0, "list"); res.Stdout != "fw\t127.0.0.1\tnever knocked\n" {
		t.Fatalf("list said %q", res.Stdout)
	}

	before := time.Now().Truncate(time.Second)
	run(0, "knock", "-v", "fw")
	after := time.Now()
	buf := make([]byte, 2048)
	_ = ln.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, from, err := ln.ReadFromUDP(buf)
	if err != nil {
		t.Fatal(err)
	}
	m, err := spa.Decode(keys, buf[:n])
	if err != nil {
		t.Fatalf("the datagram from %v is not our SPA packet: %v", from, err)
	}
	if m.Access != "tcp/22,udp/53" || !m.AllowIP.IsUnspecified() || m.Time.Before(before) || m.Time.After(after) || m.Type != spa.AccessMsg {
		t.Fatalf("the packet asks for %+v (sent between %v and %v)", m, before, after)
	}

	if res := run(0, "export", "fw"); !strings.Contains(res.Stdout, `"allow_ip": "source"`) {
		t.Fatalf("export without secrets: %q", res.Stdout)
	}
	run(2, "router-config", "fw", "--format", "routeros")
	for _, args := range [][]string{{"export", "--all", "--with-secrets"}, {"router-config", "fw", "--format", "fwknopd"}} {
		res := testbin.Run(t, env, args...)
		if res.Code != 0 || !strings.Contains(res.Stdout, k) || !strings.Contains(res.Stdout, h) {
			t.Fatalf("%v: %d %q", args, res.Code, res.Stderr)
		}
		public.outputs = append(public.outputs, res.Stderr)
	}
	id := testbin.ProfileID(t, config, "fw")
	run(0, "delete", "fw")
	watch.finish(t)

	if _, err := secret.NewKeyring(0).Get(context.Background(), id); err == nil {
		t.Error("the keyring item outlived the profile")
	}
	public.assertNoSecret(k, h)
	testbin.AssertNoSecretIn(t, config, k, h)
}

// publicRuns runs knocker commands whose output must hold no secret, and
// keeps that output for the check at the end.
type publicRuns struct {
	t       *testing.T
	env     []string
	outputs []string
}

func (p *publicRuns) run(wantCode int, args ...string) testbin.Result {
	p.t.Helper()
	res := testbin.Run(p.t, p.env, args...)
	if res.Code != wantCode {
		p.t.Fatalf("knocker %v: exit %d, want %d; stderr %q", args, res.Code, wantCode, res.Stderr)
	}
	p.outputs = append(p.outputs, res.Stdout, res.Stderr)
	return res
}

// assertNoSecret fails if any kept output holds one of the secrets.
func (p *publicRuns) assertNoSecret(secrets ...string) {
	p.t.Helper()
	for _, out := range p.outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				p.t.Errorf("output without --with-secrets holds a secret: %q", out)
			}
		}
	}
}

// kopICMPFile is a Knock on Ports export with one sequence per icmp_type,
// each knocking 127.0.0.1 with ICMP only. Patterns are unique per case, so
// echo requests from other tests on loopback are told apart.
const kopICMPFile = `{"version": 1, "sequences": [
 {"name": "no headers", "host": "127.0.0.1", "ipv": "only_ipv4", "delay": 10, "icmp_type": "without_headers",
  "steps": [{"type": "icmp", "icmp_size": 100, "content": "kop-a-", "encoding": "raw"}]},
 {"name": "icmp header", "host": "127.0.0.1", "ipv": "only_ipv4", "delay": 10, "icmp_type": "with_ip_header",
  "steps": [{"type": "icmp", "icmp_size": 100, "icmp_count": 2, "content": "6b6f702d622d", "encoding": "hex"},
            {"type": "icmp", "icmp_size": 45}]},
 {"name": "ip and icmp headers", "host": "127.0.0.1", "ipv": "only_ipv4", "delay": 10, "icmp_type": "with_ip_and_icmp_headers",
  "steps": [{"type": "icmp", "icmp_size": 100, "content": "a29wLWMt", "encoding": "base64"}]}
]}`

// TestKnockOnPortsICMPOnTheWire imports Knock on Ports ICMP steps, knocks
// them as root, captures the echo requests on loopback and checks their
// data against what Knock on Ports sends: an ICMP message of icmp_size + 8
// (without_headers), icmp_size (with_ip_header) or icmp_size - 20
// (with_ip_and_icmp_headers, IPv4) bytes, its data the content repeated.
func TestKnockOnPortsICMPOnTheWire(t *testing.T) {
	needKeyring(t)
	ln := icmpListener(t)
	repeat := func(pattern string, n int) []byte { return []byte(strings.Repeat(pattern, n)[:n]) }
	want := map[string][][]byte{
		"no headers":          {repeat("kop-a-", 100)},
		"icmp header":         {repeat("kop-b-", 92), repeat("kop-b-", 92), make([]byte, 37)},
		"ip and icmp headers": {repeat("kop-c-", 72)},
	}
	config := t.TempDir()
	env := append([]string{"KNOCKER_CONFIG_DIR=" + config}, noDisplay...)
	file := filepath.Join(t.TempDir(), "kop.json")
	if err := os.WriteFile(file, []byte(kopICMPFile), 0o600); err != nil {
		t.Fatal(err)
	}
	if res := testbin.Run(t, env, "import", file); res.Code != 0 || !strings.Contains(res.Stdout, "from Knock on Ports JSON (format version 1)") {
		t.Fatalf("import: %d %q %q", res.Code, res.Stdout, res.Stderr)
	}
	for _, name := range []string{"no headers", "icmp header", "ip and icmp headers"} {
		if res := testbin.Run(t, env, "knock", name); res.Code != 0 {
			t.Fatalf("knock %q: %d %q", name, res.Code, res.Stderr)
		}
		got := readEchoes(t, ln, want[name])
		t.Logf("%s: echo data lengths %v", name, got)
		testbin.Run(t, env, "delete", name)
	}
}

// readEchoes waits for echo requests carrying exactly want, in order,
// skipping other loopback ICMP traffic, and returns their data lengths.
func readEchoes(t *testing.T, ln *icmp.PacketConn, want [][]byte) []int {
	t.Helper()
	var lens []int
	buf := make([]byte, 70000)
	_ = ln.SetReadDeadline(time.Now().Add(5 * time.Second))
	for len(want) > 0 {
		n, _, err := ln.ReadFrom(buf)
		if err != nil {
			t.Fatalf("still waiting for %d echo requests (next: %d data bytes): %v", len(want), len(want[0]), err)
		}
		msg, err := icmp.ParseMessage(1, buf[:n])
		if err != nil || msg.Type != ipv4.ICMPTypeEcho {
			continue
		}
		data := msg.Body.(*icmp.Echo).Data
		if bytes.Equal(data, want[0]) {
			lens = append(lens, len(data))
			want = want[1:]
		}
	}
	return lens
}

// TestKnockOnPortsRoundTripThroughBinary: Knocker JSON → import → export
// for Knock on Ports → import elsewhere → export as Knocker JSON gives the
// same steps, byte for byte.
func TestKnockOnPortsRoundTripThroughBinary(t *testing.T) {
	needKeyring(t)
	const doc = `{"version": 1, "profiles": [{"name": "rt", "host": "192.0.2.1", "family": "ipv4",
	  "steps": [{"proto": "udp", "port": 1, "payload": "e2e-rt-text", "encoding": "text"},
	            {"proto": "udp", "port": 2, "payload": "00ff", "encoding": "hex", "delay": "75ms"},
	            {"proto": "icmp", "payload": "48", "encoding": "size", "delay": "75ms"},
	            {"proto": "tcp", "port": 3, "delay": "75ms"}]}]}`
	declareProfileSecrets(t, doc)
	a, b := t.TempDir(), t.TempDir()
	envA := append([]string{"KNOCKER_CONFIG_DIR=" + a}, noDisplay...)
	envB := append([]string{"KNOCKER_CONFIG_DIR=" + b}, noDisplay...)
	in := filepath.Join(t.TempDir(), "in.json")
	kop := filepath.Join(t.TempDir(), "kop.json")
	if err := os.WriteFile(in, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	steps := func(res testbin.Result) any {
		t.Helper()
		var d struct{ Profiles []struct{ Steps any } }
		if res.Code != 0 || json.Unmarshal([]byte(res.Stdout), &d) != nil || len(d.Profiles) != 1 {
			t.Fatalf("exit %d: %q %q", res.Code, res.Stdout, res.Stderr)
		}
		return d.Profiles[0].Steps
	}
	testbin.Run(t, envA, "import", in)
	original := steps(testbin.Run(t, envA, "export", "--all", "--with-secrets"))
	res := testbin.Run(t, envA, "export", "rt", "--format", "knockonports", "--with-secrets")
	if res.Code != 0 || res.Stderr != "" {
		t.Fatalf("export for Knock on Ports: %d %q", res.Code, res.Stderr)
	}
	if err := os.WriteFile(kop, []byte(res.Stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	if res := testbin.Run(t, envB, "import", kop); res.Code != 0 || res.Stderr != "" {
		t.Fatalf("import of the Knock on Ports file: %d %q", res.Code, res.Stderr)
	}
	back := steps(testbin.Run(t, envB, "export", "--all", "--with-secrets"))
	if fmt.Sprint(back) != fmt.Sprint(original) {
		t.Fatalf("round trip changed the steps:\n got %v\nwant %v", back, original)
	}
	for _, env := range [][]string{envA, envB} {
		testbin.Run(t, env, "delete", "rt")
	}
}
