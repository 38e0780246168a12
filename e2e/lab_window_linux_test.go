package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
)

// Keyboard only, through the real window running in the lab's client
// namespace: Ctrl+N, type the profile (Tab between fields), Enter saves;
// Ctrl+K knocks the router the lab guards with the nftables rules that
// router-config writes; the port opens and the list says "open".
func TestLabWindowKeyboardOnly(t *testing.T) {
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
	time.Sleep(500 * time.Millisecond) // the first frame

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
	time.Sleep(time.Second) // the knock's result reaches the list
	passes, ok := ocrBothWays(t, g.screenshotOf(t, "Knocker", "keyboard-knocked.png"))
	if !ok {
		return
	}
	var read []string
	for _, lines := range passes {
		for _, line := range lines {
			read = append(read, line.text)
		}
	}
	// The row reads "lab … open for 1 h 59 min" (or 2 h 0 min).
	if all := strings.Join(read, "\n"); !strings.Contains(all, "open for") {
		t.Fatalf("the window does not say the router is open; OCR read:\n%s", all)
	}
}
