package e2e

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
)

// Keyboard only, through the real window running in the lab's client
// namespace: Ctrl+N, type the profile (Tab between fields), Enter saves;
// Ctrl+K knocks the router the lab guards with the nftables rules that
// router-config writes; the port opens and the list says when it was
// knocked and until when the router keeps it (no check port: not "open").
func TestLabWindowKeyboardOnly(t *testing.T) {
	t.Parallel()
	needDesktop(t)
	l := newLab(t)
	const payload = "keyboard-knock"
	declareSecrets(t, payload)
	host := labRouter4.String()
	rules := testbin.Run(t, noDisplay, "router-config", "--format", "nftables", "--protect", "tcp/22", host, "1234:udp="+payload)
	if rules.Code != 0 {
		t.Fatalf("router-config: %s", rules.Stderr)
	}
	l.nft(rules.Stdout)
	if l.open(labRouter4) {
		t.Fatal("the port is open before any knock")
	}

	config := t.TempDir()
	g := launchGUIIn(t, nsExec(l.client), nil, []string{"KNOCKER_CONFIG_DIR=" + config}, func(g *gui) bool {
		if !windowMapped(g.display, "Knocker", 30*time.Second, g.exited) {
			return false
		}
		waitViewable(t, g.display, true)
		return true
	}, "no window titled Knocker appeared in the client namespace")
	g.waitDrawn(t, "Knocker")

	g.key(t, "ctrl+n")
	g.waitWindow(t, "New profile")
	const form = "New profile"
	g.typeIn(t, form, "lab")
	g.keyIn(t, form, "Tab")
	g.typeIn(t, form, host)
	// Host, then Paste a command…, the two kinds of knock and the protocol
	// (UDP already): five Tabs to the port.
	g.keyIn(t, form, "Tab Tab Tab Tab Tab")
	g.typeIn(t, form, "1234")
	g.keyIn(t, form, "Tab")
	g.typeIn(t, form, payload)
	g.keyIn(t, form, "Return")
	if !waitFor(10*time.Second, func() bool { return windowGone(g.display, form) }) {
		g.screenshotOf(t, form, "keyboard-form-not-saved.png")
		t.Fatalf("Enter did not save the form; output:\n%s", g.logs.String())
	}
	list := testbin.RunIn(t, nil, []string{"KNOCKER_CONFIG_DIR=" + config}, "list")
	if !strings.HasPrefix(list.Stdout, "lab\t"+host+"\tnever knocked") {
		t.Fatalf("after Enter, knocker list says %q", list.Stdout)
	}

	g.key(t, "ctrl+k")
	if !waitFor(10*time.Second, func() bool { return l.open(labRouter4) }) {
		t.Fatalf("Ctrl+K did not open the router's port; output:\n%s", g.logs.String())
	}
	// The profile has no check port, so the row says when it was knocked
	// and until when the router should keep the entry (its timeout, 2 h),
	// not "open": read until the knock's result has reached the list.
	knocked := regexp.MustCompile(`knocked (\d\d):(\d\d)\W+until (\d\d):(\d\d)`)
	var all string
	ocr := true
	seen := waitFor(30*time.Second, func() bool {
		passes, ok := ocrBothWays(t, g.screenshotOf(t, "Knocker", "keyboard-knocked.png"))
		if ocr = ok; !ok {
			return true
		}
		var read []string
		for _, lines := range passes {
			for _, line := range lines {
				read = append(read, line.text)
			}
		}
		all = strings.Join(read, "\n")
		return knocked.MatchString(all)
	})
	if !ocr {
		return
	}
	if !seen {
		t.Fatalf("the window does not say when the router was knocked and until when; OCR read:\n%s", all)
	}
	m := knocked.FindStringSubmatch(all)
	minutes := func(h, m string) int { hh, _ := strconv.Atoi(h); mm, _ := strconv.Atoi(m); return hh*60 + mm }
	if got := (minutes(m[3], m[4]) - minutes(m[1], m[2]) + 24*60) % (24 * 60); got != 120 {
		t.Fatalf("the row says %q: until is %d min after the knock, want the 2 h timeout", m[0], got)
	}
	if strings.Contains(all, "open for") {
		t.Fatalf("a knock nobody checked is shown as open; OCR read:\n%s", all)
	}
}
