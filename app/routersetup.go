package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock/routerconf"
)

// routerView shows the firewall rules that match a profile, ready to paste
// into the router, so the two never disagree.
type routerView struct {
	win    fyne.Window
	spec   routerconf.Spec
	format *widget.RadioGroup
	layer7 *widget.Check
	rules  *widget.Label
	copy   *widget.Button
	note   *widget.Label
	text   string // the rules as generated, for the clipboard
}

var routerFormats = []struct {
	label string
	gen   func(routerconf.Spec) (string, error)
}{
	{"RouterOS", routerconf.RouterOS},
	{"nftables", routerconf.NFTables},
}

func (u *ui) routerSetupSelected() {
	u.withSteps("router setup", func(p profile.Profile) { u.routerView = u.openRouterView(p) })
}

func (u *ui) openRouterView(p profile.Profile) *routerView {
	v := &routerView{win: u.app.NewWindow("Router setup — " + p.Name), spec: p.RouterSpec()}
	labels := make([]string, len(routerFormats))
	for i, f := range routerFormats {
		labels[i] = f.label
	}
	v.format = widget.NewRadioGroup(labels, func(string) { v.render() })
	v.format.Horizontal = true
	v.layer7 = widget.NewCheck("RouterOS: match with layer-7 regexps instead of content=", func(bool) { v.render() })
	v.rules = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	v.note = widget.NewLabel("")
	v.note.Wrapping = fyne.TextWrapWord
	v.copy = widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(v.text)
		v.note.SetText("Copied. These rules contain the knock itself: treat them like the password they are.")
	})
	v.copy.Importance = widget.HighImportance
	v.format.SetSelected(labels[0])

	top := container.NewVBox(v.format, v.layer7)
	bottom := container.NewVBox(v.note, container.NewHBox(v.copy))
	v.win.SetContent(container.NewBorder(top, container.NewPadded(bottom), nil, nil, container.NewScroll(v.rules)))
	v.win.Resize(fyne.NewSize(820, 560))
	v.win.Show()
	return v
}

// render regenerates the rules for the chosen format; a profile the format
// cannot express says why instead.
func (v *routerView) render() {
	spec := v.spec
	if v.layer7.Checked {
		spec.Matcher = routerconf.Layer7
	}
	for _, f := range routerFormats {
		if f.label != v.format.Selected {
			continue
		}
		text, err := f.gen(spec)
		if err != nil {
			v.text = ""
			v.rules.SetText("")
			v.note.SetText("Cannot write " + f.label + " rules for this profile: " + err.Error())
			v.copy.Disable()
			return
		}
		v.text = text
		v.rules.SetText(text)
		v.note.SetText("")
		v.copy.Enable()
	}
}
