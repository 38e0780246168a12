package gui

import (
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/internal/testnet"
	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/routerconf"
	"github.com/knocker/knocker/knock/schedule"
)

// The pseudo-language marks every text the code translates with ⟦ ⟧, so a
// text on screen without the marks did not go through lang.
const (
	pseudoLanguage         = "en-XA"
	markOpen, markClose    = '⟦', '⟧'
	pseudoOpen, pseudoShut = string(markOpen), string(markClose)
)

// usePseudoLanguage switches the window to the pseudo-language for the rest
// of the test: every text the code asks lang for, marked.
func usePseudoLanguage(t *testing.T) {
	t.Helper()
	english := readLanguage(t, "en")
	pseudo := map[string]any{}
	for key, m := range codeMessages(t) {
		forms, _ := english.forms(key)
		if !m.plural {
			pseudo[key] = markWords(forms[""])
			continue
		}
		marked := map[string]string{}
		for form, text := range forms {
			marked[form] = markWords(text)
		}
		pseudo[key] = marked
	}
	data, err := json.Marshal(pseudo)
	if err != nil {
		t.Fatal(err)
	}
	if err := lang.AddTranslationsForLocale(data, pseudoLanguage); err != nil {
		t.Fatal(err)
	}
	inLanguage(t, pseudoLanguage)
	if got := lang.L("Knock"); got != "⟦Knock⟧" {
		t.Fatalf("the pseudo-language is not in use: Knock reads %q", got)
	}
}

// markWords marks each word of a text, not the whole: labels wrap long
// texts into lines, and each line must show its marks.
func markWords(s string) string {
	var b strings.Builder
	word := false
	for _, r := range s {
		switch space := unicode.IsSpace(r); {
		case space && word:
			b.WriteRune(markClose)
			word = false
		case !space && !word:
			b.WriteRune(markOpen)
			word = true
		}
		b.WriteRune(r)
	}
	if word {
		b.WriteRune(markClose)
	}
	return b.String()
}

// unmarked is what of s lies outside the marks, nested marks included. A
// line that starts inside a mark (a word broken across lines) counts as
// marked up to the mark's end.
func unmarked(s string) string {
	if i := strings.IndexRune(s, markClose); i >= 0 && !strings.ContainsRune(s[:i], markOpen) {
		s = s[i+len(pseudoShut):]
	}
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == markOpen:
			depth++
		case r == markClose && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// screenCheck collects the texts on screen that did not go through lang.
type screenCheck struct {
	// data are the texts that are not the window's own words: names, hosts
	// and what the test typed, and the technical words that stay as admins
	// write them (protocols, formats, placeholders that are examples).
	data []string
	// skip are objects whose text is not translated by design: the router
	// rules, which stay in RouterOS's and nftables' own words.
	skip map[fyne.CanvasObject]bool
	bad  []string
}

// text records s if it carries a letter outside the marks and outside the
// allowed data.
func (c *screenCheck) text(where, s string) {
	rest := unmarked(s)
	data := slices.Clone(c.data)
	// Longest first: "ssh://admin@127.0.0.1" before "127.0.0.1".
	slices.SortFunc(data, func(a, b string) int { return len(b) - len(a) })
	for _, d := range data {
		rest = strings.ReplaceAll(rest, d, "")
	}
	if strings.IndexFunc(rest, unicode.IsLetter) >= 0 {
		c.bad = append(c.bad, fmt.Sprintf("%s: %q (unmarked: %q)", where, s, strings.TrimSpace(rest)))
	}
}

func (c *screenCheck) object(where string, o fyne.CanvasObject) {
	for _, t := range c.visible(o) {
		c.text(where, t)
	}
}

// visible is every text drawn in o, leaving out skipped objects.
func (c *screenCheck) visible(o fyne.CanvasObject) []string {
	if o == nil || !o.Visible() || c.skip[o] {
		return nil
	}
	var out []string
	switch x := o.(type) {
	case *fyne.Container:
		for _, child := range x.Objects {
			out = append(out, c.visible(child)...)
		}
	case fyne.Widget:
		for _, child := range test.WidgetRenderer(x).Objects() {
			out = append(out, c.visible(child)...)
		}
	default:
		out = append(out, textsOf(o)...)
	}
	return out
}

func (c *screenCheck) window(where string, w fyne.Window) {
	c.object(where, w.Canvas().Content())
	for _, o := range w.Canvas().Overlays().List() {
		c.object(where+" (dialog)", o)
	}
}

func (c *screenCheck) menu(where string, m *fyne.Menu) {
	if m.Label != "" {
		c.text(where, m.Label)
	}
	for _, it := range m.Items {
		if it.IsSeparator {
			continue
		}
		c.text(where, it.Label)
		if it.ChildMenu != nil {
			c.menu(where+" › "+it.Label, it.ChildMenu)
		}
	}
}

// Every text the window, its dialogs, the editor, Router setup, the menus,
// the tray menu and the desktop notifications show goes through lang: run
// under a pseudo-language that marks each translated text, none may show
// a word without the mark, other than names, hosts and what was typed.
func TestEveryTextOnScreenIsTranslated(t *testing.T) {
	usePseudoLanguage(t)
	h := newHarness(t, nil)
	desk := h.fakeDesktop()
	c := &screenCheck{skip: map[fyne.CanvasObject]bool{}, data: []string{
		// What the test's profiles hold.
		"office", "lab", "127.0.0.1", "203.0.113.7", "ssh://admin@127.0.0.1",
		// Technical words and examples, written as admins write them.
		"RouterOS", "nftables", "~/.ssh/config", "fwknopd access.conf", "udp", "tcp", "icmp", "hex", "base64",
		"HMAC_KEY_BASE64", "nping --udp -p 1234 --data-string test router.example", "router.example.com",
		"ssh://admin@router.example.com", "Knocker", routerconf.DefaultLANList, knock.DefaultVerifyTimeout.String(),
		// Timeouts in Go's units, as the editor reads them back.
		"1h", "2h",
	}}

	// The check itself catches a text shown without lang, and lets a
	// translated one through however it wraps.
	probe := &screenCheck{data: c.data}
	wrapped := widget.NewLabel(lang.L("Select a profile to see its knock."))
	wrapped.Wrapping = fyne.TextWrapWord
	plain := widget.NewButton("Plain words", nil)
	test.NewTempWindow(t, container.NewVBox(plain, wrapped)).Resize(fyne.NewSize(120, 300))
	probe.object("probe", wrapped)
	probe.object("probe", plain)
	if len(probe.bad) != 1 || !strings.Contains(probe.bad[0], "Plain words") || len(textsOf(wrapped)) < 3 {
		t.Fatalf("the check found %q in %q, want only the untranslated button", probe.bad, textsOf(wrapped))
	}

	// The first run.
	c.window("first run", h.u.win)
	c.menu("main menu", &fyne.Menu{Items: menuItems(h.u.win.MainMenu())})

	// The list and the detail view, after a knock that was checked and
	// one that was not, with the tray menu and a notification.
	ln := testnet.ListenUDP(t)
	open := testnet.OpenTCPPort(t)
	h.add(profile.Profile{Name: "office", Host: "127.0.0.1", Timeout: 2 * time.Hour, Steps: udpSteps(t, ln, "one", "two"),
		Verify: &profile.Verify{Port: open}, OpenURL: "ssh://admin@127.0.0.1", OpenURLImported: true})
	h.add(profile.Profile{Name: "lab", Host: "127.0.0.1", Timeout: time.Hour, AutoRefresh: true, Steps: udpSteps(t, ln, "x")})
	for _, name := range []string{"lab", "office"} {
		h.selectProfile(name)
		test.Tap(h.u.detail.knock)
		h.settle()
	}
	c.window("list, office knocked (and the question about its address)", h.u.win)
	h.tapDialogButton(lang.L("Not now"))
	h.selectProfile("lab")
	c.window("list, lab knocked", h.u.win)
	c.menu("tray", desk.menus[len(desk.menus)-1])
	h.u.notify(schedule.Event{ID: h.u.list.selected, Kind: schedule.Failed, Err: errTestReKnock})
	h.u.notify(schedule.Event{ID: h.u.list.selected, Kind: schedule.Succeeded})
	for _, note := range desk.notes {
		c.text("notification", strings.ReplaceAll(note, errTestReKnock.Error(), ""))
	}

	// The dialogs over the list.
	h.u.deleteSelected()
	c.window("delete question", h.u.win)
	h.tapDialogButton(lang.L("Cancel"))
	h.u.previewImport("office.json", []byte(`{"version": 1, "profiles": [{"name": "office", "host": "203.0.113.7",
		"steps": [{"proto": "udp", "port": 1234, "payload": "test"}], "timeout": "2h"}]}`), "")
	h.settle()
	c.window("import preview", h.u.win)
	h.tapDialogButton(lang.L("Cancel"))
	h.u.exportFile()
	c.window("export dialog", h.u.win)

	// The editor: a sequence, its further options, SPA, and the paste dialog.
	h.selectProfile("office")
	h.u.editSelected()
	h.settle()
	e := h.u.editor
	e.more.Open(0)
	c.window("editor", e.win)
	e.kind.SetSelected(kindSPA())
	c.window("editor, SPA", e.win)
	e.kind.SetSelected(kindSequence())
	e.rows[0].port.SetText("70000")
	test.Tap(e.save)
	c.window("editor, with errors", e.win)
	e.askForCommand()
	c.window("editor, paste a command", e.win)
	e.win.Close()

	// Router setup, in each of its formats.
	h.u.routerSetupSelected()
	h.settle()
	v := h.u.routerView
	c.skip[v.rules] = true
	for _, f := range v.formats {
		v.format.SetSelected(f.label)
		c.window("router setup, "+f.label, v.win)
	}
	test.Tap(v.copy)
	c.window("router setup, copied", v.win)

	// Its check against the router's rules, and a verdict that disagrees:
	// the verdict's own sentence is router-check's, in English as the
	// command line says it.
	test.Tap(findButton(t, v.win.Canvas().Content(), lang.L("Check against my router…")))
	c.data = append(c.data, strings.Split(routerRulesExample, "\n")...)
	c.window("router check", v.win)
	check := v.win.Canvas().Overlays().Top()
	walk(check, func(o fyne.CanvasObject) bool {
		if en, ok := o.(*widget.Entry); ok && en.MultiLine {
			en.SetText(guiRouterRules)
			c.skip[en] = true // what the test typed
		}
		return false
	})
	test.Tap(findButton(t, check, lang.L("Check")))
	h.settle()
	office := h.u.list.profiles[slices.IndexFunc(h.u.list.profiles, func(p profile.Profile) bool { return p.Name == "office" })]
	spec := office.RouterSpec()
	verdict, err := routerconf.CheckRouterOS(guiRouterRules, office.Steps, spec.Family, spec.Protect)
	if err != nil || verdict.OK {
		t.Fatalf("router-check of office: %v, %v; want a disagreement", verdict, err)
	}
	walk(check, func(o fyne.CanvasObject) bool {
		if l, ok := o.(*widget.Label); ok && l.Importance == widget.DangerImportance {
			c.skip[l] = true
			c.text("router check, verdict", strings.ReplaceAll(l.Text, profile.Printable(verdict.String()), ""))
		}
		return false
	})
	c.window("router check, verdict", v.win)

	if len(c.bad) > 0 {
		t.Fatalf("%d texts on screen did not go through lang:\n%s", len(c.bad), strings.Join(c.bad, "\n"))
	}
}

var errTestReKnock = &net.OpError{Op: "dial", Net: "udp", Err: fmt.Errorf("network is unreachable")}

// menuItems flattens a main menu into one menu's items, its menus' titles
// included.
func menuItems(m *fyne.MainMenu) []*fyne.MenuItem {
	var items []*fyne.MenuItem
	for _, menu := range m.Items {
		items = append(items, &fyne.MenuItem{Label: menu.Label, ChildMenu: menu})
	}
	return items
}

// cutOff names every button, label, check and select in o that is
// narrower than its text needs, so part of it is not shown.
func cutOff(o fyne.CanvasObject) []string {
	if !o.Visible() {
		return nil
	}
	var text string
	switch w := o.(type) {
	case *fyne.Container:
		var bad []string
		for _, c := range w.Objects {
			bad = append(bad, cutOff(c)...)
		}
		return bad
	case *widget.Button:
		text = w.Text
	case *widget.Check:
		text = w.Text
	case *widget.Select:
		// A select is as wide as its placeholder wants; what matters is
		// that the chosen option fits beside the drop-down icon.
		room := w.Size().Width - theme.IconInlineSize() - theme.InnerPadding() - theme.Padding()
		need := fyne.MeasureText(w.Selected, theme.TextSize(), fyne.TextStyle{}).Width + 2*theme.InnerPadding()
		if w.Selected != "" && room+0.5 < need {
			return []string{fmt.Sprintf("%q has %.0f of the %.0f it needs", w.Selected, room, need)}
		}
		return nil
	case *widget.Label:
		if w.Wrapping == fyne.TextWrapOff && w.Truncation == fyne.TextTruncateOff {
			text = w.Text
		}
	}
	if text != "" && o.Size().Width+0.5 < o.MinSize().Width {
		return []string{fmt.Sprintf("%q is %.0f wide, needs %.0f", text, o.Size().Width, o.MinSize().Width)}
	}
	var bad []string
	if w, ok := o.(fyne.Widget); ok {
		for _, c := range test.WidgetRenderer(w).Objects() {
			bad = append(bad, cutOff(c)...)
		}
	}
	return bad
}

// In every language, at the window's opening sizes, no text of the first
// run, the list, the editor or Router setup runs off the window, covers
// another, or is cut short; German and Russian have the longest words.
func TestTranslatedScreensFit(t *testing.T) {
	for _, code := range []string{"de", "ru", "uk", "pl", "es", "pt_BR", "id", "en"} {
		t.Run(code, func(t *testing.T) {
			inLanguage(t, code)
			h := newHarness(t, nil)
			fits := func(what string, w fyne.Window, size fyne.Size) {
				t.Helper()
				w.Resize(size)
				c := w.Canvas()
				layoutAll(c.Content())
				bad := overlappingTexts(shownTexts(c.Content(), fyne.Position{}, fyne.Position{}, fyne.NewPos(1e6, 1e6)), c.Size())
				bad = append(bad, cutOff(c.Content())...)
				if min := c.Content().MinSize(); min.Width > size.Width || min.Height > size.Height {
					bad = append(bad, fmt.Sprintf("needs %.0f×%.0f", min.Width, min.Height))
				}
				if len(bad) > 0 {
					t.Errorf("%s at %.0f×%.0f:\n%s", what, size.Width, size.Height, strings.Join(bad, "\n"))
				}
			}
			fits("the first run", h.u.win, defaultWindowSize)

			ln := testnet.ListenUDP(t)
			h.add(profile.Profile{Name: "office", Host: "router.office.example", Timeout: 2 * time.Hour, Steps: udpSteps(t, ln, "a"),
				AutoRefresh: true})
			h.add(profile.Profile{Name: "branch router", Host: "198.51.100.20", Timeout: 30 * time.Minute,
				Steps: []knock.Step{{Proto: knock.TCP, Port: 2000}}, Verify: &profile.Verify{Port: 22}})
			h.selectProfile("office")
			test.Tap(h.u.detail.knock)
			h.settle()
			fits("the list", h.u.win, defaultWindowSize)

			h.u.newProfile()
			e := h.u.editor
			fits("the editor", e.win, editorSize)
			e.more.Open(0)
			fits("the editor's further options", e.win, editorSize)
			e.kind.SetSelected(kindSPA())
			fits("the editor for SPA", e.win, editorSize)
			e.win.Close()

			h.u.routerSetupSelected()
			h.settle()
			v := h.u.routerView
			for _, f := range v.formats {
				v.format.SetSelected(f.label)
				fits("Router setup, "+f.label, v.win, routerViewSize)
			}
		})
	}
}

// layoutAll lays out every container and widget in o again, top down, as
// the window does when it draws: in the test driver a part shown or hidden
// (the editor's SPA fields) moves the others only then.
func layoutAll(o fyne.CanvasObject) {
	switch x := o.(type) {
	case *fyne.Container:
		if x.Layout != nil {
			x.Layout.Layout(x.Objects, x.Size())
		}
		for _, child := range x.Objects {
			layoutAll(child)
		}
	case fyne.Widget:
		r := test.WidgetRenderer(x)
		r.Layout(x.Size())
		for _, child := range r.Objects() {
			layoutAll(child)
		}
	}
}

// shownTexts is visibleTexts as the window shows them: a scrolled part
// shows only what lies inside its viewport (clip, from its top left to its
// bottom right), so a text scrolled out of it runs off nothing.
func shownTexts(o fyne.CanvasObject, origin, clipMin, clipMax fyne.Position) []placedText {
	if !o.Visible() {
		return nil
	}
	pos := origin.Add(o.Position())
	var children []fyne.CanvasObject
	switch x := o.(type) {
	case *container.Scroll:
		clipMin = fyne.NewPos(max(clipMin.X, pos.X), max(clipMin.Y, pos.Y))
		clipMax = fyne.NewPos(min(clipMax.X, pos.X+x.Size().Width), min(clipMax.Y, pos.Y+x.Size().Height))
		return shownTexts(x.Content, pos, clipMin, clipMax)
	case *fyne.Container:
		children = x.Objects
	case fyne.Widget:
		children = test.WidgetRenderer(x).Objects()
	default:
		var out []placedText
		for _, t := range visibleTexts(o, origin) {
			left, top := max(t.pos.X, clipMin.X), max(t.pos.Y, clipMin.Y)
			right, bottom := min(t.pos.X+t.size.Width, clipMax.X), min(t.pos.Y+t.size.Height, clipMax.Y)
			if right > left && bottom > top {
				t.pos, t.size = fyne.NewPos(left, top), fyne.NewSize(right-left, bottom-top)
				out = append(out, t)
			}
		}
		return out
	}
	var out []placedText
	for _, c := range children {
		out = append(out, shownTexts(c, pos, clipMin, clipMax)...)
	}
	return out
}
