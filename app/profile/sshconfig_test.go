package profile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const testID = "5f1e0c2a9b7d4e31a0c6b8d2e4f60718"

func TestSSHConfig(t *testing.T) {
	office := Profile{ID: testID, Name: "office", Host: "203.0.113.7"}
	named := func(name, host string) Profile { return Profile{ID: testID, Name: name, Host: host} }
	tests := []struct {
		name string
		p    Profile
		h    SSHHost
		want string
	}{
		{"plain", office, SSHHost{Program: "/nonexistent/bin/knocker"}, `# Knocker: knocks office before each connection (knocker ssh-config)
Host office
	HostName 203.0.113.7
	Port 22
	ProxyCommand /nonexistent/bin/knocker proxy --id ` + testID + ` %h %p
`},
		{"every option", office, SSHHost{Alias: "work-gw", User: "admin", Port: 2222, Program: "/nonexistent/knocker/knocker"}, `# Knocker: knocks office before each connection (knocker ssh-config)
Host work-gw
	HostName 203.0.113.7
	Port 2222
	User admin
	ProxyCommand /nonexistent/knocker/knocker proxy --id ` + testID + ` %h %p
`},
		{"user and port from the ssh URL", Profile{ID: testID, Name: "office", Host: "gw.example", OpenURL: "ssh://root@gw.example:2200", Verify: &Verify{Port: 22}},
			SSHHost{Program: "/k"}, "\tPort 2200\n\tUser root\n"},
		{"flags over the URL", Profile{ID: testID, Name: "office", Host: "gw.example", OpenURL: "ssh://root@gw.example:2200"},
			SSHHost{User: "me", Port: 22, Program: "/k"}, "\tPort 22\n\tUser me\n"},
		{"check port", Profile{ID: testID, Name: "office", Host: "gw.example", OpenURL: "https://gw.example/", Verify: &Verify{Port: 8022}},
			SSHHost{Program: "/k"}, "\tPort 8022\n\tProxyCommand"},
		{"alias from the name", named("Office (Berlin) 2", "gw.example"), SSHHost{Program: "/k"}, "Host office-berlin-2\n"},
		{"trailing backslash", named(`office\`, "gw.example"), SSHHost{Program: "/k"}, "Host office\n"},
		{"hostile name", named(`\'(touch x)\' $(id) "a" 100% #`, "gw.example"), SSHHost{Program: "/k"},
			"Host touch-x-id-a-100\n\tHostName gw.example\n\tPort 22\n\tProxyCommand /k proxy --id " + testID + " %h %p\n"},
		{"name in the comment, escaped", named("line\nbreak", "gw.example"), SSHHost{Program: "/k"}, `# Knocker: knocks "line\nbreak" before`},
		{"IPv6 in brackets", named("v6", "[2001:db8::1]"), SSHHost{Program: "/k"}, "\tHostName 2001:db8::1\n"},
		{"IPv6 zone", named("v6", "fe80::1%eth0"), SSHHost{Program: "/k"}, "\tHostName fe80::1%%eth0\n"},
		{"quoted path", named("O'Brien 100%", "gw.example"), SSHHost{Program: "/home/me/My Apps/100% it's\\knocker"},
			`ProxyCommand '/home/me/My Apps/100%% it'\''s'\\'knocker' proxy --id ` + testID + ` %h %p`},
		{"windows quoting", named("my office", "gw.example"), SSHHost{Program: `C:\Program Files\Knocker\knocker.exe`, Windows: true},
			`ProxyCommand "C:\Program Files\Knocker\knocker.exe" proxy --id ` + testID + ` %h %p`},
		{"windows, nothing to quote", office, SSHHost{Program: `C:/knocker.exe`, Windows: true},
			`ProxyCommand C:/knocker.exe proxy --id ` + testID + ` %h %p`},
	}
	for _, tt := range tests {
		got, err := tt.p.SSHConfig(tt.h)
		if err != nil || !strings.Contains(got, tt.want) {
			t.Errorf("%s: %v\n%s\nwant it to hold\n%s", tt.name, err, got, tt.want)
		}
	}
}

func TestSSHConfigRefuses(t *testing.T) {
	ok := Profile{ID: testID, Name: "office", Host: "gw.example"}
	tests := []struct {
		name string
		p    Profile
		h    SSHHost
		want string
	}{
		{"no alias in the name", Profile{ID: testID, Name: "日本", Host: "gw.example"}, SSHHost{Program: "/k"}, ErrNoSSHAlias.Error()},
		{"alias with a space", ok, SSHHost{Alias: "my office", Program: "/k"}, `alias "my office": holds ' '`},
		{"alias pattern", ok, SSHHost{Alias: "gw*", Program: "/k"}, `holds '*'`},
		{"alias like a flag", ok, SSHHost{Alias: "-oProxyCommand=x", Program: "/k"}, `starts with "-"`},
		{"alias with a backslash", ok, SSHHost{Alias: `office\`, Program: "/k"}, `holds '\\'`},
		{"user with a space", ok, SSHHost{User: "a b", Program: "/k"}, `user "a b": holds ' '`},
		{"user with a token", ok, SSHHost{User: "%d", Program: "/k"}, `holds '%'`},
		{"host", Profile{ID: testID, Name: "x", Host: "gw.example;id"}, SSHHost{Program: "/k"}, "cannot be an ssh HostName"},
		{"host like a flag", Profile{ID: testID, Name: "x", Host: "-oProxyCommand"}, SSHHost{Program: "/k"}, "cannot be an ssh HostName"},
		{"no ID", Profile{Name: "x", Host: "gw.example"}, SSHHost{Program: "/k"}, `profile ID ""`},
		{"ID with a space", Profile{ID: "a b", Name: "x", Host: "gw.example"}, SSHHost{Program: "/k"}, `profile ID "a b"`},
		{"no program", ok, SSHHost{}, "no path to the knocker program"},
		{"relative program", ok, SSHHost{Program: "-c/knocker"}, "program path: is not an absolute path"},
		{"line break", ok, SSHHost{Program: "/a\nb"}, "program path: holds a line break"},
		{"control character", ok, SSHHost{Program: "/a\tb"}, `program path: holds the control character '\t'`},
		{"not UTF-8", ok, SSHHost{Program: "/a\xffb"}, "program path: is not valid UTF-8"},
		{"windows double quote", ok, SSHHost{Program: `C:\"x"\k.exe`, Windows: true}, "program path: holds a double quote"},
		{"windows trailing backslash", ok, SSHHost{Program: `C:\a b\`, Windows: true}, "program path: ends with a backslash"},
	}
	for _, tt := range tests {
		got, err := tt.p.SSHConfig(tt.h)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %q, %v; want an error with %q", tt.name, got, err, tt.want)
		}
	}
	if _, err := (&Profile{ID: testID, Name: "日本", Host: "h"}).SSHConfig(SSHHost{Program: "/k"}); !errors.Is(err, ErrNoSSHAlias) {
		t.Errorf("no alias: %v is not ErrNoSSHAlias", err)
	}
}

// The words commandWord writes for awkward paths, exactly: a backslash and
// a quote go outside the single quotes, each after a backslash.
func TestCommandWord(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/usr/bin/knocker", "/usr/bin/knocker"},
		{"/opt/knocker-1.2/knocker+x_y", "/opt/knocker-1.2/knocker+x_y"},
		{"/home/me/My Apps/knocker", "'/home/me/My Apps/knocker'"},
		{"/x/it's", `'/x/it'\''s'`},
		{`/x/office\`, `'/x/office'\\`},
		{`/x/\'(touch c)\'`, `'/x/'\\\''(touch c)'\\\'`},
		{"/x/100%", "'/x/100%%'"},
		{"/x/#y", "'/x/#y'"},
		{"/x/é", "'/x/é'"},
	}
	for _, tt := range tests {
		if got, err := commandWord(tt.path, false); err != nil || got != tt.want {
			t.Errorf("%q: %q, %v; want %q", tt.path, got, err, tt.want)
		}
	}
}

// For any path commandWord accepts, OpenSSH's config splitter sees one
// balanced word, and after ssh's %-expansion both the POSIX shells' and
// fish's quoting rules give the path back unchanged.
func FuzzCommandWord(f *testing.F) {
	for _, s := range []string{"/usr/bin/knocker", "/a b/c", `/x\`, `/'\'`, "/%h%%", "/\"#$(;)&|`~{}*?[]!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		word, err := commandWord(path, false)
		if err != nil {
			return
		}
		words, ok := argvSplit(word)
		if !ok || len(words) != 1 {
			t.Fatalf("%q: ssh splits %q into %q (balanced: %v)", path, word, words, ok)
		}
		expanded := strings.ReplaceAll(word, "%%", "%")
		if got := unquotePOSIX(expanded); got != path {
			t.Fatalf("%q: sh reads %q as %q", path, expanded, got)
		}
		if got := unquoteFish(expanded); got != path {
			t.Fatalf("%q: fish reads %q as %q", path, expanded, got)
		}
	})
}

// argvSplit is OpenSSH's argv_split (misc.c, 8.7 and later) with
// terminate_on_comment set, as readconf.c runs it over every line: false
// when it would say "invalid quotes".
func argvSplit(s string) ([]string, bool) {
	var args []string
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			continue
		}
		if s[i] == '#' {
			break
		}
		var arg []byte
		quote := byte(0)
	token:
		for ; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '\\' && i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '"' || s[i+1] == '\\' || quote == 0 && s[i+1] == ' '):
				i++
				arg = append(arg, s[i])
			case c == '\\':
				arg = append(arg, c)
			case quote == 0 && (c == ' ' || c == '\t'):
				break token
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
			case quote != 0 && c == quote:
				quote = 0
			default:
				arg = append(arg, c)
			}
		}
		if quote != 0 {
			return nil, false
		}
		args = append(args, string(arg))
	}
	return args, true
}

// unquotePOSIX reads a word made of single-quoted runs and backslash
// escapes as sh does.
func unquotePOSIX(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return "<unterminated>"
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case '\\':
			i++
			if i < len(s) {
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// unquoteFish reads the same as fish does, where inside single quotes \'
// and \\ are escapes too.
func unquoteFish(s string) string {
	var b strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (!quoted || s[i+1] == '\'' || s[i+1] == '\\'):
			i++
			b.WriteByte(s[i])
		case c == '\'':
			quoted = !quoted
		default:
			b.WriteByte(c)
		}
	}
	if quoted {
		return "<unterminated>"
	}
	return b.String()
}

// ProxyCommand runs the headless build where it is installed beside this
// knocker, as the packages install it, and only a real program file.
func TestProxyProgram(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the executable bit is POSIX")
	}
	tests := []struct {
		name  string
		setup func(dir string) error
		want  string // file name in dir
	}{
		{"alone", func(string) error { return nil }, "knocker"},
		{"beside", func(dir string) error { return os.WriteFile(filepath.Join(dir, "knocker-cli"), nil, 0o755) }, "knocker-cli"},
		{"not executable", func(dir string) error { return os.WriteFile(filepath.Join(dir, "knocker-cli"), nil, 0o644) }, "knocker"},
		{"a folder", func(dir string) error { return os.Mkdir(filepath.Join(dir, "knocker-cli"), 0o755) }, "knocker"},
		{"in another folder", func(dir string) error {
			return os.WriteFile(filepath.Join(filepath.Dir(dir), "knocker-cli"), nil, 0o755)
		}, "knocker"},
	}
	for _, tt := range tests {
		dir := filepath.Join(t.TempDir(), "bin dir")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := tt.setup(dir); err != nil {
			t.Fatal(err)
		}
		if got := ProxyProgram(filepath.Join(dir, "knocker")); got != filepath.Join(dir, tt.want) {
			t.Errorf("%s: %q, want %s", tt.name, got, tt.want)
		}
	}
	dir := t.TempDir()
	cli := filepath.Join(dir, "knocker-cli")
	if err := os.WriteFile(cli, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := ProxyProgram(cli); got != cli {
		t.Errorf("the headless build itself: %q", got)
	}
	p := Profile{ID: testID, Name: "office", Host: "gw.example"}
	block, err := p.SSHConfig(SSHHost{Program: filepath.Join(dir, "knocker")})
	if err != nil || !strings.Contains(block, "\tProxyCommand "+cli+" proxy --id") {
		t.Errorf("the block does not run %s: %v\n%s", cli, err, block)
	}
}
