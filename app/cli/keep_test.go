package cli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testnet"
)

func TestKeepKnocksUntilInterrupted(t *testing.T) {
	useTestProfiles(t, nil)
	ln := testnet.ListenUDP(t)
	port := ln.LocalAddr().(*net.UDPAddr).Port
	profiles := fmt.Sprintf(`{"version": 1, "profiles": [
		{"name": "lab", "host": "127.0.0.1", "timeout": "1h", "steps": [{"proto": "udp", "port": %d, "payload": "keep"}]},
		{"name": "bare", "host": "127.0.0.1", "steps": [{"proto": "udp", "port": %d, "payload": "x"}]}]}`, port, port)
	if _, stderr, code := runStdin(profiles, "import", "-"); code != ExitOK {
		t.Fatal(stderr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut bytes.Buffer
	done := make(chan int)
	go func() { done <- Run(ctx, testEnv(nil, &out, &errOut), []string{"keep", "lab"}) }()
	if got := readDatagrams(t, ln, 1); got[0] != "keep" {
		t.Fatalf("keep sent %q", got)
	}
	time.Sleep(100 * time.Millisecond) // let the success be printed
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("keep did not stop when interrupted")
	}
	if !strings.Contains(out.String(), "lab: knocked; open until") || !strings.Contains(out.String(), "lab: next knock at") {
		t.Fatalf("output:\n%s", out.String())
	}

	for args, want := range map[string]string{
		"keep":      "want one or more profile NAMEs",
		"keep bare": `profile "bare" has no router timeout`,
		"keep nope": "nope",
	} {
		_, stderr, code := run(strings.Fields(args)...)
		if code != ExitUsage || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", args, code, stderr, want)
		}
	}
}
