package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/app/secret"
	"github.com/knocker/knocker/internal/testnet"
	"github.com/knocker/knocker/knock"
)

// lockedBuffer is a Buffer a running command writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls until the output holds want.
func (l *lockedBuffer) waitFor(t *testing.T, want string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(l.String(), want) {
			return
		}
	}
	t.Fatalf("the output never said %q:\n%s", want, l.String())
}

// startCommand runs a command that lasts until Ctrl+C; stop sends that and
// returns the exit code and stderr.
func startCommand(t *testing.T, args ...string) (out *lockedBuffer, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &lockedBuffer{}
	var errOut lockedBuffer
	done := make(chan int, 1)
	go func() { done <- Run(ctx, testEnv(strings.NewReader(""), out, &errOut), args) }()
	stop = func() (int, string) {
		cancel()
		select {
		case code := <-done:
			return code, errOut.String()
		case <-time.After(5 * time.Second):
			t.Fatal("Ctrl+C did not stop it")
			return 0, ""
		}
	}
	t.Cleanup(func() { cancel() })
	return out, stop
}

func TestDemoRouterBadInput(t *testing.T) {
	two := filepath.Join(t.TempDir(), "two.json")
	os.WriteFile(two, []byte(`{"version":1,"profiles":[
		{"name":"a","host":"127.0.0.1","steps":[{"proto":"udp","port":7000,"payload":"x"}]},
		{"name":"b","host":"127.0.0.1","steps":[{"proto":"udp","port":7001,"payload":"y"}]}]}`), 0o600)
	spaFile := filepath.Join(t.TempDir(), "spa.json")
	spaDoc, _ := spaProfileJSON(t, 62201)
	os.WriteFile(spaFile, []byte(spaDoc), 0o600)
	broken := filepath.Join(t.TempDir(), "broken.json")
	os.WriteFile(broken, []byte(`{"version":1,"profiles":[{"name":"a"`), 0o600)
	tests := []struct {
		args   []string
		errHas string
	}{
		{[]string{"demo-router"}, "want the knock steps, or --profile FILE"},
		{[]string{"demo-router", "--profile", two, "7000:udp"}, "give steps or --profile FILE, not both"},
		{[]string{"demo-router", "--profile", two}, "holds 2 profiles; the demo router plays one"},
		{[]string{"demo-router", "--profile", broken}, "broken.json:"},
		{[]string{"demo-router", "--profile", spaFile}, "holds an SPA profile; the demo router plays port knocks only"},
		{[]string{"demo-router", "--profile", filepath.Join(t.TempDir(), "missing.json")}, "no such file"},
		{[]string{"demo-router", "-u", "--profile", two}, "-u and -d describe steps given on the command line"},
		{[]string{"demo-router", "7000:udp", "icmp=ping"}, "step 2: the demo router cannot see ICMP steps without root"},
		{[]string{"demo-router", "--listen", "192.0.2.1", "7000:udp"}, "refusing to listen on 192.0.2.1"},
		{[]string{"demo-router", "--listen", "router", "7000:udp"}, `--listen "router" is not an IP address`},
		{[]string{"demo-router", "--timeout", "-1s", "7000:udp"}, "cannot be negative"},
		{[]string{"demo-router", "7000:udp", "2222"}, "step 2: tcp/2222 is also the service port; pick another"},
		{[]string{"demo-router", "7000:udp=hex:zz"}, "step 1: payload"},
		{[]string{"demo-router", "--service-port", "0", "7000:udp"}, "port 0 is out of range"},
		{[]string{"demo", "extra"}, "takes no arguments"},
		{[]string{"demo", "--timeout", "0s"}, "--timeout must be positive"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, stderr, code := run(tc.args...)
			if code != ExitUsage {
				t.Errorf("exit code %d, want %d", code, ExitUsage)
			}
			if !strings.Contains(stderr, tc.errHas) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q is not one line saying %q", stderr, tc.errHas)
			}
		})
	}
}

// The help says plainly what the demo is not.
func TestDemoHelp(t *testing.T) {
	for _, cmd := range []string{"demo-router", "demo"} {
		stdout, _, code := run("help", cmd)
		if code != ExitOK || !strings.Contains(stdout, "NOT A SECURITY PRODUCT") {
			t.Errorf("knocker help %s (exit %d) does not warn:\n%s", cmd, code, stdout)
		}
	}
}

// demoKnock knocks the steps at the demo router with a check of service.
func demoKnock(t *testing.T, steps []knock.Step, service int) error {
	t.Helper()
	k := knock.Knocker{Verify: &knock.Verify{Port: uint16(service), Timeout: 3 * time.Second}}
	_, err := k.Knock(context.Background(), "127.0.0.1", steps)
	return err
}

// demo-router with steps on the command line: the engine's knock opens the
// service, and each thing the router sees is printed in address-list words.
func TestDemoRouterSteps(t *testing.T) {
	port, service := int(testnet.FreePort(t)), int(testnet.FreePort(t))
	spec := strconv.Itoa(port) + ":udp=q7zx"
	out, stop := startCommand(t, "demo-router", "--service-port", strconv.Itoa(service), "--timeout", "90s", spec)
	out.waitFor(t, "Ctrl+C stops it.")
	step, err := knock.ParseStep(spec, knock.TCP)
	if err != nil {
		t.Fatal(err)
	}
	if err := demoKnock(t, []knock.Step{step}, service); err != nil {
		t.Fatalf("knock: %v\n%s", err, out)
	}
	out.waitFor(t, fmt.Sprintf("tcp/%d: accepted a connection from 127.0.0.1", service))
	code, stderr := stop()
	if code != ExitOK || stderr != "" {
		t.Errorf("Ctrl+C: exit %d, stderr %q", code, stderr)
	}
	got := out.String()
	for _, want := range []string{
		"It is not a firewall and protects nothing.",
		fmt.Sprintf("Knock steps on 127.0.0.1: udp/%d (4-byte payload)", port),
		fmt.Sprintf("Guarded service tcp/%d: open to addresses on address list demo-allow for 1m30s", service),
		fmt.Sprintf("udp/%d from 127.0.0.1: step 1 of 1 matched", port),
		"address list demo-allow: added 127.0.0.1, timeout 1m30s",
		"demo router stopped",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "q7zx") {
		t.Errorf("the payload was printed:\n%s", got)
	}
}

// demo-router --profile: the profile's steps, timeout and check port.
func TestDemoRouterProfile(t *testing.T) {
	port, service := int(testnet.FreePort(t)), int(testnet.FreePort(t))
	file := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(file, fmt.Appendf(nil, `{"version":1,"profiles":[{"name":"office","host":"203.0.113.7","timeout":"45s",
		"steps":[{"proto":"tcp","port":%d},{"proto":"udp","port":%d,"payload":"6869","encoding":"hex"}],
		"verify":{"proto":"tcp","port":%d}}]}`, port, port, service), 0o600)
	out, stop := startCommand(t, "demo-router", "--profile", file)
	out.waitFor(t, fmt.Sprintf("Guarded service tcp/%d: open to addresses on address list demo-allow for 45s", service))
	steps := []knock.Step{{Proto: knock.TCP, Port: uint16(port)}, {Proto: knock.UDP, Port: uint16(port), Payload: knock.Payload{Data: []byte("hi")}}}
	if err := demoKnock(t, steps, service); err != nil {
		t.Fatalf("knock: %v\n%s", err, out)
	}
	if code, stderr := stop(); code != ExitOK {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// knocker demo hands the window a book with one profile that opens the demo
// router's service; the user's profiles and keyring are never touched, and
// the temporary folder is gone afterwards. The window here is a stand-in
// that knocks the way the real one does.
func TestDemoOpensWindowOverThrowawayBook(t *testing.T) {
	useTestProfiles(t, untouchable{t})
	config := os.Getenv("KNOCKER_CONFIG_DIR")
	var store string
	useTestWindow(t, func(ctx context.Context, book *profile.Book) error {
		store = book.Store.(*profile.Store).Path()
		if err := knockTheDemoProfile(ctx, book); err != nil {
			t.Errorf("the demo window's book: %v", err)
		}
		return nil
	})
	stdout, stderr, code := run("demo", "--timeout", "3m")
	if code != ExitOK {
		t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
	}
	for _, want := range []string{"address list demo-allow: added 127.0.0.1, timeout 3m", "accepted a connection from 127.0.0.1", "demo stopped"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if _, err := os.Stat(filepath.Dir(store)); !os.IsNotExist(err) {
		t.Errorf("the demo's folder %s is still there (%v)", filepath.Dir(store), err)
	}
	if entries, _ := os.ReadDir(config); len(entries) > 0 {
		t.Errorf("the demo wrote into the user's config folder: %v", entries)
	}
}

// untouchable is the user's keyring, which the demo must not open.
type untouchable struct{ t *testing.T }

func (u untouchable) Get(context.Context, string) (string, error) {
	u.t.Error("the demo read the user's keyring")
	return "", secret.ErrNotFound
}

func (u untouchable) Set(context.Context, string, string) error {
	u.t.Error("the demo wrote the user's keyring")
	return nil
}

func (u untouchable) Delete(context.Context, string) error {
	u.t.Error("the demo deleted from the user's keyring")
	return nil
}

// knockTheDemoProfile knocks the book's one profile, as the window would.
func knockTheDemoProfile(ctx context.Context, book *profile.Book) error {
	l, err := book.List()
	if err != nil || len(l.Profiles) != 1 {
		return fmt.Errorf("the book holds %d profiles (%v), want 1", len(l.Profiles), err)
	}
	p, err := book.Get(ctx, l.Profiles[0].Name)
	if err != nil {
		return err
	}
	if p.Timeout != 3*time.Minute || p.Verify == nil {
		return fmt.Errorf("demo profile: timeout %v, check %+v", p.Timeout, p.Verify)
	}
	k := p.Knocker()
	_, err = k.Knock(ctx, p.Host, p.Steps)
	return err
}

// Without a window (a build without the UI) knocker demo says so.
func TestDemoWithoutWindow(t *testing.T) {
	_, stderr, code := run("demo")
	if code != ExitFailed || !strings.Contains(stderr, "this knocker has no window; try knocker demo-router") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
