package knock

import (
	"bytes"
	"strings"
	"testing"
)

func TestDecodePayload(t *testing.T) {
	tests := []struct {
		in     string
		enc    Encoding
		want   []byte
		errHas string
	}{
		{"test", Text, []byte("test"), ""},
		{"74657374", Hex, []byte("test"), ""},
		{"DEADbeef", Hex, []byte{0xde, 0xad, 0xbe, 0xef}, ""},
		{"dGVzdA==", Base64, []byte("test"), ""},
		{"dGVzdA", Base64, []byte("test"), ""},
		{"AP8=", Base64, []byte{0, 0xff}, ""},
		{"3", Size, []byte{0, 0, 0}, ""},
		{"0", Size, []byte{}, ""},
		{"", Text, nil, "empty payload"},
		{"", Hex, nil, "empty payload"},
		{"7", Hex, nil, "odd number"},
		{"0x74", Hex, nil, "not a hex digit"},
		{"dGVzdA=", Base64, nil, "not valid"},
		{"dGV zdA==", Base64, nil, "not valid"},
		{"-1", Size, nil, "0 for an empty packet"},
		{"1k", Size, nil, "whole number"},
		{"65508", Size, nil, "larger than one packet"},
	}
	for _, tt := range tests {
		t.Run(tt.enc.String()+":"+tt.in, func(t *testing.T) {
			p, err := DecodePayload(tt.in, tt.enc)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("error = %v, want %q", err, tt.errHas)
				}
				return
			}
			if err != nil || !bytes.Equal(p.Data, tt.want) || p.Encoding != tt.enc {
				t.Fatalf("DecodePayload = %x %v, %v; want %x", p.Data, p.Encoding, err, tt.want)
			}
		})
	}
}

func TestPayloadValueAndSpec(t *testing.T) {
	tests := []struct {
		p           Payload
		value, spec string
	}{
		{Payload{[]byte("test"), Text}, "test", "test"},
		{Payload{[]byte("hex:41"), Text}, "hex:41", "text:hex:41"},
		{Payload{[]byte("a:b"), Text}, "a:b", "a:b"},
		{Payload{[]byte("test"), Hex}, "74657374", "hex:74657374"},
		{Payload{[]byte{0xff}, Base64}, "/w==", "base64:/w=="},
		{Payload{make([]byte, 56), Size}, "56", "size:56"},
		{Payload{[]byte{}, Size}, "0", "size:0"},
	}
	for _, tt := range tests {
		if got := tt.p.Value(); got != tt.value {
			t.Errorf("Value() = %q, want %q", got, tt.value)
		}
		if got := tt.p.Spec(); got != tt.spec {
			t.Errorf("Spec() = %q, want %q", got, tt.spec)
		}
		back, err := DecodePayload(tt.p.Value(), tt.p.Encoding)
		if err != nil || !bytes.Equal(back.Data, tt.p.Data) {
			t.Errorf("Value %q does not decode back: %v", tt.value, err)
		}
	}
}

func TestParseEncoding(t *testing.T) {
	for _, e := range []Encoding{Text, Hex, Base64, Size} {
		got, err := ParseEncoding(e.String())
		if err != nil || got != e {
			t.Errorf("ParseEncoding(%q) = %v, %v", e.String(), got, err)
		}
	}
	if _, err := ParseEncoding("rot13"); err == nil {
		t.Fatal("ParseEncoding(rot13) must fail")
	}
}

func FuzzParsePayload(f *testing.F) {
	for _, seed := range []string{"test", "hex:7465", "base64:dGVzdA==", "size:8", "size:0", "text:hex:00", "hex:", "base64:=", "size:-1", "a:b:c"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		p, err := ParsePayload(spec)
		if err != nil {
			return
		}
		if len(p.Data) == 0 && p.Encoding != Size || len(p.Data) > MaxPayload {
			t.Fatalf("ParsePayload(%q) accepted %d bytes", spec, len(p.Data))
		}
		back, err := ParsePayload(p.Spec())
		if err != nil || !bytes.Equal(back.Data, p.Data) || back.Encoding != p.Encoding {
			t.Fatalf("Spec() %q of %q does not round-trip: %v", p.Spec(), spec, err)
		}
	})
}
