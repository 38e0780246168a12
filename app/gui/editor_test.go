package gui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock"
)

// absolute is where o is drawn in its window.
func absolute(o fyne.CanvasObject) fyne.Position {
	return fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
}

// At its opening size the form shows the whole first step row without
// scrolling, and the payload field is the widest of the row.
func TestEditorShowsTheFirstStepAtItsOpeningSize(t *testing.T) {
	h := newHarness(t, nil)
	e := h.u.openEditor(profile.Profile{}, createProfile)
	if got := e.win.Canvas().Size(); got != editorSize {
		t.Fatalf("the form opens at %v", got)
	}
	view, viewSize := absolute(e.scroll), e.scroll.Size()
	r := e.rows[0]
	for name, o := range map[string]fyne.CanvasObject{"protocol": r.proto, "port": r.port, "payload": r.payload,
		"encoding": r.encoding, "delay": r.delay, "remove": r.remove, "timeout": e.timeout} {
		pos, size := absolute(o), o.Size()
		if pos.X < view.X || pos.Y < view.Y || pos.X+size.Width > view.X+viewSize.Width || pos.Y+size.Height > view.Y+viewSize.Height {
			t.Errorf("the %s field at %v (%v) is outside the view at %v (%v)", name, pos, size, view, viewSize)
		}
	}
	if w := r.payload.Size().Width; w < minPayloadWidth || w < 2*r.port.Size().Width || w < r.encoding.Size().Width {
		t.Errorf("the payload field is %.0f px wide, the port %.0f", w, r.port.Size().Width)
	}
	if e.more.Items[0].Open {
		t.Error("More options must start folded")
	}
}

// The mouse wheel over a field moves the form, by about three lines a notch.
func TestEditorScrollsWithTheWheelOverFields(t *testing.T) {
	h := newHarness(t, nil)
	steps := make([]knock.Step, 12)
	for i := range steps {
		steps[i] = knock.Step{Proto: knock.UDP, Port: uint16(1000 + i)}
	}
	e := h.u.openEditor(profile.Profile{Name: "many", Host: "h", Steps: steps}, changeProfile)
	c := e.win.Canvas()
	over := absolute(e.rows[0].payload).Add(fyne.NewPos(5, 5))
	test.Scroll(c, over, 0, -25) // one notch down, as Fyne reports it on Linux
	if got := e.scroll.Offset.Y; got != 25*wheelPace {
		t.Fatalf("one notch over the payload field moved the form %.0f px, want %d", got, 25*wheelPace)
	}
	test.Scroll(c, over, 0, 25)
	if got := e.scroll.Offset.Y; got != 0 {
		t.Fatalf("a notch up left the form at %.0f px", got)
	}
}

// More options opens by itself when a field in it is at fault.
func TestMoreOptionsUnfoldOnAnError(t *testing.T) {
	h := newHarness(t, nil)
	e := h.u.openEditor(profile.Profile{Name: "x", Host: "h", Steps: []knock.Step{{Proto: knock.TCP, Port: 1}},
		Verify: &profile.Verify{Port: 22}, OpenURL: "ssh://h"}, changeProfile)
	if e.more.Items[0].Open {
		t.Fatal("More options must start folded")
	}
	e.verifyPort.SetText("") // the URL opens after the check: now it is at fault
	if !e.more.Items[0].Open {
		t.Fatal("clearing the check port made Open after knock invalid, folded away")
	}
	e.more.Close(0)
	e.verifyPort.SetText("22")
	e.retries.SetText("99")
	test.Tap(e.save)
	if !e.more.Items[0].Open || h.u.editor != e {
		t.Fatal("a bad Retries value must unfold More options and keep the form open")
	}
}

// Paste a command fills the form from an nping line and says what it could
// not carry; the payload shows nowhere but in its masked field.
func TestPasteACommand(t *testing.T) {
	h := newHarness(t, nil)
	h.u.newProfile()
	e := h.u.editor
	test.Tap(e.paste)
	top := e.win.Canvas().Overlays().Top()
	var line *widget.Entry
	walk(top, func(o fyne.CanvasObject) bool {
		if en, ok := o.(*widget.Entry); ok && en.MultiLine {
			line = en
		}
		return line != nil
	})
	if line == nil {
		t.Fatal("no field to paste the command into")
	}
	test.Type(line, "sudo nping --udp -p 7000,8000 --data-string pasted-secret --ttl 3 192.0.2.7")
	var fill *widget.Button
	walk(top, func(o fyne.CanvasObject) bool {
		if b, ok := o.(*widget.Button); ok && b.Text == "Fill in" {
			fill = b
		}
		return fill != nil
	})
	test.Tap(fill)
	if e.name.Text != "192.0.2.7" || e.host.Text != "192.0.2.7" || len(e.rows) != 2 {
		t.Fatalf("filled name %q host %q with %d steps", e.name.Text, e.host.Text, len(e.rows))
	}
	if r := e.rows[1]; r.proto.Selected != "udp" || r.port.Text != "8000" || r.payload.Text != "pasted-secret" || !r.payload.Password || r.delay.Text != "1s" {
		t.Fatalf("second step %s %s delay %q", r.proto.Selected, r.port.Text, r.delay.Text)
	}
	if !e.pasteNote.Visible() || !strings.Contains(e.pasteNote.Text, "nping command") || !strings.Contains(e.pasteNote.Text, "--ttl") ||
		strings.Contains(e.pasteNote.Text, "pasted-secret") {
		t.Fatalf("note %q", e.pasteNote.Text)
	}
	test.Tap(e.save)
	h.settle()
	p, err := h.u.book.Get(context.Background(), "192.0.2.7")
	if err != nil || len(p.Steps) != 2 || string(p.Steps[1].Payload.Data) != "pasted-secret" {
		t.Fatalf("saved %v, %v", p, err)
	}
}

// The keyboard goes through a new form in reading order: name, host, the
// first step's fields, and Enter in a field saves.
func TestEditorKeyboardOrder(t *testing.T) {
	h := newHarness(t, nil)
	h.u.newProfile()
	e := h.u.editor
	c := e.win.Canvas()
	if c.Focused() != e.name {
		t.Fatalf("a new form must start in the name field; focus on %T", c.Focused())
	}
	r := e.rows[0]
	// The kind of knock is two radio buttons; the first step's delay and
	// its move and remove buttons are off, so Tab passes them by.
	kinds := 0
	for i, want := range []fyne.Focusable{e.host, e.paste, nil, nil, r.proto, r.port, r.payload, r.encoding, e.addStep, e.timeout} {
		c.FocusNext()
		got := c.Focused()
		if want == nil && strings.HasSuffix(fmt.Sprintf("%T", got), "radioItem") {
			kinds++
			continue
		}
		if got != want {
			t.Fatalf("Tab %d reaches %T, want %T", i+1, got, want)
		}
	}
	if kinds != 2 {
		t.Fatalf("Tab passed %d kinds of knock, want 2", kinds)
	}
	test.Type(e.name, "kb")
	test.Type(e.host, "192.0.2.1")
	test.Type(r.port, "1234")
	r.payload.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.settle()
	if h.u.editor != nil {
		t.Fatalf("Enter must save the form; it says %q", e.status.Text)
	}
}
