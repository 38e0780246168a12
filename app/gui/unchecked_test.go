package gui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/internal/testnet"
)

// listRow is a drawn row of the list: its icon and its status text.
func (h *harness) listRow(name string) (icon fyne.Resource, status string) {
	h.t.Helper()
	w := test.NewTempWindow(h.t, h.u.list.widget) // rows exist only when drawn
	w.Resize(fyne.NewSize(500, 400))
	found := false
	walk(h.u.list.widget, func(o fyne.CanvasObject) bool {
		row, ok := o.(*fyne.Container)
		if !ok || len(row.Objects) != 3 {
			return false
		}
		texts, ok := row.Objects[0].(*fyne.Container)
		if !ok || len(texts.Objects) == 0 {
			return false
		}
		if l, ok := texts.Objects[0].(*widget.Label); ok && l.Text == name {
			icon, status, found = row.Objects[1].(*widget.Icon).Resource, row.Objects[2].(*widget.Label).Text, true
		}
		return found
	})
	if !found {
		h.t.Fatalf("no row for %q in the list", name)
	}
	return icon, status
}

// A knock with no check port is not shown as open: Knocker only knows it
// sent the steps. The list, the detail view and the tray say when it
// knocked and until when the router should keep the address, each with an
// icon of its own; a knock whose check port answered keeps "open" and the
// green check.
func TestUncheckedKnockIsNotOpen(t *testing.T) {
	h := newHarness(t, nil)
	tray := &fakeTray{}
	h.u.setupTray(tray, func() bool { return true })
	ln := testnet.ListenUDP(t)
	port := testnet.OpenTCPPort(t)
	h.add(profile.Profile{Name: "checked", Host: "127.0.0.1", Timeout: 2 * time.Hour, Steps: udpSteps(t, ln, "a"),
		Verify: &profile.Verify{Port: port}})
	h.add(profile.Profile{Name: "unchecked", Host: "127.0.0.1", Timeout: 2 * time.Hour, Steps: udpSteps(t, ln, "b")})

	h.selectProfile("unchecked")
	test.Tap(h.u.detail.knock)
	h.settle()
	received(t, ln, 1)
	d := h.u.detail
	if d.result.Text != "sent 1 step to 127.0.0.1, not checked" {
		t.Errorf("result %q", d.result.Text)
	}
	icon, status := h.listRow("unchecked")
	if strings.Contains(status, "open") || !strings.HasPrefix(status, "knocked ") || !strings.Contains(status, "until") {
		t.Errorf("the list calls an unchecked knock %q", status)
	}
	if icon != h.u.list.icons.sent || icon == h.u.list.icons.open {
		t.Errorf("the list shows an unchecked knock with the icon %v", icon)
	}
	if !strings.Contains(d.status.Text, "not checked") || strings.Contains(d.status.Text, "open") {
		t.Errorf("the detail view calls an unchecked knock %q", d.status.Text)
	}
	if d.statusIcon.Resource != h.u.list.icons.sent {
		t.Errorf("the detail view's icon for an unchecked knock %v", d.statusIcon.Resource)
	}
	item := tray.item(t, "Knock unchecked")
	if !strings.Contains(item.Label, "the router should keep you until") || strings.Contains(item.Label, "open") {
		t.Errorf("the tray calls an unchecked knock %q", item.Label)
	}
	if item.Icon != theme.MailSendIcon() {
		t.Errorf("the tray's icon for an unchecked knock %v", item.Icon)
	}

	h.selectProfile("checked")
	test.Tap(h.u.detail.knock)
	h.settle()
	received(t, ln, 1)
	icon, status = h.listRow("checked")
	if status != "open for 1 h 59 min" && status != "open for 2 h 0 min" {
		t.Errorf("the list calls a verified knock %q", status)
	}
	if icon != h.u.list.icons.open || d.statusIcon.Resource != h.u.list.icons.open {
		t.Errorf("a verified knock's icons: list %v, detail %v", icon, d.statusIcon.Resource)
	}
	if item := tray.item(t, "Knock checked"); !strings.Contains(item.Label, "— open ") || item.Icon != theme.ConfirmIcon() {
		t.Errorf("the tray shows a verified knock as %q with %v", item.Label, item.Icon)
	}
}

// The words and times of an unchecked knock, on a clock and in a zone of
// the test's own: the knock's time of day, and the day too when the router
// should keep the address into the next one.
func TestUncheckedKnockTimes(t *testing.T) {
	zone := time.FixedZone("UTC+3", 3*3600)
	knocked := time.Date(2026, 11, 25, 14, 2, 0, 0, zone)
	late := time.Date(2026, 11, 25, 23, 30, 0, 0, zone)
	for _, tt := range []struct {
		lang            string
		last, now       time.Time
		list, tray, all string
	}{
		{"en", knocked, knocked.Add(10 * time.Minute), "knocked 14:02 · until 16:02",
			"knocked 14:02, the router should keep you until 16:02",
			"knocked 14:02, not checked (no check port): the router should keep you until 16:02"},
		{"en", late, late.Add(10 * time.Minute), "knocked 23:30 · until Nov 26 01:30", "", ""},
		{"en", late, late.Add(time.Hour), "knocked Nov 25 23:30 · until 01:30", "", ""},
		{"ru", knocked, knocked.Add(time.Minute), "постучали 14:02 · до 16:02",
			"постучали 14:02, роутер должен пускать вас до 16:02", ""},
		{"ru", late, late.Add(time.Minute), "постучали 23:30 · до 26 нояб. 01:30", "", ""},
		{"de", late, late.Add(time.Minute), "angeklopft um 23:30 · bis 26. Nov. 01:30", "", ""},
		{"id", knocked, knocked.Add(time.Minute), "diketuk 14.02 · hingga 16.02", "", ""},
	} {
		t.Run(fmt.Sprintf("%s %s", tt.lang, tt.now.Format("15:04")), func(t *testing.T) {
			inLanguage(t, tt.lang)
			p := profile.Profile{LastKnocked: tt.last.UTC(), Timeout: 2 * time.Hour}
			for _, c := range []struct {
				place statusPlace
				want  string
			}{{inList, tt.list}, {inTray, tt.tray}, {inDetail, tt.all}} {
				state, text := describeEntry(p, tt.now, c.place)
				if state != entrySent || (c.want != "" && text != c.want) {
					t.Errorf("place %d: %v %q, want %q", c.place, state, text, c.want)
				}
			}
		})
	}
	// Without the router's timeout, an unchecked knock still has the sent
	// icon, and a checked one the check mark.
	p := profile.Profile{LastKnocked: knocked.UTC()}
	if state, text := entryStatus(p, knocked.Add(90*time.Minute)); state != entrySent || text != "knocked 1 h ago" {
		t.Errorf("unchecked, no timeout: %v %q", state, text)
	}
	p.Verify = &profile.Verify{Port: 22}
	if state, _ := entryStatus(p, knocked.Add(90*time.Minute)); state != entryUnknown {
		t.Errorf("checked, no timeout: %v", state)
	}
}
