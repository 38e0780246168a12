//go:build !windows

package profile

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The shells ssh may run a ProxyCommand with: it runs "$SHELL -c", and
// users' login shells are any of these.
var proxyShells = []string{"sh", "bash", "dash", "zsh", "fish"}

// Hostile install folders and file names for knocker: every character the
// shells or ssh's config splitter give a meaning, command substitutions of
// each shell that would create the file "canary", and a trailing backslash.
var hostilePaths = []string{
	"My Apps/knocker",
	"it's/knocker",
	`say "hi"/knocker`,
	"$(touch canary)/knocker",
	"`touch canary`/knocker",
	"(touch canary)/knocker", // fish's command substitution
	"a;touch canary;b&touch canary&|touch canary/knocker",
	"100% %h %%p %/knocker",
	"x #y/#knocker",
	`office\/knocker`,
	`\'(touch canary)\'/\'$(touch canary)\'`,
	"{a,b} *?[x] ~root !1 $HOME ${HOME} =ls/knocker",
	"Programme é/knocker",
	`knocker\`,
	`all \ ' " $ ( ) ; & | % # \\/knocker \`,
}

// Hostile profile names: none of them reaches a line ssh reads but the
// comment, and today's `office\` broke every ssh command.
var hostileNames = []string{
	`office\`,
	`\'(touch canary)\'`,
	`O'Brien "100%" $(touch canary) ` + "`touch canary`",
	`x # y ; z & | %h %p %%`,
	"tab\there",
}

// proxyRecorder stands in for knocker at program: it writes the path it
// was started by and its arguments, one a line, to $KNOCKER_TEST_RECORD,
// and exits, so ssh gives up after it. Nothing reaches the network.
func proxyRecorder(t *testing.T, program string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(program), 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\n{ printf '%s\\n' \"$0\"; for a; do printf '%s\\n' \"$a\"; done; } >\"$KNOCKER_TEST_RECORD\"\n"
	if err := os.WriteFile(program, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// sshBench runs the real ssh over a config file, in a folder where a
// command slipped through would leave "canary", with a HOME of its own so
// that neither ssh nor the shells read the user's files.
type sshBench struct {
	t      *testing.T
	dir    string // the working folder
	env    []string
	record string
}

func newSSHBench(t *testing.T) *sshBench {
	t.Helper()
	for _, tool := range []string{"ssh", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found (Debian package openssh-client)", tool)
		}
	}
	home := t.TempDir()
	b := &sshBench{t: t, dir: t.TempDir(), record: filepath.Join(t.TempDir(), "argv")}
	b.env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local/share"), "ZDOTDIR="+home, "ENV=", "BASH_ENV=",
		"KNOCKER_TEST_RECORD="+b.record)
	return b
}

// writeConfig writes block to a config file and returns it.
func (b *sshBench) writeConfig(block string) string {
	b.t.Helper()
	config := filepath.Join(b.t.TempDir(), "config")
	if err := os.WriteFile(config, []byte(block), 0o600); err != nil {
		b.t.Fatal(err)
	}
	return config
}

// settings is ssh -G for alias: the configuration ssh would use, or the
// test fails with ssh's complaint.
func (b *sshBench) settings(config, alias string) map[string]string {
	b.t.Helper()
	cmd := exec.Command("ssh", "-G", "-F", config, alias)
	cmd.Dir, cmd.Env = b.dir, b.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		config, _ := os.ReadFile(config)
		b.t.Fatalf("ssh -G refuses the block: %v: %s\n%s", err, stderr.Bytes(), config)
	}
	got := map[string]string{}
	for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
		key, value, _ := strings.Cut(sc.Text(), " ")
		got[key] = value
	}
	return got
}

// connect runs "ssh alias" with shell as $SHELL and returns the argv the
// ProxyCommand's program recorded, nil if none ran.
func (b *sshBench) connect(config, alias, shell string) []string {
	b.t.Helper()
	_ = os.Remove(b.record)
	cmd := exec.Command("ssh", "-F", config, "-o", "BatchMode=yes", "-o", "ConnectTimeout=30", alias, "true")
	cmd.Dir, cmd.Env = b.dir, append(b.env, "SHELL="+shell)
	out, err := cmd.CombinedOutput()
	if err == nil {
		b.t.Fatalf("ssh succeeded through a stand-in that never answers:\n%s", out)
	}
	data, err := os.ReadFile(b.record)
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// noCanary fails if any command slipped through: a canary file anywhere
// under the folders given.
func noCanary(t *testing.T, dirs ...string) {
	t.Helper()
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.Name() == "canary" {
				t.Errorf("a command ran: %s exists", path)
			}
			return nil
		})
	}
}

// The block ssh-config writes works with the real ssh and every shell it
// may run ProxyCommand with, for hostile profile names and install paths:
// ssh -G accepts it and reports the ProxyCommand written, and ssh, through
// its %-expansion and $SHELL -c, starts the program at exactly the path
// with exactly the arguments meant, and runs nothing else. A profile
// named `office\` once gave a block that made ssh refuse every command.
func TestSSHConfigHostileWithRealShells(t *testing.T) {
	b := newSSHBench(t)
	var shells []string
	for _, name := range proxyShells {
		path, err := exec.LookPath(name)
		if err != nil {
			t.Logf("SKIPPED for %s: not installed (Debian package %s)", name, name)
			continue
		}
		shells = append(shells, path)
	}
	root := t.TempDir()
	want := func(program string) []string {
		return []string{program, "proxy", "--id", testID, "gw.example", "2022"}
	}
	check := func(what, program string, p Profile, alias string) {
		t.Helper()
		block, err := p.SSHConfig(SSHHost{Program: program})
		if err != nil {
			t.Errorf("%s: %v", what, err)
			return
		}
		config := b.writeConfig(block)
		settings := b.settings(config, alias)
		written := block[strings.Index(block, "\tProxyCommand ")+len("\tProxyCommand ") : len(block)-1]
		if settings["proxycommand"] != written || !strings.HasSuffix(written, " proxy --id "+testID+" %h %p") {
			t.Errorf("%s: ssh -G reports proxycommand %q; the block has %q", what, settings["proxycommand"], written)
		}
		if settings["hostname"] != "gw.example" || settings["port"] != "2022" {
			t.Errorf("%s: ssh -G reports hostname %q port %q", what, settings["hostname"], settings["port"])
		}
		for _, shell := range shells {
			if got := b.connect(config, alias, shell); !slices.Equal(got, want(program)) {
				t.Errorf("%s, %s: the program got\n%q\nwant\n%q\nblock:\n%s", what, filepath.Base(shell), got, want(program), block)
			}
		}
	}

	plain := filepath.Join(root, "plain", "knocker")
	proxyRecorder(t, plain)
	for _, name := range hostileNames {
		p := Profile{ID: testID, Name: name, Host: "gw.example", Verify: &Verify{Port: 2022}}
		alias := sshAlias(name)
		if strings.Trim(alias, "abcdefghijklmnopqrstuvwxyz0123456789._-") != "" {
			t.Errorf("name %q: alias %q", name, alias)
		}
		check("name "+name, plain, p, alias)
	}
	for i, rel := range hostilePaths {
		program := filepath.Join(root, string(rune('a'+i)), rel)
		proxyRecorder(t, program)
		check("path "+rel, program, Profile{ID: testID, Name: "office", Host: "gw.example", Verify: &Verify{Port: 2022}}, "office")
	}
	noCanary(t, b.dir, root)
}

// ssh really runs ProxyCommand with $SHELL, so the test above tries each
// shell: a path in single quotes holding "\\" is two backslashes to sh and
// one to fish, so only sh finds the program.
func TestSSHRunsProxyCommandWithShell(t *testing.T) {
	b := newSSHBench(t)
	fish, err := exec.LookPath("fish")
	if err != nil {
		t.Skip("fish not installed (Debian package fish)")
	}
	program := filepath.Join(t.TempDir(), `a\\b`, "knocker")
	proxyRecorder(t, program)
	config := b.writeConfig("Host gw\n\tProxyCommand '" + program + "' %h %p\n")
	if got := b.connect(config, "gw", "/bin/sh"); len(got) == 0 || got[0] != program {
		t.Errorf("sh: the program got %q", got)
	}
	if got := b.connect(config, "gw", fish); got != nil {
		t.Errorf("fish found %q too: is $SHELL used at all?", got)
	}
}
