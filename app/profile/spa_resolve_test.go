package profile

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/app/secret"
	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/spa"
)

// The three things a packet can ask fwknopd to allow travel through
// profiles.json and the interchange JSON; only the looked-up one needs
// format version 4, so files without it stay readable by older builds.
func TestSPAAllowModesInterchange(t *testing.T) {
	k, h := testSPAKeys.Base64()
	keys := `"key_base64": "` + k + `", "hmac_key_base64": "` + h + `"`
	tests := []struct {
		name, allow, version string
		want                 SPA
	}{
		{"source", `"allow_ip": "source"`, `"version": 2`, SPA{}},
		{"given", `"allow_ip": "198.51.100.4"`, `"version": 2`, SPA{AllowIP: netip.MustParseAddr("198.51.100.4")}},
		{"resolve", `"allow_ip": "resolve", "resolve_url": "https://myip.example.org/plain"`, `"version": 4`, SPA{ResolveURL: "https://myip.example.org/plain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := ParseKnocker([]byte(spaJSONDoc(`{` + keys + `, "access": "tcp/22", ` + tt.allow + `}`)))
			if err != nil {
				t.Fatal(err)
			}
			got := ps[0].SPA
			if got.AllowIP != tt.want.AllowIP || got.ResolveURL != tt.want.ResolveURL {
				t.Fatalf("read %+v", got)
			}
			out, err := Export(ps, WithoutSecrets)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(out, []byte(tt.version+",")) || !bytes.Contains(out, []byte(strings.ReplaceAll(tt.allow, `", "`, "\",\n        \""))) {
				t.Fatalf("export:\n%s", out)
			}
		})
	}
	for _, bad := range []struct{ allow, want string }{
		{`"allow_ip": "resolve"`, `spa.resolve_url: missing: allow_ip "resolve" needs the https URL`},
		{`"allow_ip": "resolve", "resolve_url": "http://myip.example.org/"`, "spa.resolve_url: must start with https://"},
		{`"allow_ip": "source", "resolve_url": "https://myip.example.org/"`, `spa.resolve_url: given, but allow_ip is not "resolve"`},
		{`"allow_ip": "0.0.0.0"`, "spa.allow_ip: want"},
	} {
		_, err := ParseKnocker([]byte(spaJSONDoc(`{` + keys + `, "access": "tcp/22", ` + bad.allow + `}`)))
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want %q", bad.allow, err, bad.want)
		}
	}
}

// A profiles.json with a looked-up address is version 4, which older
// builds refuse (and so never overwrite); removing the lookup writes an
// older version again.
func TestSPAResolveStoreVersion(t *testing.T) {
	s, _ := newTestStore(t)
	b := &Book{Store: s, Secrets: &secret.Memory{}}
	p := spaSample("roaming")
	p.SPA.AllowIP, p.SPA.ResolveURL = netip.Addr{}, "https://myip.example.org/plain"
	if err := b.Add(t.Context(), []Profile{p}); err != nil {
		t.Fatal(err)
	}
	file, _ := os.ReadFile(s.Path())
	if !bytes.Contains(file, []byte(`"version": 4`)) || !bytes.Contains(file, []byte(`"resolve_url": "https://myip.example.org/plain"`)) {
		t.Fatalf("profiles.json:\n%s", file)
	}
	got, err := b.Get(t.Context(), "roaming")
	if err != nil || got.SPA.ResolveURL != p.SPA.ResolveURL || got.SPA.AllowIP.IsValid() {
		t.Fatalf("Get: %v %+v", err, got.SPA)
	}
	if err := s.Update(func(l *List) error {
		l.Profiles[0].SPA.ResolveURL = ""
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if file, _ = os.ReadFile(s.Path()); !bytes.Contains(file, []byte(`"version": 2`)) {
		t.Fatalf("without the lookup, profiles.json:\n%s", file)
	}
}

func TestSPAResolveValidate(t *testing.T) {
	p := spaSample("fw")
	p.SPA.ResolveURL = "https://myip.example.org/"
	if err := p.validate(); err == nil || !strings.Contains(err.Error(), "spa.allow_ip: an address to allow and a lookup URL both given") {
		t.Fatalf("both: %v", err)
	}
	p.SPA.AllowIP = netip.Addr{}
	p.SPA.ResolveURL = "ftp://myip.example.org/"
	if err := p.validate(); err == nil || !strings.Contains(err.Error(), "spa.resolve_url: must start with https://") {
		t.Fatalf("ftp: %v", err)
	}
	// Not looked up: never a 0.0.0.0 packet in its place.
	p.SPA.ResolveURL = "https://myip.example.org/"
	if _, err := p.KnockSteps(time.Now()); err == nil || !strings.Contains(err.Error(), "not looked up") {
		t.Fatalf("KnockSteps without a lookup: %v", err)
	}
	out, err := p.FwknopdAccess()
	if err != nil || !strings.Contains(out, "REQUIRE_SOURCE_ADDRESS  Y") {
		t.Fatalf("access.conf for a looked-up address:\n%s", out)
	}
}

// Book.Knock looks the address up over HTTPS (a real TLS server on
// loopback) and sends a packet that carries it; fwknopd's decoder reads it.
// A failed lookup sends nothing.
func TestBookKnockResolvesAddress(t *testing.T) {
	reply := "198.51.100.77\n"
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/myip" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(reply))
	}))
	defer srv.Close()
	ln, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	s, _ := newTestStore(t)
	b := &Book{Store: s, Secrets: &secret.Memory{}, HTTP: srv.Client()}
	p := spaSample("roaming")
	p.Host, p.Verify = "127.0.0.1", nil
	p.SPA.Port = uint16(ln.LocalAddr().(*net.UDPAddr).Port)
	p.SPA.AllowIP, p.SPA.ResolveURL = netip.Addr{}, srv.URL+"/myip"
	if err := b.Add(t.Context(), []Profile{p}); err != nil {
		t.Fatal(err)
	}
	saved, err := b.Get(t.Context(), "roaming")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Knock(t.Context(), saved, knock.Hooks{}, nil); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	ln.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := ln.ReadFromUDP(buf)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := spa.Decode(testSPAKeys, buf[:n])
	if err != nil || msg.AllowIP != netip.MustParseAddr("198.51.100.77") || msg.Access != "tcp/22" {
		t.Fatalf("packet: %v %+v", err, msg)
	}

	reply = "<html>no address here</html>"
	_, err = b.Knock(t.Context(), saved, knock.Hooks{}, nil)
	if err == nil || !strings.Contains(err.Error(), `profile "roaming": looking up the public address at 127.0.0.1`) {
		t.Fatalf("bad reply: %v", err)
	}
	ln.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, _, err := ln.ReadFromUDP(buf); err == nil {
		t.Fatal("a packet was sent although the lookup failed")
	}
}

// .fwknoprc's ALLOW_IP resolve and RESOLVE_URL import as fwknop reads them.
func TestFwknoprcResolve(t *testing.T) {
	stanza := "[s]\nSPA_SERVER h\nACCESS tcp/22\n" + rcKeyLines
	tests := []struct {
		lines, url, allow, warn, err string
	}{
		{lines: "ALLOW_IP resolve\nRESOLVE_URL https://myip.example.org/plain\n", url: "https://myip.example.org/plain"},
		{lines: "RESOLVE_URL https://myip.example.org/plain\n", url: "https://myip.example.org/plain"}, // a URL alone turns it on
		{lines: "ALLOW_IP resolve\n", url: spa.FwknopResolveURL, warn: "fwknop's own service"},
		{lines: "RESOLVE_IP_HTTPS Y\n", url: spa.FwknopResolveURL, warn: "fwknop's own service"},
		{lines: "RESOLVE_IP_HTTP Y\n", url: spa.FwknopResolveURL, warn: "fwknop's own service"},
		// An address, or "source", wins over a lookup, as in fwknop.
		{lines: "RESOLVE_IP_HTTPS Y\nALLOW_IP 198.51.100.4\n", allow: "198.51.100.4"},
		{lines: "ALLOW_IP source\nRESOLVE_URL https://myip.example.org/plain\n"},
		{lines: "RESOLVE_IP_HTTPS N\n", warn: "no ALLOW_IP"},
		{lines: "ALLOW_IP resolve\nRESOLVE_URL http://myip.example.org/\n", err: "RESOLVE_URL: must start with https://"},
		{lines: "ALLOW_IP resolve\nRESOLVE_HTTP_ONLY Y\n", err: "RESOLVE_HTTP_ONLY: fwknop looks the address up over plain HTTP"},
	}
	for _, tt := range tests {
		t.Run(tt.lines, func(t *testing.T) {
			imp, err := ParseFwknoprc([]byte(stanza + tt.lines))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := imp.Profiles[0].SPA
			if s.ResolveURL != tt.url || s.AllowIP.IsValid() != (tt.allow != "") || tt.allow != "" && s.AllowIP.String() != tt.allow {
				t.Fatalf("read %+v", s)
			}
			if got := strings.Join(imp.Warnings, "\n"); tt.warn != "" && !strings.Contains(got, tt.warn) || tt.warn == "" && got != "" {
				t.Fatalf("warnings %q, want %q", got, tt.warn)
			}
		})
	}
}
