package demorouter

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
	"github.com/knocker/knocker/internal/testnet"
	"github.com/knocker/knocker/knock/schedule"
)

// sequence is a three-step knock on fresh loopback ports: its steps as the
// router reads them and as knocker send takes them, in order.
func sequence(t *testing.T) (router []string, send func(order ...int) []string) {
	ports := []string{strconv.Itoa(int(testnet.FreePort(t))), strconv.Itoa(int(testnet.FreePort(t))), strconv.Itoa(int(testnet.FreePort(t)))}
	router = []string{ports[0] + ":udp=open-sesame", ports[1] + ":tcp", ports[2] + ":udp=hex:c0ffee"}
	return router, func(order ...int) []string {
		var out []string
		for _, i := range order {
			out = append(out, router[i])
		}
		return out
	}
}

// The real knocker send against the demo router over loopback: the right
// sequence opens the service (its own check says so), anything else leaves
// it shut.
func TestKnockerSend(t *testing.T) {
	tests := []struct {
		name  string
		steps func(order func(...int) []string, router []string) []string
		open  bool
	}{
		{"right sequence", func(o func(...int) []string, _ []string) []string { return o(0, 1, 2) }, true},
		{"wrong payload", func(_ func(...int) []string, r []string) []string {
			return []string{strings.Replace(r[0], "open-sesame", "open-sesamE", 1), r[1], r[2]}
		}, false},
		{"wrong order", func(o func(...int) []string, _ []string) []string { return o(0, 2, 1) }, false},
		{"a step left out", func(o func(...int) []string, _ []string) []string { return o(0, 2) }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			routerSteps, order := sequence(t)
			r, rec := startRouter(t, Config{Steps: steps(t, routerSteps...)})
			// Steps further apart than the reorder window, so that a wrong order stays wrong.
			args := append([]string{"send", "-d", "100ms", "127.0.0.1"}, tc.steps(order, routerSteps)...)
			// A shut port drops SYNs, so a check there lasts its whole timeout.
			wait := "500ms"
			if tc.open {
				wait = "3s" // room for the SYN retry a second after a knock the check outran
			}
			args = append(args, "--verify", strconv.Itoa(int(r.Service().Port())), "--verify-timeout", wait)
			res := testbin.Run(t, nil, args...)
			if opened := res.Code == 0; opened != tc.open {
				t.Fatalf("knocker send exited %d (%s), want the service open=%v; router events:\n%s", res.Code, res.Stderr, tc.open, rec)
			}
			if tc.open {
				rec.waitFor(t, Accepted, "demo-allow", time.Second)
				return
			}
			if _, err := dialService(r, alice, 300*time.Millisecond); err == nil {
				t.Errorf("the service is open after a wrong knock; router events:\n%s", rec)
			}
		})
	}
}

// The list's timeout closes the service; a knock before it runs out starts
// the timeout over and keeps the service open past the first expiry. The
// router's time is a fake clock the test moves, so however long a knocker
// send takes to start on a busy machine, the second knock lands before the
// first one's timeout runs out.
func TestKnockerSendExpiryAndRefresh(t *testing.T) {
	routerSteps, order := sequence(t)
	const timeout = 2 * time.Second
	clk := schedule.NewFakeClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	r, rec := startRouter(t, Config{Steps: steps(t, routerSteps...), Timeout: timeout, Clock: clk})
	send := func() {
		t.Helper()
		if res := testbin.Run(t, nil, append([]string{"send", "127.0.0.1"}, order(0, 1, 2)...)...); res.Code != 0 {
			t.Fatalf("knocker send: %s", res.Stderr)
		}
	}
	// Real time bounds only how long the router may take to see a knock.
	const seen = 30 * time.Second
	send()
	first := rec.waitFor(t, ListAdded, "demo-allow", seen).Time
	clk.Advance(timeout * 6 / 10)
	send()
	rec.waitFor(t, ListRefreshed, "demo-allow", seen)
	clk.Advance(timeout*4/10 + 300*time.Millisecond) // past the first knock's timeout
	if _, err := dialService(r, alice, seen); err != nil {
		t.Fatalf("the service shut at the first knock's timeout despite the second knock: %v\n%s", err, rec)
	}
	clk.Advance(timeout * 5 / 10) // past the second knock's timeout, at 1.6 timeouts
	expired := rec.waitFor(t, ListExpired, "demo-allow", seen)
	if _, err := dialService(r, alice, 300*time.Millisecond); err == nil {
		t.Errorf("the service is still open after the list expired:\n%s", rec)
	}
	if lived := expired.Time.Sub(first); lived < timeout*16/10 {
		t.Errorf("the source was listed for %v, want its timeout counted from the second knock", lived)
	}
}
