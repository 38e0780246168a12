package gui

import (
	"runtime"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
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
	// The options of one format show only while it is chosen.
	layer7      *widget.Check           // RouterOS: layer-7 regexps instead of content=
	lanList     *widget.Entry           // RouterOS: the interface list that needs no knock
	table       *widget.Entry           // nftables: an existing table to go into
	alias       *widget.Entry           // ssh: the name typed after ssh
	user        *widget.Entry           // ssh: the login name
	optionForms map[string]*widget.Form // by format
	rules       *widget.Label
	copy        *widget.Button
	note        *widget.Label
	text        string // the rules as generated, for the clipboard
	program     string // this knocker, which ssh's ProxyCommand runs

	// routerName says which name the router knows the rules by, beside
	// the router formats; nil for SPA, whose access.conf names nothing.
	routerName *widget.Label
}

// routerOptions are what the window lets the user choose about the rules.
type routerOptions struct {
	layer7  bool
	lanList string
	table   routerconf.NFTTable
	ssh     profile.SSHHost // for the ssh client's side
}

type routerFormat struct {
	label string
	// gen writes the server side, with warnings about what may not work.
	gen func(routerOptions) (string, []string, error)
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

const (
	formatRouterOS = "RouterOS"
	formatNFTables = "nftables"
	// Not the router's side but the client's: a Host block for ssh that
	// knocks through knocker proxy before it connects.
	formatSSH     = "~/.ssh/config"
	formatFwknopd = "fwknopd access.conf"
)

// serverFormats lists what the router side of p can be written as, and
// the ssh client's side that goes with it.
func serverFormats(p profile.Profile) []routerFormat {
	sshClient := routerFormat{formatSSH, func(o routerOptions) (string, []string, error) {
		text, err := p.SSHConfig(o.ssh)
		return text, nil, err
	}}
	if p.SPA != nil {
		return []routerFormat{{formatFwknopd, func(routerOptions) (string, []string, error) {
			text, err := p.FwknopdAccess()
			return text, nil, err
		}}, sshClient}
	}
	spec := func(o routerOptions) routerconf.Spec {
		s := p.RouterSpec()
		if o.layer7 {
			s.Matcher = routerconf.Layer7
		}
		s.LANList, s.Table = o.lanList, o.table
		return s
	}
	return []routerFormat{
		{formatRouterOS, func(o routerOptions) (string, []string, error) {
			text, err := routerconf.RouterOS(spec(o))
			return text, routerconf.RouterOSWarnings(spec(o)), err
		}},
		{formatNFTables, func(o routerOptions) (string, []string, error) {
			text, err := routerconf.NFTables(spec(o))
			return text, nil, err
		}},
		sshClient,
	}
}

// routerViewSize is the window's opening size: the rules of a few steps in
// view without scrolling.
var routerViewSize = fyne.NewSize(820, 560)

func (u *ui) openRouterView(p profile.Profile) *routerView {
	v := &routerView{id: p.ID, win: u.app.NewWindow(lang.L("Router setup — {{.Name}}", tmpl{"Name": profile.Printable(p.Name)})), formats: serverFormats(p),
		program: u.program}
	v.win.SetOnClosed(func() {
		if u.routerView == v {
			u.routerView = nil
		}
	})
	labels := labelsOf(v.formats, func(f routerFormat) string { return f.label })
	v.format = widget.NewRadioGroup(labels, func(string) { v.render() })
	v.format.Horizontal = true
	v.layer7 = widget.NewCheck(lang.L("Match with layer-7 regexps instead of content="), func(bool) { v.render() })
	v.lanList = widget.NewEntry()
	v.lanList.SetPlaceHolder(routerconf.DefaultLANList)
	v.lanList.OnChanged = func(string) { v.render() }
	v.table = widget.NewEntry()
	v.table.SetPlaceHolder(lang.L("empty: a table of its own; or an existing one, e.g. inet:filter"))
	v.table.Validator = optional(func(s string) error { _, err := routerconf.ParseNFTTable(strings.TrimSpace(s)); return err })
	v.table.OnChanged = func(string) { v.render() }
	v.alias = widget.NewEntry()
	v.alias.SetPlaceHolder(lang.L("empty: the profile's name"))
	v.alias.OnChanged = func(string) { v.render() }
	v.user = widget.NewEntry()
	v.user.SetPlaceHolder(lang.L("empty: from the profile's ssh:// address, else your local name"))
	v.user.OnChanged = func(string) { v.render() }
	v.optionForms = map[string]*widget.Form{
		formatSSH: widget.NewForm(
			&widget.FormItem{Text: lang.L("Host alias"), Widget: v.alias, HintText: lang.L("then: ssh ALIAS, scp FILE ALIAS:, git clone ALIAS:repo")},
			&widget.FormItem{Text: lang.L("User"), Widget: v.user},
		),
		formatRouterOS: widget.NewForm(
			&widget.FormItem{Text: lang.L("LAN interface list"), Widget: v.lanList,
				HintText: lang.L("new connections from it need no knock; \"none\": knock on every interface")},
			&widget.FormItem{Widget: v.layer7},
		),
		formatNFTables: widget.NewForm(&widget.FormItem{Text: lang.L("Into table"), Widget: v.table,
			HintText: lang.L("for a host with a firewall of its own: the rules become a chain its input chain jumps to")}),
	}
	v.rules = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	head := []fyne.CanvasObject{v.format}
	if p.SPA == nil {
		v.routerName = widget.NewLabel(lang.L("The router knows this profile as {{.Name}}", map[string]string{"Name": p.RouterSpec().Name}))
		head = append(head, v.routerName)
	}
	v.note = widget.NewLabel("")
	v.note.Wrapping = fyne.TextWrapWord
	v.copy = widget.NewButtonWithIcon(lang.L("Copy"), theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(v.text)
		v.note.SetText(lang.L("Copied. This text holds the knock or its keys: treat it like the password it is."))
	})
	v.copy.Importance = widget.HighImportance
	v.format.SetSelected(labels[0])

	top := container.NewVBox(append(head, v.optionForms[formatRouterOS], v.optionForms[formatNFTables], v.optionForms[formatSSH])...)
	buttons := container.NewHBox(v.copy)
	if p.SPA == nil {
		buttons.Add(u.checkButton(v.win, p))
	}
	bottom := container.NewVBox(v.note, buttons)
	v.win.SetContent(container.NewBorder(top, container.NewPadded(bottom), nil, nil, container.NewScroll(v.rules)))
	v.win.Resize(routerViewSize)
	v.win.Show()
	return v
}

// showOptions shows the chosen format's options above the rules, and the
// router's name for the router's formats.
func (v *routerView) showOptions(format string) {
	if v.routerName != nil && format == formatSSH {
		v.routerName.Hide()
	} else if v.routerName != nil {
		v.routerName.Show()
	}
	for name, form := range v.optionForms {
		if name == format {
			form.Show()
		} else {
			form.Hide()
		}
	}
}

// render writes the server side in the chosen format with the options as
// they stand; what the format cannot express says why instead.
func (v *routerView) render() {
	if v.optionForms == nil {
		return // still being built
	}
	for _, f := range v.formats {
		if f.label != v.format.Selected {
			continue
		}
		v.showOptions(f.label)
		opts := routerOptions{layer7: v.layer7.Checked, lanList: strings.TrimSpace(v.lanList.Text),
			ssh: profile.SSHHost{Alias: strings.TrimSpace(v.alias.Text), User: strings.TrimSpace(v.user.Text),
				Program: v.program, Windows: runtime.GOOS == "windows"}}
		if t := strings.TrimSpace(v.table.Text); t != "" && f.label == formatNFTables {
			var err error
			if opts.table, err = routerconf.ParseNFTTable(t); err != nil {
				v.refuse(f.label, err)
				return
			}
		}
		text, warnings, err := f.gen(opts)
		if err != nil {
			v.refuse(f.label, err)
			return
		}
		v.text = text
		v.rules.SetText(text)
		v.note.SetText(strings.Join(warnings, "\n"))
		v.copy.Enable()
	}
}

func (v *routerView) refuse(format string, err error) {
	v.text = ""
	v.rules.SetText("")
	v.note.SetText(lang.L("Cannot write {{.Format}} for this profile: {{.Err}}", tmpl{"Format": format, "Err": err}))
	v.copy.Disable()
}
