package profile

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/app/secret"
	"github.com/knocker/knocker/internal/testnet"
	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/spa"
)

// Fixed keys, so goldens are stable: 32 and 64 bytes as fwknop --key-gen makes.
var testSPAKeys = spa.Keys{
	Rijndael: bytes.Repeat([]byte("K"), 32),
	HMAC:     bytes.Repeat([]byte("H"), 64),
}

func sameSPA(a, b *SPA) bool {
	if a == nil || b == nil {
		return a == b
	}
	ka, kb := a.Keys.Keys(), b.Keys.Keys()
	return a.Access == b.Access && a.AllowIP == b.AllowIP && a.ResolveURL == b.ResolveURL && a.port() == b.port() && a.User == b.User &&
		bytes.Equal(ka.Rijndael, kb.Rijndael) && bytes.Equal(ka.HMAC, kb.HMAC)
}

func spaSample(name string) Profile {
	p := sample(name)
	p.SPA = &SPA{Keys: NewSPAKeys(testSPAKeys), Access: "tcp/22", AllowIP: netip.MustParseAddr("198.51.100.4"), User: "alice"}
	return p
}

func spaJSONDoc(spaObj string) string {
	return `{"version": 2, "profiles": [{"name": "fw", "host": "203.0.113.7", "spa": ` + spaObj + `, "timeout": "30s"}]}`
}

func TestSPAInterchange(t *testing.T) {
	k, h := testSPAKeys.Base64()
	doc := spaJSONDoc(`{"key_base64": "` + k + `", "hmac_key_base64": "` + h + `", "access": "tcp/22", "allow_ip": "source", "port": 62201}`)
	ps, err := ParseKnocker([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	p := ps[0]
	want := &SPA{Keys: NewSPAKeys(testSPAKeys), Access: "tcp/22", Port: spa.DefaultPort}
	if !sameSPA(p.SPA, want) || allowIPText(p.SPA) != "source" || len(p.Steps) != 0 {
		t.Fatalf("parsed %+v", p.SPA)
	}
	out, err := Export(ps, WithSecrets)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(`"spa": {
        "key_base64": "`+k+`",
        "hmac_key_base64": "`+h+`",
        "access": "tcp/22",
        "allow_ip": "source",
        "port": 62201
      }`)) || !bytes.HasPrefix(out, []byte(`{
  "version": 2,`)) {
		t.Fatalf("export with secrets lacks the spa object with its keys, in format version 2:\n%s", out)
	}
	back, err := ParseKnocker(out)
	if err != nil || !sameSPA(back[0].SPA, p.SPA) {
		t.Fatalf("round trip: %v %+v", err, back)
	}
	bare, err := Export(ps, WithoutSecrets)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bare, []byte(k)) || bytes.Contains(bare, []byte(h)) || bytes.Contains(bare, []byte("key_base64")) {
		t.Fatalf("export without secrets holds keys:\n%s", bare)
	}
	if _, err := ParseKnocker(bare); err == nil || !strings.Contains(err.Error(), "spa.key_base64: missing: this looks like an export made without --with-secrets") {
		t.Fatalf("importing an export without keys: %v", err)
	}
}

func TestSPAInterchangeErrors(t *testing.T) {
	k, h := testSPAKeys.Base64()
	keys := `"key_base64": "` + k + `", "hmac_key_base64": "` + h + `"`
	tests := []struct{ name, spa, want string }{
		{"no hmac key", `{"key_base64": "` + k + `", "access": "tcp/22"}`, "spa.hmac_key_base64: missing"},
		{"bad base64", `{"key_base64": "!!!", "hmac_key_base64": "` + h + `", "access": "tcp/22"}`, "spa: encryption (Rijndael) key: not valid base64"},
		{"key too long", `{"key_base64": "` + base64.StdEncoding.EncodeToString(make([]byte, 33)) + `", "hmac_key_base64": "` + h + `", "access": "tcp/22"}`, "33 bytes"},
		{"same keys", `{"key_base64": "` + k + `", "hmac_key_base64": "` + k + `", "access": "tcp/22"}`, "identical"},
		{"no access", `{` + keys + `}`, "spa.access: missing"},
		{"bad access", `{` + keys + `, "access": "tcp/0"}`, "port must be 1-65535"},
		{"spaces in access", `{` + keys + `, "access": "tcp/22, udp/53"}`, "want tcp/PORT or udp/PORT"},
		{"ipv6 allow", `{` + keys + `, "access": "tcp/22", "allow_ip": "2001:db8::1"}`, "spa.allow_ip: want \"source\", \"resolve\" or an IPv4 address"},
		{"bad allow", `{` + keys + `, "access": "tcp/22", "allow_ip": "me"}`, "spa.allow_ip"},
		{"port", `{` + keys + `, "access": "tcp/22", "port": 70000}`, "spa.port: port 70000 is out of range"},
		{"user", `{` + keys + `, "access": "tcp/22", "user": "a:b"}`, "user name has a character fwknop does not allow"},
		{"unknown field", `{` + keys + `, "access": "tcp/22", "nat": "x"}`, `unknown field "nat"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseKnocker([]byte(spaJSONDoc(tt.spa)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), k) || strings.Contains(err.Error(), h) {
				t.Fatalf("error quotes a key: %v", err)
			}
		})
	}
	both := `{"version": 2, "profiles": [{"name": "fw", "host": "h", "steps": [{"proto": "tcp", "port": 1}], "spa": {` + keys + `, "access": "tcp/22"}}]}`
	if _, err := ParseKnocker([]byte(both)); err == nil || !strings.Contains(err.Error(), "steps or sends SPA, not both") {
		t.Fatalf("steps and spa: %v", err)
	}
}

func TestKnockStepsSPA(t *testing.T) {
	p := spaSample("fw")
	now := time.Unix(1_780_000_000, 0)
	steps, err := p.KnockSteps(now)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 1 || steps[0].Proto != knock.UDP || steps[0].Port != spa.DefaultPort || steps[0].Validate() != nil {
		t.Fatalf("steps %v", steps)
	}
	m, err := spa.Decode(testSPAKeys, steps[0].Payload.Data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Access != "tcp/22" || m.AllowIP != netip.MustParseAddr("198.51.100.4") || !m.Time.Equal(now) || m.User != "alice" || m.Type != spa.AccessMsg {
		t.Fatalf("packet asks for %+v", m)
	}
	again, _ := p.KnockSteps(now)
	if bytes.Equal(again[0].Payload.Data, steps[0].Payload.Data) {
		t.Fatal("two knocks sent the same packet: fwknopd would refuse the second as a replay")
	}

	p.SPA.Port, p.SPA.AllowIP, p.SPA.User = 40001, netip.Addr{}, ""
	steps, _ = p.KnockSteps(now)
	m, err = spa.Decode(testSPAKeys, steps[0].Payload.Data)
	if err != nil || steps[0].Port != 40001 || m.AllowIP != netip.IPv4Unspecified() || m.User != spa.DefaultUser() {
		t.Fatalf("port %d, message %+v, %v", steps[0].Port, m, err)
	}

	p.SPA.Keys = SPAKeys{}
	if _, err := p.KnockSteps(now); err == nil || !strings.Contains(err.Error(), "keys were not read") {
		t.Fatalf("without keys: %v", err)
	}
}

// TestSPARetrySendsAFreshPacket: when the check after an SPA knock fails
// and Knocker tries again, the second datagram is a new packet, which
// fwknopd would accept, not the first again, which it drops as a replay.
func TestSPARetrySendsAFreshPacket(t *testing.T) {
	book, _ := newTestBook(t)
	router := testnet.ListenUDP(t)
	p := spaSample("fw")
	p.Host = "127.0.0.1"
	p.SPA.Port = uint16(router.LocalAddr().(*net.UDPAddr).Port)
	// A port nothing listens on: the check fails at once, with a reset.
	p.Verify = &Verify{Port: testnet.FreePort(t), Timeout: time.Second, Retries: 1}
	if err := book.Add(t.Context(), []Profile{p}); err != nil {
		t.Fatal(err)
	}
	res, err := book.Knock(t.Context(), p, knock.Hooks{}, nil)
	if !errors.As(err, new(*knock.NotOpenError)) || res.Attempts != 2 {
		t.Fatalf("err = %v after %d attempts, want the port still closed after 2", err, res.Attempts)
	}
	var packets [][]byte
	for range 2 {
		buf := make([]byte, spa.MaxPacket)
		_ = router.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := router.Read(buf)
		if err != nil {
			t.Fatalf("%d datagrams arrived: %v", len(packets), err)
		}
		if _, err := spa.Decode(testSPAKeys, buf[:n]); err != nil {
			t.Fatalf("datagram %d is not a valid packet: %v", len(packets)+1, err)
		}
		packets = append(packets, buf[:n])
	}
	if bytes.Equal(packets[0], packets[1]) {
		t.Fatal("the retry resent the first packet, which fwknopd drops as a replay")
	}
}

func TestKnockStepsSequence(t *testing.T) {
	p := sample("seq")
	if _, err := p.KnockSteps(time.Now()); err == nil || !strings.Contains(err.Error(), "no knock steps") {
		t.Fatalf("no steps: %v", err)
	}
	p.Steps = []knock.Step{{Proto: knock.TCP, Port: 22}}
	if steps, err := p.KnockSteps(time.Now()); err != nil || !reflect.DeepEqual(steps, p.Steps) {
		t.Fatalf("%v %v", steps, err)
	}
}

// TestSPAKeysStayHidden: no fmt verb on any value holding keys prints them,
// nor does a struct holding a profile in an unexported field.
func TestSPAKeysStayHidden(t *testing.T) {
	p := spaSample("fw")
	k, h := testSPAKeys.Base64()
	leaks := func(s string) bool {
		return strings.Contains(s, "KKKK") || strings.Contains(s, "4b4b4b") || strings.Contains(s, "75 75 75") ||
			strings.Contains(s, "[75") || strings.Contains(s, k) || strings.Contains(s, h) || strings.Contains(s, "HHHH")
	}
	values := []any{p, &p, p.SPA, *p.SPA, p.SPA.Keys, struct{ p Profile }{p}, struct{ s *SPA }{p.SPA}, []Profile{p}}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
			if s := fmt.Sprintf(verb, v); leaks(s) {
				t.Errorf("%s of %T prints a key: %s", verb, v, s)
			}
		}
	}
	if got := fmt.Sprint(p.SPA.Keys); got != "SPA keys (hidden)" {
		t.Errorf("Sprint = %q", got)
	}
	if got := fmt.Sprint(SPAKeys{}); got != "SPA keys (not loaded)" {
		t.Errorf("Sprint of none = %q", got)
	}
}

func TestSPASecretAndStore(t *testing.T) {
	p := spaSample("fw")
	v, err := EncodeSecret(&p)
	if err != nil {
		t.Fatal(err)
	}
	k, h := testSPAKeys.Base64()
	if v != `{"spa":{"key_base64":"`+k+`","hmac_key_base64":"`+h+`"}}` {
		t.Fatalf("secret value %s", v)
	}
	back := p.public()
	if err := DecodeSecret(v, &back); err != nil || !sameSPA(back.SPA, p.SPA) {
		t.Fatalf("DecodeSecret: %v %+v", err, back.SPA)
	}
	seq := sample("seq")
	for _, bad := range []struct {
		value string
		into  *Profile
	}{
		{`{"steps":[{"proto":"udp","port":1}]}`, &back},
		{`{"spa":{"key_base64":"` + k + `"}}`, &back},
		{`{"spa":{"key_base64":"` + k + `","hmac_key_base64":"` + h + `","access":"tcp/1"}}`, &back},
		{v, &seq},
	} {
		if err := DecodeSecret(bad.value, bad.into); err != errBadSecret {
			t.Errorf("DecodeSecret(%s) = %v, want errBadSecret", bad.value, err)
		}
	}

	s, _ := newTestStore(t)
	b := &Book{Store: s, Secrets: &secret.Memory{}}
	if err := b.Add(t.Context(), []Profile{p}); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(file, []byte(k)) || bytes.Contains(file, []byte(h)) || !bytes.Contains(file, []byte(`"access": "tcp/22"`)) {
		t.Fatalf("profiles.json:\n%s", file)
	}
	l, _ := b.List()
	if l.Profiles[0].SPA == nil || !l.Profiles[0].SPA.Keys.IsZero() {
		t.Fatalf("listed SPA part %+v", l.Profiles[0].SPA)
	}
	got, err := b.Get(t.Context(), "fw")
	if err != nil || !sameSPA(got.SPA, p.SPA) {
		t.Fatalf("Get: %v", err)
	}
	if l2, _ := b.List(); !l2.Profiles[0].SPA.Keys.IsZero() {
		t.Fatal("Get filled the keys into the listed profile")
	}
	keysInFile := bytes.Replace(file, []byte(`"access"`), []byte(`"key_base64": "`+k+`", "access"`), 1)
	if _, _, err := decodeList(keysInFile); err == nil || !strings.Contains(err.Error(), "profiles[0].spa: secrets do not belong") {
		t.Fatalf("keys in profiles.json: %v", err)
	}
}

func TestFwknopdAccess(t *testing.T) {
	p := spaSample("fw")
	p.Timeout = 90*time.Second + time.Millisecond
	out, err := p.FwknopdAccess()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "fwknopd-fixed-ip.golden", []byte(out))
	p.SPA.AllowIP, p.SPA.User, p.Timeout = netip.Addr{}, "", 0
	out, err = p.FwknopdAccess()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "fwknopd-source.golden", []byte(out))

	seq := sample("seq")
	if _, err := seq.FwknopdAccess(); err == nil || !strings.Contains(err.Error(), "not SPA") {
		t.Fatalf("sequence profile: %v", err)
	}
	p.SPA.Keys = SPAKeys{}
	if _, err := p.FwknopdAccess(); err == nil {
		t.Fatal("wrote a stanza without keys")
	}
}

// TestFwknopdReadsStanza has the Debian fwknopd parse the stanza (-D dumps
// its configuration and exits): the keys' lengths and the settings must come
// out as written.
func TestFwknopdReadsStanza(t *testing.T) {
	fwknopd, err := exec.LookPath("fwknopd")
	if err != nil {
		t.Skip("fwknopd is not installed (make test-deps installs fwknop-server)")
	}
	p := spaSample("fw")
	p.Timeout = time.Hour
	stanza, err := p.FwknopdAccess()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	access, conf := filepath.Join(dir, "access.conf"), filepath.Join(dir, "fwknopd.conf")
	for name, data := range map[string]string{access: stanza, conf: ""} {
		if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(fwknopd, "-c", conf, "-a", access, "-D").CombinedOutput()
	if err != nil {
		t.Fatalf("fwknopd -D: %v\n%s", err, out)
	}
	for _, want := range []string{"SOURCE (1):  ANY", "OPEN_PORTS:  tcp/22", "KEY_LEN:  32", "HMAC_KEY_LEN:  64",
		"FW_ACCESS_TIMEOUT:  3600", "REQUIRE_USERNAME:  alice", "REQUIRE_SOURCE_ADDRESS:  Yes"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("fwknopd did not read %q:\n%s", want, out)
		}
	}
}

func FuzzParseKnockerSPA(f *testing.F) {
	k, h := testSPAKeys.Base64()
	f.Add(k, h, "tcp/22", "source", 62201, "")
	f.Add(k, h, "tcp/22,udp/53", "10.0.0.1", 1, "bob")
	f.Add("AA==", "AQ==", "udp/1", "", 0, "x")
	f.Fuzz(func(t *testing.T, key, hmacKey, access, allow string, port int, user string) {
		obj := fmt.Sprintf(`{"key_base64": %q, "hmac_key_base64": %q, "access": %q, "allow_ip": %q, "port": %d, "user": %q}`,
			key, hmacKey, access, allow, port, user)
		data := []byte(spaJSONDoc(obj))
		var ps []Profile
		_, err := parseBounded(t, data, func() (Imported, error) {
			var err error
			ps, err = ParseKnocker(data)
			return Imported{}, err
		})
		if err != nil {
			return
		}
		checkImport(t, Imported{Profiles: ps}, nil)
		steps, err := ps[0].KnockSteps(time.Now())
		if err != nil {
			t.Fatalf("a valid SPA profile does not knock: %v", err)
		}
		if _, err := spa.Decode(ps[0].SPA.Keys.Keys(), steps[0].Payload.Data); err != nil {
			t.Fatalf("its packet does not decode: %v", err)
		}
	})
}
