package gui

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/knocker/knocker/app/profile"
)

// askForCommand asks for the command line the user knocks with today (an
// nping one-liner, a knock or a knocker send line), or the router's
// RouterOS rules, and fills the form from it. The line is only read;
// nothing is run. The dialog's entry is the one place the line's payload
// shows, and it is gone with the dialog.
func (e *editor) askForCommand() {
	line := widget.NewMultiLineEntry()
	line.Wrapping = fyne.TextWrapBreak
	line.SetMinRowsVisible(3)
	line.SetPlaceHolder("nping --udp -p 1234 --data-string test router.example")
	var parsed profile.Imported
	line.Validator = func(s string) error {
		var err error
		if profile.DetectFormat([]byte(s)) == profile.FormatRouterOS {
			parsed, err = parseRouterRules(s, e.host.Text)
			return err
		}
		parsed, err = profile.ParseCommand(s)
		return err
	}
	d := dialog.NewForm(lang.L("Paste a command"), lang.L("Fill in"), lang.L("Cancel"), []*widget.FormItem{
		{Text: lang.L("Command"), Widget: line, HintText: lang.L("nping, knock or knocker send, as you type it in a terminal, or the router's own rules (/ip firewall export); it is read, not run")},
	}, func(ok bool) {
		if ok && line.Validate() == nil {
			e.fillFromCommand(parsed)
		}
	}, e.win)
	d.Resize(fyne.NewSize(640, 280))
	d.Show()
	e.win.Canvas().Focus(line)
}

// fillFromCommand puts what a command line says into the form: the host,
// the steps and the check, and the name if there is none yet. What the
// line asked for that a profile cannot hold is said under the heading.
func (e *editor) fillFromCommand(imp profile.Imported) {
	p := imp.Profiles[0]
	if strings.TrimSpace(e.name.Text) == "" {
		e.name.SetText(p.Name)
	}
	if imp.Format != profile.FormatRouterOS {
		// Router rules do not say where the router is.
		e.host.SetText(p.Host)
	}
	e.setFamily(p.Family)
	if v := p.Verify; v != nil {
		e.verifyPort.SetText(strconv.Itoa(int(v.Port)))
		e.verifyTimeout.SetText("")
		if v.Timeout > 0 {
			e.verifyTimeout.SetText(v.Timeout.String())
		}
		e.retries.SetText("")
		if v.Retries > 0 {
			e.retries.SetText(strconv.Itoa(v.Retries))
		}
	}
	e.kind.SetSelected(kindSequence())
	e.rows = nil
	for _, s := range p.Steps {
		e.appendRow(s)
	}
	note := lang.L("Filled in from the {{.Format}}.", tmpl{"Format": formatName(imp.Format)})
	if len(imp.Warnings) > 0 {
		note += " " + lang.L("Not carried over: {{.Warnings}}.", tmpl{"Warnings": strings.Join(imp.Warnings, "; ")})
	}
	e.pasteNote.SetText(note)
	e.pasteNote.Show()
	e.name.Validate()
	e.host.Validate()
}

// parseRouterRules reads pasted RouterOS rules as the form's knock: the
// first knock they let in; the others, and the chains left out, are said
// as not carried over. The form's host stays as it is.
func parseRouterRules(rules, host string) (profile.Imported, error) {
	host = strings.TrimSpace(host)
	if profile.ValidateHost(host) != nil {
		host = "router" // only to read the rules: the form keeps its own
	}
	imp, err := profile.ParseRouterOS([]byte(rules), host)
	if err != nil {
		return imp, err
	}
	imp.Format = profile.FormatRouterOS
	for _, p := range imp.Profiles[1:] {
		imp.Warnings = append(imp.Warnings, lang.L("another knock, through list {{.Name}}", tmpl{"Name": p.Name}))
	}
	for _, s := range imp.Skipped {
		imp.Warnings = append(imp.Warnings, s.String())
	}
	imp.Profiles = imp.Profiles[:1]
	return imp, nil
}
