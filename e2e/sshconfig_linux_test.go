package e2e

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
)

// Installed as the .deb installs them, knocker and knocker-cli side by side
// (here in a folder whose name needs quoting), ssh-config writes a block
// whose ProxyCommand runs knocker-cli with the profile's ID and says so;
// the real ssh then reaches a server through it, in a new process that
// finds the profile by that ID (a profile file's IDs are stable).
func TestSSHConfigRunsTheHeadlessBuildBeside(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("ssh not found (Debian package openssh-client)")
	}
	dir := filepath.Join(t.TempDir(), `it's "knocker" \`)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	desktop, headless := filepath.Join(dir, "knocker"), filepath.Join(dir, "knocker-cli")
	// Both hold the headless build, which runs the same ssh-config as the
	// desktop one: under the secrets audit testbin.Path is a wrapper script
	// that starts a copy of knocker kept elsewhere, so it could not show
	// what the program finds beside itself.
	copyFile(t, testbin.HeadlessPath(t), desktop, 0o755)
	copyFile(t, testbin.HeadlessPath(t), headless, 0o755)
	env := silentProfileEnv(t)
	srv := newSilentServer(t, false)

	cmd := exec.Command(desktop, "ssh-config", "--port", strconv.Itoa(srv.port), "silent")
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	block, err := cmd.Output()
	if err != nil {
		t.Fatalf("ssh-config: %v: %s", err, stderr.Bytes())
	}
	if want := "knocker ssh-config: ProxyCommand runs " + headless + "\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
	if !strings.Contains(string(block), "knocker-cli' proxy --id file-") {
		t.Fatalf("the block does not run knocker-cli by ID:\n%s", block)
	}
	config := filepath.Join(t.TempDir(), "config")
	writeFile(t, config, 0o600, string(block))

	ssh := exec.Command("ssh", "-v", "-F", config, "-o", "BatchMode=yes", "silent", "true")
	ssh.Env = append(os.Environ(), append(env, "HOME="+t.TempDir(), "SHELL=/bin/sh")...)
	sshErr, err := ssh.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := ssh.Start(); err != nil {
		t.Fatal(err)
	}
	defer ssh.Wait()
	defer ssh.Process.Kill() // the server says nothing after its banner
	lines := make(chan string)
	go func() {
		defer close(lines)
		for sc := bufio.NewScanner(sshErr); sc.Scan(); {
			lines <- sc.Text()
		}
	}()
	var seen []string
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("ssh ended without the server's banner through the proxy:\n%s", strings.Join(seen, "\n"))
			}
			if strings.Contains(line, "remote software version silent") {
				return
			}
			seen = append(seen, line)
		case <-timeout:
			t.Fatalf("no banner through the proxy after 30 s:\n%s", strings.Join(seen, "\n"))
		}
	}
}
