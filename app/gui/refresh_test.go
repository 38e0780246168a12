package gui

import (
	"context"
	"net"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/app/secret"
	"github.com/knocker/knocker/internal/testnet"
	"github.com/knocker/knocker/knock/schedule"
)

// fakeTray records what the app puts in the system tray.
type fakeTray struct {
	menus []*fyne.Menu
	icons []fyne.Resource
}

func (f *fakeTray) SetSystemTrayMenu(m *fyne.Menu)    { f.menus = append(f.menus, m) }
func (f *fakeTray) SetSystemTrayIcon(r fyne.Resource) { f.icons = append(f.icons, r) }

func (f *fakeTray) labels() []string {
	var out []string
	for _, it := range f.menus[len(f.menus)-1].Items {
		out = append(out, it.Label)
	}
	return out
}

func (f *fakeTray) item(t *testing.T, prefix string) *fyne.MenuItem {
	t.Helper()
	for _, it := range f.menus[len(f.menus)-1].Items {
		if strings.HasPrefix(it.Label, prefix) {
			return it
		}
	}
	t.Fatalf("no tray item %q in %q", prefix, f.labels())
	return nil
}

// fakeDesktop puts a fakeTray where a StatusNotifierWatcher shows it, and
// records the desktop notifications the app sends.
type fakeDesktop struct {
	*fakeTray
	notes []string
}

func (h *harness) fakeDesktop() *fakeDesktop {
	d := &fakeDesktop{fakeTray: &fakeTray{}}
	h.u.sendNotification = func(n *fyne.Notification) { d.notes = append(d.notes, n.Content) }
	h.u.setupTray(d.fakeTray, func() bool { return true })
	return d
}

// refreshOnFakeClock starts automatic re-knocking on a fake clock, stopped
// at the test's end.
func (h *harness) refreshOnFakeClock() *schedule.FakeClock {
	h.t.Helper()
	clock := schedule.NewFakeClock(time.Now())
	if err := h.u.startRefresh(clock, ignoreNetwork); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(h.u.auto.stop)
	return clock
}

// Auto-refresh on a fake clock: knocked at start because nothing is known,
// then again half a minute before a one-minute entry expires.
func TestAutoRefreshKnocksBeforeExpiry(t *testing.T) {
	h := newHarness(t, nil)
	ln := testnet.ListenUDP(t)
	h.add(profile.Profile{Name: "lab", Host: "127.0.0.1", Timeout: time.Minute, AutoRefresh: true, Steps: udpSteps(t, ln, "auto")})
	clock := h.refreshOnFakeClock()
	h.waitFor("knocked")
	if got := received(t, ln, 1); got[0] != "auto" {
		t.Fatalf("start-up knock sent %q", got)
	}
	h.waitFor("schedule")
	h.settle()
	if !strings.Contains(h.u.detail.status.Text, "re-knock at") {
		t.Fatalf("the detail must say when the next knock comes: %q", h.u.detail.status.Text)
	}
	clock.Advance(25 * time.Second)
	ln.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, _, err := ln.ReadFromUDP(make([]byte, 10)); err == nil {
		t.Fatal("re-knocked too early")
	}
	clock.Advance(10 * time.Second)
	h.waitFor("knocked")
	received(t, ln, 1)
	h.settle()
	history := h.u.log.history[h.u.list.selected]
	if len(history) < 2 || !strings.HasPrefix(history[0].text, "re-knock (auto): sent 1 step") || h.u.detail.result.Text != history[0].text {
		t.Fatalf("history %q, result %q", history, h.u.detail.result.Text)
	}
	// The newest knock is the result; the list of earlier ones starts
	// with the one before.
	latest := history[1]
	shown := strings.Split(h.u.detail.history.Text, "\n")[0]
	stamp, ok := strings.CutSuffix(shown, "  "+latest.text)
	if !ok {
		t.Fatalf("the detail's history line %q does not end in the outcome %q", shown, latest.text)
	}
	when, err := time.ParseInLocation("Jan _2 15:04:05", stamp, time.Local)
	if err != nil || when.Month() != latest.at.Month() || when.Day() != latest.at.Day() || when.Hour() != latest.at.Hour() ||
		when.Minute() != latest.at.Minute() || when.Second() != latest.at.Second() {
		t.Fatalf("history line %q: its time %q does not read back as %v (%v)", shown, stamp, latest.at, err)
	}
}

// History times are one width on every day of the month, so the outcomes
// line up in a column between the 9th and the 10th.
func TestHistoryLinesAreFixedWidth(t *testing.T) {
	zone := time.FixedZone("UTC+14", 14*3600)
	var want int
	for day := 1; day <= 31; day++ {
		e := historyEntry{at: time.Date(2026, time.December, day, 9, 5, 7, 0, zone), text: "sent 1 step"}
		line := e.String()
		i := strings.Index(line, "sent 1 step")
		if day == 1 {
			want = i
		}
		if i != want {
			t.Fatalf("Dec %d: the outcome starts at column %d, on Dec 1 at %d: %q", day, i, want, line)
		}
	}
}

func TestFailingRefreshNotifiesOnceAndMarksTheTray(t *testing.T) {
	h := newHarness(t, nil)
	desk := h.fakeDesktop()
	ln := testnet.ListenUDP(t)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	port := uint16(closed.Addr().(*net.TCPAddr).Port)
	closed.Close()
	h.add(profile.Profile{Name: "lab", Host: "127.0.0.1", Timeout: time.Hour, AutoRefresh: true, Steps: udpSteps(t, ln, "x"),
		Verify: &profile.Verify{Port: port, Timeout: 50 * time.Millisecond}})
	clock := h.refreshOnFakeClock()
	for range 3 { // the first knock and two retries, all failing
		h.waitFor("knocked")
		h.waitFor("schedule")
		h.settle()
		clock.Advance(5 * time.Minute)
	}
	if len(desk.notes) != 1 || !strings.Contains(desk.notes[0], "lab: re-knock failed") {
		t.Fatalf("notifications %q, want one for the whole failure streak", desk.notes)
	}
	if icon := desk.icons[len(desk.icons)-1]; icon == nil || icon.Name() != "icon-failing.png" {
		t.Fatal("the tray icon must show the failure")
	}
	if !strings.Contains(h.u.detail.status.Text, "re-knock failed") {
		t.Fatalf("status %q", h.u.detail.status.Text)
	}
	if got := desk.item(t, "Knock lab").Label; got != "Knock lab — re-knock failing" {
		t.Fatalf("tray item %q", got)
	}
}

// Cancel on an automatic re-knock means "not now": it is no failure, so no
// notification, no failing tray icon, and the next try comes a minute later.
func TestCancellingAReKnockIsNoFailure(t *testing.T) {
	h := newHarness(t, nil)
	desk := h.fakeDesktop()
	ln := testnet.ListenUDP(t)
	steps := udpSteps(t, ln, "a", "b")
	steps[1].Delay = time.Hour
	h.add(profile.Profile{Name: "lab", Host: "127.0.0.1", Timeout: time.Hour, AutoRefresh: true, Steps: steps})
	clock := h.refreshOnFakeClock()
	h.waitFor("step")
	h.settle()
	if h.u.detail.cancel.Disabled() {
		t.Fatal("Cancel must be on while the re-knock runs")
	}
	test.Tap(h.u.detail.cancel)
	h.waitFor("knocked")
	h.waitFor("schedule")
	h.settle()
	if len(desk.notes) != 0 {
		t.Fatalf("notifications %q after a cancel, want none", desk.notes)
	}
	if icon := desk.icons[len(desk.icons)-1]; icon != nil && icon.Name() == "icon-failing.png" {
		t.Fatal("a cancelled re-knock must not mark the tray as failing")
	}
	next := clock.Now().Add(schedule.CallerCancelPause).Local().Format("15:04:05")
	if want := "re-knock at " + next; !strings.Contains(h.u.detail.status.Text, want) {
		t.Fatalf("status %q, want it to say %q", h.u.detail.status.Text, want)
	}
	if h.u.log.results[h.u.list.selected] != "re-knock (auto): cancelled" {
		t.Fatalf("result %q", h.u.log.results[h.u.list.selected])
	}
}

func TestTrayMenu(t *testing.T) {
	h := newHarness(t, nil)
	ln := testnet.ListenUDP(t)
	tray := &fakeTray{}
	h.u.setupTray(tray, func() bool { return true })
	h.add(profile.Profile{Name: "office", Host: "127.0.0.1", Timeout: 2 * time.Hour, Steps: udpSteps(t, ln, "tray")})
	h.add(profile.Profile{Name: "no timeout", Host: "127.0.0.1", Steps: udpSteps(t, ln, "x")})
	want := []string{"Show Knocker", "", "Knock office — never knocked", "Knock no timeout — never knocked", "", "Re-knock before expiry", "Start at login", "", "Quit"}
	if got := tray.labels(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("tray menu %q, want %q", got, want)
	}
	refresh := tray.item(t, "Re-knock before expiry").ChildMenu.Items
	if len(refresh) != 1 || refresh[0].Label != "office" || refresh[0].Checked {
		t.Fatal("only profiles with a timeout can re-knock; office is off")
	}

	tray.item(t, "Knock office").Action()
	h.settle()
	if got := received(t, ln, 1); got[0] != "tray" {
		t.Fatalf("tray knock sent %q", got)
	}
	// office has no check port: the tray says when it knocked, not "open".
	if got := tray.item(t, "Knock office").Label; !regexp.MustCompile(`^Knock office — knocked \d\d:\d\d, the router should keep you until (\w+ \d+ )?\d\d:\d\d$`).MatchString(got) {
		t.Fatalf("after knocking: %q", got)
	}
	menus := len(tray.menus)
	h.u.tickTray()
	if len(tray.menus) != menus {
		t.Fatal("the countdown may change the menu at most once a minute")
	}
	refresh = tray.item(t, "Re-knock before expiry").ChildMenu.Items
	refresh[0].Action()
	h.settle()
	if l, _ := h.u.book.List(); !l.Profiles[0].AutoRefresh {
		t.Fatal("the tray switch must turn auto-refresh on")
	}
}

func TestCloseHidesToTrayOnlyWhenATrayIsShown(t *testing.T) {
	for _, shown := range []bool{true, false} {
		h := newHarness(t, nil)
		h.u.setupTray(&fakeTray{}, func() bool { return shown })
		h.u.startTicking()
		h.u.closeWindow()
		if shown {
			if !h.u.hidden || h.u.ticker != nil || h.u.ctx.Err() != nil {
				t.Fatal("with a tray, closing must hide the window, stop the countdown ticker and keep running")
			}
			h.u.showWindow()
			if h.u.hidden || h.u.ticker == nil {
				t.Fatal("Show Knocker must bring the window and its countdowns back")
			}
			h.u.stopTicking()
			continue
		}
		if h.u.ctx.Err() != context.Canceled {
			t.Fatal("without a tray, closing must quit rather than leave an invisible process")
		}
	}
}

func TestMinutes(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Hour + 52*time.Minute + 10*time.Second: "1 h 52 min",
		12*time.Hour + 59*time.Second:               "12 h 0 min",
		4*time.Minute + 10*time.Second:              "4 min",
		time.Minute:                                 "1 min",
		59*time.Second + time.Millisecond:           "1 min", // rounds up to 1:00, as clock does
		30 * time.Second:                            "<1 min",
	} {
		if got := minutes(d); got != want {
			t.Errorf("minutes(%v) = %q, want %q", d, got, want)
		}
	}
}

// countingSecrets counts keyring reads.
type countingSecrets struct {
	*secret.Memory
	reads atomic.Int32
}

func (c *countingSecrets) Get(ctx context.Context, id string) (string, error) {
	c.reads.Add(1)
	return c.Memory.Get(ctx, id)
}

// Started hidden in the tray (as at login), Knocker reads no secret and
// draws nothing until the window shows: a keyring read could raise an unlock
// prompt for nothing, and drawing text makes Fyne load its fonts. What
// happened meanwhile (a knock from the tray menu) is on screen once shown.
func TestHiddenStartReadsNoSecretAndDrawsNothing(t *testing.T) {
	ring := &countingSecrets{Memory: &secret.Memory{}}
	h := newHarness(t, ring)
	ln := testnet.ListenUDP(t)
	h.add(profile.Profile{Name: "office", Host: "127.0.0.1", Timeout: time.Hour, Steps: udpSteps(t, ln, "tray")})
	h.settle()
	ring.reads.Store(0)
	a := test.NewTempApp(t)
	win := a.NewWindow("Knocker")
	u := newUI(a, win, h.u.book, uiOptions{hidden: true, dispatch: h.dispatch})
	h.u = u
	h.settle()
	if n := ring.reads.Load(); n != 0 {
		t.Fatalf("%d keyring reads while hidden", n)
	}
	u.knock(u.list.profiles[0])
	h.waitFor("knocked")
	h.settle()
	received(t, ln, 1)
	if win.Content() == u.root || u.detail.title.Text != "" || u.detail.result.Text != "" {
		t.Fatalf("the hidden window was drawn: content attached %v, title %q, result %q",
			win.Content() == u.root, u.detail.title.Text, u.detail.result.Text)
	}
	u.showWindow()
	u.stopTicking()
	h.settle()
	if win.Content() != u.root || u.detail.title.Text != "office" {
		t.Fatalf("showing the window must draw it; title %q", u.detail.title.Text)
	}
	if ring.reads.Load() == 0 || !strings.Contains(u.detail.steps.Text, "udp/") {
		t.Fatalf("showing the window must read the steps; shows %q", u.detail.steps.Text)
	}
	if !strings.HasPrefix(u.detail.result.Text, "sent 1 step") {
		t.Fatalf("the knock made while hidden must show; result %q", u.detail.result.Text)
	}
}
