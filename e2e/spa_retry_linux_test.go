package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
	"github.com/knocker/knocker/knock/spa"
)

// TestLabSPARetryIsAccepted: when the check after an SPA knock fails,
// knocker knock sends another packet, and fwknopd accepts it as a new
// request rather than dropping it as a replay of the first.
func TestLabSPARetryIsAccepted(t *testing.T) {
	t.Parallel()
	needFwknopd(t)
	needKeyring(t)
	l := newLab(t)
	keys, err := spa.GenerateKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := startFwknopd(t, l, keys)
	k, h := keys.Base64()
	// The check asks a port nothing serves, so it fails after each knock.
	config := importProfiles(t, fmt.Sprintf(`{"version": 2, "profiles": [{"name": "fw", "host": %q, "family": "ipv4",
	  "spa": {"key_base64": %q, "hmac_key_base64": %q, "access": "tcp/%d", "allow_ip": "source"},
	  "verify": {"port": 9, "timeout": "2s", "retries": 1}}]}`, labRouter4, k, h, labPort))
	mark := len(d.log.String())
	res := testbin.RunIn(t, nsExec(l.client), append([]string{"KNOCKER_CONFIG_DIR=" + config}, noDisplay...), "knock", "fw")
	if res.Code != 1 || !strings.Contains(res.Stderr, "port 9 is still closed after 2 knocks") {
		t.Fatalf("knocker knock: exit %d, %q", res.Code, res.Stderr)
	}
	// fwknopd logs each packet it accepts (it adds a rule for the first
	// only, the second finding it in place) and "Replay detected" for one
	// it has seen.
	accepted := fmt.Sprintf("SPA Packet from IP: %s received with access source match", labClient4)
	var since string
	waitFor(5*time.Second, func() bool {
		since = d.log.String()[mark:]
		return strings.Count(since, accepted) == 2 || strings.Contains(since, "Replay detected")
	})
	if strings.Contains(since, "Replay detected") || strings.Count(since, accepted) != 2 || !strings.Contains(since, "Added access rule") {
		t.Fatalf("fwknopd did not accept both packets:\n%s", since)
	}
}
