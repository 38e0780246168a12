package gui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/app/secret"
	"github.com/knocker/knocker/internal/testnet"
	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/routerconf"
	"github.com/knocker/knocker/knock/spa"
)

// harness is a main window on Fyne's test driver, backed by a real
// profiles.json in a temporary folder and an in-memory keyring.
type harness struct {
	t       testing.TB
	u       *ui
	secrets secret.Store
	mem     *secret.Memory
	updates chan update
}

type update struct {
	what string
	run  func()
}

func newHarness(t testing.TB, secrets secret.Store) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	mem := &secret.Memory{}
	if secrets == nil {
		secrets = mem
	}
	book := &profile.Book{Store: profile.NewStore(t.TempDir(), nil), Secrets: secrets}
	w := a.NewWindow("Knocker")
	t.Cleanup(w.Close)
	h := &harness{t: t, secrets: secrets, mem: mem, updates: make(chan update, 1000)}
	h.u = newUI(a, w, book, uiOptions{dispatch: h.dispatch, placeFile: filepath.Join(t.TempDir(), placeFileName)})
	h.u.opened = true // the test driver's windows are up from the start
	w.Resize(fyne.NewSize(900, 600))
	return h
}

// dispatch queues an update for the test goroutine, which plays Fyne's
// event loop in settle and waitFor.
func (h *harness) dispatch(what string, run func()) { h.updates <- update{what, run} }

// settle plays Fyne's event loop on the test goroutine until every piece of
// background work has reported back and its updates have run.
func (h *harness) settle() {
	h.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case u := <-h.updates:
			u.run()
			continue
		default:
		}
		if h.u.bridge.pending.Load() == 0 && len(h.updates) == 0 {
			return
		}
		select {
		case u := <-h.updates:
			u.run()
		case <-time.After(time.Millisecond):
		case <-deadline:
			h.t.Fatal("background work did not finish")
		}
	}
}

// waitFor plays the event loop until an update of the given kind has run.
func (h *harness) waitFor(what string) {
	h.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case u := <-h.updates:
			u.run()
			if u.what == what {
				return
			}
		case <-deadline:
			h.t.Fatalf("no %q update reached the UI", what)
		}
	}
}

// dialogText is every text of the dialog on top of the window, "" for none.
func (h *harness) dialogText() string {
	top := h.u.win.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	var texts []string
	walk(top, func(o fyne.CanvasObject) bool {
		if l, ok := o.(*widget.Label); ok && l.Visible() {
			texts = append(texts, l.Text)
		}
		return false
	})
	return strings.Join(texts, "\n")
}

// tapDialogButton taps the button called label in the dialog on top of the
// window, as the user would; the dialog then closes.
func (h *harness) tapDialogButton(label string) {
	h.t.Helper()
	top := h.u.win.Canvas().Overlays().Top()
	if top == nil {
		h.t.Fatalf("no dialog with a %q button: no dialog is open", label)
	}
	test.Tap(findButton(h.t, top, label))
}

// findButton is the button called label drawn in o.
func findButton(t testing.TB, o fyne.CanvasObject, label string) *widget.Button {
	t.Helper()
	var found *widget.Button
	walk(o, func(o fyne.CanvasObject) bool {
		if b, ok := o.(*widget.Button); ok && b.Text == label {
			found = b
		}
		return found != nil
	})
	if found == nil {
		t.Fatalf("no %q button", label)
	}
	return found
}

// walk visits o and everything drawn inside it until visit returns true.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject) bool) bool {
	if visit(o) {
		return true
	}
	var children []fyne.CanvasObject
	switch x := o.(type) {
	case *fyne.Container:
		children = x.Objects
	case fyne.Widget:
		children = test.WidgetRenderer(x).Objects()
	}
	for _, c := range children {
		if walk(c, visit) {
			return true
		}
	}
	return false
}

// add saves a profile directly, as an earlier session would have.
func (h *harness) add(p profile.Profile) profile.Profile {
	h.t.Helper()
	if p.ID == "" {
		p.ID = profile.NewID()
	}
	if err := h.u.book.Add(context.Background(), []profile.Profile{p}); err != nil {
		h.t.Fatal(err)
	}
	h.u.reload()
	return p
}

func (h *harness) selectProfile(name string) {
	h.t.Helper()
	for i, p := range h.u.list.profiles {
		if p.Name == name {
			h.u.list.widget.Select(i)
			h.settle() // the steps summary comes from the keyring
			return
		}
	}
	h.t.Fatalf("no profile %q in the list", name)
}

func udpSteps(t testing.TB, ln *net.UDPConn, payloads ...string) []knock.Step {
	t.Helper()
	port := uint16(ln.LocalAddr().(*net.UDPAddr).Port)
	steps := make([]knock.Step, len(payloads))
	for i, p := range payloads {
		steps[i] = knock.Step{Proto: knock.UDP, Port: port, Payload: knock.Payload{Data: []byte(p)}}
	}
	return steps
}

func received(t testing.TB, ln *net.UDPConn, n int) []string {
	t.Helper()
	buf := make([]byte, 2048)
	var got []string
	for range n {
		ln.SetReadDeadline(time.Now().Add(5 * time.Second))
		m, _, err := ln.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		got = append(got, string(buf[:m]))
	}
	return got
}

func TestAddProfileThroughTheForm(t *testing.T) {
	h := newHarness(t, nil)
	h.u.newProfile()
	e := h.u.editor
	test.Type(e.name, "office")
	test.Type(e.host, "192.0.2.1")
	e.timeout.SetText("")
	test.Type(e.timeout, "90m")
	r := e.rows[0]
	r.proto.SetSelected("udp")
	test.Type(r.port, "1234")
	test.Type(r.payload, "dGVzdA==")
	r.encoding.SetSelected("base64")
	test.Tap(e.addStep)
	r2 := e.rows[1]
	r2.proto.SetSelected("tcp")
	test.Type(r2.port, "2000")
	test.Type(r2.delay, "250ms")
	test.Type(e.verifyPort, "22")
	test.Tap(e.save)
	h.settle()

	if h.u.editor != nil {
		t.Fatalf("the form must close after saving; it says %q", e.status.Text)
	}
	p, err := h.u.book.Get(context.Background(), "office")
	if err != nil {
		t.Fatal(err)
	}
	want := []knock.Step{
		{Proto: knock.UDP, Port: 1234, Payload: knock.Payload{Data: []byte("test"), Encoding: knock.Base64}},
		{Proto: knock.TCP, Port: 2000, Delay: 250 * time.Millisecond},
	}
	if len(p.Steps) != 2 || p.Steps[0].Spec() != want[0].Spec() || p.Steps[1].Spec() != want[1].Spec() || p.Steps[1].Delay != want[1].Delay {
		t.Fatalf("saved steps %v, want %v", p.Steps, want)
	}
	if p.Host != "192.0.2.1" || p.Timeout != 90*time.Minute || p.Verify == nil || p.Verify.Port != 22 {
		t.Fatalf("saved %+v", p)
	}
	if h.mem.Len() != 1 {
		t.Fatalf("keyring holds %d items, want 1", h.mem.Len())
	}
	if h.u.list.selected != p.ID || h.u.detail.title.Text != "office" {
		t.Fatal("the new profile must be selected and shown")
	}
	if got := h.u.detail.steps.Text; got != "udp/1234 (4-byte payload), then tcp/2000" {
		t.Fatalf("steps summary %q", got)
	}
}

func TestFormShowsErrorsInlineAndKeepsInput(t *testing.T) {
	h := newHarness(t, nil)
	h.add(profile.Profile{Name: "home", Host: "127.0.0.1", Steps: []knock.Step{{Proto: knock.TCP, Port: 22}}})
	h.u.newProfile()
	e := h.u.editor
	test.Type(e.name, "HOME") // names are unique regardless of case
	test.Type(e.host, "bad host")
	r := e.rows[0]
	r.proto.SetSelected("udp")
	test.Type(r.port, "70000")
	test.Type(r.payload, "abc")
	r.encoding.SetSelected("hex")
	test.Tap(e.save)
	h.settle()

	if h.u.editor == nil || !e.status.Visible() || !strings.Contains(e.status.Text, "nothing was saved") {
		t.Fatal("an invalid form must stay open and say nothing was saved")
	}
	if err := e.name.Validate(); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("name error %v", err)
	}
	if err := e.host.Validate(); err == nil || !strings.Contains(err.Error(), "space") {
		t.Errorf("host error %v", err)
	}
	if !r.err.Visible() || r.err.Text != "Step 1: port 70000 is out of range (want 1-65535)" {
		t.Errorf("step error %q", r.err.Text)
	}
	test.Type(r.port, "\b\b\b\b\b") // fix the port; the odd hex is next
	r.port.SetText("7000")
	if !strings.Contains(r.err.Text, "odd number of digits") {
		t.Errorf("step error after fixing the port %q", r.err.Text)
	}
	if e.name.Text != "HOME" || e.host.Text != "bad host" || r.payload.Text != "abc" {
		t.Fatal("input was lost")
	}
	if l, _ := h.u.book.List(); len(l.Profiles) != 1 {
		t.Fatal("nothing may be saved from an invalid form")
	}
}

func TestStepRowsReorderAndRemove(t *testing.T) {
	h := newHarness(t, nil)
	h.u.openEditor(profile.Profile{Name: "x", Host: "h", Steps: []knock.Step{
		{Proto: knock.UDP, Port: 1}, {Proto: knock.TCP, Port: 2, Delay: time.Second}, {Proto: knock.ICMP},
	}}, changeProfile)
	e := h.u.editor
	if !e.rows[0].delay.Disabled() || e.rows[1].delay.Disabled() {
		t.Fatal("only the first step has no delay")
	}
	if !e.rows[0].up.Disabled() || !e.rows[2].down.Disabled() {
		t.Fatal("the ends cannot move further")
	}
	if !e.rows[1].payload.Disabled() || !e.rows[2].port.Disabled() {
		t.Fatal("TCP has no payload and ICMP no port")
	}
	if !e.rows[0].payload.Password {
		t.Fatal("payloads must be masked")
	}
	test.Tap(e.rows[0].down)
	ports := func() string {
		var s []string
		for _, r := range e.rows {
			s = append(s, r.proto.Selected+":"+r.port.Text)
		}
		return strings.Join(s, " ")
	}
	if got := ports(); got != "tcp:2 udp:1 icmp:" {
		t.Fatalf("after moving step 1 down: %s", got)
	}
	test.Tap(e.rows[2].remove)
	test.Tap(e.rows[1].remove)
	if got := ports(); got != "tcp:2" || !e.rows[0].remove.Disabled() {
		t.Fatalf("after removing two steps: %s (the last one must stay)", got)
	}
}

// failingSecrets is a keyring that is locked.
type failingSecrets struct{}

var errLocked = &secret.UnavailableError{Op: "save", Err: errors.New("the keyring is locked")}

func (failingSecrets) Get(context.Context, string) (string, error) { return "", errLocked }
func (failingSecrets) Set(context.Context, string, string) error   { return errLocked }
func (failingSecrets) Delete(context.Context, string) error        { return errLocked }

func TestKeyringFailureKeepsTheFormOpen(t *testing.T) {
	h := newHarness(t, failingSecrets{})
	h.u.newProfile()
	e := h.u.editor
	test.Type(e.name, "office")
	test.Type(e.host, "192.0.2.1")
	test.Type(e.rows[0].port, "1234")
	test.Type(e.rows[0].payload, "secret-payload")
	test.Tap(e.save)
	h.settle()
	if h.u.editor != e || !strings.Contains(e.status.Text, "Not saved") || !strings.Contains(e.status.Text, "keyring") {
		t.Fatalf("the form must stay open with the keyring's message; status %q", e.status.Text)
	}
	if strings.Contains(e.status.Text, "secret-payload") {
		t.Fatal("the message reveals the payload")
	}
	if e.rows[0].payload.Text != "secret-payload" || e.name.Text != "office" {
		t.Fatal("input was lost")
	}
	if e.save.Disabled() {
		t.Fatal("the user must be able to try again")
	}
}

func TestKnockShowsProgressAndResult(t *testing.T) {
	h := newHarness(t, nil)
	ln := testnet.ListenUDP(t)
	open := testnet.OpenTCPPort(t)
	h.add(profile.Profile{Name: "lab", Host: "127.0.0.1", Timeout: 2 * time.Hour,
		Steps:  udpSteps(t, ln, "one", "two", "three"),
		Verify: &profile.Verify{Port: open}})
	h.selectProfile("lab")
	if h.u.detail.status.Text != "never knocked" {
		t.Fatalf("status before knocking %q", h.u.detail.status.Text)
	}
	test.Tap(h.u.detail.knock)
	h.settle()

	if got := received(t, ln, 3); strings.Join(got, ",") != "one,two,three" {
		t.Fatalf("router received %v", got)
	}
	d := h.u.detail
	wantResult := fmt.Sprintf("port %d open", open)
	if d.result.Text != wantResult {
		t.Fatalf("result %q, want %q", d.result.Text, wantResult)
	}
	if d.progress.Value != 3 || d.progress.Max != 3 {
		t.Fatalf("progress %v/%v", d.progress.Value, d.progress.Max)
	}
	for _, want := range []string{"step 1/3 udp/", "step 3/3 udp/"} {
		if !strings.Contains(d.runLog.Text, want) {
			t.Errorf("run log lacks %q:\n%s", want, d.runLog.Text)
		}
	}
	if strings.Contains(d.runLog.Text, "three") {
		t.Fatal("the log reveals a payload")
	}
	if d.status.Text != "open for 1 h 59 min" && d.status.Text != "open for 2 h 0 min" {
		t.Fatalf("status after knocking %q", d.status.Text)
	}
	// The verdict shows once: as the result, not again in the log or in
	// the list of earlier knocks.
	if shown := strings.Join(textsOf(d.card), "\n"); strings.Count(shown, wantResult) != 1 {
		t.Fatalf("%q shows %d times in the detail view:\n%s", wantResult, strings.Count(shown, wantResult), shown)
	}
	h.u.knockSelected()
	h.settle()
	if !strings.Contains(d.history.Text, wantResult) || strings.Count(d.history.Text, "\n") != 0 {
		t.Fatalf("after a second knock the first is an earlier one: %q", d.history.Text)
	}
	l, _ := h.u.book.List()
	if l.Profiles[0].LastKnocked.IsZero() {
		t.Fatal("the knock time must be saved for the countdown and the scheduler")
	}
}

func TestKnockReportsStillClosed(t *testing.T) {
	h := newHarness(t, nil)
	ln := testnet.ListenUDP(t)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	port := uint16(closed.Addr().(*net.TCPAddr).Port)
	closed.Close()
	h.add(profile.Profile{Name: "lab", Host: "127.0.0.1", Steps: udpSteps(t, ln, "x"),
		Verify: &profile.Verify{Port: port, Timeout: 200 * time.Millisecond}})
	h.selectProfile("lab")
	h.u.knockSelected()
	h.settle()
	if want := fmt.Sprintf("sent, port %d still closed", port); h.u.detail.result.Text != want {
		t.Fatalf("result %q, want %q", h.u.detail.result.Text, want)
	}
	if !h.u.log.failed(h.u.list.selected) {
		t.Fatal("the row must show the failure")
	}
}

func TestCancelStopsAKnockAtOnce(t *testing.T) {
	h := newHarness(t, nil)
	ln := testnet.ListenUDP(t)
	steps := udpSteps(t, ln, "a", "b")
	steps[1].Delay = time.Hour
	h.add(profile.Profile{Name: "slow", Host: "127.0.0.1", Steps: steps})
	h.selectProfile("slow")
	test.Tap(h.u.detail.knock)
	h.waitFor("step")
	if !h.u.detail.knock.Disabled() || h.u.detail.cancel.Disabled() {
		t.Fatal("while knocking, Knock is off and Cancel on")
	}
	// The second step waits an hour: the knock ends within settle's
	// deadline only because Cancel stops it.
	test.Tap(h.u.detail.cancel)
	h.settle()
	if h.u.detail.result.Text != "cancelled" || h.u.detail.knock.Disabled() {
		t.Fatalf("after cancel: result %q", h.u.detail.result.Text)
	}
}

func TestLockedKeyringStillListsProfiles(t *testing.T) {
	mem := &secret.Memory{}
	h := newHarness(t, mem)
	h.add(profile.Profile{Name: "office", Host: "127.0.0.1", Steps: []knock.Step{{Proto: knock.TCP, Port: 22}}})
	h.settle() // the selected profile's steps were being read
	h.u.book.Secrets = failingSecrets{}
	h.u.reload()
	if len(h.u.list.profiles) != 1 || h.u.list.widget.Length() != 1 {
		t.Fatal("the list must show without a keyring")
	}
	h.selectProfile("office")
	if !strings.Contains(h.u.detail.steps.Text, "keyring unavailable") {
		t.Fatalf("steps shown as %q", h.u.detail.steps.Text)
	}
	h.u.knockSelected()
	h.settle()
	if !strings.HasPrefix(h.u.detail.result.Text, "failed: ") || !strings.Contains(h.u.detail.result.Text, "unlock") {
		t.Fatalf("result %q must say the keyring is the problem and how to fix it", h.u.detail.result.Text)
	}
}

func TestDeleteAsksThenRemovesProfileAndSecret(t *testing.T) {
	h := newHarness(t, nil)
	h.add(profile.Profile{Name: "old", Host: "127.0.0.1", Steps: []knock.Step{{Proto: knock.TCP, Port: 22}}})
	h.selectProfile("old")
	h.u.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyDelete})
	if !strings.Contains(h.dialogText(), `Delete "old"`) {
		t.Fatalf("Delete must ask first; the window shows %q", h.dialogText())
	}
	if h.mem.Len() != 1 {
		t.Fatal("nothing may go before the user confirms")
	}
	h.tapDialogButton("Delete")
	h.settle()
	if l, _ := h.u.book.List(); len(l.Profiles) != 0 || h.mem.Len() != 0 {
		t.Fatalf("after delete: %d profiles, %d secrets", len(l.Profiles), h.mem.Len())
	}
	if !h.u.welcome.content.Visible() || h.u.split.Visible() {
		t.Fatal("the empty state must come back")
	}
}

func TestShortcuts(t *testing.T) {
	h := newHarness(t, nil)
	ln := testnet.ListenUDP(t)
	h.add(profile.Profile{Name: "lab", Host: "127.0.0.1", Steps: udpSteps(t, ln, "k")})
	h.selectProfile("lab")
	c := h.u.win.Canvas()
	shortcut := func(key fyne.KeyName) { h.u.shortcuts[key]() }
	shortcut(fyne.KeyK)
	h.settle()
	if got := received(t, ln, 1); got[0] != "k" {
		t.Fatal("Ctrl+K must knock")
	}
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.settle()
	received(t, ln, 1)
	shortcut(fyne.KeyE)
	h.settle()
	if h.u.editor == nil || h.u.editor.name.Text != "lab" || h.u.editor.isNew {
		t.Fatal("Ctrl+E must edit the selected profile")
	}
	h.u.editor.win.Close()
	shortcut(fyne.KeyR)
	h.settle()
	if h.u.routerView == nil || h.u.routerView.id != h.u.list.selected {
		t.Fatal("Ctrl+R must open the selected profile's Router setup")
	}
	shortcut(fyne.KeyN)
	if h.u.editor == nil || !h.u.editor.isNew {
		t.Fatal("Ctrl+N must open a new profile")
	}
}

func TestDuplicateKeepsStepsUnderANewName(t *testing.T) {
	h := newHarness(t, nil)
	h.add(profile.Profile{Name: "office", Host: "127.0.0.1", Steps: []knock.Step{{Proto: knock.UDP, Port: 9, Payload: knock.Payload{Data: []byte("pw")}}}})
	h.selectProfile("office")
	h.u.duplicateSelected()
	h.settle()
	e := h.u.editor
	if e == nil || e.name.Text != "office copy" || e.rows[0].payload.Text != "pw" || !e.isNew {
		t.Fatal("duplicate must open a new profile with the same steps")
	}
	test.Tap(e.save)
	h.settle()
	l, _ := h.u.book.List()
	if len(l.Profiles) != 2 || l.Profiles[0].ID == l.Profiles[1].ID || h.mem.Len() != 2 {
		t.Fatalf("after duplicating: %+v", l.Profiles)
	}
}

func TestRouterSetupShowsMatchingRules(t *testing.T) {
	h := newHarness(t, nil)
	h.add(profile.Profile{Name: "Office Router", Host: "192.0.2.1", Timeout: time.Hour,
		Steps:  []knock.Step{{Proto: knock.UDP, Port: 1234, Payload: knock.Payload{Data: []byte("test")}}},
		Verify: &profile.Verify{Port: 8291}})
	h.selectProfile("Office Router")
	h.u.routerSetupSelected()
	h.settle()
	v := h.u.routerView
	if v == nil {
		t.Fatal("no router setup window")
	}
	// The name the router sees ends in the profile ID's hash: the name
	// alone, cleaned, could be another profile's.
	p, _ := h.u.book.Get(context.Background(), "Office Router")
	routerName := routerconf.ProfileName("Office Router", p.ID)
	if !strings.HasPrefix(routerName, "office-router-") || v.routerName.Text != "The router knows this profile as "+routerName || !v.routerName.Visible() {
		t.Fatalf("router name shown: %q (visible %v), want %s", v.routerName.Text, v.routerName.Visible(), routerName)
	}
	for _, want := range []string{`content="test"`, "dst-port=8291", "address-list-timeout=1h", "address-list=" + routerName + "-allow"} {
		if !strings.Contains(v.rules.Text, want) {
			t.Errorf("RouterOS rules lack %q:\n%s", want, v.rules.Text)
		}
	}
	v.format.SetSelected("nftables")
	if !strings.Contains(v.rules.Text, "udp dport 1234") || !strings.Contains(v.rules.Text, "tcp dport 8291") ||
		!strings.Contains(v.rules.Text, "add table ip knocker-"+routerName+"\n") || !v.routerName.Visible() {
		t.Fatalf("nftables rules:\n%s", v.rules.Text)
	}
	v.format.SetSelected(formatSSH)
	if v.routerName.Visible() {
		t.Fatal("the router's name shows beside the ssh client's config")
	}
	v.format.SetSelected("nftables")
	test.Tap(v.copy)
	if got := h.u.app.Clipboard().Content(); got != v.rules.Text {
		t.Fatal("Copy must put the rules on the clipboard")
	}
}

// The router setup offers each format's options, next to the rules: the
// LAN's interface list and layer-7 for RouterOS, an existing table for
// nftables; a bad option says why instead of rules to copy, and warnings
// about what may not match show under the rules.
func TestRouterSetupOptions(t *testing.T) {
	h := newHarness(t, nil)
	h.add(profile.Profile{Name: "office", Host: "192.0.2.1", Timeout: time.Hour,
		Steps: []knock.Step{{Proto: knock.UDP, Port: 1234, Payload: knock.Payload{Data: bytes.Repeat([]byte("k"), 200)}}}})
	h.selectProfile("office")
	h.u.routerSetupSelected()
	h.settle()
	v := h.u.routerView
	if !v.optionForms[formatRouterOS].Visible() || v.optionForms[formatNFTables].Visible() {
		t.Fatal("RouterOS shows its options, and only its")
	}
	if !strings.Contains(v.rules.Text, "in-interface-list=!LAN") || !strings.Contains(v.note.Text, "128") {
		t.Fatalf("RouterOS: the LAN is spared by default, and a long content= is warned of; note %q", v.note.Text)
	}
	test.Type(v.lanList, "trusted")
	if !strings.Contains(v.rules.Text, "in-interface-list=!trusted") {
		t.Fatal("the LAN list typed goes into the rules")
	}
	v.lanList.SetText(routerconf.NoLANList)
	if strings.Contains(v.rules.Text, "in-interface-list") {
		t.Fatal(`"none" closes the port on every interface`)
	}
	v.format.SetSelected(formatNFTables)
	if v.optionForms[formatRouterOS].Visible() || !v.optionForms[formatNFTables].Visible() {
		t.Fatal("nftables shows its options, and only its")
	}
	test.Type(v.table, "nope")
	if v.rules.Text != "" || !v.copy.Disabled() || !strings.Contains(v.note.Text, "FAMILY:NAME") {
		t.Fatalf("a bad table must say why, with nothing to copy; note %q", v.note.Text)
	}
	v.table.SetText("inet:filter")
	if !strings.Contains(v.rules.Text, "jump knocker-office") || v.copy.Disabled() {
		t.Fatalf("into an existing table, the rules name the jump to add:\n%s", v.rules.Text)
	}
}

func TestImportAndExport(t *testing.T) {
	h := newHarness(t, nil)
	data := []byte(`{"version": 1, "profiles": [{"name": "office", "host": "203.0.113.7",
		"steps": [{"proto": "udp", "port": 1234, "payload": "test", "encoding": "text"}], "timeout": "2h"}]}`)
	h.u.previewImport("office.json", data, "")
	h.settle()
	if got := h.dialogText(); len(h.u.list.profiles) != 0 || h.mem.Len() != 0 || !strings.Contains(got, "office.json holds Knocker JSON with 1 profile") ||
		!strings.Contains(got, "office — 203.0.113.7 — udp/1234 (4-byte payload)") || strings.Contains(got, "test") {
		t.Fatalf("import must show names, hosts and masked steps before writing anything; the window shows %q", got)
	}
	h.tapDialogButton("Import")
	h.settle()
	if len(h.u.list.profiles) != 1 || h.u.list.profiles[0].Name != "office" || h.mem.Len() != 1 {
		t.Fatalf("after import: %+v", h.u.list.profiles)
	}
	h.u.previewImport("knockd.conf", []byte("[open]\nsequence = 7000:udp,8000:tcp\nseq_timeout = 5\n[admin]\none_time_sequences = /etc/k\n"), "192.0.2.9")
	h.settle()
	if got := h.dialogText(); !strings.Contains(got, "knockd.conf holds knockd.conf") || !strings.Contains(got, "Left out") ||
		!strings.Contains(got, "line 4: [admin]: line 5: one_time_sequences is not supported") {
		t.Fatalf("preview %q must say what is left out, and why", got)
	}
	h.tapDialogButton("Import")
	h.settle()
	if len(h.u.list.profiles) != 2 {
		t.Fatalf("after the knockd import: %d profiles (banner %q)", len(h.u.list.profiles), h.u.banner.label.Text)
	}
	h.u.previewImport("bad.json", []byte(`{"version": 1, "profiles": [{"name": "x"}]}`), "")
	h.settle()
	if len(h.u.list.profiles) != 2 || !h.u.banner.content.Visible() || !strings.Contains(h.u.banner.label.Text, "bad.json was not imported") {
		t.Fatalf("a bad file must change nothing and say so; banner %q", h.u.banner.label.Text)
	}

	for format, want := range []struct{ has, hasNot string }{
		{`"office"`, `"test"`},
		{`"payload": "test"`, ""},
		{`"sequences"`, ""},
	} {
		var out closeBuffer
		h.u.exportTo(&out, "", format)
		h.settle()
		if !out.closed || !strings.Contains(out.String(), want.has) || (want.hasNot != "" && strings.Contains(out.String(), want.hasNot)) {
			t.Fatalf("export as %q: %s", exportFormats()[format].label, out.String())
		}
	}
}

type closeBuffer struct {
	mu sync.Mutex
	bytes.Buffer
	closed bool
}

func (b *closeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.Write(p)
}

func (b *closeBuffer) Close() error { b.closed = true; return nil }

func TestAutoRefreshSwitchIsSaved(t *testing.T) {
	h := newHarness(t, nil)
	h.add(profile.Profile{Name: "office", Host: "127.0.0.1", Timeout: time.Hour, Steps: []knock.Step{{Proto: knock.TCP, Port: 22}}})
	h.selectProfile("office")
	test.Tap(h.u.detail.autoRefresh)
	h.settle()
	if l, _ := h.u.book.List(); !l.Profiles[0].AutoRefresh {
		t.Fatal("turning auto-refresh on must be saved")
	}
}

func TestCountdownText(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		last    time.Time
		timeout time.Duration
		state   entryState
		text    string
	}{
		{time.Time{}, time.Hour, neverKnocked, "never knocked"},
		{now.Add(-8 * time.Minute), 2 * time.Hour, entryOpen, "open for 1 h 52 min"},
		{now.Add(-18 * time.Minute), time.Hour, entryOpen, "open for 42 min"},
		{now.Add(-50 * time.Minute), time.Hour, entryOpen, "open for 10 min"},
		{now.Add(-50*time.Minute - time.Second), time.Hour, entryOpen, "open for 9:59"},
		{now.Add(-59*time.Minute - 30*time.Second), time.Hour, entryOpen, "open for 0:30"},
		{now.Add(-time.Hour - time.Nanosecond), time.Hour, entryExpired, "expired"},
		{now.Add(-90 * time.Minute), 0, entryUnknown, "knocked 1 h ago"},
	}
	for _, tt := range tests {
		state, text := entryStatus(profile.Profile{LastKnocked: tt.last, Timeout: tt.timeout, Verify: &profile.Verify{Port: 22}}, now)
		if state != tt.state || text != tt.text {
			t.Errorf("last=%v timeout=%v: %v %q, want %v %q", tt.last, tt.timeout, state, text, tt.state, tt.text)
		}
	}
}

func TestSPAProfileKnocksAndShowsItsServerSide(t *testing.T) {
	h := newHarness(t, nil)
	ln := testnet.ListenUDP(t)
	keys, err := spa.GenerateKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(ln.LocalAddr().(*net.UDPAddr).Port)
	h.add(profile.Profile{Name: "fw", Host: "127.0.0.1", Timeout: time.Hour,
		SPA: &profile.SPA{Keys: profile.NewSPAKeys(keys), Access: "tcp/22", Port: port}})
	h.selectProfile("fw")
	want := fmt.Sprintf("fwknop SPA packet to udp/%d asking for tcp/22 from the sender's address", port)
	if h.u.detail.steps.Text != want {
		t.Fatalf("summary %q, want %q", h.u.detail.steps.Text, want)
	}
	h.u.knockSelected()
	h.settle()
	buf := make([]byte, 1500)
	ln.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := ln.ReadFromUDP(buf)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := spa.Decode(keys, buf[:n])
	if err != nil || !strings.Contains(fmt.Sprint(msg.Access), "tcp/22") {
		t.Fatalf("the packet does not decode with the profile's keys: %v %+v", err, msg)
	}
	h.u.routerSetupSelected()
	h.settle()
	rijndael, _ := keys.Base64()
	if v := h.u.routerView; v == nil || !strings.Contains(v.rules.Text, "OPEN_PORTS") || !strings.Contains(v.rules.Text, rijndael) {
		t.Fatal("an SPA profile's router setup is its fwknopd access.conf stanza")
	}
}

func TestEditorSavesAnSPAProfile(t *testing.T) {
	h := newHarness(t, nil)
	e := h.newSPAEditor("fw")
	if e.sequence.Visible() || !e.spa.box.Visible() {
		t.Fatal("the SPA kind shows the SPA fields instead of the steps")
	}
	test.Tap(e.save)
	if h.u.editor == nil || !e.spa.err.Visible() || !strings.HasPrefix(e.spa.err.Text, "keys: ") {
		t.Fatalf("missing keys must be named inline; got %q", e.spa.err.Text)
	}
	test.Tap(e.spa.generate)
	if !e.spa.rijndael.Password || e.spa.rijndael.Text == "" || e.spa.hmac.Text == "" {
		t.Fatal("Generate keys must fill both masked key fields")
	}
	test.Type(e.spa.access, "tcp/22 udp/53")
	if !strings.Contains(e.spa.err.Text, "access") && !strings.Contains(e.spa.err.Text, "Access") {
		t.Fatalf("a malformed access list must be named inline; got %q", e.spa.err.Text)
	}
	e.spa.access.SetText("tcp/22")
	test.Type(e.spa.allowIP, "203.0.113.9")
	test.Tap(e.save)
	h.settle()
	if h.u.editor != nil {
		t.Fatalf("the form must save; status %q, spa error %q", e.status.Text, e.spa.err.Text)
	}
	p, err := h.u.book.Get(context.Background(), "fw")
	if err != nil || p.SPA == nil || p.SPA.Access != "tcp/22" || p.SPA.AllowIP.String() != "203.0.113.9" || p.SPA.Keys.IsZero() || len(p.Steps) != 0 {
		t.Fatalf("saved %+v, %v", p, err)
	}
	r, _ := p.SPA.Keys.Keys().Base64()
	if r != e.spa.rijndael.Text {
		t.Fatal("the saved key is not the one shown")
	}
}

func TestOpenURLAfterAVerifiedKnockOnly(t *testing.T) {
	h := newHarness(t, nil)
	var opened []string
	h.u.openURL = func(u *url.URL) error { opened = append(opened, u.String()); return nil }
	ln := testnet.ListenUDP(t)
	open := testnet.OpenTCPPort(t)
	h.add(profile.Profile{Name: "ssh", Host: "127.0.0.1", Timeout: time.Hour, Steps: udpSteps(t, ln, "x"),
		Verify: &profile.Verify{Port: open}, OpenURL: "ssh://admin@127.0.0.1"})
	h.selectProfile("ssh")
	h.u.knockSelected()
	h.settle()
	if len(opened) != 1 || opened[0] != "ssh://admin@127.0.0.1" {
		t.Fatalf("opened %q after a verified knock", opened)
	}
	if _, err := h.u.runKnock(context.Background(), h.u.list.selected, knockRequest{why: "auto", busy: waitIfBusy}); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if len(opened) != 1 {
		t.Fatal("a re-knock in the background must not open the URL again")
	}

	h.u.editSelected()
	h.settle()
	h.u.editor.verifyPort.SetText("")
	test.Tap(h.u.editor.save)
	if err := h.u.editor.openURL.Validate(); h.u.editor == nil || err == nil || !strings.Contains(err.Error(), "set a check port") {
		t.Fatalf("an after-knock URL without a check port must be refused inline: %v", err)
	}
}

// The countdowns move in minutes, and each second in the last minutes; a
// row or the detail is redrawn only when its text changes.
func TestTickMovesCountdowns(t *testing.T) {
	h := newHarness(t, nil)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	h.u.now = func() time.Time { return now }
	h.add(profile.Profile{Name: "open", Host: "h", Timeout: time.Hour, LastKnocked: now.Add(-time.Minute), Steps: []knock.Step{{Proto: knock.TCP, Port: 1}},
		Verify: &profile.Verify{Port: 22}})
	h.add(profile.Profile{Name: "never", Host: "h", Timeout: time.Hour, Steps: []knock.Step{{Proto: knock.TCP, Port: 1}}})
	h.settle()
	test.NewTempWindow(t, h.u.list.widget).Resize(fyne.NewSize(400, 400)) // rows exist only when drawn
	open, never := h.u.list.profiles[0].ID, h.u.list.profiles[1].ID
	if h.u.list.drawn[open] != "open for 59 min" || h.u.list.drawn[never] != "never knocked" || h.u.detail.status.Text != "open for 59 min" {
		t.Fatalf("drawn %q, detail %q", h.u.list.drawn, h.u.detail.status.Text)
	}
	updates := 0
	update := h.u.list.widget.UpdateItem
	h.u.list.widget.UpdateItem = func(id widget.ListItemID, o fyne.CanvasObject) { updates++; update(id, o) }
	for _, step := range []struct {
		after time.Duration
		text  string
		moved bool
	}{
		{time.Second, "open for 58 min", true},
		{time.Second, "open for 58 min", false}, // within the minute: nothing to redraw
		{49*time.Minute - 2*time.Second, "open for 10 min", true},
		{time.Second, "open for 9:59", true},
		{time.Second, "open for 9:58", true},
	} {
		updates = 0
		now = now.Add(step.after)
		h.u.tick()
		if h.u.list.drawn[open] != step.text || h.u.detail.status.Text != step.text || (updates > 0) != step.moved {
			t.Fatalf("at %v: row %q (%d row updates), detail %q, want %q (moved: %v)",
				now.Format("15:04:05"), h.u.list.drawn[open], updates, h.u.detail.status.Text, step.text, step.moved)
		}
	}
}

// Rows below the visible part of a long list are not drawn, and a tick
// within the minute redraws nothing, however many profiles there are.
func TestTickLeavesUndrawnRowsAlone(t *testing.T) {
	h := newHarness(t, nil)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	h.u.now = func() time.Time { return now }
	for i := range 40 {
		h.add(profile.Profile{Name: fmt.Sprintf("router %02d", i), Host: "h", Timeout: time.Hour, LastKnocked: now.Add(-time.Minute),
			Steps: []knock.Step{{Proto: knock.TCP, Port: 1}}, Verify: &profile.Verify{Port: 22}})
	}
	h.settle()
	test.NewTempWindow(t, h.u.list.widget).Resize(fyne.NewSize(400, 300))
	if drawn := len(h.u.list.drawn); drawn == 0 || drawn >= 40 {
		t.Fatalf("%d rows drawn in a 300 px list of 40", drawn)
	}
	updates := 0
	update := h.u.list.widget.UpdateItem
	h.u.list.widget.UpdateItem = func(id widget.ListItemID, o fyne.CanvasObject) { updates++; update(id, o) }
	now = now.Add(time.Second) // 59 min to 58 min: every drawn row changes
	h.u.tick()
	// Fyne updates a refreshed row up to three times; far more means rows
	// that were never drawn made it redraw all of them.
	if updates == 0 || updates > 3*len(h.u.list.drawn) {
		t.Fatalf("%d row updates for %d drawn rows", updates, len(h.u.list.drawn))
	}
	h.settle()
	updates = 0
	now = now.Add(time.Second)
	h.u.tick()
	h.settle()
	if updates != 0 {
		t.Fatalf("a tick within the minute made %d row updates", updates)
	}
}

// The window works by profile ID: a rename by another process (knocker
// rename in a terminal) while the window lists the old name breaks nothing.
func TestRenameElsewhereWhileShown(t *testing.T) {
	h := newHarness(t, nil)
	ln := testnet.ListenUDP(t)
	h.add(profile.Profile{Name: "office", Host: "127.0.0.1", Steps: udpSteps(t, ln, "by-id")})
	h.selectProfile("office")
	if err := h.u.book.Rename("office", "branch"); err != nil {
		t.Fatal(err)
	}
	h.u.knockSelected()
	h.settle()
	if got := received(t, ln, 1); got[0] != "by-id" {
		t.Fatalf("knock after the rename sent %q", got)
	}
	if !strings.HasPrefix(h.u.detail.result.Text, "sent 1 step") {
		t.Fatalf("result %q", h.u.detail.result.Text)
	}
	h.u.editSelected()
	h.settle()
	if h.u.editor == nil || h.u.editor.name.Text != "branch" || h.u.editor.rows[0].payload.Text != "by-id" {
		t.Fatal("Edit after the rename must open the profile under its new name, steps and all")
	}
	h.u.routerSetupSelected()
	h.settle()
	if h.u.routerView == nil || !strings.Contains(h.u.routerView.win.Title(), "branch") {
		t.Fatal("Router setup after the rename must find the profile")
	}
	h.u.list.selected = h.u.list.profiles[0].ID
	h.u.deleteSelected()
	h.tapDialogButton("Delete")
	h.settle()
	if l, _ := h.u.book.List(); len(l.Profiles) != 0 || h.mem.Len() != 0 {
		t.Fatalf("Delete after the rename left %d profiles, %d secrets", len(l.Profiles), h.mem.Len())
	}
}

// A second Edit of a profile whose form is open brings that form forward
// instead of a second form whose save would undo the first's.
func TestEditingTwiceKeepsOneForm(t *testing.T) {
	h := newHarness(t, nil)
	h.add(profile.Profile{Name: "office", Host: "127.0.0.1", Steps: []knock.Step{{Proto: knock.TCP, Port: 22}}})
	h.selectProfile("office")
	h.u.editSelected()
	h.settle()
	first := h.u.editor
	test.Type(first.host, "x")
	h.u.editSelected()
	h.settle()
	if h.u.editor != first || first.host.Text != "x127.0.0.1" {
		t.Fatalf("a second Edit must bring the open form forward with what was typed: same form %v, host %q", h.u.editor == first, first.host.Text)
	}
	h.u.newProfile()
	if h.u.editor == first || !h.u.editor.isNew {
		t.Fatal("New profile opens a form of its own")
	}
}

// An export with secrets is a file only its owner can read, although the
// save dialog's writer creates files readable by all; an export without
// secrets may be read by others.
func TestExportFilesWithSecretsAreMode0600(t *testing.T) {
	h := newHarness(t, nil)
	h.add(profile.Profile{Name: "office", Host: "127.0.0.1", Steps: []knock.Step{{Proto: knock.UDP, Port: 9, Payload: knock.Payload{Data: []byte("export-secret")}}}})
	dir := t.TempDir()
	for format, f := range exportFormats() {
		path := filepath.Join(dir, fmt.Sprintf("export-%d.json", format))
		w, err := storage.Writer(storage.NewFileURI(path)) // what the save dialog hands over
		if err != nil {
			t.Fatal(err)
		}
		h.u.exportTo(w, w.URI().Path(), format)
		h.settle()
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		want := os.FileMode(0o644)
		if f.secrets {
			want = 0o600
		}
		if info.Mode().Perm() != want || f.secrets != strings.Contains(string(data), "export-secret") {
			t.Errorf("%s: mode %04o, want %04o; holds the secret: %v", f.label, info.Mode().Perm(), want, !f.secrets)
		}
	}
}

// A URL that came in with an imported file is shown where the profile is,
// and opened after a verified knock only once the user agreed, which is
// asked once.
func TestImportedURLIsShownAndAskedFor(t *testing.T) {
	h := newHarness(t, nil)
	var opened []string
	h.u.openURL = func(u *url.URL) error { opened = append(opened, u.String()); return nil }
	ln := testnet.ListenUDP(t)
	port := testnet.OpenTCPPort(t)
	data := fmt.Sprintf(`{"version": 2, "profiles": [{"name": "ssh", "host": "127.0.0.1", "open_url": "ssh://admin@127.0.0.1",
		"verify": {"proto": "tcp", "port": %d}, "steps": [{"proto": "udp", "port": %d, "payload": "x"}]}]}`,
		port, ln.LocalAddr().(*net.UDPAddr).Port)
	h.u.previewImport("ssh.json", []byte(data), "")
	h.settle()
	if !strings.Contains(h.dialogText(), "opens ssh://admin@127.0.0.1 after a knock") {
		t.Fatalf("the import preview must show the URL: %q", h.dialogText())
	}
	h.tapDialogButton("Import")
	h.settle()
	h.selectProfile("ssh")
	if !strings.Contains(h.u.detail.opens.Text, "ssh://admin@127.0.0.1") || !strings.Contains(h.u.detail.opens.Text, "asks before") {
		t.Fatalf("the detail view must show the imported URL: %q", h.u.detail.opens.Text)
	}

	h.u.knockSelected()
	h.settle()
	if len(opened) != 0 || !strings.Contains(h.dialogText(), "ssh://admin@127.0.0.1") {
		t.Fatalf("opened %q without asking; the window shows %q", opened, h.dialogText())
	}
	h.tapDialogButton("Not now")
	h.settle()
	h.u.knockSelected()
	h.settle()
	if len(opened) != 0 {
		t.Fatal("declined, the URL must not open")
	}
	h.tapDialogButton("Open")
	h.settle()
	if len(opened) != 1 || opened[0] != "ssh://admin@127.0.0.1" {
		t.Fatalf("agreed, the URL must open: %q", opened)
	}
	h.u.knockSelected()
	h.settle()
	if len(opened) != 2 || strings.Contains(h.dialogText(), "ssh://admin") {
		t.Fatalf("once agreed, no more questions: opened %q, window shows %q", opened, h.dialogText())
	}
	if strings.Contains(h.u.detail.opens.Text, "asks before") {
		t.Fatalf("the detail still says it will ask: %q", h.u.detail.opens.Text)
	}
}

// Names and hosts with invisible characters, saved by an older build, show
// quoted, so two look-alike profiles can be told apart.
func TestHiddenCharactersInSavedNamesShow(t *testing.T) {
	h := newHarness(t, nil)
	h.add(profile.Profile{Name: "office", Host: "127.0.0.1", Steps: []knock.Step{{Proto: knock.TCP, Port: 22}}})
	if err := h.u.book.Store.Update(func(l *profile.List) error {
		l.Profiles[0].Name = "off\u202eice" // as an older build let it be saved
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	h.u.reload()
	h.selectProfile("off\u202eice")
	if got := h.u.detail.title.Text; got != `"off\u202eice"` {
		t.Fatalf("title %q", got)
	}
}

// Questions answer to the keyboard: Escape says no, Enter says yes where
// that is safe by reflex (not for Delete); under a question, Enter and
// Delete do not act on the list behind it.
func TestQuestionsAnswerToKeys(t *testing.T) {
	h := newHarness(t, nil)
	ln := testnet.ListenUDP(t)
	h.add(profile.Profile{Name: "old", Host: "127.0.0.1", Steps: udpSteps(t, ln, "k")})
	h.selectProfile("old")
	key := func(name fyne.KeyName) { h.u.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: name}) }

	key(fyne.KeyDelete)
	key(fyne.KeyReturn) // neither deletes nor knocks under the question
	h.settle()
	if h.mem.Len() != 1 {
		t.Fatal("Enter on the delete question deleted the profile")
	}
	ln.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, _, err := ln.ReadFromUDP(make([]byte, 8)); err == nil {
		t.Fatal("Enter under a question knocked the profile behind it")
	}
	key(fyne.KeyEscape)
	if h.u.win.Canvas().Overlays().Top() != nil || h.u.asking != nil {
		t.Fatal("Escape must close the question")
	}
	key(fyne.KeyReturn) // the list's again: knocks
	h.settle()
	received(t, ln, 1)

	h.u.previewImport("x.json", []byte(`{"version": 1, "profiles": [{"name": "new", "host": "192.0.2.1",
		"steps": [{"proto": "udp", "port": 1234, "payload": "test"}]}]}`), "")
	h.settle()
	key(fyne.KeyReturn)
	h.settle()
	if len(h.u.list.profiles) != 2 {
		t.Fatal("Enter on the import preview must import")
	}
}

// Router setup also gives the ssh client's side: a Host block for
// ~/.ssh/config whose ProxyCommand runs this Knocker's proxy for the
// profile, with the alias and user as chosen.
func TestRouterSetupGivesTheSSHBlock(t *testing.T) {
	h := newHarness(t, nil)
	h.u.program = "/opt/knocker/bin/knocker"
	h.add(profile.Profile{Name: "Office Router", Host: "192.0.2.1", Timeout: time.Hour, OpenURL: "ssh://admin@192.0.2.1",
		Steps: []knock.Step{{Proto: knock.UDP, Port: 1234, Payload: knock.Payload{Data: []byte("test")}}}, Verify: &profile.Verify{Port: 22}})
	h.selectProfile("Office Router")
	h.u.routerSetupSelected()
	h.settle()
	v := h.u.routerView
	v.format.SetSelected(formatSSH)
	if !v.optionForms[formatSSH].Visible() || v.optionForms[formatRouterOS].Visible() {
		t.Fatal("the ssh block shows its own options only")
	}
	for _, want := range []string{"Host office-router", "HostName 192.0.2.1", "User admin", "ProxyCommand /opt/knocker/bin/knocker proxy --id " + v.id + " %h %p"} {
		if !strings.Contains(v.rules.Text, want) {
			t.Errorf("the block lacks %q:\n%s", want, v.rules.Text)
		}
	}
	test.Type(v.alias, "gw")
	test.Type(v.user, "root")
	if !strings.Contains(v.rules.Text, "Host gw") || !strings.Contains(v.rules.Text, "User root") {
		t.Fatalf("alias and user go into the block:\n%s", v.rules.Text)
	}
	test.Tap(v.copy)
	if h.u.app.Clipboard().Content() != v.rules.Text || strings.Contains(v.rules.Text, "test") {
		t.Fatal("Copy gives the block, which holds no secret")
	}
}
