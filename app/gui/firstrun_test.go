package gui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock"
)

// placedText is a text drawn on a canvas, with the box its glyphs cover.
type placedText struct {
	text string
	pos  fyne.Position
	size fyne.Size
}

func (a placedText) overlaps(b placedText) bool {
	return a.pos.X < b.pos.X+b.size.Width && b.pos.X < a.pos.X+a.size.Width &&
		a.pos.Y < b.pos.Y+b.size.Height && b.pos.Y < a.pos.Y+a.size.Height
}

func (a placedText) String() string {
	return fmt.Sprintf("%q at (%.0f,%.0f) %.0f×%.0f", a.text, a.pos.X, a.pos.Y, a.size.Width, a.size.Height)
}

// visibleTexts is every non-empty text drawn in o, placed at o's origin,
// with the box its glyphs take: a text object may be wider than its text,
// which it then aligns within.
func visibleTexts(o fyne.CanvasObject, origin fyne.Position) []placedText {
	if !o.Visible() {
		return nil
	}
	pos := origin.Add(o.Position())
	switch x := o.(type) {
	case *canvas.Text:
		if strings.TrimSpace(x.Text) == "" {
			return nil
		}
		glyphs := x.MinSize()
		box := pos
		switch x.Alignment {
		case fyne.TextAlignCenter:
			box.X += (x.Size().Width - glyphs.Width) / 2
		case fyne.TextAlignTrailing:
			box.X += x.Size().Width - glyphs.Width
		}
		return []placedText{{text: x.Text, pos: box, size: glyphs}}
	case *fyne.Container:
		var out []placedText
		for _, c := range x.Objects {
			out = append(out, visibleTexts(c, pos)...)
		}
		return out
	case fyne.Widget:
		var out []placedText
		for _, c := range test.WidgetRenderer(x).Objects() {
			out = append(out, visibleTexts(c, pos)...)
		}
		return out
	}
	return nil
}

// overlappingTexts names every pair of texts that cover each other, and
// every text that runs off the window.
func overlappingTexts(texts []placedText, window fyne.Size) []string {
	var bad []string
	for i, a := range texts {
		if a.pos.X < 0 || a.pos.Y < 0 || a.pos.X+a.size.Width > window.Width || a.pos.Y+a.size.Height > window.Height {
			bad = append(bad, fmt.Sprintf("%v runs off the %.0f×%.0f window", a, window.Width, window.Height))
		}
		for _, b := range texts[i+1:] {
			if a.overlaps(b) {
				bad = append(bad, fmt.Sprintf("%v overlaps %v", a, b))
			}
		}
	}
	return bad
}

// The first start is one screen with one text: what Knocker is for and the
// three ways in. No two of its texts overlap, at the opening size or at
// the smallest the window can be (its content's minimum).
func TestFirstRunIsOneScreen(t *testing.T) {
	h := newHarness(t, nil)
	for _, size := range []fyne.Size{defaultWindowSize, h.u.win.Content().MinSize()} {
		h.u.win.Resize(size)
		c := h.u.win.Canvas()
		texts := visibleTexts(c.Content(), fyne.Position{})
		joined := strings.Join(textsOf(c.Content()), "\n")
		for _, want := range []string{"Welcome to Knocker", "secret knock", "Add a profile", "Import…", "Try the demo router", "not touched"} {
			if !strings.Contains(joined, want) {
				t.Errorf("at %v the first run lacks %q; it shows:\n%s", size, want, joined)
			}
		}
		if strings.Contains(joined, "Select a profile") || strings.Contains(joined, "Filter") {
			t.Errorf("the first run shows the list or the detail view too:\n%s", joined)
		}
		if bad := overlappingTexts(texts, c.Size()); len(bad) > 0 {
			t.Errorf("at %v:\n%s", size, strings.Join(bad, "\n"))
		}
	}

	test.Tap(h.u.welcome.addButton)
	if h.u.editor == nil || !h.u.editor.isNew {
		t.Fatal("Add a profile must open an empty form")
	}
	h.u.editor.win.Close()
	h.add(profile.Profile{Name: "office", Host: "127.0.0.1", Steps: []knock.Step{{Proto: knock.TCP, Port: 22}}})
	if h.u.welcome.content.Visible() || !h.u.split.Visible() {
		t.Fatal("the first-run screen must give way to the list once a profile exists")
	}
}

// With profiles, at the opening size, nothing overlaps either: a long host
// is cut short rather than pushing the countdown under the detail view.
func TestListScreenTextsDoNotOverlap(t *testing.T) {
	h := newHarness(t, nil)
	for i := range 5 {
		h.add(profile.Profile{Name: fmt.Sprintf("router %d", i), Host: fmt.Sprintf("router-%d.branch-office.example.net", i), Timeout: 1,
			Steps: []knock.Step{{Proto: knock.TCP, Port: 22}}})
	}
	h.selectProfile("router 0")
	c := h.u.win.Canvas()
	texts := visibleTexts(c.Content(), fyne.Position{})
	if bad := overlappingTexts(texts, c.Size()); len(bad) > 0 {
		t.Fatal(strings.Join(bad, "\n"))
	}
}

// Try the demo router starts the demo (a child process in real use) once,
// says it runs, and offers it again when it ends; the user's profiles are
// not touched.
func TestDemoFromTheFirstRun(t *testing.T) {
	h := newHarness(t, nil)
	starts := 0
	end := make(chan struct{})
	h.u.welcome.demo.start = func(ctx context.Context) (func() error, error) {
		starts++
		return func() error {
			select {
			case <-end:
			case <-ctx.Done():
			}
			return nil
		}, nil
	}
	test.Tap(h.u.welcome.demoButton)
	test.Tap(h.u.welcome.demoButton)
	if starts != 1 || !h.u.welcome.demoButton.Disabled() || !strings.Contains(h.u.welcome.demoNote.Text, "own window") {
		t.Fatalf("%d demo starts; button disabled %v; note %q", starts, h.u.welcome.demoButton.Disabled(), h.u.welcome.demoNote.Text)
	}
	close(end)
	h.settle()
	if h.u.welcome.demoButton.Disabled() {
		t.Fatal("the demo must be offered again once it ended")
	}
	if l, _ := h.u.book.List(); len(l.Profiles) != 0 || h.mem.Len() != 0 {
		t.Fatal("the demo touched the saved profiles or the keyring")
	}
}

// textsOf is every visible text drawn in o.
func textsOf(o fyne.CanvasObject) []string {
	var out []string
	for _, t := range visibleTexts(o, fyne.Position{}) {
		out = append(out, t.text)
	}
	return out
}
