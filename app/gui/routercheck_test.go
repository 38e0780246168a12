package gui

import (
	"io"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock"
)

// The router's rules for a two-step knock to tcp/22, and a ladder.
const guiRouterRules = `/ip firewall filter
add action=add-src-to-address-list address-list=gui-allow address-list-timeout=1h chain=input \
    content=second dst-port=5678 packet-size=34 protocol=udp src-address-list=gui-stage1
add action=add-src-to-address-list address-list=gui-stage1 address-list-timeout=30s chain=input \
    content=first dst-port=1234 packet-size=33 protocol=udp
add action=accept chain=input dst-port=22 protocol=tcp src-address-list=gui-allow
add action=drop chain=input dst-port=22 protocol=tcp
add chain=input protocol=tcp dst-port=23 src-address-list=black action=drop
add chain=input protocol=tcp dst-port=23 action=add-src-to-address-list address-list=black address-list-timeout=1d
`

// The editor's "Paste a command…" takes the router's rules too: the steps
// and the check port fill in, the host typed already stays.
func TestPasteRouterRules(t *testing.T) {
	h := newHarness(t, nil)
	h.u.newProfile()
	e := h.u.editor
	e.host.SetText("192.0.2.9")
	test.Tap(e.paste)
	top := e.win.Canvas().Overlays().Top()
	var line *widget.Entry
	var fill *widget.Button
	walk(top, func(o fyne.CanvasObject) bool {
		if en, ok := o.(*widget.Entry); ok && en.MultiLine {
			line = en
		}
		if b, ok := o.(*widget.Button); ok && b.Text == "Fill in" {
			fill = b
		}
		return false
	})
	line.SetText(guiRouterRules)
	test.Tap(fill)
	if e.host.Text != "192.0.2.9" || e.name.Text != "gui-allow" || len(e.rows) != 2 || e.verifyPort.Text != "22" {
		t.Fatalf("filled name %q host %q check %q with %d steps", e.name.Text, e.host.Text, e.verifyPort.Text, len(e.rows))
	}
	if r := e.rows[1]; r.proto.Selected != "udp" || r.port.Text != "5678" || r.payload.Text != "second" {
		t.Fatalf("second step %s %s", r.proto.Selected, r.port.Text)
	}
	if !strings.Contains(e.pasteNote.Text, "RouterOS configuration") || !strings.Contains(e.pasteNote.Text, "list black") {
		t.Fatalf("note %q", e.pasteNote.Text)
	}
}

// Router setup's check says what knocker router-check says.
func TestCheckAgainstMyRouter(t *testing.T) {
	h := newHarness(t, nil)
	steps := func(specs ...string) []knock.Step {
		var out []knock.Step
		for _, s := range specs {
			st, err := knock.ParseStep(s, knock.TCP)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, st)
		}
		return out
	}
	for _, tt := range []struct {
		rules string
		steps []string
		want  string
		imp   widget.Importance
	}{
		{guiRouterRules, []string{"1234:udp=first", "5678:udp=second"}, "the router's rules let this knock in (through list gui-allow, 1h, tcp/22)", widget.SuccessImportance},
		{guiRouterRules, []string{"1234:udp=first", "5679:udp=second"}, "The router and this profile disagree: step 2: the router wants udp/5678, this profile sends udp/5679", widget.DangerImportance},
		{"Flags: X - disabled\n 0 chain=input\n", []string{"1"}, "These are not RouterOS rules Knocker can read: not RouterOS configuration: this is print output", widget.DangerImportance},
	} {
		p := profile.Profile{Name: "office", Host: "192.0.2.9", Steps: steps(tt.steps...)}
		c := h.u.newRouterCheck(p)
		c.rules.SetText(tt.rules)
		test.Tap(c.check)
		h.settle()
		if !strings.HasPrefix(c.verdict.Text, tt.want) || c.verdict.Importance != tt.imp || c.check.Disabled() {
			t.Errorf("verdict %q (%v), want %q (%v)", c.verdict.Text, c.verdict.Importance, tt.want, tt.imp)
		}
	}
}

// Import… takes a RouterOS export: it asks which router the rules are on,
// then the preview shows each knock found and each chain left out, with why.
func TestImportRouterRules(t *testing.T) {
	h := newHarness(t, nil)
	h.u.importFrom("router.rsc", readCloser(guiRouterRules))
	h.settle()
	if got := h.dialogText(); !strings.Contains(got, "Import router.rsc") || strings.Contains(got, "holds") {
		t.Fatalf("the import must ask for the router first; the window shows %q", got)
	}
	h.u.previewImport("router.rsc", []byte(guiRouterRules), "192.0.2.9")
	h.settle()
	got := h.dialogText()
	for _, want := range []string{"router.rsc holds RouterOS configuration with 1 profile", "gui-allow — 192.0.2.9 — udp/1234",
		"Left out, since Knocker cannot knock them:", "list black (IPv4): the rule at line 8 drops sources on it"} {
		if !strings.Contains(got, want) {
			t.Errorf("preview %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "second") {
		t.Errorf("the preview shows a payload: %q", got)
	}
	h.tapDialogButton("Import")
	h.settle()
	if len(h.u.list.profiles) != 1 || h.u.list.profiles[0].Name != "gui-allow" {
		t.Fatalf("after import: %+v", h.u.list.profiles)
	}
}

func readCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }
