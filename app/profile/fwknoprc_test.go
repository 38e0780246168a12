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
		{"no stanza", "# nothing\n", "holds no stanza"},
		{"only default, empty", "[default]\n#SPA_SERVER h\n", "holds no stanza"},
		{"setting first", "SPA_SERVER h\n[s]\n", "line 1: setting before the first [stanza]"},
		{"open header", "[s\n", `line 1: section header without "]"`},
		{"no value", "[s]\nSPA_SERVER\n", "line 1: [s]: line 2: SPA_SERVER has no value"},
		{"no value in default", "[default]\nACCESS\n[s]\nSPA_SERVER h\n", "[default]: line 2: ACCESS has no value"},
		{"no server", "[s]\nACCESS tcp/22\n" + rcKeyLines, "line 1: [s]: no SPA_SERVER"},
		{"no key", stanza("HMAC_KEY_BASE64 aG1hYw==\n"), "[s]: no KEY_BASE64"},
		{"no hmac key", stanza("KEY_BASE64 a2V5\n"), "[s]: no HMAC_KEY_BASE64: the stanza sends packets without HMAC"},
		{"bad base64", stanza("KEY_BASE64 !!!!\nHMAC_KEY_BASE64 aG1hYw==\n"), "line 4: KEY_BASE64: not valid base64"},
		{"gpg", stanza(rcKeyLines + "USE_GPG Y\n"), "USE_GPG: GnuPG is not supported"},
		{"gpg recipient", stanza(rcKeyLines + "GPG_RECIPIENT x@y\n"), "GPG_RECIPIENT: GnuPG is not supported"},
		{"nat", stanza(rcKeyLines + "NAT_ACCESS 10.0.0.2,22\n"), "NAT_ACCESS: NAT access requests are not supported"},
		{"server command", stanza(rcKeyLines + "SERVER_COMMAND reboot\n"), "SERVER_COMMAND: server commands are not supported"},
		{"tcp", stanza(rcKeyLines + "SPA_SERVER_PROTO tcp\n"), "SPA_SERVER_PROTO: only udp"},
		{"no hmac", stanza(rcKeyLines + "USE_HMAC N\n"), "USE_HMAC: Knocker sends only HMAC-authenticated packets"},
		{"md5", stanza(rcKeyLines + "HMAC_DIGEST_TYPE MD5\n"), "HMAC_DIGEST_TYPE: only SHA256"},
		{"ecb", stanza(rcKeyLines + "ENCRYPTION_MODE ECB\n"), "ENCRYPTION_MODE: only CBC"},
		{"port", stanza(rcKeyLines + "SPA_SERVER_PORT 0\n"), "SPA_SERVER_PORT: want a port"},
		{"allow ipv6", stanza(rcKeyLines + "ALLOW_IP ::1\n"), "ALLOW_IP: want"},
		{"fw timeout", stanza(rcKeyLines + "FW_TIMEOUT 0\n"), "FW_TIMEOUT: want 1-65536 seconds"},
		{"bad access", "[s]\nSPA_SERVER h\nACCESS ssh\n" + rcKeyLines, "[s]: spa: access item 1: want tcp/PORT"},
		{"bad name", "[-x]\nSPA_SERVER h\nACCESS tcp/22\n" + rcKeyLines, `[-x]: name: name starts with "-"`},
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

// TestFwknoprcNeverRepeatsSecrets: whatever line holds a key or a stray
// passphrase, and however it is cased, no error or warning repeats it or
// any unknown word: they name known variables and line numbers only.
func TestFwknoprcNeverRepeatsSecrets(t *testing.T) {
	const secret = "Zq7SecretPassphrase0123456789xyzw"
	stanza := "[s]\nSPA_SERVER h\nACCESS tcp/22\n"
	tests := []struct{ name, rc, want string }{
		{"key joined by =", stanza + "KEY_BASE64=" + secret + "\n", `line 4: KEY_BASE64 is joined to its value by "="`},
		{"lower-case key joined by =", stanza + "key_base64=" + secret + "\n", `line 4: KEY_BASE64 is joined to its value by "="`},
		{"stray passphrase", stanza + rcKeyLines + secret + "\n", "line 6: not settings Knocker knows"},
		{"stray passphrase with a value", stanza + rcKeyLines + secret + " " + secret + "\n", "line 6: not settings Knocker knows"},
		{"unknown variable", stanza + rcKeyLines + "PASSPHRASE " + secret + "\n", "line 6: not settings Knocker knows"},
		{"stray line in default", "[default]\n" + secret + "\n" + stanza + rcKeyLines, "line 1: [default]: line 2: not settings"},
		{"unknown word joined by =", stanza + rcKeyLines + "PASS=" + secret + "\n", "line 6: not settings Knocker knows"},
		{"passphrase too long", stanza + "KEY " + secret + secret + "\nHMAC_KEY h\n", "encryption (Rijndael) key of 66 bytes"},
		{"same keys", stanza + "KEY " + secret[:20] + "\nHMAC_KEY " + secret[:20] + "\n", "identical"},
		{"bad base64", stanza + "KEY_BASE64 " + secret + "!\nHMAC_KEY h\n", "line 4: KEY_BASE64: not valid base64"},
		{"bad access", "[s]\nSPA_SERVER h\nACCESS " + secret + "\n" + rcKeyLines, "access item 1: want tcp/PORT"},
		{"bad user", stanza + rcKeyLines + "SPOOF_USER " + secret + ":\n", "user name has a character"},
		{"bad server", "[s]\nSPA_SERVER " + secret + "\u202e\nACCESS tcp/22\n" + rcKeyLines, "host: holds a space, control"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			imp, err := ParseFwknoprc([]byte(tt.rc))
			msgs := imp.Warnings
			if err != nil {
				msgs = append(msgs, err.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tt.want) {
				t.Fatalf("messages %q, want %q", msgs, tt.want)
			}
			for _, m := range msgs {
				if strings.Contains(strings.ToLower(m), strings.ToLower(secret[:12])) {
					t.Fatalf("a message repeats the secret: %q", m)
				}
			}
		})
	}
}

func TestParseFwknoprcDefaultOnly(t *testing.T) {
	imp, err := ParseFwknoprc([]byte("[default]\nSPA_SERVER h\nACCESS tcp/22\nALLOW_IP source\n" + rcKeyLines + "FROB 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Profiles) != 1 || imp.Profiles[0].Name != "default" || len(imp.Warnings) != 1 ||
		!strings.Contains(imp.Warnings[0], "line 7: not settings Knocker knows") || strings.Contains(imp.Warnings[0], "FROB") {
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
		imp, err := parseBounded(t, data, func() (Imported, error) { return ParseFwknoprc(data) })
		checkImport(t, imp, err)
		assertNoValueRepeated(t, data, imp, err)
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

// assertNoValueRepeated fails if a message repeats a long word of the file
// that is not a variable name or part of a section header: such a word may
// be a key. Words of 16 characters or more with a digit cannot be taken
// from the messages' own wording.
func assertNoValueRepeated(t *testing.T, data []byte, imp Imported, err error) {
	t.Helper()
	msgs := strings.ToLower(strings.Join(imp.Warnings, "\n"))
	for _, s := range imp.Skipped {
		msgs += "\n" + strings.ToLower(s.String())
	}
	if err != nil {
		msgs += "\n" + strings.ToLower(err.Error())
	}
	var headers strings.Builder
	for line := range strings.Lines(string(data)) {
		if strings.HasPrefix(strings.TrimSpace(line), "[") {
			headers.WriteString(strings.ToLower(line))
		}
	}
	for _, w := range strings.FieldsFunc(string(data), func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' }) {
		lw := strings.ToLower(w)
		if len(w) < 16 || !strings.ContainsAny(w, "0123456789") || fwknoprcVars[strings.ToUpper(w)] != 0 || strings.Contains(headers.String(), lw) {
			continue
		}
		if strings.Contains(msgs, lw) {
			t.Fatalf("a message repeats %q from the file: %s", w, msgs)
		}
	}
}

// A file with nothing to import says why, in the terms of what it is.
func TestImportNothingKnockable(t *testing.T) {
	tests := []struct {
		file, host string
		format     Format
		want       string
	}{
		// fwknop's first-run template: every setting commented out. It is
		// no knockd.conf needing --host.
		{"fwknoprc-template", "", FormatFwknoprc, "the file holds no stanza: every line is blank, a comment or a bare [header]"},
		{"knockd-unknockable.conf", "gw.example.net", FormatKnockd, "nothing can be imported: line 5: [openSSH]: line 6: one_time_sequences is not supported: Knocker knocks a fixed sequence; " +
			"line 11: [openFTP]: line 13: tcpflags urg is not supported: Knocker sends plain SYNs"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := readTestdata(t, tt.file)
			if f := DetectFormat(data); f != tt.format {
				t.Fatalf("detected as %s", f)
			}
			imp, err := ParseImport(data, tt.host)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || len(imp.Profiles) != 0 {
				t.Fatalf("%d profiles, err %v\nwant %s", len(imp.Profiles), err, tt.want)
			}
		})
	}
}

// A stanza without keys is left out with the rest of it read, so that a
// window can ask for the keys; the others stand on their own.
func TestFwknoprcStanzaWithoutKeys(t *testing.T) {
	imp, err := ParseImport(readTestdata(t, "fwknoprc-mixed"), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Profiles) != 2 || imp.Profiles[0].Name != "office" || len(imp.Skipped) != 4 {
		t.Fatalf("%d profiles, left out %v", len(imp.Profiles), imp.Skipped)
	}
	var nas *Profile
	for _, s := range imp.Skipped {
		if (s.NeedsKeys != nil) != strings.Contains(s.Section, "[nas]") {
			t.Errorf("%s: NeedsKeys %v", s, s.NeedsKeys)
		}
		if s.NeedsKeys != nil {
			nas = s.NeedsKeys
		}
	}
	if nas == nil || nas.Host != "nas.example.net" || nas.SPA == nil || nas.SPA.Access != "tcp/5001" || nas.SPA.Port != 62201 || !nas.SPA.Keys.IsZero() {
		t.Fatalf("stanza without keys read as %+v", nas)
	}
	// With keys typed in, it is a profile like any other.
	nas.SPA.Keys = NewSPAKeys(testSPAKeys)
	if err := nas.validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := EncodeSecret(nas); err != nil {
		t.Fatal(err)
	}
}
