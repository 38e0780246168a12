package cli

import (
	"os"
	"strings"
	"testing"
	"time"
)

// knocker ssh-config prints the block for a saved profile with this
// program's absolute path, without the keyring.
func TestSSHConfigCommand(t *testing.T) {
	proxyProfile(t, "2h", 0, time.Time{})
	testProfiles.book.Secrets = downRing{}
	program, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	l, _ := testProfiles.book.List()
	stdout, stderr, code := run("ssh-config", "office", "--user", "admin", "--port", "2222")
	want := "# Knocker: knocks office before each connection (knocker ssh-config)\n" +
		"Host office\n\tHostName 127.0.0.1\n\tPort 2222\n\tUser admin\n" +
		"\tProxyCommand " + program + " proxy --id " + l.Profiles[0].ID + " %h %p\n"
	wantNote := "knocker ssh-config: ProxyCommand runs " + program + "\n"
	if code != ExitOK || stderr != wantNote || stdout != want {
		t.Fatalf("exit %d, stderr %q, stdout\n%s\nwant\n%s", code, stderr, stdout, want)
	}
	// The profile's check port is the default port.
	if stdout, _, _ := run("ssh-config", "--alias", "gw", "office"); !strings.Contains(stdout, "Host gw\n") || !strings.Contains(stdout, "\tPort 22\n") || strings.Contains(stdout, "User") {
		t.Fatalf("defaults: %q", stdout)
	}
}

func TestSSHConfigCommandErrors(t *testing.T) {
	proxyProfile(t, "2h", 0, time.Time{})
	if _, stderr, code := runStdin(`{"version":1,"profiles":[{"name":"日本","host":"127.0.0.1","steps":[{"proto":"udp","port":9,"payload":"x"}]}]}`, "import", "-"); code != ExitOK {
		t.Fatal(stderr)
	}
	tests := []struct {
		args   []string
		errHas string
	}{
		{[]string{"ssh-config"}, "want one profile NAME"},
		{[]string{"ssh-config", "office", "home"}, "want one profile NAME"},
		{[]string{"ssh-config", "home"}, `no profile named "home"`},
		{[]string{"ssh-config", "--port", "0", "office"}, "port 0 is out of range"},
		{[]string{"ssh-config", "--user", "a b", "office"}, `user "a b": holds ' '`},
		{[]string{"ssh-config", "--alias", "*", "office"}, `alias "*"`},
		{[]string{"ssh-config", "日本"}, "give one with --alias"},
		{[]string{"ssh-config", "--alias", `office\`, "office"}, `alias "office\\": holds '\\'`},
		{[]string{"ssh-config", "--alias", "a#b", "office"}, `alias "a#b": holds '#'`},
	}
	for _, tt := range tests {
		stdout, stderr, code := run(tt.args...)
		if code != ExitUsage || stdout != "" || !strings.Contains(stderr, tt.errHas) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", tt.args, code, stdout, stderr, tt.errHas)
		}
	}
	if stdout, _, code := run("ssh-config", "--alias", "jp", "日本"); code != ExitOK || !strings.Contains(stdout, "Host jp\n") || !strings.Contains(stdout, "日本") {
		t.Fatalf("with --alias: %d %q", code, stdout)
	}
}

// The README's Host block is what ssh-config writes.
func TestREADMEShowsSSHConfigBlock(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	useTestProfiles(t, nil)
	doc := `{"version":1,"profiles":[{"name":"office","host":"203.0.113.7","steps":[{"proto":"udp","port":1234,"payload":"test"}]}]}`
	if _, stderr, code := runStdin(doc, "import", "-"); code != ExitOK {
		t.Fatal(stderr)
	}
	stdout, stderr, code := run("ssh-config", "office", "--user", "admin")
	program, _ := os.Executable()
	if code != ExitOK || !strings.Contains(stdout, program) {
		t.Fatalf("ssh-config: %d %q %q", code, stdout, stderr)
	}
	l, _ := testProfiles.book.List()
	block := strings.ReplaceAll(stdout, program, "/usr/bin/knocker-cli")
	if block = strings.ReplaceAll(block, l.Profiles[0].ID, "5f1e0c2a9b7d4e31a0c6b8d2e4f60718"); !strings.Contains(string(readme), block) {
		t.Errorf("README.md lacks the block ssh-config writes:\n%s", block)
	}
}
