package e2e

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// make demo's path: knocker demo starts the demo router and opens the window
// with its profile selected; Ctrl+K knocks, the guarded port opens, and
// Ctrl+Q stops both, leaving no trace in the config folder or temp folder.
// The session bus points nowhere, so a demo that reached for the keyring
// could not knock at all.
func TestDemoWindowOpensTheGuardedPort(t *testing.T) {
	needXdotool(t)
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	service := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(service)
	config, tmp := t.TempDir(), t.TempDir()
	open := func(within time.Duration) bool {
		c, err := net.DialTimeout("tcp", service, within)
		if err == nil {
			c.Close()
		}
		return err == nil
	}

	g := startGUI(t, []string{"demo", "--service-port", port, "--timeout", "2m"},
		"KNOCKER_CONFIG_DIR="+config, "TMPDIR="+tmp,
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(tmp, "no-bus"))
	if open(300 * time.Millisecond) {
		g.stop()
		t.Fatalf("the guarded port is open before any knock; output:\n%s", g.logs.String())
	}
	// The profile list loads right after the window maps; knock until it opens.
	knocked := false
	for attempt := 0; attempt < 10 && !knocked; attempt++ {
		g.key(t, "ctrl+k")
		knocked = open(2 * time.Second)
	}
	if !knocked {
		g.stop()
		t.Fatalf("Ctrl+K in the demo window did not open the guarded port; output:\n%s", g.logs.String())
	}

	g.key(t, "ctrl+q")
	select {
	case err := <-g.exited:
		g.exited <- err
		if err != nil {
			t.Fatalf("knocker demo ended with %v; output:\n%s", err, g.logs.String())
		}
	case <-time.After(10 * time.Second):
		g.stop()
		t.Fatalf("Ctrl+Q did not end knocker demo; output:\n%s", g.logs.String())
	}
	logs := g.logs.String()
	for _, want := range []string{
		"not a firewall",
		"address list demo-allow: added 127.0.0.1, timeout 2m",
		"tcp/" + port + ": accepted a connection from 127.0.0.1 (on address list demo-allow)",
		"demo stopped",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, logs)
		}
	}
	if c, err := net.DialTimeout("tcp", service, time.Second); err == nil {
		c.Close()
		t.Error("the guarded port still answers after the demo quit")
	}
	for _, dir := range []string{config, tmp} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "knocker-demo-") || dir == config {
				t.Errorf("the demo left %s behind", filepath.Join(dir, e.Name()))
			}
		}
	}
}
