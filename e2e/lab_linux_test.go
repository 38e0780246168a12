package e2e

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
)

// labKnock is one knock a client sends, and whether it must open the port.
type labKnock struct {
	name  string
	steps []string
	open  bool
}

func shut(name string, steps ...string) labKnock { return labKnock{name, steps, false} }
func opens(steps ...string) labKnock             { return labKnock{"right knock", steps, true} }

// longPayload is 1000 bytes, enough to spread the router's match over helper
// chains; longPayloadTail differs only in its last byte.
func longPayload(tail byte) string {
	b := make([]byte, 1000)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	b[len(b)-1] = tail
	return "1234:udp=hex:" + hex.EncodeToString(b)
}

// TestLabRouterconf loads the nftables ruleset that `knocker router-config`
// writes for a profile into the router namespace, then checks that
// `knocker send` with the same steps opens the protected port and that
// near-miss knocks leave it shut. Each knock starts from an empty ruleset
// and a freshly loaded one (loading it over itself would keep the sets'
// members), so no earlier knock's list entries help it.
func TestLabRouterconf(t *testing.T) {
	scenarios := []struct {
		name   string
		ipv6   bool
		steps  []string
		knocks []labKnock
	}{
		{
			name:  "seed udp payload",
			steps: []string{"1234:udp=test"},
			knocks: []labKnock{
				shut("wrong payload", "1234:udp=best"),
				shut("wrong port", "1235:udp=test"),
				shut("truncated", "1234:udp=tes"),
				shut("extended", "1234:udp=testX"),
				shut("tcp instead of udp", "1234"),
				opens("1234:udp=test"),
			},
		},
		{
			name:  "three stages",
			steps: []string{"1234:udp=one", "2345:udp=two", "3456"},
			knocks: []labKnock{
				shut("wrong order", "2345:udp=two", "1234:udp=one", "3456"),
				shut("middle step missing", "1234:udp=one", "3456"),
				shut("last step only", "3456"),
				opens("1234:udp=one", "2345:udp=two", "3456"),
			},
		},
		{
			name:  "icmp by size",
			steps: []string{"1234:udp=a", "icmp=size:64"},
			knocks: []labKnock{
				shut("one byte short", "1234:udp=a", "icmp=size:63"),
				shut("one byte long", "1234:udp=a", "icmp=size:65"),
				shut("udp step missing", "icmp=size:64"),
				opens("1234:udp=a", "icmp=size:64"),
			},
		},
		{
			name:  "icmp with payload",
			steps: []string{"icmp=ping!"},
			knocks: []labKnock{
				shut("same size, other bytes", "icmp=pong!"),
				opens("icmp=ping!"),
			},
		},
		{
			name:  "tcp syn",
			steps: []string{"2000", "3000"},
			knocks: []labKnock{
				shut("wrong port", "2000", "3001"),
				shut("udp to the tcp ports", "2000:udp", "3000:udp"),
				opens("2000", "3000"),
			},
		},
		{
			name:  "binary payload",
			steps: []string{"1234:udp=hex:00ff0a22"},
			knocks: []labKnock{
				shut("last byte differs", "1234:udp=hex:00ff0a23"),
				shut("truncated", "1234:udp=hex:00ff0a"),
				shut("extended", "1234:udp=hex:00ff0a2200"),
				opens("1234:udp=base64:AP8KIg=="),
			},
		},
		{
			name:  "long payload",
			steps: []string{longPayload(0x5a)},
			knocks: []labKnock{
				shut("last byte differs", longPayload(0x5b)),
				opens(longPayload(0x5a)),
			},
		},
		{
			name:  "ipv6",
			ipv6:  true,
			steps: []string{"1234:udp=test", "2000", "icmp=size:16"},
			knocks: []labKnock{
				shut("wrong payload", "1234:udp=tesT", "2000", "icmp=size:16"),
				shut("wrong icmp size", "1234:udp=test", "2000", "icmp=size:17"),
				opens("1234:udp=test", "2000", "icmp=size:16"),
			},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			family, router := "-4", labRouter4
			if sc.ipv6 {
				family, router = "-6", labRouter6
			}
			ruleset := routerConfig(t, append([]string{family, "--timeout", "1m", router.String()}, sc.steps...)...)
			for _, k := range sc.knocks {
				l.nft("flush ruleset\n" + ruleset)
				if l.open(router) {
					t.Fatalf("%s: port open before any knock", k.name)
				}
				args := append([]string{"send", family, "--verify", fmt.Sprint(labPort), "--verify-timeout", "1s", router.String()}, k.steps...)
				res := l.knocker(args...)
				want := 1
				if k.open {
					want = 0
				}
				if res.Code != want {
					t.Errorf("%s: knocker send exited %d, want %d (stderr %q)", k.name, res.Code, want, res.Stderr)
				}
				if got := l.open(router); got != k.open {
					t.Errorf("%s: a connect from the client finds the port open=%v, want %v", k.name, got, k.open)
				}
			}
		})
	}
}

// routerConfig runs `knocker router-config --format nftables` with args.
func routerConfig(t *testing.T, args ...string) string {
	t.Helper()
	res := testbin.Run(t, noDisplay, append([]string{"router-config", "--format", "nftables", "--protect", fmt.Sprintf("tcp/%d", labPort)}, args...)...)
	if res.Code != 0 {
		t.Fatalf("router-config exited %d: %s", res.Code, res.Stderr)
	}
	return res.Stdout
}

// TestLabExpiry checks the final list's timeout: a knock opens the port for
// that long, and a knock again before it runs out starts the timer over, as
// re-adding to a RouterOS address list does (nft `update`, not `add`).
//
// The check is decided by times taken around each step, never assumed: an
// attempt whose timing leaves the outcome open (a slow process start, an
// oversleep) is repeated with every time scaled up, and the test fails if
// even the longest attempt cannot tell.
func TestLabExpiry(t *testing.T) {
	t.Parallel()
	for _, timeout := range []time.Duration{2 * time.Second, 5 * time.Second, 12 * time.Second} {
		if newLab(t).expiryExtends(timeout) { // a fresh router: no entry left from the last attempt
			return
		}
		t.Logf("timeout %v: the machine was too slow to tell; trying again with longer times", timeout)
	}
	t.Fatal("even with a 12 s timeout the re-knock could not be timed against the router's expiry")
}

// expiryExtends runs one attempt of TestLabExpiry with the router's timeout
// set to timeout. It reports false when the measured times cannot decide.
func (l *lab) expiryExtends(timeout time.Duration) bool {
	t := l.t
	t.Helper()
	const slack = 100 * time.Millisecond // nft's and the connect check's own delay
	router := labRouter4.String()
	l.nft(routerConfig(t, "--timeout", timeout.String(), router, "1234:udp=test"))
	knock := func() (start, end time.Time) {
		start = time.Now()
		if res := l.knocker("send", router, "1234:udp=test"); res.Code != 0 {
			t.Fatalf("knocker send exited %d: %s", res.Code, res.Stderr)
		}
		return start, time.Now()
	}
	at := func(tm time.Time) { time.Sleep(time.Until(tm)) }

	firstStart, firstEnd := knock()
	if !l.open(labRouter4) {
		t.Fatal("port shut right after the knock")
	}
	// Re-knock halfway, then look after the first entry has run out but
	// before the refreshed one does.
	at(firstEnd.Add(timeout / 2))
	againStart, againEnd := knock()
	if againEnd.After(firstStart.Add(timeout - slack)) {
		return false // the first entry may have gone before the re-knock: no extension to see
	}
	at(firstEnd.Add(timeout * 5 / 4))
	lookStart := time.Now()
	open := l.open(labRouter4)
	lookEnd := time.Now()
	switch {
	case open && lookStart.After(firstEnd.Add(timeout+slack)):
		// Only the re-knock can have kept the port open this long.
	case !open && lookEnd.Before(againStart.Add(timeout-slack)):
		t.Errorf("the re-knock did not extend the timeout: port shut %v after the re-knock (timeout %v)", lookEnd.Sub(againStart), timeout)
		return true
	default:
		return false
	}
	at(againEnd.Add(timeout + 150*time.Millisecond))
	if l.open(labRouter4) {
		t.Errorf("port still open %v after the last knock (timeout %v)", time.Since(againEnd), timeout)
	}
	return true
}

// TestLabKnockd runs knockd in the router namespace, with a sequence whose
// command adds the knocking address to an nftables set the protected port
// accepts; Knocker opens it, and a wrong order does not.
func TestLabKnockd(t *testing.T) {
	t.Parallel()
	knockd, err := exec.LookPath("knockd")
	if err != nil {
		t.Skip("lab: knockd not found (Debian package knockd)")
	}
	l := newLab(t)
	dir := t.TempDir()
	ruleset := fmt.Sprintf(`table ip knockd-lab {
	set allow {
		type ipv4_addr
		flags timeout
	}
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport %[1]d ip saddr @allow accept
		tcp dport %[1]d reject with tcp reset
	}
}
`, labPort)
	// knockd runs its command through a shell; a script keeps the quoting
	// of nft's braces out of it.
	script := filepath.Join(dir, "open.sh")
	writeFile(t, script, 0o755, "#!/bin/sh\nexec nft add element ip knockd-lab allow \"{ $1 timeout 1m }\"\n")
	conf := filepath.Join(dir, "knockd.conf")
	writeFile(t, conf, 0o644, fmt.Sprintf(`[options]
	LogFile = %s
[open]
	sequence    = 7000:udp,8000:tcp,9000:udp
	seq_timeout = 5
	tcpflags    = syn
	command     = %s %%IP%%
`, filepath.Join(dir, "knockd.log"), script))

	knocks := []labKnock{
		shut("wrong order", "9000:udp", "8000", "7000:udp"),
		shut("tcp and udp swapped", "7000", "8000:udp", "9000"),
		opens("7000:udp", "8000", "9000:udp"),
	}
	router := labRouter4.String()
	for _, k := range knocks {
		l.nft(ruleset)
		// A fresh knockd per knock: a wrong knock leaves a half-done attempt
		// that makes knockd reject the next sequence until seq_timeout.
		out, stop := l.daemon(knockd, "-D", "-v", "-i", labIface, "-c", conf)
		if !waitFor(5*time.Second, func() bool { return strings.Contains(out.String(), "listening on") }) {
			t.Fatalf("knockd did not start listening:\n%s", out)
		}
		res := l.knocker(append([]string{"send", router}, k.steps...)...)
		if res.Code != 0 {
			t.Fatalf("%s: knocker send exited %d: %s", k.name, res.Code, res.Stderr)
		}
		// knockd runs its command on its own time after the last packet:
		// give a right knock a while to take effect, and a wrong one a
		// while to do harm.
		wait := 2 * time.Second
		if !k.open {
			wait = 500 * time.Millisecond
		}
		if got := waitFor(wait, func() bool { return l.open(labRouter4) }); got != k.open {
			t.Errorf("%s: port open=%v, want %v", k.name, got, k.open)
		}
		stop()
	}
}

func writeFile(t *testing.T, name string, mode os.FileMode, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}
