package gui

import (
	"fmt"
	"image/color"
	"math"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock"
)

// forcedVariant is Fyne's default theme held to one variant, as FYNE_THEME
// holds it in a real run.
type forcedVariant struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

func (f forcedVariant) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return f.Theme.Color(n, f.variant)
}

// over is fg painted over an opaque bg, as the screen shows a colour with alpha.
func over(fg, bg color.Color) color.NRGBA {
	f, b := color.NRGBAModel.Convert(fg).(color.NRGBA), color.NRGBAModel.Convert(bg).(color.NRGBA)
	a := float64(f.A) / 255
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*a + float64(y)*(1-a))) }
	return color.NRGBA{R: mix(f.R, b.R), G: mix(f.G, b.G), B: mix(f.B, b.B), A: 255}
}

// luminance is WCAG 2's relative luminance of an opaque colour.
func luminance(c color.NRGBA) float64 {
	channel := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*channel(c.R) + 0.7152*channel(c.G) + 0.0722*channel(c.B)
}

// contrast is WCAG 2's contrast ratio of two opaque colours.
func contrast(a, b color.NRGBA) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

func TestContrastFormula(t *testing.T) {
	black, white := color.NRGBA{A: 255}, color.NRGBA{255, 255, 255, 255}
	grey := color.NRGBA{0x76, 0x76, 0x76, 255} // the lightest grey with 4.5:1 on white
	if c := contrast(black, white); math.Abs(c-21) > 0.01 {
		t.Fatalf("black on white %.2f, want 21", c)
	}
	if c := contrast(grey, white); c < 4.5 || c > 4.6 {
		t.Fatalf("#767676 on white %.2f, want 4.54", c)
	}
	if got := over(color.NRGBA{0, 0, 0, 128}, white); got.R != 127 {
		t.Fatalf("half-black over white %v", got)
	}
}

// Every text of a list row (name, host, countdown) reads at 4.5:1 or more
// on every background a row has: plain, hovered and selected, in the dark
// theme and the light one. The colours are those the rows are drawn with.
func TestListTextsReadOnEveryBackground(t *testing.T) {
	for _, v := range []struct {
		name    string
		variant fyne.ThemeVariant
	}{{"dark", theme.VariantDark}, {"light", theme.VariantLight}} {
		t.Run(v.name, func(t *testing.T) {
			h := newHarness(t, nil)
			th := forcedVariant{theme.DefaultTheme(), v.variant}
			h.u.app.Settings().SetTheme(th)
			h.add(profile.Profile{Name: "office", Host: "router.office.example", Timeout: time.Hour, LastKnocked: time.Now(),
				Steps: []knock.Step{{Proto: knock.TCP, Port: 22}}})
			h.settle()
			h.u.list.widget.Refresh()
			bg := over(th.Color(theme.ColorNameBackground, 0), color.White)
			backgrounds := []struct {
				name  string
				color color.NRGBA
			}{
				{"plain", bg},
				{"hovered", over(th.Color(theme.ColorNameHover, 0), bg)},
				{"selected", over(th.Color(theme.ColorNameSelection, 0), bg)},
			}
			var texts []*canvas.Text
			walk(h.u.list.widget, func(o fyne.CanvasObject) bool {
				if x, ok := o.(*canvas.Text); ok && x.Visible() && x.Text != "" {
					texts = append(texts, x)
				}
				return false
			})
			if len(texts) != 3 {
				t.Fatalf("a row draws %d texts, want name, host and countdown", len(texts))
			}
			for _, x := range texts {
				for _, back := range backgrounds {
					ratio := contrast(over(x.Color, back.color), back.color)
					t.Logf("%-22q %v on %-8s %v: %5.2f:1", x.Text, x.Color, back.name, back.color, ratio)
					if ratio < 4.5 {
						t.Errorf("%q reads at %.2f:1 on the %s background of the %s theme, want 4.5:1", x.Text, ratio, back.name, v.name)
					}
				}
			}
		})
	}
}

// The filter narrows the list to names and hosts that hold its text, in any
// case; the selection moves to the first match when the filter hides it,
// so Enter in the filter knocks what is shown.
func TestFilterNarrowsTheList(t *testing.T) {
	h := newHarness(t, nil)
	for _, p := range []struct{ name, host string }{{"office", "203.0.113.7"}, {"home", "home.example.net"}, {"Branch", "office-2.example.net"}} {
		h.add(profile.Profile{Name: p.name, Host: p.host, Steps: []knock.Step{{Proto: knock.TCP, Port: 22}}})
	}
	h.selectProfile("home")
	names := func() []string {
		var out []string
		for _, p := range h.u.list.matches {
			out = append(out, p.Name)
		}
		return out
	}
	h.u.shortcuts[fyne.KeyF]()
	if h.u.win.Canvas().Focused() != h.u.list.filter {
		t.Fatal("Ctrl+F must put the cursor in the filter")
	}
	test.Type(h.u.list.filter, "OFFICE")
	if got := fmt.Sprint(names()); got != "[office Branch]" || h.u.list.widget.Length() != 2 {
		t.Fatalf("filter OFFICE shows %s", got)
	}
	if p, _ := h.u.list.selectedProfile(); p.Name != "office" || h.u.detail.title.Text != "office" {
		t.Fatalf("the hidden selection must move to the first match, not %q", p.Name)
	}
	h.u.list.filter.SetText("nothing like it")
	if len(names()) != 0 || h.u.detail.card.Visible() {
		t.Fatal("a filter that matches nothing shows no profile")
	}
	h.u.list.filter.SetText("")
	if len(names()) != 3 {
		t.Fatalf("an empty filter shows %v", names())
	}
}

// BenchmarkFilter1000Profiles is one change of the filter over 1000
// profiles, with the list redrawn in a window of the opening size: the
// cost of a keystroke in the filter (target: well under 16 ms, a frame).
func BenchmarkFilter1000Profiles(b *testing.B) {
	h := newHarness(b, nil)
	ps := make([]profile.Profile, 1000)
	for i := range ps {
		ps[i] = profile.Profile{ID: profile.NewID(), Name: fmt.Sprintf("router %04d", i), Host: fmt.Sprintf("r%d.branch.example", i),
			Timeout: time.Hour, Steps: []knock.Step{{Proto: knock.TCP, Port: 22}}}
	}
	h.u.list.set(ps)
	h.u.refresh()
	queries := []string{"router 0", "router 01", "branch", "r9", ""}
	i := 0
	for b.Loop() {
		h.u.list.setFilter(queries[i%len(queries)])
		i++
	}
}
