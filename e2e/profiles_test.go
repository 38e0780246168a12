package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/knocker/knocker/app/secret"
	"github.com/knocker/knocker/internal/testbin"
	"github.com/knocker/knocker/internal/testbus"
)

// argvWatch scans every process's command line on this machine until
// stopped, and remembers any that held one of the needles.
type argvWatch struct {
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	hits []string
	scan int
}

func watchArgv(needles ...string) *argvWatch {
	w := &argvWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
			for _, f := range cmdlines {
				b, err := os.ReadFile(f)
				if err == nil && slices.ContainsFunc(needles, func(n string) bool { return bytes.Contains(b, []byte(n)) }) {
					w.mu.Lock()
					w.hits = append(w.hits, f+": "+strings.ReplaceAll(string(b), "\x00", " "))
					w.mu.Unlock()
				}
			}
			w.mu.Lock()
			w.scan++
			w.mu.Unlock()
			select {
			case <-w.stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return w
}

func (w *argvWatch) finish(t *testing.T) {
	t.Helper()
	close(w.stop)
	<-w.done
	if len(w.hits) > 0 {
		t.Errorf("the secret was in a process's argv: %q", w.hits)
	}
	t.Logf("scanned every process's argv %d times", w.scan)
}

// TestProfileLifecycle imports a profile with a known secret, lists it,
// knocks a loopback listener with it, exports, renames and deletes it, all
// through the real binary and a real gnome-keyring; then it looks for the
// secret everywhere it must not be.
func TestProfileLifecycle(t *testing.T) {
	needKeyring(t)
	var b [8]byte
	_, _ = rand.Read(b[:])
	secretText := "e2e-knock-" + hex.EncodeToString(b[:])
	declareSecrets(t, secretText)
	config := t.TempDir()
	env := append([]string{"KNOCKER_CONFIG_DIR=" + config}, noDisplay...)
	rec := newRecorder(t, "127.0.0.1", 0)

	file := filepath.Join(t.TempDir(), "office.json")
	doc := fmt.Sprintf(`{"version": 1, "profiles": [{
	  "name": "office", "host": "127.0.0.1", "family": "ipv4",
	  "steps": [{"proto": "udp", "port": %d, "payload": %q, "encoding": "text", "delay": "0s"},
	            {"proto": "tcp", "port": %d, "delay": "20ms"}],
	  "timeout": "2h", "auto_refresh": true,
	  "verify": {"proto": "tcp", "port": %d, "timeout": "1s"}}]}`,
		rec.udpPort(), secretText, rec.tcpPort(), rec.tcpPort())
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}

	watch := watchArgv(secretText)
	public := &publicRuns{t: t, env: env}
	run := public.run

	if res := run(0, "import", file); res.Stdout != "imported 1 profile from Knocker JSON: office\n" {
		t.Fatalf("import said %q", res.Stdout)
	}
	if res := run(0, "list"); res.Stdout != "office\t127.0.0.1\tnever knocked\n" {
		t.Fatalf("list said %q", res.Stdout)
	}
	id := testbin.ProfileID(t, config, "office")

	res := run(0, "knock", "-v", "office")
	rec.expect(t, "udp:"+secretText, "tcp", "tcp") // the steps, then the verify connect
	if !strings.Contains(res.Stdout, "verify tcp/") || !strings.Contains(res.Stdout, "open") {
		t.Fatalf("knock -v said %q", res.Stdout)
	}
	if res := run(0, "export", "office"); !strings.Contains(res.Stdout, `"name": "office"`) || strings.Contains(res.Stdout, `"steps"`) {
		t.Fatalf("export without secrets: %q", res.Stdout)
	}
	withSecrets := testbin.Run(t, env, "export", "--all", "--with-secrets")
	if withSecrets.Code != 0 || !strings.Contains(withSecrets.Stdout, secretText) {
		t.Fatalf("export --with-secrets: %d %q %q", withSecrets.Code, withSecrets.Stdout, withSecrets.Stderr)
	}
	public.outputs = append(public.outputs, withSecrets.Stderr)

	run(0, "rename", "office", "work")
	if got := testbin.ProfileID(t, config, "work"); got != id {
		t.Fatalf("rename changed the ID from %s to %s", id, got)
	}
	run(0, "knock", "work")
	rec.expect(t, "udp:"+secretText, "tcp", "tcp")
	if res := run(0, "list"); !strings.HasPrefix(res.Stdout, "work\t127.0.0.1\tlast knocked ") {
		t.Fatalf("list after knocking: %q", res.Stdout)
	}

	run(0, "delete", "work")
	if res := run(0, "list"); res.Stdout != "" {
		t.Fatalf("list after delete: %q", res.Stdout)
	}
	run(2, "knock", "work")
	watch.finish(t)

	if _, err := secret.NewKeyring(0).Get(context.Background(), id); !errors.Is(err, secret.ErrNotFound) {
		t.Errorf("the keyring item outlived the profile: %v", err)
	}
	public.assertNoSecret(secretText)
	testbin.AssertNoSecretIn(t, config, secretText, hex.EncodeToString([]byte(secretText)))
}

// TestProfilesWithoutKeyring: with no Secret Service, or one that never
// answers, the list still shows, and commands that need secrets fail with
// exit 2 and a message naming the fix: at once where there is no bus, and
// through the keyring timeout where the bus never answers. Which of the two
// ended the wait is read from the message, not from a stopwatch, so a slow
// machine cannot fail it; testbin.Run's own minute catches a hang.
func TestProfilesWithoutKeyring(t *testing.T) {
	t.Parallel()
	config := t.TempDir()
	saved := `{"version": 1, "profiles": [{"id": "0123abcd", "name": "office", "host": "127.0.0.1", "auto_refresh": false}]}`
	if err := os.WriteFile(filepath.Join(config, "profiles.json"), []byte(saved), 0o600); err != nil {
		t.Fatal(err)
	}
	timedOut := fmt.Sprintf("no answer within %v", secret.DefaultTimeout)
	tests := []struct {
		name, bus string
		waited    bool // gave up through the timeout
	}{
		{"no bus", testbus.Missing(t), false},
		{"bus never answers", testbus.Silent(t), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := append([]string{"KNOCKER_CONFIG_DIR=" + config, "DBUS_SESSION_BUS_ADDRESS=" + tt.bus}, noDisplay...)
			if res := testbin.Run(t, env, "list"); res.Code != 0 || res.Stdout != "office\t127.0.0.1\tnever knocked\n" {
				t.Fatalf("list: %d %q %q", res.Code, res.Stdout, res.Stderr)
			}
			res := testbin.Run(t, env, "knock", "office")
			if res.Code != 2 || !strings.Contains(res.Stderr, "keyring unavailable") || !strings.Contains(res.Stderr, "gnome-keyring") || strings.Count(res.Stderr, "\n") != 1 {
				t.Fatalf("knock: exit %d, stderr %q; want 2 and one line naming the fix", res.Code, res.Stderr)
			}
			if waited := strings.Contains(res.Stderr, timedOut); waited != tt.waited {
				t.Fatalf("knock said %q: gave up through the %v timeout: %v, want %v", res.Stderr, secret.DefaultTimeout, waited, tt.waited)
			}
			t.Logf("knock gave up after %v", res.Took.Round(time.Millisecond))
		})
	}
}

// TestArgvWatchSees proves the watcher would catch a secret in argv.
func TestArgvWatchSees(t *testing.T) {
	needle := "argv-watch-needle-31337"
	w := watchArgv(needle)
	if err := exec.Command("sh", "-c", "sleep 0.2", needle).Run(); err != nil {
		t.Fatal(err)
	}
	close(w.stop)
	<-w.done
	if len(w.hits) == 0 {
		t.Fatal("a process with the needle in its argv went unseen")
	}
}
