package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
)

// sshPort is where the router's sshd listens, behind the knock.
const sshPort = 2022

// sshLab is a lab whose router runs OpenSSH's sshd on sshPort behind the
// nftables rules knocker router-config writes for a saved profile, and whose
// client has an ssh config from knocker ssh-config. Keys, known hosts and
// HOME are the test's own, so nothing touches the user's ~/.ssh.
type sshLab struct {
	*lab
	dir     string   // keys, configs, files to copy
	env     []string // for knocker and for ssh (whose ProxyCommand is knocker)
	sshArgs []string // options every ssh, scp and sftp run gets
}

// newSSHLab imports profiles (a Knocker JSON document), starts sshd in the
// router and loads the rules of profile rules, with a counter of the UDP
// datagrams to port 1234 (every profile here knocks there first).
func newSSHLab(t *testing.T, profiles, rules string) *sshLab {
	t.Helper()
	needKeyring(t)
	for _, tool := range []string{"/usr/sbin/sshd", "ssh", "ssh-keygen", "scp", "sftp"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("ssh lab: %s not found (Debian packages openssh-server and openssh-client)", tool)
		}
	}
	s := &sshLab{lab: newLab(t), dir: t.TempDir()}
	home := filepath.Join(s.dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	s.env = append([]string{"KNOCKER_CONFIG_DIR=" + importProfiles(t, profiles), "HOME=" + home}, noDisplay...)

	hostKey, userKey := filepath.Join(s.dir, "host_key"), filepath.Join(s.dir, "id_ed25519")
	for _, key := range []string{hostKey, userKey} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "knocker-lab", "-f", key).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	authorized := filepath.Join(s.dir, "authorized_keys")
	if err := os.Rename(userKey+".pub", authorized); err != nil {
		t.Fatal(err)
	}
	sshdConfig := filepath.Join(s.dir, "sshd_config")
	writeFile(t, sshdConfig, 0o600, fmt.Sprintf(`Port %d
ListenAddress %s
HostKey %s
AuthorizedKeysFile %s
UsePAM no
StrictModes no
PidFile %s
Subsystem sftp /usr/lib/openssh/sftp-server
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
`, sshPort, labRouter4, hostKey, authorized, filepath.Join(s.dir, "sshd.pid")))
	// sshd's privilege separation folder; it exists once sshd was installed,
	// but not on a machine where it never ran.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	out, _ := s.daemon("/usr/sbin/sshd", "-D", "-e", "-f", sshdConfig)
	// Asked before the rules load, which would refuse the router's own address.
	if !waitFor(10*time.Second, func() bool { return s.sshdAnswers() }) {
		t.Fatalf("sshd did not start:\n%s", out.String())
	}

	res := testbin.Run(t, s.env, "router-config", "--format", "nftables", rules)
	if res.Code != 0 {
		t.Fatalf("router-config: %s", res.Stderr)
	}
	s.nft(res.Stdout + `
table ip knock-count
delete table ip knock-count
table ip knock-count {
	chain input {
		type filter hook input priority filter - 10; policy accept;
		udp dport 1234 counter
	}
}
`)
	s.sshArgs = []string{
		"-o", "BatchMode=yes",
		"-o", "UserKnownHostsFile=" + filepath.Join(s.dir, "known_hosts"),
		"-o", "StrictHostKeyChecking=accept-new",
		"-o", "IdentitiesOnly=yes", "-i", userKey,
		"-o", "ConnectTimeout=20",
	}
	return s
}

func (s *sshLab) sshdAnswers() bool {
	return inNetns(s.router, func() error {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(labRouter4.String(), strconv.Itoa(sshPort)), time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}) == nil
}

// sshConfig writes the Host block of knocker ssh-config for profile, from a
// copy of the binary whose path holds a space and a quote, so ssh's
// ProxyCommand has to run a quoted path.
func (s *sshLab) sshConfig(profile, alias string) string {
	s.t.Helper()
	binDir := filepath.Join(s.dir, "knocker's bin")
	program := filepath.Join(binDir, "knocker")
	if _, err := os.Stat(program); err != nil {
		if err := os.Mkdir(binDir, 0o755); err != nil {
			s.t.Fatal(err)
		}
		copyFile(s.t, testbin.Path(s.t), program, 0o755)
	}
	me, err := user.Current()
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(program, "ssh-config", "--alias", alias, "--user", me.Username, profile)
	cmd.Env = append(os.Environ(), s.env...)
	block, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("knocker ssh-config: %v", err)
	}
	config := filepath.Join(s.dir, alias+".config")
	writeFile(s.t, config, 0o600, string(block))
	return config
}

// run runs an OpenSSH client (ssh, scp, sftp) in the client namespace.
func (s *sshLab) run(tool, config string, args ...string) (stdout, stderr string, code int) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	argv := append(append([]string{"netns", "exec", s.client, tool, "-F", config}, s.sshArgs...), args...)
	cmd := exec.CommandContext(ctx, "ip", argv...)
	cmd.Env = append(os.Environ(), s.env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		s.t.Fatalf("%s %q did not finish: %s", tool, args, errOut.String())
	}
	if err != nil && cmd.ProcessState == nil {
		s.t.Fatalf("%s: %v", tool, err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// knocksSeen is how many datagrams to UDP port 1234 reached the router.
func (s *sshLab) knocksSeen() int {
	s.t.Helper()
	out, err := nsCommand(s.router, "nft", "list", "chain", "ip", "knock-count", "input").CombinedOutput()
	if err != nil {
		s.t.Fatalf("reading the knock counter: %v: %s", err, out)
	}
	m := regexp.MustCompile(`udp dport 1234 counter packets (\d+)`).FindSubmatch(out)
	if m == nil {
		s.t.Fatalf("no counter in:\n%s", out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// labSSHProfiles are two profiles for the router: lab-ssh knocks right,
// wrong knocks the same ports with another payload. Payloads are random, so
// the secrets audit can look for them.
func labSSHProfiles() string {
	payload := func() string {
		b := make([]byte, 8)
		for i := range b {
			b[i] = byte(rand.Uint32())
		}
		return hex.EncodeToString(b)
	}
	profile := func(name, payload string) string {
		return fmt.Sprintf(`{"name": %q, "host": %q, "timeout": "10m",
			"verify": {"proto": "tcp", "port": %d, "timeout": "2s"},
			"steps": [{"proto": "udp", "port": 1234, "payload": %q}, {"proto": "tcp", "port": 2345, "delay": "20ms"}]}`,
			name, labRouter4, sshPort, payload)
	}
	return `{"version": 1, "profiles": [` + profile("lab-ssh", payload()) + ", " + profile("wrong", payload()) + `]}`
}

// Real ssh, scp and sftp reach the router's sshd through the Host block of
// knocker ssh-config: the first connection knocks, the next ones within the
// router's timeout do not, files cross intact both ways, and a router that
// forgot the entry is knocked again.
func TestLabSSHThroughProxy(t *testing.T) {
	t.Parallel()
	s := newSSHLab(t, labSSHProfiles(), "lab-ssh")
	config := s.sshConfig("lab-ssh", "router")

	t.Run("without the proxy the port is shut", func(t *testing.T) {
		_, stderr, code := s.run("ssh", config, "-o", "ProxyCommand=none", "router", "true")
		if code != 255 || !strings.Contains(stderr, "Connection refused") {
			t.Fatalf("ssh without ProxyCommand: exit %d, %q; want refused", code, stderr)
		}
		if n := s.knocksSeen(); n != 0 {
			t.Fatalf("%d knocks before any", n)
		}
	})
	t.Run("the first ssh knocks", func(t *testing.T) {
		stdout, stderr, code := s.run("ssh", config, "router", "echo $((6*7))")
		if code != 0 || stdout != "42\n" {
			t.Fatalf("ssh: exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		note := fmt.Sprintf("knocker proxy: knocked lab-ssh at %s; %s:%d answered\n", labRouter4, labRouter4, sshPort)
		if !strings.Contains(stderr, note) {
			t.Fatalf("stderr %q lacks the note %q", stderr, note)
		}
		if n := s.knocksSeen(); n != 1 {
			t.Fatalf("the router saw %d knocks, want 1", n)
		}
		if res := testbin.Run(t, s.env, "list"); !strings.Contains(res.Stdout, "lab-ssh\t"+labRouter4.String()+"\tlast knocked ") {
			t.Fatalf("the knock time was not saved: %q", res.Stdout)
		}
	})
	t.Run("the second ssh does not knock", func(t *testing.T) {
		stdout, stderr, code := s.run("ssh", config, "router", "echo again")
		if code != 0 || stdout != "again\n" || strings.Contains(stderr, "knocker") {
			t.Fatalf("ssh: exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		if n := s.knocksSeen(); n != 1 {
			t.Fatalf("the router saw %d knocks, want still 1", n)
		}
	})
	t.Run("scp 20 MB both ways", func(t *testing.T) {
		// sshd runs in the router's network namespace but on this file
		// system: both ends of every copy can be read here.
		src := filepath.Join(s.dir, "random.bin")
		writeRandom(t, src, 20<<20)
		up, down := filepath.Join(s.dir, "uploaded.bin"), filepath.Join(s.dir, "downloaded.bin")
		if _, stderr, code := s.run("scp", config, src, "router:"+up); code != 0 {
			t.Fatalf("scp up: exit %d: %s", code, stderr)
		}
		if _, stderr, code := s.run("scp", config, "router:"+src, down); code != 0 {
			t.Fatalf("scp down: exit %d: %s", code, stderr)
		}
		for _, copied := range []string{up, down} {
			if got, want := sha256File(t, copied), sha256File(t, src); got != want {
				t.Fatalf("%s: sha256 %s, the original %s", filepath.Base(copied), got, want)
			}
		}
	})
	t.Run("sftp batch", func(t *testing.T) {
		src := filepath.Join(s.dir, "random.bin")
		put, got := filepath.Join(s.dir, "sftp-put.bin"), filepath.Join(s.dir, "sftp-got.bin")
		batch := filepath.Join(s.dir, "batch")
		writeFile(t, batch, 0o600, fmt.Sprintf("put %s %s\nls -l %s\nget %s %s\nrm %s\n", src, put, put, put, got, put))
		stdout, stderr, code := s.run("sftp", config, "-b", batch, "router")
		if code != 0 || !strings.Contains(stdout, strconv.Itoa(20<<20)) {
			t.Fatalf("sftp: exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		if sha256File(t, got) != sha256File(t, src) {
			t.Fatal("the file sftp fetched differs from the one it put")
		}
		if _, err := os.Stat(put); !os.IsNotExist(err) {
			t.Fatalf("sftp rm left %s: %v", put, err)
		}
	})
	t.Run("a router that forgot is knocked again", func(t *testing.T) {
		before := s.knocksSeen()
		// Reloading the rules keeps who is listed, as it must over SSH;
		// the router forgets when the list is emptied, as at a reboot.
		s.nft("flush set ip knocker-lab-ssh allow\n")
		stdout, stderr, code := s.run("ssh", config, "router", "echo back")
		if code != 0 || stdout != "back\n" || !strings.Contains(stderr, "knocker proxy: knocked lab-ssh") {
			t.Fatalf("ssh: exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		if n := s.knocksSeen(); n != before+1 {
			t.Fatalf("the router saw %d knocks, want %d", n, before+1)
		}
	})
}

// A profile whose sequence the router does not accept: knocker proxy exits
// 1 with one line naming the profile, and ssh reports that its proxy failed.
func TestLabSSHWrongSequence(t *testing.T) {
	t.Parallel()
	s := newSSHLab(t, labSSHProfiles(), "lab-ssh")
	line := fmt.Sprintf("knocker proxy: knocked wrong, but %s:%d did not answer after 1 knock: connection refused (is the sequence right?)\n", labRouter4, sshPort)

	res := testbin.RunIn(t, nsExec(s.client), s.env, "proxy", "wrong", labRouter4.String(), strconv.Itoa(sshPort))
	if res.Code != 1 || res.Stdout != "" || res.Stderr != line {
		t.Fatalf("knocker proxy: exit %d, stdout %q, stderr %q; want exit 1 and %q", res.Code, res.Stdout, res.Stderr, line)
	}
	stdout, stderr, code := s.run("ssh", s.sshConfig("wrong", "router"), "router", "echo in")
	if code != 255 || stdout != "" || !strings.Contains(stderr, line) || !strings.Contains(stderr, "Connection closed") {
		t.Fatalf("ssh: exit %d, stdout %q, stderr %q; want exit 255, the proxy's line and ssh's", code, stdout, stderr)
	}
	if n := s.knocksSeen(); n != 2 {
		t.Fatalf("the router saw %d knocks, want 2", n)
	}
	if res := testbin.Run(t, s.env, "list"); !strings.Contains(res.Stdout, "wrong\t"+labRouter4.String()+"\tnever knocked") {
		t.Fatalf("a knock that did not open the port was saved: %q", res.Stdout)
	}
}

func writeRandom(t *testing.T, name string, size int) {
	t.Helper()
	b := make([]byte, size)
	rand.NewChaCha8([32]byte{byte(time.Now().UnixNano())}).Read(b)
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func sha256File(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}
