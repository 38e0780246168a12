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
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/knock"
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
// RouterOS firewall manual and nft(8), then frozen in testdata.
func goldenSpecs(t *testing.T) map[string]Spec {
	return map[string]Spec{
		// The design's seed: nping --udp -p 1234 --data-string test.
		"seed": {Name: "knock", Steps: steps(t, "1234:udp=test"), Protect: ssh, Family: knock.IPv4},
		"seed-layer7": {Name: "knock", Steps: steps(t, "1234:udp=test"), Protect: ssh, Family: knock.IPv4,
			Matcher: Layer7},
		"chained": {Name: "office", Steps: steps(t, "1234:udp=open", "2345", "icmp=size:64"),
			Timeout: 8 * time.Hour, StageTimeout: 20 * time.Second, Protect: Protect{knock.TCP, 8291}},
		"knockd-style": {Name: "plain", Steps: steps(t, "7000:udp", "8000", "9000:udp"), Protect: ssh,
			Family: knock.IPv6, Timeout: 30 * time.Minute},
		// Every byte the console treats specially, and the regexp metacharacters.
		"escapes": {Name: "esc", Steps: steps(t, `1:udp=a"b\c$d?e f#g;[h]`, "icmp=hex:0a7fff", "2:udp=^x.*(y|z)+$"),
			Protect: Protect{knock.UDP, 51820}, Family: knock.IPv4, Timeout: 90 * time.Second},
		"escapes-layer7": {Name: "esc", Steps: steps(t, `1:udp=a"b\c$d?e f#g;[h]`, "2:udp=^X.*(y|z)+$"),
			Protect: ssh, Family: knock.IPv4, Matcher: Layer7},
	}
}

func TestGolden(t *testing.T) {
	formats := map[string]func(Spec) (string, error){"routeros": RouterOS, "nft": NFTables}
	for name, spec := range goldenSpecs(t) {
		for format, gen := range formats {
			t.Run(name+"."+format, func(t *testing.T) {
				got, err := gen(spec)
				if err != nil {
					t.Fatal(err)
				}
				file := filepath.Join("testdata", name+"."+format+".golden")
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
				again, _ := gen(spec)
				if again != got {
					t.Error("two runs gave different output")
				}
			})
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
		{"negative timeout", func(s *Spec) { s.Timeout = -time.Second }, RouterOS, "timeout must be"},
		{"sub-ms timeout", func(s *Spec) { s.Timeout = 1500 * time.Microsecond }, NFTables, "timeout must be"},
		{"stage shorter than delay", func(s *Spec) { s.Steps[1].Delay = 5 * time.Second; s.StageTimeout = 5 * time.Second },
			NFTables, "stage timeout 5s is too short for a 5s delay between steps (want at least 6s)"},
		{"unknown matcher", func(s *Spec) { s.Matcher = 9 }, RouterOS, "unknown matcher"},
		{"routeros nul", func(s *Spec) { s.Steps[0].Payload = knock.Payload{Data: []byte("a\x00b"), Encoding: knock.Hex} },
			RouterOS, "step 1: RouterOS cannot match a payload holding a zero byte"},
		{"layer7 ipv6", func(s *Spec) { s.Matcher = Layer7 }, RouterOS, "layer-7 matching for IPv4 only"},
		{"routeros huge ipv6", func(s *Spec) {
			s.Family = knock.IPv6
			s.Steps[0].Payload = knock.Payload{Data: bytes.Repeat([]byte("x"), knock.MaxPayload)}
		}, RouterOS, "step 1: an IPv6 packet with this payload exceeds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := base()
			c.edit(&s)
			out, err := c.format(s)
			if err == nil {
				t.Fatalf("no error; output:\n%s", out)
			}
			if !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("error %q, want it to contain %q", err, c.wantErr)
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

func TestStageTimeoutDefault(t *testing.T) {
	s := Spec{Name: "k", Steps: steps(t, "1:udp", "2:udp"), Protect: ssh, Family: knock.IPv4}
	s.Steps[1].Delay = time.Minute
	out, err := NFTables(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "update @stage1 { ip saddr timeout 1m30s }") {
		t.Errorf("default stage timeout should cover the 1m delay plus 30s:\n%s", out)
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
		if got := rosString([]byte(in)); got != want {
			t.Errorf("rosString(%q) = %s, want %s", in, got, want)
		}
	}
}

// rosUnquote decodes a RouterOS string constant as the scripting manual
// describes it, independently of rosString, and rejects what RouterOS would
// read differently from a literal character (an unescaped $ or ?).
func rosUnquote(s string) ([]byte, error) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return nil, errors.New("not a quoted string")
	}
	s = s[1 : len(s)-1]
	named := map[byte]byte{'"': '"', '\\': '\\', '$': '$', '?': '?', '_': ' ', 'n': '\n', 'r': '\r', 't': '\t',
		'a': 0x07, 'b': 0x08, 'f': 0x0c, 'v': 0x0b}
	var out []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '$' || c == '?' || c == '"':
			return nil, fmt.Errorf("unescaped %q at %d", c, i)
		case c < 0x20 || c >= 0x7f:
			return nil, fmt.Errorf("raw byte %#x at %d", c, i)
		case c != '\\':
			out = append(out, c)
		case i+2 < len(s) && isUpperHex(s[i+1]) && isUpperHex(s[i+2]):
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			out = append(out, byte(n))
			i += 2
		case i+1 < len(s) && named[s[i+1]] != 0:
			out = append(out, named[s[i+1]])
			i++
		default:
			return nil, fmt.Errorf("bad escape at %d", i)
		}
	}
	return out, nil
}

func isUpperHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }

// l7Literal reads back the text an anchored layer-7 regexp matches,
// rejecting any metacharacter that is not escaped.
func l7Literal(re []byte) ([]byte, error) {
	// An escaped final $ shows up below as a backslash with nothing after it.
	if len(re) < 2 || re[0] != '^' || re[len(re)-1] != '$' {
		return nil, errors.New("not anchored")
	}
	re = re[1 : len(re)-1]
	var out []byte
	for i := 0; i < len(re); i++ {
		switch c := re[i]; {
		case c == '\\':
			if i+1 == len(re) || !bytes.ContainsRune([]byte(`\^$.|?*+()[]{}`), rune(re[i+1])) {
				return nil, fmt.Errorf("escape of a plain character at %d", i)
			}
			out = append(out, re[i+1])
			i++
		case bytes.IndexByte([]byte(`^$.|?*+()[]{}`), c) >= 0:
			return nil, fmt.Errorf("bare metacharacter %q at %d", c, i)
		default:
			out = append(out, c)
		}
	}
	return out, nil
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

func FuzzPayloadEscaping(f *testing.F) {
	for _, seed := range []string{"test", `"\$?`, "\x00\xff\n", "^a.b$", strings.Repeat("x", 800), "AbC"} {
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
		quoted := routerOSValue(t, ros, "content=")
		back, err := rosUnquote(quoted)
		if err != nil || !bytes.Equal(back, data) {
			t.Fatalf("content=%s decodes to %x (%v), want %x", quoted, back, err, data)
		}

		spec.Matcher = Layer7
		ros, err = RouterOS(spec)
		if err != nil {
			t.Fatal(err)
		}
		re, err := rosUnquote(routerOSValue(t, ros, "regexp="))
		if err != nil {
			t.Fatal(err)
		}
		lit, err := l7Literal(re)
		if err != nil || !bytes.Equal(lit, asciiLower(data)) {
			t.Fatalf("regexp %q matches %q (%v), want %q lowercased", re, lit, err, data)
		}
	})
}

// asciiLower lowercases ASCII letters only, as the layer-7 matcher does
// (bytes.ToLower would also fold UTF-8 sequences).
func asciiLower(data []byte) []byte {
	out := make([]byte, len(data))
	for i, c := range data {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// routerOSValue finds key's quoted value in the commands: the quoted string
// runs to the first quote not escaped by a backslash.
func routerOSValue(t *testing.T, out, key string) string {
	t.Helper()
	i := strings.Index(out, key+`"`)
	if i < 0 {
		t.Fatalf("no %s in:\n%s", key, out)
	}
	s := out[i+len(key):]
	for j := 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return s[:j+1]
		}
	}
	t.Fatalf("unterminated %s", key)
	return ""
}

// TestNFTAcceptsRandomPayloads hands nft many generated rulesets with random
// payload bytes and lengths (long ones spill into helper chains) to check.
// It needs nft and root, as nft -c asks the kernel.
func TestNFTAcceptsRandomPayloads(t *testing.T) {
	nft, err := exec.LookPath("nft")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and nft (nftables) to check rulesets with nft -c")
	}
	rng := rand.New(rand.NewPCG(4, 2))
	var all strings.Builder
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
		out, err := NFTables(Spec{Name: "check" + strconv.Itoa(i), Steps: st, Protect: ssh, Timeout: 500 * time.Millisecond})
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
