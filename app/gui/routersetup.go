package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock/routerconf"
)

// routerView shows the server side that matches a profile, ready to paste
// into the router, so the two never disagree: firewall rules for a knock
// sequence, fwknopd's access.conf stanza for SPA.
type routerView struct {
	id      string // the profile's
	win     fyne.Window
	formats []routerFormat
	format  *widget.RadioGroup
	layer7  *widget.Check
	rules   *widget.Label
	copy    *widget.Button
	note    *widget.Label
	text    string // the rules as generated, for the clipboard
}

type routerFormat struct {
	label string
	gen   func(layer7 bool) (string, error)
}

func (u *ui) routerSetupSelected() {
	u.withSteps("router setup", func(p profile.Profile) {
		if v := u.routerView; v != nil && v.id == p.ID {
			v.win.RequestFocus() // one window per profile is enough
			return
		}
		u.routerView = u.openRouterView(p)
	})
}

// serverFormats lists what the router side of p can be written as.
func serverFormats(p profile.Profile) []routerFormat {
	if p.SPA != nil {
		return []routerFormat{{"fwknopd access.conf", func(bool) (string, error) { return p.FwknopdAccess() }}}
	}
	spec := p.RouterSpec()
	with := func(gen func(routerconf.Spec) (string, error)) func(bool) (string, error) {
		return func(layer7 bool) (string, error) {
			s := spec
			if layer7 {
				s.Matcher = routerconf.Layer7
			}
			return gen(s)
		}
	}
	return []routerFormat{{"RouterOS", with(routerconf.RouterOS)}, {"nftables", with(routerconf.NFTables)}}
}

func (u *ui) openRouterView(p profile.Profile) *routerView {
	v := &routerView{id: p.ID, win: u.app.NewWindow("Router setup — " + profile.Printable(p.Name)), formats: serverFormats(p)}
	v.win.SetOnClosed(func() {
		if u.routerView == v {
			u.routerView = nil
		}
	})
	labels := labelsOf(v.formats, func(f routerFormat) string { return f.label })
	v.format = widget.NewRadioGroup(labels, func(string) { v.render() })
	v.format.Horizontal = true
	v.layer7 = widget.NewCheck("RouterOS: match with layer-7 regexps instead of content=", func(bool) { v.render() })
	if p.SPA != nil {
		v.layer7.Hide()
	}
	v.rules = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	v.note = widget.NewLabel("")
	v.note.Wrapping = fyne.TextWrapWord
	v.copy = widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(v.text)
		v.note.SetText("Copied. This text holds the knock or its keys: treat it like the password it is.")
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

// render writes the server side in the chosen format; a profile the format
// cannot express says why instead.
func (v *routerView) render() {
	for _, f := range v.formats {
		if f.label != v.format.Selected {
			continue
		}
		text, err := f.gen(v.layer7.Checked)
		if err != nil {
			v.text = ""
			v.rules.SetText("")
			v.note.SetText("Cannot write " + f.label + " for this profile: " + err.Error())
			v.copy.Disable()
			return
		}
		v.text = text
		v.rules.SetText(text)
		v.note.SetText("")
		v.copy.Enable()
	}
}
