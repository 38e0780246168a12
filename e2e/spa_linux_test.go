package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/spa"
)

// spaTimeout is fwknopd's FW_ACCESS_TIMEOUT in the lab: long enough to see
// the port open, short enough to watch it close again.
const spaTimeout = 3 * time.Second

// fwknopd runs Debian's fwknopd in the lab's router namespace, guarding the
// lab port with iptables (nft backend), and returns its log.
type fwknopd struct {
	l   *lab
	log *syncBuffer
}

// needFwknopd skips the test, before it builds a lab, where fwknopd cannot run.
func needFwknopd(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"fwknopd", "iptables-nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found (Debian packages fwknop-server and iptables)", tool)
		}
	}
}

// startFwknopd starts fwknopd with one access.conf stanza for keys, with
// accessExtra lines (such as "REQUIRE_SOURCE_ADDRESS Y") added to it.
func startFwknopd(t *testing.T, l *lab, keys spa.Keys, accessExtra ...string) *fwknopd {
	t.Helper()
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o700); err != nil {
		t.Fatal(err)
	}
	key, hmacKey := keys.Base64()
	declareSecrets(t, key, hmacKey)
	conf := filepath.Join(dir, "fwknopd.conf")
	access := filepath.Join(dir, "access.conf")
	// FIREWALL_EXE names iptables-nft itself, so the lab does not depend on
	// which backend the iptables alternative points at.
	writeSecret(t, conf, fmt.Sprintf(`PCAP_INTF %s;
ENABLE_PCAP_PROMISC N;
PCAP_FILTER udp port %d;
FWKNOP_RUN_DIR %s;
FIREWALL_EXE /usr/sbin/iptables-nft;
`, labIface, spa.DefaultPort, run))
	writeSecret(t, access, fmt.Sprintf(`SOURCE ANY
KEY_BASE64 %s
HMAC_KEY_BASE64 %s
OPEN_PORTS tcp/%d
FW_ACCESS_TIMEOUT %d
%s`, key, hmacKey, labPort, int(spaTimeout/time.Second), strings.Join(append(accessExtra, ""), "\n")))

	// fwknopd puts its jump to FWKNOP_INPUT first in INPUT, so what it
	// allows is accepted before this reset.
	reject := nsCommand(l.router, "iptables-nft", "-A", "INPUT", "-p", "tcp", "--dport", strconv.Itoa(labPort), "-j", "REJECT", "--reject-with", "tcp-reset")
	if out, err := reject.CombinedOutput(); err != nil {
		t.Fatalf("iptables in the router namespace: %v: %s", err, out)
	}
	log, _ := l.daemon("fwknopd", "-f", "-i", labIface, "-c", conf, "-a", access,
		"-d", filepath.Join(dir, "digest.cache"), "-p", filepath.Join(run, "fwknopd.pid"))
	if !waitFor(10*time.Second, func() bool { return strings.Contains(log.String(), "main event loop") }) {
		t.Fatalf("fwknopd did not start:\n%s", log.String())
	}
	return &fwknopd{l: l, log: log}
}

// writeSecret writes a file only its owner can read, as fwknopd wants for
// files holding keys.
func writeSecret(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// send has Knocker's engine send pkt from the client namespace, as one UDP
// step to fwknopd's port, and returns fwknopd's log from then on once it
// contains want.
func (d *fwknopd) send(t *testing.T, pkt []byte, want string) string {
	t.Helper()
	mark := len(d.log.String())
	step := knock.Step{Proto: knock.UDP, Port: spa.DefaultPort, Payload: knock.Payload{Data: pkt}}
	err := inNetns(d.l.client, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := (&knock.Knocker{}).Knock(ctx, labRouter4.String(), []knock.Step{step})
		return err
	})
	if err != nil {
		t.Fatalf("knock: %v", err)
	}
	var since string
	if !waitFor(5*time.Second, func() bool {
		since = d.log.String()[mark:]
		return strings.Contains(since, want)
	}) {
		t.Fatalf("fwknopd did not log %q; it logged:\n%s", want, since)
	}
	return since
}

// TestLabSPA has fwknopd open the lab port for packets Knocker builds and
// sends, close it when the access times out, and refuse a wrong HMAC key, a
// stale timestamp and a replay, each for its own logged reason.
func TestLabSPA(t *testing.T) {
	t.Parallel()
	needFwknopd(t)
	l := newLab(t)
	keys, err := spa.GenerateKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := startFwknopd(t, l, keys)
	if l.open(labRouter4) {
		t.Fatal("the port is open before any knock")
	}
	build := func(k spa.Keys, req spa.Request) []byte {
		t.Helper()
		req.Access = fmt.Sprintf("tcp/%d", labPort)
		pkt, err := spa.Build(k, req, nil)
		if err != nil {
			t.Fatal(err)
		}
		return pkt
	}
	stillShut := func() {
		t.Helper()
		// fwknopd logs its verdict before it would add a rule; give a
		// wrongly accepted packet time to show.
		time.Sleep(300 * time.Millisecond)
		if l.open(labRouter4) {
			t.Fatal("the port opened")
		}
	}

	t.Run("wrong HMAC key", func(t *testing.T) {
		other, err := spa.GenerateKeys(nil)
		if err != nil {
			t.Fatal(err)
		}
		d.send(t, build(spa.Keys{Rijndael: keys.Rijndael, HMAC: other.HMAC}, spa.Request{}), "HMAC_COMPAREFAIL")
		stillShut()
	})
	t.Run("stale timestamp", func(t *testing.T) {
		d.send(t, build(keys, spa.Request{Time: time.Now().Add(-10 * time.Minute)}), "time difference is too great")
		stillShut()
	})

	var good []byte
	t.Run("opens and closes again", func(t *testing.T) {
		good = build(keys, spa.Request{})
		sent := time.Now()
		d.send(t, good, "Added access rule")
		if !waitFor(10*time.Second, func() bool { return l.open(labRouter4) }) {
			t.Fatal("fwknopd added a rule but the port did not open")
		}
		if !waitFor(spaTimeout+5*time.Second, func() bool { return !l.open(labRouter4) }) {
			t.Fatalf("the port was still open %v after the knock (FW_ACCESS_TIMEOUT %v)", time.Since(sent).Round(time.Second), spaTimeout)
		}
		if took := time.Since(sent); took < spaTimeout-time.Second {
			t.Errorf("the port closed after %v, before FW_ACCESS_TIMEOUT %v", took, spaTimeout)
		}
	})
	t.Run("replayed packet", func(t *testing.T) {
		if good == nil {
			t.Skip("no accepted packet to replay")
		}
		d.send(t, good, "Replay detected")
		stillShut()
	})

	t.Run("explicit address and client timeout", func(t *testing.T) {
		// fwknopd's rule carries its expiry time; a client timeout longer than
		// FW_ACCESS_TIMEOUT shows it read the optional field.
		const timeout = 30 * time.Second
		now := time.Now()
		since := d.send(t, build(keys, spa.Request{AllowIP: labClient4, Timeout: timeout}), "Added access rule")
		m := regexp.MustCompile(`for (\S+) -> \S+ tcp/\d+, expires at (\d+)`).FindStringSubmatch(since)
		if m == nil {
			t.Fatalf("no rule line in fwknopd's log:\n%s", since)
		}
		if addr, err := netip.ParseAddr(m[1]); err != nil || addr != labClient4 {
			t.Errorf("rule for %s, want %v", m[1], labClient4)
		}
		exp, _ := strconv.ParseInt(m[2], 10, 64)
		if got := time.Unix(exp, 0).Sub(now).Round(time.Second); got < timeout-time.Second || got > timeout+2*time.Second {
			t.Errorf("rule expires %v after the knock, want about %v", got, timeout)
		}
		if !waitFor(2*time.Second, func() bool { return l.open(labRouter4) }) {
			t.Error("the port did not open")
		}
	})
}
