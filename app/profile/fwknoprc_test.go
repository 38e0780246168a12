package profile

import (
	"bytes"
	"strings"
	"testing"
)

const rcKeyLines = "KEY_BASE64 c2VjcmV0LWtleS0xMjM0NTY3ODkwYWJjZGVmZ2hpams=\nHMAC_KEY_BASE64 aG1hYy1rZXktMTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1Njc4OQ==\n"

func TestParseFwknoprcErrors(t *testing.T) {
	stanza := func(lines string) string { return "[s]\nSPA_SERVER h\nACCESS tcp/22\n" + lines }
	tests := []struct{ name, rc, want string }{
		{"no stanza", "# nothing\n", "no [stanza] found"},
		{"setting first", "SPA_SERVER h\n[s]\n", "line 1: setting before the first [stanza]"},
		{"open header", "[s\n", `line 1: section header without "]"`},
		{"no value", "[s]\nSPA_SERVER\n", "line 2: SPA_SERVER has no value"},
		{"no server", "[s]\nACCESS tcp/22\n" + rcKeyLines, "line 1: [s]: no SPA_SERVER"},
		{"no key", stanza("HMAC_KEY_BASE64 aG1hYw==\n"), "[s]: no KEY_BASE64"},
		{"no hmac key", stanza("KEY_BASE64 a2V5\n"), "[s]: no HMAC_KEY_BASE64"},
		{"bad base64", stanza("KEY_BASE64 !!!!\nHMAC_KEY_BASE64 aG1hYw==\n"), "line 4: KEY_BASE64: not valid base64"},
		{"gpg", stanza(rcKeyLines + "USE_GPG Y\n"), "USE_GPG: GnuPG is not supported"},
		{"gpg recipient", stanza(rcKeyLines + "GPG_RECIPIENT x@y\n"), "GPG_RECIPIENT: not supported"},
		{"nat", stanza(rcKeyLines + "NAT_ACCESS 10.0.0.2,22\n"), "NAT_ACCESS: not supported"},
		{"server command", stanza(rcKeyLines + "SERVER_COMMAND reboot\n"), "SERVER_COMMAND: not supported"},
		{"tcp", stanza(rcKeyLines + "SPA_SERVER_PROTO tcp\n"), "SPA_SERVER_PROTO: only udp"},
		{"no hmac", stanza(rcKeyLines + "USE_HMAC N\n"), "USE_HMAC: Knocker sends only HMAC-authenticated packets"},
		{"md5", stanza(rcKeyLines + "HMAC_DIGEST_TYPE MD5\n"), "HMAC_DIGEST_TYPE: only SHA256"},
		{"ecb", stanza(rcKeyLines + "ENCRYPTION_MODE ECB\n"), "ENCRYPTION_MODE: only CBC"},
		{"port", stanza(rcKeyLines + "SPA_SERVER_PORT 0\n"), "SPA_SERVER_PORT: want a port"},
		{"allow ipv6", stanza(rcKeyLines + "ALLOW_IP ::1\n"), "ALLOW_IP: want"},
		{"fw timeout", stanza(rcKeyLines + "FW_TIMEOUT 0\n"), "FW_TIMEOUT: want 1-65536 seconds"},
		{"bad access", "[s]\nSPA_SERVER h\nACCESS ssh\n" + rcKeyLines, "[s].spa: access \"ssh\""},
		{"bad name", "[-x]\nSPA_SERVER h\nACCESS tcp/22\n" + rcKeyLines, `[-x].name: name starts with "-"`},
		{"same keys", stanza("KEY same-key\nHMAC_KEY same-key\n"), "identical"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFwknoprc([]byte(tt.rc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "c2VjcmV0") || strings.Contains(err.Error(), "same-key") {
				t.Fatalf("error quotes a key: %v", err)
			}
		})
	}
}

func TestParseFwknoprcDefaultOnly(t *testing.T) {
	imp, err := ParseFwknoprc([]byte("[default]\nSPA_SERVER h\nACCESS tcp/22\n" + rcKeyLines + "FROB 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Profiles) != 1 || imp.Profiles[0].Name != "default" || len(imp.Warnings) != 1 || !strings.Contains(imp.Warnings[0], "FROB: unknown setting") {
		t.Fatalf("%+v", imp)
	}
}

func TestScrubFwknoprc(t *testing.T) {
	in := "[a]\r\nSPA_SERVER h\r\n  KEY_BASE64   abc=\r\n# KEY_BASE64 in a comment stays\nhmac_key: secret\nKEY_FILE /x\nHMAC_KEY_BASE64 x"
	want := "[a]\r\nSPA_SERVER h\r\n" +
		"  # KEY_BASE64 removed by knocker import --scrub-source: the key is in Knocker's keyring\r\n" +
		"# KEY_BASE64 in a comment stays\n" +
		"# HMAC_KEY removed by knocker import --scrub-source: the key is in Knocker's keyring\n" +
		"KEY_FILE /x\n" +
		"# HMAC_KEY_BASE64 removed by knocker import --scrub-source: the key is in Knocker's keyring"
	got, n := ScrubFwknoprc([]byte(in))
	if string(got) != want || n != 3 {
		t.Fatalf("%d lines scrubbed:\n%q\nwant\n%q", n, got, want)
	}
	if again, n := ScrubFwknoprc(got); n != 0 || !bytes.Equal(again, got) {
		t.Fatal("scrubbing twice changed more")
	}
}

func FuzzParseFwknoprc(f *testing.F) {
	f.Add(readTestdataF(f, "fwknoprc"))
	f.Add([]byte("[default]\nSPA_SERVER h\nACCESS tcp/22\n" + rcKeyLines))
	f.Add([]byte("[a]\nSPA_SERVER: h ; c\nACCESS udp/1,tcp/2\nKEY k\nHMAC_KEY h\nALLOW_IP resolve\n[b]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		imp, err := ParseFwknoprc(data)
		checkImport(t, imp, err)
		scrubbed, _ := ScrubFwknoprc(data)
		if _, n := ScrubFwknoprc(scrubbed); n != 0 {
			t.Fatal("a scrubbed file still has key lines")
		}
		for _, p := range imp.Profiles {
			if p.SPA == nil || p.SPA.Keys.IsZero() {
				t.Fatalf("profile %q without keys", p.Name)
			}
		}
	})
}
