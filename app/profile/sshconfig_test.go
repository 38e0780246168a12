package profile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSSHConfig(t *testing.T) {
	office := Profile{Name: "office", Host: "203.0.113.7"}
	tests := []struct {
		name string
		p    Profile
		h    SSHHost
		want string
	}{
		{"plain", office, SSHHost{Program: "/usr/bin/knocker"}, `# Knocker: knocks office before each connection (knocker ssh-config)
Host office
	HostName 203.0.113.7
	Port 22
	ProxyCommand /usr/bin/knocker proxy office %h %p
`},
		{"every option", office, SSHHost{Alias: "work-gw", User: "admin", Port: 2222, Program: "/opt/knocker/knocker"}, `# Knocker: knocks office before each connection (knocker ssh-config)
Host work-gw
	HostName 203.0.113.7
	Port 2222
	User admin
	ProxyCommand /opt/knocker/knocker proxy office %h %p
`},
		{"user and port from the ssh URL", Profile{Name: "office", Host: "gw.example", OpenURL: "ssh://root@gw.example:2200", Verify: &Verify{Port: 22}},
			SSHHost{Program: "/k"}, "\tPort 2200\n\tUser root\n"},
		{"flags over the URL", Profile{Name: "office", Host: "gw.example", OpenURL: "ssh://root@gw.example:2200"},
			SSHHost{User: "me", Port: 22, Program: "/k"}, "\tPort 22\n\tUser me\n"},
		{"check port", Profile{Name: "office", Host: "gw.example", OpenURL: "https://gw.example/", Verify: &Verify{Port: 8022}},
			SSHHost{Program: "/k"}, "\tPort 8022\n\tProxyCommand"},
		{"alias from the name", Profile{Name: "Office (Berlin) 2", Host: "gw.example"},
			SSHHost{Program: "/k"}, "Host office-berlin-2\n"},
		{"IPv6 in brackets", Profile{Name: "v6", Host: "[2001:db8::1]"}, SSHHost{Program: "/k"}, "\tHostName 2001:db8::1\n"},
		{"IPv6 zone", Profile{Name: "v6", Host: "fe80::1%eth0"}, SSHHost{Program: "/k"}, "\tHostName fe80::1%%eth0\n"},
		{"sh quoting", Profile{Name: "O'Brien 100%", Host: "gw.example"}, SSHHost{Program: "/home/me/My Apps/knocker"},
			`ProxyCommand '/home/me/My Apps/knocker' proxy 'O'\''Brien 100%%' %h %p`},
		{"windows quoting", Profile{Name: "my office", Host: "gw.example"}, SSHHost{Program: `C:\Program Files\Knocker\knocker.exe`, Windows: true},
			`ProxyCommand "C:\Program Files\Knocker\knocker.exe" proxy "my office" %h %p`},
		{"windows, nothing to quote", office, SSHHost{Program: `C:/knocker.exe`, Windows: true},
			`ProxyCommand C:/knocker.exe proxy office %h %p`},
	}
	for _, tt := range tests {
		got, err := tt.p.SSHConfig(tt.h)
		if err != nil || !strings.Contains(got, tt.want) {
			t.Errorf("%s: %v\n%s\nwant it to hold\n%s", tt.name, err, got, tt.want)
		}
	}
}

func TestSSHConfigRefuses(t *testing.T) {
	ok := Profile{Name: "office", Host: "gw.example"}
	tests := []struct {
		name string
		p    Profile
		h    SSHHost
		want string
	}{
		{"no alias in the name", Profile{Name: "日本", Host: "gw.example"}, SSHHost{Program: "/k"}, ErrNoSSHAlias.Error()},
		{"alias with a space", ok, SSHHost{Alias: "my office", Program: "/k"}, `alias "my office": holds ' '`},
		{"alias pattern", ok, SSHHost{Alias: "gw*", Program: "/k"}, `holds '*'`},
		{"alias like a flag", ok, SSHHost{Alias: "-oProxyCommand=x", Program: "/k"}, `starts with "-"`},
		{"user with a space", ok, SSHHost{User: "a b", Program: "/k"}, `user "a b": holds ' '`},
		{"user with a token", ok, SSHHost{User: "%d", Program: "/k"}, `holds '%'`},
		{"host", Profile{Name: "x", Host: "gw.example;id"}, SSHHost{Program: "/k"}, "cannot be an ssh HostName"},
		{"no program", ok, SSHHost{}, "no path to the knocker program"},
		{"windows double quote", Profile{Name: `"x"`, Host: "gw.example"}, SSHHost{Alias: "x", Program: "/k", Windows: true}, "profile name: holds a double quote"},
		{"line break", Profile{Name: "x", Host: "gw.example"}, SSHHost{Program: "/a\nb"}, "program path: holds a line break"},
	}
	for _, tt := range tests {
		got, err := tt.p.SSHConfig(tt.h)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %q, %v; want an error with %q", tt.name, got, err, tt.want)
		}
	}
	if _, err := (&Profile{Name: "日本", Host: "h"}).SSHConfig(SSHHost{Program: "/k"}); !errors.Is(err, ErrNoSSHAlias) {
		t.Errorf("no alias: %v is not ErrNoSSHAlias", err)
	}
}

// Real ssh runs the ProxyCommand of the block: through its %-expansion and
// the shell, the program at an awkward path gets exactly the profile's
// awkward name, the host and the port. No packet is sent: the stand-in
// program only records its arguments.
func TestSSHConfigQuotingWithRealSSH(t *testing.T) {
	for _, tool := range []string{"ssh", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found (Debian package openssh-client)", tool)
		}
	}
	dir := filepath.Join(t.TempDir(), `it's a "dir" with $HOME, `+"`id`"+` and 100% \ spaces`)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	program := filepath.Join(dir, "knocker $(id)")
	record := filepath.Join(t.TempDir(), "args")
	script := "#!/bin/sh\nfor a; do printf '%s\\n' \"$a\"; done >" + shQuoteForTest(record) + "\n"
	if err := os.WriteFile(program, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	p := Profile{Name: `Bob's "office" 100% $USER ` + "`x` \\ %h", Host: "gw.example", Verify: &Verify{Port: 2022}}
	block, err := p.SSHConfig(SSHHost{Alias: "gw", Program: program})
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(config, []byte(block), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ssh", "-F", config, "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=/dev/null", "gw", "true")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("ssh succeeded through a stand-in that never answers:\n%s", out)
	}
	got, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("the ProxyCommand program did not run: %v\nssh said: %s\nblock:\n%s", err, out, block)
	}
	want := strings.Join([]string{"proxy", p.Name, "gw.example", "2022"}, "\n") + "\n"
	if string(got) != want {
		t.Fatalf("the program got arguments\n%q\nwant\n%q\nblock:\n%s", got, want, block)
	}
}

func shQuoteForTest(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
