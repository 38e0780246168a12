package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock/routerconf"
)

// routerCheck is "Check against my router…": the router's rules pasted in,
// and what knocker router-check says of this profile's knock against them.
type routerCheck struct {
	rules   *widget.Entry
	check   *widget.Button
	verdict *widget.Label
}

// routerRulesExample shows the shape of an export, in RouterOS's own words.
const routerRulesExample = "/ip firewall filter\nadd action=add-src-to-address-list address-list=… chain=input …"

// checkButton opens the check for p from Router setup's window.
func (u *ui) checkButton(win fyne.Window, p profile.Profile) *widget.Button {
	return widget.NewButtonWithIcon(lang.L("Check against my router…"), theme.SearchIcon(), func() {
		c := u.newRouterCheck(p)
		d := dialog.NewCustom(lang.L("Check against my router"), lang.L("Close"),
			container.NewBorder(widget.NewLabel(lang.L("Paste the router's rules: the output of /ip firewall export, or /export.")),
				container.NewVBox(c.check, c.verdict), nil, nil, c.rules), win)
		d.Resize(fyne.NewSize(720, 540))
		d.Show()
		win.Canvas().Focus(c.rules)
	})
}

func (u *ui) newRouterCheck(p profile.Profile) *routerCheck {
	c := &routerCheck{rules: widget.NewMultiLineEntry(), verdict: widget.NewLabel("")}
	c.rules.SetMinRowsVisible(12)
	c.rules.SetPlaceHolder(routerRulesExample)
	c.verdict.Wrapping = fyne.TextWrapWord
	c.check = widget.NewButtonWithIcon(lang.L("Check"), theme.ConfirmIcon(), func() {
		spec, text := p.RouterSpec(), c.rules.Text
		c.check.Disable()
		background(&u.bridge, "router checked", func() (routerconf.Verdict, error) {
			return routerconf.CheckRouterOS(text, p.Steps, spec.Family, spec.Protect)
		}, func(v routerconf.Verdict, err error) {
			c.check.Enable()
			c.show(v, err)
		})
	})
	return c
}

// show puts the verdict under the pasted rules: the engine's sentence, as
// the command line prints it, marked as agreement or not.
func (c *routerCheck) show(v routerconf.Verdict, err error) {
	switch {
	case err != nil:
		c.verdict.Importance = widget.DangerImportance
		c.verdict.SetText(lang.L("These are not RouterOS rules Knocker can read: {{.Error}}", tmpl{"Error": profile.Printable(err.Error())}))
	case v.OK:
		c.verdict.Importance = widget.SuccessImportance
		c.verdict.SetText(profile.Printable(v.String()))
	default:
		c.verdict.Importance = widget.DangerImportance
		c.verdict.SetText(lang.L("The router and this profile disagree: {{.Verdict}}", tmpl{"Verdict": profile.Printable(v.String())}))
	}
}
