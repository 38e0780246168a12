package knock

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestParseStep(t *testing.T) {
	tests := []struct {
		spec   string
		def    Proto
		proto  Proto
		port   uint16
		data   string
		enc    Encoding
		errHas string
	}{
		{spec: "1234:udp=test", def: TCP, proto: UDP, port: 1234, data: "test", enc: Text},
		{spec: "22", def: TCP, proto: TCP, port: 22},
		{spec: "7000", def: UDP, proto: UDP, port: 7000, data: "\x00", enc: Size},
		{spec: "7000:udp", def: TCP, proto: UDP, port: 7000, data: "\x00", enc: Size},
		{spec: "7000:udp=size:0", def: TCP, proto: UDP, port: 7000, data: "", enc: Size},
		{spec: "icmp=size:0", def: TCP, proto: ICMP, data: "", enc: Size},
		{spec: "8000:tcp", def: UDP, proto: TCP, port: 8000},
		{spec: "8000:TCP", def: UDP, proto: TCP, port: 8000},
		{spec: "65535:udp", def: TCP, proto: UDP, port: 65535, data: "\x00", enc: Size},
		{spec: "1:udp=hex:7465", def: TCP, proto: UDP, port: 1, data: "te", enc: Hex},
		{spec: "1:udp=hex:7E7e", def: TCP, proto: UDP, port: 1, data: "~~", enc: Hex},
		{spec: "1:udp=base64:dGVzdA==", def: TCP, proto: UDP, port: 1, data: "test", enc: Base64},
		{spec: "1:udp=base64:dGVzdA", def: TCP, proto: UDP, port: 1, data: "test", enc: Base64},
		{spec: "1:udp=text:hex:41", def: TCP, proto: UDP, port: 1, data: "hex:41", enc: Text},
		{spec: "1:udp=user:pass", def: TCP, proto: UDP, port: 1, data: "user:pass", enc: Text},
		{spec: "1:udp=a=b", def: TCP, proto: UDP, port: 1, data: "a=b", enc: Text},
		{spec: "icmp", def: TCP, proto: ICMP},
		{spec: "ICMP=ping", def: TCP, proto: ICMP, data: "ping", enc: Text},
		{spec: "icmp=size:4", def: TCP, proto: ICMP, data: "\x00\x00\x00\x00", enc: Size},
		{spec: "1234=test", def: UDP, proto: UDP, port: 1234, data: "test", enc: Text},

		{spec: "0:udp", def: TCP, errHas: "port 0 is out of range"},
		{spec: "0", def: TCP, errHas: "port 0 is out of range"},
		{spec: "65536", def: TCP, errHas: "port 65536 is out of range"},
		{spec: "99999999999999999999999", def: TCP, errHas: "not a number"},
		{spec: "-1", def: TCP, errHas: "not a number"},
		{spec: "abc:udp", def: TCP, errHas: "not a number"},
		{spec: "", def: TCP, errHas: "missing port"},
		{spec: ":udp", def: TCP, errHas: "missing port"},
		{spec: "1234:sctp", def: TCP, errHas: "unknown protocol"},
		{spec: "1234:icmp", def: TCP, errHas: "ICMP has no ports"},
		{spec: "1234:udp=", def: TCP, errHas: "empty payload"},
		{spec: "1234:udp=hex:", def: TCP, errHas: "empty payload"},
		{spec: "1234:udp=hex:abc", def: TCP, errHas: "odd number of digits"},
		{spec: "1234:udp=hex:zz", def: TCP, errHas: "not a hex digit"},
		{spec: "1234:udp=base64:!!!!", def: TCP, errHas: "not valid standard base64"},
		{spec: "1234:udp=size:65508", def: TCP, errHas: "larger than one packet"},
		{spec: "1234:tcp=test", def: UDP, errHas: "TCP step cannot carry a payload"},
		{spec: "1234=test", def: TCP, errHas: "TCP step cannot carry a payload"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := ParseStep(tt.spec, tt.def)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("ParseStep(%q) error = %v, want one containing %q", tt.spec, err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseStep(%q): %v", tt.spec, err)
			}
			if s.Proto != tt.proto || s.Port != tt.port || string(s.Payload.Data) != tt.data {
				t.Fatalf("ParseStep(%q) = %v %d %q, want %v %d %q", tt.spec, s.Proto, s.Port, s.Payload.Data, tt.proto, tt.port, tt.data)
			}
			if s.Payload.Encoding != tt.enc {
				t.Fatalf("encoding = %v, want %v", s.Payload.Encoding, tt.enc)
			}
		})
	}
}

func TestParseStepLargestPayload(t *testing.T) {
	s, err := ParseStep("9:udp=size:65507", TCP)
	if err != nil || len(s.Payload.Data) != MaxPayload {
		t.Fatalf("a %d-byte payload must be accepted: %v", MaxPayload, err)
	}
	if _, err := ParseStep("9:udp="+strings.Repeat("x", MaxPayload+1), TCP); err == nil {
		t.Fatal("a text payload one byte over the limit must be refused")
	}
}

// Errors must not echo what was typed: a mistyped step is still a secret.
func TestParseStepErrorsHideInput(t *testing.T) {
	for _, spec := range []string{"secret:udp", "1234:secret", "1234:udp=hex:secretzz", "1234:udp=base64:secret!", "secret"} {
		_, err := ParseStep(spec, UDP)
		if err == nil {
			t.Fatalf("ParseStep(%q) must fail", spec)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("error for %q reveals the input: %v", spec, err)
		}
	}
}

func TestStepSpecRoundTrip(t *testing.T) {
	for _, spec := range []string{"1234:udp=test", "22:tcp", "icmp", "icmp=size:64", "9:udp=hex:00ff", "9:udp=base64:AAE=", "9:udp=text:size:3", "9:udp=a:b",
		"9:udp=size:0", "9:udp=size:1", "icmp=size:0"} {
		s, err := ParseStep(spec, TCP)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Spec(); got != spec {
			t.Errorf("Spec() = %q, want %q", got, spec)
		}
	}
}

// A bare UDP port is knock(1)'s datagram, one zero byte; a step saved with an
// empty payload before bare ports meant that keeps its empty datagram, and
// writing it back must not turn it into the zero byte.
func TestBareUDPStep(t *testing.T) {
	bare, err := ParseStep("7000", UDP)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bare.Payload.Data, []byte{0}) || bare.Spec() != "7000:udp=size:1" {
		t.Fatalf("bare UDP port = %x (%v), spec %q; want one zero byte", bare.Payload.Data, bare.Payload.Encoding, bare.Spec())
	}
	saved := Step{Proto: UDP, Port: 7000} // as loaded from a profile with no payload
	back, err := ParseStep(saved.Spec(), TCP)
	if err != nil || len(back.Payload.Data) != 0 {
		t.Fatalf("a saved empty UDP step wrote %q, which reads back as %x (%v)", saved.Spec(), back.Payload.Data, err)
	}
}

func TestStepSummaryHidesPayload(t *testing.T) {
	s, err := ParseStep("1234:udp=hunter2", TCP)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Summary(); got != "udp/1234 (7-byte payload)" {
		t.Fatalf("Summary() = %q", got)
	}
}

func TestParseFamily(t *testing.T) {
	for in, want := range map[string]Family{"auto": Auto, "4": IPv4, "ipv4": IPv4, "6": IPv6, "ipv6": IPv6, "prefer-ipv4": PreferIPv4, "prefer-ipv6": PreferIPv6} {
		got, err := ParseFamily(in)
		if err != nil || got != want {
			t.Errorf("ParseFamily(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, _ := ParseFamily(got.String()); back != want {
			t.Errorf("%v does not survive String/ParseFamily", want)
		}
	}
	if _, err := ParseFamily("ipv5"); err == nil || !strings.Contains(err.Error(), "not an address family") {
		t.Fatalf("ParseFamily(ipv5) error = %v", err)
	}
}

func FuzzParseStep(f *testing.F) {
	for _, seed := range []string{"1234:udp=test", "22", "icmp=size:64", "9:udp=hex:00ff", "1:tcp", "icmp=base64:AA==", "=", ":", "65536:udp", "1:udp=text:hex:1"} {
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, spec string, udp bool) {
		def := TCP
		if udp {
			def = UDP
		}
		s, err := ParseStep(spec, def)
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("ParseStep(%q) returned an invalid step: %v", spec, err)
		}
		back, err := ParseStep(s.Spec(), UDP)
		if err != nil {
			t.Fatalf("Spec() of %q = %q does not parse: %v", spec, s.Spec(), err)
		}
		if back.Proto != s.Proto || back.Port != s.Port || !bytes.Equal(back.Payload.Data, s.Payload.Data) || back.Payload.Encoding != s.Payload.Encoding {
			t.Fatalf("round trip of %q changed the step: %+v -> %+v", spec, s, back)
		}
	})
}

// A step or payload printed by mistake, with any verb, shows sizes only.
func TestPrintingHidesPayload(t *testing.T) {
	s, err := ParseStep("1234:udp=hunter2", TCP)
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d", "%q"} {
		for _, v := range []any{s, []Step{s}, s.Payload, &s} {
			out := fmt.Sprintf(verb, v)
			if strings.Contains(out, "hunter2") || strings.Contains(out, "68756e74657232") || strings.Contains(out, "104 117") {
				t.Errorf("%s of %T reveals the payload: %s", verb, v, out)
			}
		}
	}
}
