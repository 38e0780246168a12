package spa

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// testKeys are fixed so packets are reproducible; never used outside tests.
var testKeys = Keys{
	Rijndael: []byte("0123456789abcdef0123456789abcdef"),
	HMAC:     []byte("an HMAC key of any length up to 128 bytes"),
}

// fixedRand gives the same "random" bytes on every run.
func fixedRand() *rand.ChaCha8 { return rand.NewChaCha8([32]byte{'k', 'n', 'o', 'c', 'k'}) }

var goldenTime = time.Unix(1795600000, 0)

const goldenFile = "testdata/golden.txt"

// TestBuildGolden pins the encoder's output for fixed randomness, so any
// change to the wire format shows up here (go test -update rewrites it after
// the change was checked against fwknopd in e2e).
func TestBuildGolden(t *testing.T) {
	req := Request{User: "alice", Access: "tcp/22", AllowIP: netip.MustParseAddr("203.0.113.9"), Time: goldenTime}
	pkt, err := Build(testKeys, req, fixedRand())
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(goldenFile, append(pkt, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(pkt) != strings.TrimSpace(string(want)) {
		t.Errorf("Build:\n got %s\nwant %s", pkt, want)
	}
	m, err := Decode(testKeys, pkt)
	if err != nil {
		t.Fatal(err)
	}
	wantMsg := Message{Random: m.Random, User: "alice", Time: goldenTime, Version: Version, Type: AccessMsg, AllowIP: req.AllowIP, Access: "tcp/22"}
	if *m != wantMsg {
		t.Errorf("Decode:\n got %+v\nwant %+v", *m, wantMsg)
	}
}

func TestBuildDecode(t *testing.T) {
	tests := []struct {
		name string
		keys Keys // testKeys if unset
		req  Request
		want Message
	}{
		{
			name: "source address",
			req:  Request{User: "bob", Access: "tcp/22"},
			want: Message{User: "bob", Type: AccessMsg, AllowIP: netip.IPv4Unspecified(), Access: "tcp/22"},
		},
		{
			name: "explicit address, ports list",
			req:  Request{User: "bob", Access: "tcp/22,udp/53,tcp/65535", AllowIP: netip.MustParseAddr("192.0.2.7")},
			want: Message{User: "bob", Type: AccessMsg, AllowIP: netip.MustParseAddr("192.0.2.7"), Access: "tcp/22,udp/53,tcp/65535"},
		},
		{
			name: "IPv4 in IPv6 form",
			req:  Request{User: "bob", Access: "udp/1194", AllowIP: netip.MustParseAddr("::ffff:192.0.2.7")},
			want: Message{User: "bob", Type: AccessMsg, AllowIP: netip.MustParseAddr("192.0.2.7"), Access: "udp/1194"},
		},
		{
			name: "client timeout",
			req:  Request{User: "bob", Access: "tcp/22", Timeout: time.Hour},
			want: Message{User: "bob", Type: ClientTimeoutAccessMsg, AllowIP: netip.IPv4Unspecified(), Access: "tcp/22", Timeout: time.Hour},
		},
		{
			name: "longest user, odd characters",
			req:  Request{User: strings.Repeat("x", MaxUser-4) + " .@~", Access: "tcp/22"},
			want: Message{User: strings.Repeat("x", MaxUser-4) + " .@~", Type: AccessMsg, AllowIP: netip.IPv4Unspecified(), Access: "tcp/22"},
		},
		{
			name: "one-byte keys",
			keys: Keys{Rijndael: []byte{0}, HMAC: []byte{1}},
			req:  Request{User: "bob", Access: "tcp/22"},
			want: Message{User: "bob", Type: AccessMsg, AllowIP: netip.IPv4Unspecified(), Access: "tcp/22"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := tt.keys
			if keys.Rijndael == nil {
				keys = testKeys
			}
			tt.req.Time = goldenTime
			pkt, err := Build(keys, tt.req, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(pkt) < MinPacket || len(pkt) > MaxPacket {
				t.Errorf("packet of %d bytes", len(pkt))
			}
			if bytes.HasPrefix(pkt, []byte(b64SaltedPrefix)) || bytes.ContainsAny(pkt, "=\n") {
				t.Errorf("packet is not in wire form: %s", pkt)
			}
			got, err := Decode(keys, pkt)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Random, tt.want.Time, tt.want.Version = got.Random, goldenTime, Version
			if *got != tt.want {
				t.Errorf("Decode:\n got %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestBuildDefaults(t *testing.T) {
	before := time.Now().Truncate(time.Second)
	a, err := Build(testKeys, Request{Access: "tcp/22"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Build(testKeys, Request{Access: "tcp/22"}, nil)
	if bytes.Equal(a, b) {
		t.Error("two packets for the same request are identical")
	}
	m, err := Decode(testKeys, a)
	if err != nil {
		t.Fatal(err)
	}
	if m.User != DefaultUser() || m.User == "" {
		t.Errorf("user %q, want DefaultUser() %q", m.User, DefaultUser())
	}
	if m.Time.Before(before) || m.Time.After(time.Now()) {
		t.Errorf("time %v is not now", m.Time)
	}
}

func TestBuildErrors(t *testing.T) {
	ok := Request{User: "bob", Access: "tcp/22"}
	with := func(f func(*Request)) Request { r := ok; f(&r); return r }
	tests := []struct {
		name string
		keys Keys
		req  Request
		want string
	}{
		{"no Rijndael key", Keys{HMAC: testKeys.HMAC}, ok, "(Rijndael) key of 0 bytes"},
		{"long Rijndael key", Keys{Rijndael: make([]byte, 33), HMAC: testKeys.HMAC}, ok, "(Rijndael) key of 33 bytes"},
		{"no HMAC key", Keys{Rijndael: testKeys.Rijndael}, ok, "HMAC key of 0 bytes"},
		{"long HMAC key", Keys{Rijndael: testKeys.Rijndael, HMAC: make([]byte, 129)}, ok, "HMAC key of 129 bytes"},
		{"same keys", Keys{Rijndael: testKeys.Rijndael, HMAC: testKeys.Rijndael}, ok, "identical"},
		{"long user", testKeys, with(func(r *Request) { r.User = strings.Repeat("u", MaxUser+1) }), "user name of 49 bytes"},
		{"colon in user", testKeys, with(func(r *Request) { r.User = "a:b" }), "position 2"},
		{"non-ASCII user", testKeys, with(func(r *Request) { r.User = "é" }), "position 1"},
		{"no access", testKeys, with(func(r *Request) { r.Access = "" }), "empty access"},
		{"port 0", testKeys, with(func(r *Request) { r.Access = "tcp/0" }), "1-65535"},
		{"port too big", testKeys, with(func(r *Request) { r.Access = "tcp/65536" }), "1-65535"},
		{"leading zero", testKeys, with(func(r *Request) { r.Access = "tcp/022" }), "1-65535"},
		{"upper case", testKeys, with(func(r *Request) { r.Access = "TCP/22" }), "want tcp/PORT"},
		{"icmp", testKeys, with(func(r *Request) { r.Access = "icmp/1" }), "want tcp/PORT"},
		{"space", testKeys, with(func(r *Request) { r.Access = "tcp/22, udp/53" }), "want tcp/PORT"},
		{"trailing comma", testKeys, with(func(r *Request) { r.Access = "tcp/22," }), "want tcp/PORT"},
		{"IPv6", testKeys, with(func(r *Request) { r.AllowIP = netip.MustParseAddr("2001:db8::1") }), "IPv4 addresses only"},
		{"sub-second timeout", testKeys, with(func(r *Request) { r.Timeout = 1500 * time.Millisecond }), "whole seconds"},
		{"negative timeout", testKeys, with(func(r *Request) { r.Timeout = -time.Second }), "whole seconds"},
		{"time before 1970", testKeys, with(func(r *Request) { r.Time = time.Unix(-1, 0) }), "before 1970"},
		{"huge timeout", testKeys, with(func(r *Request) { r.Timeout = (MaxTimeout + 1) * time.Second }), "whole seconds"},
		// 13 ports of five digits take one cipher block more than fwknop
		// reads as Rijndael (the 12-port case decodes in fwknop_test.go).
		{"too long for rijndael", testKeys, with(func(r *Request) {
			r.User = "grace"
			r.AllowIP = netip.MustParseAddr("10.0.0.1")
			r.Access = manyPorts + ",tcp/10013"
		}), "GnuPG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkt, err := Build(tt.keys, tt.req, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build: %v (%d bytes), want an error with %q", err, len(pkt), tt.want)
			}
			if pkt != nil {
				t.Error("a packet came with the error")
			}
		})
	}
	t.Run("largest that fits", func(t *testing.T) {
		req := Request{User: "grace", AllowIP: netip.MustParseAddr("10.0.0.1"), Access: manyPorts}
		if _, err := Build(testKeys, req, nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("randomness fails", func(t *testing.T) {
		broken := errors.New("no entropy")
		// The digits take the first 32 bytes, the salt the next 8.
		for _, n := range []int{0, 31, 32, 39} {
			r := io.MultiReader(bytes.NewReader(make([]byte, n)), iotest.ErrReader(broken))
			if _, err := Build(testKeys, ok, r); !errors.Is(err, broken) {
				t.Fatalf("after %d bytes: error %v, want the reader's", n, err)
			}
		}
	})
}

// TestKeysStayHidden checks that keys print as sizes only and that no error
// quotes them.
func TestKeysStayHidden(t *testing.T) {
	keys := Keys{Rijndael: []byte("RIJNDAEL-SECRET-MATERIAL"), HMAC: []byte("HMAC-SECRET-MATERIAL")}
	r64, h64 := keys.Base64()
	leaks := func(s string) bool {
		for _, secret := range []string{"SECRET", r64, h64, fmt.Sprint(keys.Rijndael), fmt.Sprintf("%x", keys.HMAC)} {
			if strings.Contains(s, secret) {
				return true
			}
		}
		return false
	}
	// Every verb prints the description, %d and %b included, which
	// without a Format method would print the bytes.
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%08d", "%o", "%b", "%c", "%U", "% x", "%e"} {
		if s := fmt.Sprintf(verb, keys); s != keys.String() || leaks(s) {
			t.Errorf("%s prints %s", verb, s)
		}
		if s := fmt.Sprintf(verb, &keys); s != keys.String() || leaks(s) {
			t.Errorf("%s of a pointer prints %s", verb, s)
		}
	}
	if s := fmt.Sprintf("%d", []Keys{keys}); leaks(s) {
		t.Errorf("%%d of a slice of keys prints them: %s", s)
	}
	// fmt only asks exported fields for their String method.
	if s := fmt.Sprintf("%+v", struct{ Keys Keys }{keys}); leaks(s) {
		t.Errorf("a struct holding keys prints them: %s", s)
	}
	if got := keys.String(); got != "spa.Keys{Rijndael: 24 bytes, HMAC: 20 bytes}" {
		t.Errorf("String() = %s", got)
	}
	for _, in := range [][2]string{{"not base64 SECRET", h64}, {r64, "SECRET!!"}, {r64, r64}} {
		if _, err := ParseKeys(in[0], in[1]); err == nil || leaks(err.Error()) {
			t.Errorf("ParseKeys error %v", err)
		}
	}
	pkt, _ := Build(keys, Request{User: "bob", Access: "tcp/22"}, nil)
	wrong := Keys{Rijndael: keys.HMAC, HMAC: keys.Rijndael}
	if _, err := Decode(wrong, pkt); err == nil || leaks(err.Error()) {
		t.Errorf("Decode error %v", err)
	}
}

func TestParseKeys(t *testing.T) {
	k, err := ParseKeys(" "+genKey+"\n", genHMAC)
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Rijndael) != 32 || len(k.HMAC) != 64 {
		t.Errorf("key sizes %v", k)
	}
	if r, h := k.Base64(); r != genKey || h != genHMAC {
		t.Errorf("Base64() = %s %s", r, h)
	}
	if _, err := ParseKeys(base64.StdEncoding.EncodeToString(make([]byte, 33)), genHMAC); err == nil {
		t.Error("a 33-byte Rijndael key was accepted")
	}
	if _, err := ParseKeys("", genHMAC); err == nil {
		t.Error("an empty Rijndael key was accepted")
	}
}

func TestGenerateKeys(t *testing.T) {
	a, err := GenerateKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateKeys(nil)
	if len(a.Rijndael) != 32 || len(a.HMAC) != 64 || a.Validate() != nil {
		t.Errorf("GenerateKeys() = %v", a)
	}
	if bytes.Equal(a.Rijndael, b.Rijndael) || bytes.Equal(a.HMAC, b.HMAC) {
		t.Error("two generated keys are identical")
	}
	if _, err := GenerateKeys(bytes.NewReader(make([]byte, 95))); err == nil {
		t.Error("a short reader made keys")
	}
}

func TestRandomDigits(t *testing.T) {
	// Bytes of 250 and up would bias the digits and must be skipped.
	src := append(bytes.Repeat([]byte{250, 255}, 8), []byte{9, 19, 0, 249, 10, 21, 32, 43, 54, 65, 76, 87, 98, 109, 120, 131}...)
	d, err := randomDigits(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(d[:]); got != "9909012345678901" {
		t.Errorf("digits %s", got)
	}
}

// sealPlain encrypts and authenticates arbitrary plaintext as Build would,
// to reach the field parser with data Build never makes.
func sealPlain(t testing.TB, plain string) []byte {
	t.Helper()
	pkt, err := seal(testKeys, []byte(plain), fixedRand())
	if err != nil {
		t.Fatal(err)
	}
	return pkt
}

func withDigest(fields string) string { return string(appendDigest([]byte(fields))) }

func TestDecodeFields(t *testing.T) {
	b64 := func(s string) string { return base64.RawStdEncoding.EncodeToString([]byte(s)) }
	head := "1234567890123456:" + b64("bob") + ":1795600000:" + Version
	msg := b64("10.0.0.1,tcp/22")
	good := []struct {
		name, fields string
		check        func(*Message) bool
	}{
		{"server auth", head + ":1:" + msg + ":" + b64("crypt,pw"), func(m *Message) bool { return m.ServerAuth == "crypt,pw" }},
		{"nat, server auth, timeout", head + ":4:" + msg + ":" + b64("192.168.1.5,22") + ":" + b64("crypt,pw") + ":60",
			func(m *Message) bool {
				return m.NATAccess == "192.168.1.5,22" && m.ServerAuth == "crypt,pw" && m.Timeout == time.Minute
			}},
		{"local nat", head + ":5:" + msg + ":" + b64("127.0.0.1,2222"), func(m *Message) bool { return m.Type == LocalNATAccessMsg }},
		{"largest timeout", head + ":3:" + msg + ":65536", func(m *Message) bool { return m.Timeout == MaxTimeout*time.Second }},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode(testKeys, sealPlain(t, withDigest(tt.fields)))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(m) {
				t.Errorf("Decode: %+v", *m)
			}
		})
	}

	bad := []struct{ name, plain, want string }{
		{"no colon", strings.Repeat("x", 100), "no fields"},
		{"bad digest", head + ":1:" + msg + ":" + strings.Repeat("A", 43), "digest does not match"},
		{"md5 digest", head + ":1:" + msg + ":" + strings.Repeat("A", 22), "only SHA-256"},
		{"five fields", withDigest(head + ":1"), "5 fields"},
		{"short random", withDigest("123:" + b64("bob") + ":1:3.0.0:1:" + msg), "16 digits"},
		{"letters in random", withDigest("123456789012345x:" + b64("bob") + ":1:3.0.0:1:" + msg), "16 digits"},
		{"padded user", withDigest("1234567890123456:" + base64.StdEncoding.EncodeToString([]byte("bo")) + ":1:3.0.0:1:" + msg), "user field"},
		{"empty user", withDigest("1234567890123456::1:3.0.0:1:" + msg), "user field"},
		{"forbidden user", withDigest("1234567890123456:" + b64("a|b") + ":1:3.0.0:1:" + msg), "user name"},
		{"bad time", withDigest("1234567890123456:" + b64("bob") + ":-5:3.0.0:1:" + msg), "Unix time"},
		{"no version", withDigest("1234567890123456:" + b64("bob") + ":1::1:" + msg), "version"},
		{"type 7", withDigest(head + ":7:" + msg), "message type"},
		{"type word", withDigest(head + ":x:" + msg), "message type"},
		{"no address", withDigest(head + ":1:" + b64("tcp/22")), "IPv4 address"},
		{"IPv6 address", withDigest(head + ":1:" + b64("::1,tcp/22")), "IPv4 address"},
		{"bad access", withDigest(head + ":1:" + b64("10.0.0.1,tcp/x")), "port must be"},
		{"nat without field", withDigest(head + ":2:" + msg), "NAT access field"},
		{"timeout without field", withDigest(head + ":3:" + msg), "timeout field"},
		{"timeout too big", withDigest(head + ":3:" + msg + ":65537"), "client timeout"},
		{"timeout word", withDigest(head + ":3:" + msg + ":soon"), "client timeout"},
		{"extra fields", withDigest(head + ":1:" + msg + ":" + b64("a") + ":" + b64("b")), "more than message type 1"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode(testKeys, sealPlain(t, tt.plain))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode = %+v, %v; want an error with %q", m, err, tt.want)
			}
		})
	}
}

func TestDecodePacketErrors(t *testing.T) {
	pkt, err := Build(testKeys, Request{User: "bob", Access: "tcp/22", Time: goldenTime}, fixedRand())
	if err != nil {
		t.Fatal(err)
	}
	other, _ := GenerateKeys(fixedRand())
	flip := func(i int) []byte {
		p := bytes.Clone(pkt)
		p[i] ^= 'A' ^ 'B'
		return p
	}
	tests := []struct {
		name string
		keys Keys
		pkt  []byte
		want error
		msg  string
	}{
		{"wrong HMAC key", Keys{Rijndael: testKeys.Rijndael, HMAC: other.HMAC}, pkt, ErrHMAC, ""},
		{"wrong Rijndael key", Keys{Rijndael: other.Rijndael, HMAC: testKeys.HMAC}, pkt, ErrDecrypt, ""},
		{"altered ciphertext", testKeys, flip(20), ErrHMAC, ""},
		{"altered HMAC", testKeys, flip(len(pkt) - 5), ErrHMAC, ""},
		{"truncated", testKeys, pkt[:len(pkt)-1], ErrHMAC, ""},
		{"too short", testKeys, pkt[:MinPacket-1], nil, "fwknopd accepts 140-1500"},
		{"tiny", testKeys, pkt[:10], nil, "too short"},
		{"prefix sent", testKeys, append([]byte(b64SaltedPrefix), pkt...), nil, "Salted__"},
		{"gpg length", testKeys, bytes.Repeat([]byte("A"), 500), nil, "GnuPG"},
		{"bad keys", Keys{}, pkt, nil, "(Rijndael) key of 0 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode(tt.keys, tt.pkt)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Decode = %+v, %v; want %v %q", m, err, tt.want, tt.msg)
			}
		})
	}
	// Valid HMACs over broken ciphertext reach the decryption checks.
	forge := func(b64 string) []byte {
		full := b64SaltedPrefix + b64
		return []byte(b64 + base64.RawStdEncoding.EncodeToString(mac(testKeys.HMAC, []byte(full))))
	}
	// encrypt is seal without the padding, to make what seal never would.
	encrypt := func(body []byte) []byte {
		salt := []byte("saltsalt")
		key, iv := deriveKeyIV(testKeys.Rijndael, salt)
		block, _ := aes.NewCipher(key)
		ct := bytes.Clone(body)
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, ct)
		return forge(base64.RawStdEncoding.EncodeToString(append([]byte(saltedPrefix+"saltsalt"), ct...))[len(b64SaltedPrefix):])
	}
	padded := func(tail ...byte) []byte { return append(make([]byte, 96-len(tail)), tail...) }
	body := pkt[:len(pkt)-hmacLen]
	for name, tt := range map[string]struct {
		pkt  []byte
		want string
	}{
		"not base64":         {forge(string(body[:len(body)-2]) + "!!"), "not valid base64"},
		"no Salted__":        {forge("X" + string(body[1:])), "Salted__ header"},
		"partial block":      {forge(string(body[:len(body)-4])), "whole AES blocks"},
		"zero padding":       {encrypt(padded(0)), "wrong Rijndael key"},
		"padding over block": {encrypt(padded(17)), "wrong Rijndael key"},
		"uneven padding":     {encrypt(padded(1, 2)), "wrong Rijndael key"},
		"good padding":       {encrypt(padded(2, 2)), "no fields"},
	} {
		t.Run(name, func(t *testing.T) {
			m, err := Decode(testKeys, tt.pkt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode = %+v, %v; want an error with %q", m, err, tt.want)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	pkt, _ := Build(testKeys, Request{User: "bob", Access: "tcp/22", Time: goldenTime}, fixedRand())
	f.Add(pkt)
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte("A"), MinPacket))
	f.Fuzz(func(t *testing.T, pkt []byte) {
		m, err := Decode(testKeys, pkt)
		if err == nil {
			checkDecoded(t, m)
		}
	})
}

// FuzzDecodeSealed reaches the field parser, which random packets cannot:
// they never carry a valid HMAC.
func FuzzDecodeSealed(f *testing.F) {
	b64 := func(s string) string { return base64.RawStdEncoding.EncodeToString([]byte(s)) }
	head := "1234567890123456:" + b64("bob") + ":1795600000:" + Version
	f.Add(head+":1:"+b64("10.0.0.1,tcp/22"), true)
	f.Add(head+":4:"+b64("0.0.0.0,tcp/22,udp/53")+":"+b64("192.168.1.5,22")+":"+b64("x")+":60", true)
	f.Add(head+":0:"+b64("10.0.0.1,echo hi"), false)
	f.Fuzz(func(t *testing.T, plain string, digest bool) {
		if digest {
			plain = withDigest(plain)
		}
		if len(plain) > 280 {
			return // longer plaintext cannot fit a Rijndael packet
		}
		m, err := Decode(testKeys, sealPlain(t, plain))
		if err == nil {
			checkDecoded(t, m)
		}
	})
}

// checkDecoded holds what Decode promises about any message it returns.
func checkDecoded(t *testing.T, m *Message) {
	t.Helper()
	if len(m.Random) != 16 || checkUser(m.User) != nil || !m.AllowIP.Is4() ||
		m.Type < CommandMsg || m.Type > ClientTimeoutLocalNATAccessMsg || m.Timeout < 0 || m.Timeout > MaxTimeout*time.Second {
		t.Fatalf("Decode accepted %+v", *m)
	}
	if m.Type != CommandMsg && checkAccess(m.Access) != nil {
		t.Fatalf("Decode accepted access %q", m.Access)
	}
}

func BenchmarkBuild(b *testing.B) {
	req := Request{User: "alice", Access: "tcp/22", Time: goldenTime}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(testKeys, req, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	pkt, err := Build(testKeys, Request{User: "alice", Access: "tcp/22", Time: goldenTime}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(testKeys, pkt); err != nil {
			b.Fatal(err)
		}
	}
}
