package e2e

import (
	"bytes"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
)

// A router entry that lasts 10 s stays open for 40 s of checks only because
// knocker keep re-knocks (every 5 s: half the timeout), and closes once it
// stops.
func TestLabKeepHoldsThePortOpen(t *testing.T) {
	needKeyring(t)
	t.Parallel()
	l := newLab(t)
	env := []string{"KNOCKER_CONFIG_DIR=" + importProfiles(t, `{"version": 1, "profiles": [{"name": "lab", "host": "`+labRouter4.String()+`", "timeout": "10s",
		"steps": [{"proto": "udp", "port": 1234, "payload": "test"}, {"proto": "tcp", "port": 2345, "delay": "50ms"}]}]}`)}
	rules := testbin.Run(t, env, "router-config", "--format", "nftables", "--protect", "tcp/22", "lab")
	if rules.Code != 0 {
		t.Fatalf("router-config: %s", rules.Stderr)
	}
	l.nft(rules.Stdout)
	if l.open(labRouter4) {
		t.Fatal("the port is open before any knock")
	}

	keep := nsCommand(l.client, testbin.Path(t), "keep", "lab")
	keep.Env = append(append(os.Environ(), noDisplay...), env...)
	var out bytes.Buffer
	keep.Stdout, keep.Stderr = &out, &out
	if err := keep.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			keep.Process.Signal(syscall.SIGINT)
			keep.Wait()
		}
	}
	t.Cleanup(stop)
	if !waitFor(10*time.Second, func() bool { return l.open(labRouter4) }) {
		stop()
		t.Fatalf("knocker keep never opened the port:\n%s", out.String())
	}
	for start := time.Now(); time.Since(start) < 40*time.Second; time.Sleep(500 * time.Millisecond) {
		if !l.open(labRouter4) {
			stop()
			t.Fatalf("the port closed after %v although knocker keep runs:\n%s", time.Since(start).Round(time.Second), out.String())
		}
	}
	stop()
	if code := keep.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("knocker keep exited %d after Ctrl+C:\n%s", code, out.String())
	}
	if n := strings.Count(out.String(), "lab: knocked"); n < 8 {
		t.Fatalf("%d knocks in 40 s of a 10 s entry, want a re-knock every 5 s:\n%s", n, out.String())
	}
	if !waitFor(15*time.Second, func() bool { return !l.open(labRouter4) }) {
		t.Fatal("the port stayed open after knocker keep stopped: the rules, not the re-knocks, kept it open")
	}
}
