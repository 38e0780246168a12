package wine

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
)

func TestVersion(t *testing.T) {
	s := needStage(t)
	res := s.knocker(t, nil, 0, "version")
	if !strings.HasPrefix(res.stdout, "knocker "+s.version+" ") || !strings.Contains(res.stdout, "windows/amd64") {
		t.Fatalf("version printed %q, want knocker %s for windows/amd64", res.stdout, s.version)
	}
}

// A profile's secret goes into the Credential Manager (one item, named
// after the profile's stable ID) and nowhere else; import, list, export,
// rename and delete work on it, and after delete the item is gone.
func TestCredentialManagerLifecycle(t *testing.T) {
	s := needStage(t)
	var b [8]byte
	rand.Read(b[:])
	secretText := "wine-knock-" + hex.EncodeToString(b[:])
	config := t.TempDir()
	env := []string{"KNOCKER_CONFIG_DIR=" + winPath(config)}
	file := filepath.Join(t.TempDir(), "office.json")
	doc := fmt.Sprintf(`{"version": 2, "profiles": [{"name": "office", "host": "192.0.2.10", "timeout": "2h",
		"steps": [{"proto": "udp", "port": 7000, "payload": %q, "encoding": "text"}, {"proto": "icmp", "payload": "size:64"}]}]}`, secretText)
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}

	if res := s.knocker(t, env, 0, "import", winPath(file)); res.stdout != "imported 1 profile from Knocker JSON: office\n" {
		t.Fatalf("import said %q", res.stdout)
	}
	if res := s.knocker(t, env, 0, "list"); res.stdout != "office\t192.0.2.10\tnever knocked\n" {
		t.Fatalf("list said %q", res.stdout)
	}
	id := testbin.ProfileID(t, config, "office")
	item := "io.knocker.desktop:" + id
	if got := s.credentials(t); !slices.Contains(got, item) {
		t.Fatalf("Credential Manager items %q, want %s", got, item)
	}
	testbin.AssertNoSecretIn(t, config, secretText)

	if res := s.knocker(t, env, 0, "export", "office"); !strings.Contains(res.stdout, `"name": "office"`) || strings.Contains(res.stdout, secretText) {
		t.Fatalf("export without secrets: %q", res.stdout)
	}
	if res := s.knocker(t, env, 0, "export", "--with-secrets", "office"); !strings.Contains(res.stdout, secretText) {
		t.Fatalf("export --with-secrets did not read the secret back from the Credential Manager: %q", res.stdout)
	}

	s.knocker(t, env, 0, "rename", "office", "work")
	if got := testbin.ProfileID(t, config, "work"); got != id {
		t.Fatalf("rename changed the ID from %s to %s", id, got)
	}
	if res := s.knocker(t, env, 0, "export", "--with-secrets", "work"); !strings.Contains(res.stdout, secretText) {
		t.Fatalf("the secret did not follow the rename: %q", res.stdout)
	}

	s.knocker(t, env, 0, "delete", "work")
	if res := s.knocker(t, env, 0, "list"); res.stdout != "" {
		t.Fatalf("list after delete: %q", res.stdout)
	}
	if got := s.credentials(t); slices.Contains(got, item) {
		t.Fatalf("the Credential Manager item %s outlived its profile", item)
	}
	if res := s.knocker(t, env, 2, "export", "--with-secrets", "work"); strings.Count(res.stderr, "\n") != 1 {
		t.Fatalf("export of a deleted profile: want one line on stderr, got %q", res.stderr)
	}
}

// The Windows-only unit tests run under Wine too: the ICMP helper sends
// echo requests to loopback (read back by the test's raw socket: Wine runs
// as root here), and the single-instance pipe is the user's alone and hands
// a second launch over. Each named test must pass, not skip.
func TestWindowsUnitTests(t *testing.T) {
	s := needStage(t)
	tests := []struct {
		pkg, run string
		tags     []string
		mustPass []string
	}{
		{"./knock", "^TestICMPStepsReachLoopback$", nil, []string{"TestICMPStepsReachLoopback/127.0.0.1"}},
		{"./app/gui", "^(TestInstance|TestSecondClaim|TestSilentLaunch)", []string{"-tags", "ci"},
			[]string{"TestInstancePipeNamesUserAndSession", "TestSecondClaimShowsTheFirst", "TestInstancePipeIsTheOwnersOnly",
				"TestSilentLaunchDoesNotHoldThePipe"}},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			exe := filepath.Join(t.TempDir(), "pkg.test.exe")
			build := exec.Command("go", append(append([]string{"test", "-c", "-o", exe}, tt.tags...), tt.pkg)...)
			build.Dir = repoRoot()
			build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("go test -c %s: %v\n%s", tt.pkg, err, out)
			}
			res := s.run(t, nil, exe, "-test.run", tt.run, "-test.v", "-test.count=1")
			t.Log(res.stdout)
			if res.code != 0 {
				t.Fatalf("%s under Wine: exit %d\n%s%s", tt.pkg, res.code, res.stdout, res.stderr)
			}
			for _, name := range tt.mustPass {
				if !strings.Contains(res.stdout, "--- PASS: "+name+" ") {
					t.Errorf("%s did not pass (skipped or missing) under Wine", name)
				}
			}
		})
	}
}

// A knock from the command line under Wine: a TCP step to a closed port
// (Windows says "refused" in its own words, which must count as sent), an
// ICMP echo through IcmpSendEcho2, and the check that the open port
// answers. UDP is what Wine cannot show: it refuses every Go UDP socket.
func TestKnockFromTheCommandLine(t *testing.T) {
	s := needStage(t)
	open, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := open.Accept(); err == nil {
			c.Close()
			accepted <- struct{}{}
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	openPort := open.Addr().(*net.TCPAddr).Port
	res := s.knocker(t, nil, 0, "send", "-v", "--verify", fmt.Sprint(openPort), "127.0.0.1", fmt.Sprintf("%d:tcp", closedPort), "icmp=size:8")
	if !strings.Contains(res.stdout, fmt.Sprintf("step 1/2 tcp/%d sent", closedPort)) || !strings.Contains(res.stdout, "step 2/2 icmp") ||
		!strings.Contains(res.stdout, fmt.Sprintf("verify tcp/%d: open", openPort)) {
		t.Fatalf("knocker send -v printed:\n%s", res.stdout)
	}
	// knocker saw the handshake complete; the accept that records it may
	// not have run yet on a busy machine.
	select {
	case <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("the check never reached the open port")
	}
}
