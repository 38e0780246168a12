package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/app/secret"
	"github.com/knocker/knocker/internal/testnet"
	"github.com/knocker/knocker/knock/spa"
)

func runStdin(stdin string, args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = Run(context.Background(), testEnv(strings.NewReader(stdin), &out, &errOut), args)
	return out.String(), errOut.String(), code
}

const cliSecret = "cli-secret-7f3a"

func profileJSON(port int) string {
	return fmt.Sprintf(`{"version":1,"profiles":[{"name":"office","host":"127.0.0.1","family":"ipv4",
	"steps":[{"proto":"udp","port":%d,"payload":%q},{"proto":"udp","port":%d,"payload":"6869","encoding":"hex","delay":"10ms"}],
	"timeout":"2h","auto_refresh":true}]}`, port, cliSecret, port)
}

func TestProfileCommands(t *testing.T) {
	ring := useTestProfiles(t, nil)
	ln := testnet.ListenUDP(t)
	port := ln.LocalAddr().(*net.UDPAddr).Port

	stdout, stderr, code := runStdin(profileJSON(port), "import", "-")
	if code != ExitOK || stdout != "imported 1 profile from Knocker JSON: office\n" {
		t.Fatalf("import: %d %q %q", code, stdout, stderr)
	}
	stdout, _, code = run("list")
	if code != ExitOK || stdout != "office\t127.0.0.1\tnever knocked\n" {
		t.Fatalf("list: %d %q", code, stdout)
	}
	stdout, _, code = run("knock", "office", "-v")
	if code != ExitOK || strings.Count(stdout, " sent ") != 2 {
		t.Fatalf("knock: %d %q", code, stdout)
	}
	if got := readDatagrams(t, ln, 2); got[0] != cliSecret || got[1] != "hi" {
		t.Fatalf("listener got %q", got)
	}
	if stdout, _, _ = run("list"); !strings.Contains(stdout, "last knocked ") {
		t.Fatalf("list after knocking: %q", stdout)
	}
	stdout, _, code = run("export", "office")
	if code != ExitOK || strings.Contains(stdout, cliSecret) || strings.Contains(stdout, "steps") || !strings.Contains(stdout, `"name": "office"`) {
		t.Fatalf("export without secrets: %d %q", code, stdout)
	}
	stdout, _, code = run("export", "--all", "--with-secrets")
	if code != ExitOK || !strings.Contains(stdout, cliSecret) {
		t.Fatalf("export --with-secrets: %d %q", code, stdout)
	}
	exported := stdout
	if _, _, code = run("rename", "office", "work"); code != ExitOK {
		t.Fatalf("rename: %d", code)
	}
	if _, stderr, code = run("knock", "work"); code != ExitOK {
		t.Fatalf("knock after rename: %d %q", code, stderr)
	}
	readDatagrams(t, ln, 2)
	if _, stderr, code = run("delete", "work"); code != ExitOK {
		t.Fatalf("delete: %d %q", code, stderr)
	}
	if n := ring.(*secret.Memory).Len(); n != 0 {
		t.Fatalf("%d secrets left after delete", n)
	}
	if stdout, _, _ = run("list"); stdout != "" {
		t.Fatalf("list after delete: %q", stdout)
	}
	// What export --with-secrets wrote imports again.
	if stdout, stderr, code = runStdin(exported, "import", "-"); code != ExitOK {
		t.Fatalf("re-import: %d %q %q", code, stdout, stderr)
	}

	// The secret never reached the config folder.
	dir := os.Getenv("KNOCKER_CONFIG_DIR")
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if bytes.Contains(data, []byte(cliSecret)) {
			return fmt.Errorf("%s holds the secret", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestProfileCommandErrors(t *testing.T) {
	useTestProfiles(t, nil)
	dir := os.Getenv("KNOCKER_CONFIG_DIR")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{\"version\":1,\n\"profiles\":[{\"name\":\"x\",\"host\":\"h\",\"steps\":[{\"proto\":\"udp\",\"port\":99999,\"payload\":\""+cliSecret+"\"}]}]}"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "knockd.conf")
	if err := os.WriteFile(conf, []byte("[ssh]\nsequence = 7000:udp,8000\nseq_timeout = 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"knock"}, ExitUsage, "want one profile NAME"},
		{[]string{"knock", "nope"}, ExitUsage, `no profile named "nope" (see knocker list)`},
		{[]string{"list", "x"}, ExitUsage, "takes no arguments"},
		{[]string{"import"}, ExitUsage, "want one FILE"},
		{[]string{"import", filepath.Join(dir, "missing.json")}, ExitUsage, "no such file"},
		{[]string{"import", bad}, ExitUsage, "bad.json: profiles[0] (x).steps[0].port: port 99999 is out of range"},
		{[]string{"import", conf}, ExitUsage, "--host"},
		{[]string{"export"}, ExitUsage, "want profile names or --all"},
		{[]string{"export", "a", "--all"}, ExitUsage, "not both"},
		{[]string{"export", "--all", "--format", "xml"}, ExitUsage, `unknown --format "xml"`},
		{[]string{"export", "nope"}, ExitUsage, `no profile named "nope"`},
		{[]string{"rename", "a"}, ExitUsage, "want NAME and NEW-NAME"},
		{[]string{"rename", "a", "b"}, ExitUsage, `no profile named "a"`},
		{[]string{"delete", "a"}, ExitUsage, `no profile named "a"`},
		{[]string{"delete", "--bogus"}, ExitUsage, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, code := run(tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("code %d, stderr %q; want %d and one line with %q", code, stderr, tt.code, tt.stderr)
			}
			if strings.Contains(stdout+stderr, cliSecret) {
				t.Fatal("output holds the secret")
			}
		})
	}

	stdout, stderr, code := run("import", "--host", "127.0.0.1", conf)
	// seq_timeout is met by steps sent back to back: no warning is due.
	if code != ExitOK || !strings.Contains(stdout, "imported 1 profile from knockd.conf: ssh") || stderr != "" {
		t.Fatalf("knockd import: %d %q %q", code, stdout, stderr)
	}
	if _, stderr, code = run("import", "--host", "127.0.0.1", conf); code != ExitUsage || !strings.Contains(stderr, `nothing imported: a profile named "ssh" already exists`) {
		t.Fatalf("second import: %d %q", code, stderr)
	}
}

// downRing is a keyring that cannot be reached.
type downRing struct{}

var errRingDown = &secret.UnavailableError{Op: "read", Err: errors.New("no answer within 5s")}

func (downRing) Get(context.Context, string) (string, error) { return "", errRingDown }
func (downRing) Set(context.Context, string, string) error   { return errRingDown }
func (downRing) Delete(context.Context, string) error        { return errRingDown }

func TestProfilesWithoutKeyring(t *testing.T) {
	useTestProfiles(t, nil)
	if _, stderr, code := runStdin(profileJSON(9), "import", "-"); code != ExitOK {
		t.Fatalf("import: %q", stderr)
	}
	testProfiles.book.Secrets = downRing{}
	if stdout, stderr, code := run("list"); code != ExitOK || !strings.HasPrefix(stdout, "office\t") {
		t.Fatalf("list without a keyring: %d %q %q", code, stdout, stderr)
	}
	if stdout, _, code := run("export", "office"); code != ExitOK || !strings.Contains(stdout, "office") {
		t.Fatalf("export without secrets needs no keyring: %d", code)
	}
	for _, args := range [][]string{{"knock", "office"}, {"export", "--all", "--with-secrets"}, {"delete", "office"}, {"import", "-"}} {
		_, stderr, code := runStdin(strings.ReplaceAll(profileJSON(9), "office", "other"), args...)
		if code != ExitUsage || !strings.Contains(stderr, "keyring unavailable") || !strings.Contains(stderr, "gnome-keyring") {
			t.Errorf("%v: code %d, stderr %q; want exit 2 naming the fix", args, code, stderr)
		}
	}
}

func TestProfileCorruptFileStillLists(t *testing.T) {
	useTestProfiles(t, nil)
	dir := os.Getenv("KNOCKER_CONFIG_DIR")
	if err := os.WriteFile(filepath.Join(dir, "profiles.json"), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run("list")
	if code != ExitOK || stdout != "" || !strings.Contains(stderr, "knocker: warning: profiles.json is unreadable") || !strings.Contains(stderr, "profiles.json.corrupt-") {
		t.Fatalf("list over a corrupt file: %d %q %q", code, stdout, stderr)
	}
}

func TestProfileHelp(t *testing.T) {
	for name, usage := range profileUsage {
		for _, args := range [][]string{{"help", name}, {name, "--help"}} {
			stdout, _, code := run(args...)
			if code != ExitOK || stdout != usage+"\n" {
				t.Errorf("%v: %d %q", args, code, stdout)
			}
		}
	}
}

// spaProfileJSON is an SPA profile with fresh keys, knocking port on loopback.
func spaProfileJSON(t *testing.T, port int) (string, spa.Keys) {
	t.Helper()
	keys, err := spa.GenerateKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	k, h := keys.Base64()
	return fmt.Sprintf(`{"version": 2, "profiles": [{"name": "fw", "host": "127.0.0.1", "family": "ipv4",
	  "spa": {"key_base64": %q, "hmac_key_base64": %q, "access": "tcp/22", "allow_ip": "198.51.100.4", "port": %d},
	  "timeout": "1m"}]}`, k, h, port), keys
}

func TestSPAProfileCommands(t *testing.T) {
	useTestProfiles(t, nil)
	ln := testnet.ListenUDP(t)
	doc, keys := spaProfileJSON(t, ln.LocalAddr().(*net.UDPAddr).Port)
	k, h := keys.Base64()
	var public []string
	check := func(wantCode int, args ...string) string {
		t.Helper()
		stdout, stderr, code := runStdin(doc, args...)
		if code != wantCode {
			t.Fatalf("%v: exit %d, want %d: %q", args, code, wantCode, stderr)
		}
		public = append(public, stdout, stderr)
		return stdout + stderr
	}
	if out := check(ExitOK, "import", "-"); out != "imported 1 profile from Knocker JSON: fw\n" {
		t.Fatalf("import: %q", out)
	}
	before := time.Now().Truncate(time.Second)
	check(ExitOK, "knock", "fw", "-v")
	m, err := spa.Decode(keys, []byte(readDatagrams(t, ln, 1)[0]))
	if err != nil {
		t.Fatal(err)
	}
	if m.Access != "tcp/22" || m.AllowIP.String() != "198.51.100.4" || m.Time.Before(before) || m.Time.After(time.Now()) {
		t.Fatalf("the packet asks for %+v", m)
	}
	if out := check(ExitOK, "export", "fw"); !strings.Contains(out, `"access": "tcp/22"`) {
		t.Fatalf("export: %s", out)
	}
	if out := check(ExitUsage, "router-config", "fw", "--format", "nftables"); !strings.Contains(out, "its server side is fwknopd's access.conf") {
		t.Fatalf("router-config nftables: %s", out)
	}
	if out := check(ExitUsage, "export", "fw", "--format", "knockonports", "--with-secrets"); !strings.Contains(out, "Knock on Ports, which has no SPA") {
		t.Fatalf("export knockonports: %s", out)
	}
	if out := check(ExitUsage, "export", "--all", "--format", "knockonports"); !strings.Contains(out, "add --with-secrets") {
		t.Fatalf("export knockonports without --with-secrets: %s", out)
	}
	for _, out := range public {
		if strings.Contains(out, k) || strings.Contains(out, h) {
			t.Fatalf("a key was printed: %q", out)
		}
	}
	stanza, _, code := run("router-config", "fw", "--format", "fwknopd")
	if code != ExitOK || !strings.Contains(stanza, "KEY_BASE64              "+k+"\n") || !strings.Contains(stanza, "HMAC_KEY_BASE64         "+h+"\n") ||
		!strings.Contains(stanza, "OPEN_PORTS              tcp/22\n") || !strings.Contains(stanza, "FW_ACCESS_TIMEOUT       60\n") {
		t.Fatalf("fwknopd stanza: %d\n%s", code, stanza)
	}
	if _, stderr, code := run("router-config", "--format", "fwknopd", "h", "1"); code != ExitUsage || !strings.Contains(stderr, "one saved SPA profile NAME") {
		t.Fatalf("fwknopd for steps: %d %q", code, stderr)
	}
}

func TestExportKnockOnPortsCommand(t *testing.T) {
	useTestProfiles(t, nil)
	doc, _ := spaProfileJSON(t, 9)
	for _, in := range []string{profileJSON(9), doc} {
		if _, stderr, code := runStdin(in, "import", "-"); code != ExitOK {
			t.Fatal(stderr)
		}
	}
	stdout, stderr, code := run("export", "--all", "--format", "knockonports", "--with-secrets")
	if code != ExitOK || !strings.Contains(stderr, `profile "fw" is SPA, which Knock on Ports lacks: left out`) ||
		!strings.Contains(stderr, `profile "office": timeout and auto_refresh`) {
		t.Fatalf("%d %q", code, stderr)
	}
	imp, err := profile.ParseImport([]byte(stdout), "")
	if err != nil || imp.Format != profile.FormatKoP || len(imp.Profiles) != 1 || imp.Profiles[0].Name != "office" {
		t.Fatalf("%v %+v\n%s", err, imp, stdout)
	}
	if got := imp.Profiles[0].Steps; len(got) != 2 || string(got[0].Payload.Data) != cliSecret || string(got[1].Payload.Data) != "hi" {
		t.Fatalf("steps %v", got)
	}
}

func TestImportFwknoprc(t *testing.T) {
	ring := useTestProfiles(t, nil)
	dir := t.TempDir()
	rc := filepath.Join(dir, ".fwknoprc")
	const key = "c2VjcmV0LWtleS0xMjM0NTY3ODkwYWJjZGVmZ2hpams="
	text := "# mine\n[office]\nSPA_SERVER 127.0.0.1\nACCESS tcp/22\nKEY_BASE64 " + key +
		"\nHMAC_KEY_BASE64 aG1hYy1rZXktMTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1Njc4OQ==\nRESOLVE_IP_HTTPS Y\n"
	if err := os.WriteFile(rc, []byte(text), 0o640); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run("import", rc)
	if code != ExitOK || !strings.Contains(stdout, "imported 1 profile from fwknop client configuration (.fwknoprc): office\n") ||
		!strings.Contains(stdout, "remove them with knocker import --scrub-source") ||
		!strings.Contains(stderr, "looked up at fwknop's own service, https://www.cipherdyne.org/cgi-bin/myip") {
		t.Fatalf("%d %q %q", code, stdout, stderr)
	}
	if got, _ := os.ReadFile(rc); string(got) != text {
		t.Fatal("the file was changed without --scrub-source")
	}
	if ring.(*secret.Memory).Len() != 1 {
		t.Fatal("keys not in the keyring")
	}
	if _, stderr, code := run("import", "--scrub-source", rc); code != ExitUsage || !strings.Contains(stderr, "already exists") {
		t.Fatalf("a failed import must not scrub: %d %q", code, stderr)
	}
	if got, _ := os.ReadFile(rc); string(got) != text {
		t.Fatal("a failed import changed the file")
	}
	if _, _, code := run("delete", "office"); code != ExitOK {
		t.Fatal("delete")
	}
	stdout, stderr, code = run("import", "--scrub-source", rc)
	if code != ExitOK || !strings.Contains(stdout, "2 key lines replaced by comments") {
		t.Fatalf("%d %q %q", code, stdout, stderr)
	}
	got, _ := os.ReadFile(rc)
	fi, _ := os.Stat(rc)
	if strings.Contains(string(got), key) || !strings.Contains(string(got), "SPA_SERVER 127.0.0.1\n") || fi.Mode().Perm() != 0o640 {
		t.Fatalf("scrubbed file (mode %v):\n%s", fi.Mode(), got)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp-*")); len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if _, stderr, code := runStdin(profileJSON(9), "import", "--scrub-source", "-"); code != ExitUsage || !strings.Contains(stderr, "--scrub-source rewrites a .fwknoprc FILE") {
		t.Fatalf("scrub on JSON: %d %q", code, stderr)
	}
}

// TestImportScrubThroughLinks: --scrub-source on a ~/.fwknoprc that links
// into a dotfiles folder scrubs the file the keys are in and keeps the
// link; on a file with a second hard link it refuses before importing
// anything, so the same command can run again once the link is gone.
func TestImportScrubThroughLinks(t *testing.T) {
	const key = "c2VjcmV0LWtleS0xMjM0NTY3ODkwYWJjZGVmZ2hpams="
	text := "[office]\nSPA_SERVER 127.0.0.1\nACCESS tcp/22\nKEY_BASE64 " + key +
		"\nHMAC_KEY_BASE64 aG1hYy1rZXktMTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1Njc4OQ==\n"

	t.Run("symbolic link", func(t *testing.T) {
		useTestProfiles(t, nil)
		dir := t.TempDir()
		real := filepath.Join(dir, "dotfiles", "fwknoprc")
		if err := os.Mkdir(filepath.Dir(real), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(real, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, ".fwknoprc")
		if err := os.Symlink(real, link); err != nil {
			t.Fatal(err)
		}
		stdout, stderr, code := run("import", "--scrub-source", link)
		if code != ExitOK || !strings.Contains(stdout, "scrubbed "+real+" (the file "+link+" links to): 2 key lines") {
			t.Fatalf("%d %q %q", code, stdout, stderr)
		}
		if got, _ := os.ReadFile(real); strings.Contains(string(got), key) {
			t.Fatalf("the real file still holds the key:\n%s", got)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("the link was replaced: %v %v", fi, err)
		}
	})

	t.Run("hard link", func(t *testing.T) {
		ring := useTestProfiles(t, nil)
		dir := t.TempDir()
		rc := filepath.Join(dir, ".fwknoprc")
		if err := os.WriteFile(rc, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		backup := filepath.Join(dir, "fwknoprc.bak")
		if err := os.Link(rc, backup); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := run("import", "--scrub-source", rc)
		if code != ExitUsage || !strings.Contains(stderr, "nothing imported: --scrub-source cannot rewrite "+rc+": "+rc+" has 2 hard links") {
			t.Fatalf("%d %q", code, stderr)
		}
		for _, name := range []string{rc, backup} {
			if got, _ := os.ReadFile(name); string(got) != text {
				t.Fatalf("%s was changed", name)
			}
		}
		if ring.(*secret.Memory).Len() != 0 {
			t.Fatal("the profile was imported although the scrub was refused")
		}
		if err := os.Remove(backup); err != nil {
			t.Fatal(err)
		}
		if _, stderr, code := run("import", "--scrub-source", rc); code != ExitOK {
			t.Fatalf("once the link is gone: %d %q", code, stderr)
		}
	})
}

// Older builds saved names with invisible characters; list shows them
// escaped, so a right-to-left override cannot reorder what the terminal
// shows nor a zero-width space make two names look alike.
func TestListShowsInvisibleCharactersEscaped(t *testing.T) {
	useTestProfiles(t, nil)
	name, host := "invoice\u202etxt.exe", "router\u200b.lan"
	saved := fmt.Sprintf(`{"version": 1, "profiles": [{"id": "a1", "name": %q, "host": %q}]}`, name, host)
	if err := os.WriteFile(testProfiles.book.Store.(*profile.Store).Path(), []byte(saved), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run("list")
	if code != ExitOK || strings.ContainsAny(stdout, "\u202e\u200b") {
		t.Fatalf("list: exit %d, stdout %q, stderr %q; want no invisible character", code, stdout, stderr)
	}
	if want := profile.Printable(name) + "\t" + profile.Printable(host) + "\t"; !strings.HasPrefix(stdout, want) || want == name+"\t"+host+"\t" {
		t.Fatalf("list: %q, want it to begin %q", stdout, want)
	}
}

// A section or stanza Knocker cannot knock is left out, named on stderr
// with its reason, and the rest imports (exit 0); a file with nothing to
// knock fails with one line naming each (exit 2).
func TestImportLeavesOutUnknockable(t *testing.T) {
	ring := useTestProfiles(t, nil)
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	conf := write("knockd.conf", `[options]
	UseSyslog
[openSSH]
	sequence    = 7000:udp,8000,9000:udp
	seq_timeout = 10
	tcpflags    = syn
	command     = /sbin/iptables -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
[openAdmin]
	one_time_sequences = /etc/knockd/admin.seq
[totp]
	key      = `+cliSecret+`
	sequence = 1,2,3
[closeSSH]
	sequence = 9000:udp,8000,7000:udp
`)
	stdout, stderr, code := run("import", "--host", "127.0.0.1", conf)
	wantErr := "knocker: left out: " + conf + ": line 8: [openAdmin]: line 9: one_time_sequences is not supported: Knocker knocks a fixed sequence\n" +
		"knocker: left out: " + conf + ": line 10: [totp]: line 11: key is a TOTP secret of a knockd fork: its sequence changes with time, and Knocker knocks a fixed one\n"
	if code != ExitOK || stdout != "imported 2 profiles from knockd.conf: openSSH, closeSSH\n" || stderr != wantErr {
		t.Fatalf("%d %q %q", code, stdout, stderr)
	}

	bad := write("bad.conf", "[a]\none_time_sequences = /etc/k\n[b]\nsequence = 1\ntcpflags = ack\n")
	_, stderr, code = run("import", "--host", "127.0.0.1", bad)
	if code != ExitUsage || stderr != "knocker import: "+bad+": nothing can be imported: line 1: [a]: line 2: one_time_sequences is not supported: Knocker knocks a fixed sequence; "+
		"line 3: [b]: line 5: tcpflags ack is not supported: Knocker sends plain SYNs (read as knockd.conf)\n" {
		t.Fatalf("%d %q", code, stderr)
	}

	rc := write(".fwknoprc", "[default]\nUSE_HMAC Y\n\n[gpg]\nSPA_SERVER 127.0.0.1\nACCESS tcp/22\nUSE_GPG Y\nGPG_RECIPIENT 6A3FAD56\n\n"+
		"[asks]\nSPA_SERVER 127.0.0.1\nACCESS tcp/2222\n\n[home]\nSPA_SERVER 127.0.0.1\nACCESS tcp/22\nALLOW_IP 127.0.0.1\n"+
		"KEY_BASE64 c2VjcmV0LWtleS0xMjM0NTY3ODkwYWJjZGVmZ2hpams=\nHMAC_KEY_BASE64 aG1hYy1rZXktMTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1Njc4OQ==\n")
	stdout, stderr, code = run("import", rc)
	if code != ExitOK || !strings.HasPrefix(stdout, "imported 1 profile from fwknop client configuration (.fwknoprc): home\n") ||
		stderr != "knocker: left out: "+rc+": line 4: [gpg]: line 8: GPG_RECIPIENT: GnuPG is not supported: Knocker sends packets encrypted with Rijndael and HMAC keys\n"+
			"knocker: left out: "+rc+": line 10: [asks]: no KEY_BASE64: fwknop asks for the key at each run, and Knocker must keep it (the window's import asks for it; or add KEY_BASE64 and HMAC_KEY_BASE64 to the stanza)\n" {
		t.Fatalf("%d %q %q", code, stdout, stderr)
	}
	if n := ring.(*secret.Memory).Len(); n != 3 {
		t.Fatalf("%d keyring items, want the 2 knockd profiles and home", n)
	}
	// fwknop's first-run template is a .fwknoprc without a stanza, not a knockd.conf wanting --host.
	tmpl := write("template", "[default]\n\n#SPA_SERVER_PORT     62201\n#ALLOW_IP            <ip addr>\n#USE_GPG             N\n")
	if _, stderr, code = run("import", tmpl); code != ExitUsage || !strings.Contains(stderr, "the file holds no stanza") || !strings.Contains(stderr, "(read as fwknop client configuration (.fwknoprc))") {
		t.Fatalf("%d %q", code, stderr)
	}
}
