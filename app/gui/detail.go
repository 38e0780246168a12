package gui

import (
	"context"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/knocker/knocker/app/profile"
)

// detailView shows the selected profile: what it knocks, how long the
// router keeps it open, and what the last knocks did.
type detailView struct {
	u       *ui
	content fyne.CanvasObject
	none    *widget.Label
	card    *fyne.Container

	title       *widget.Label
	host        *widget.Label
	steps       *widget.Label
	timeout     *widget.Label
	opens       *widget.Label // the after-knock URL, where the profile has one
	status      *widget.Label
	statusIcon  *widget.Icon // the list's icon for the state, so an unchecked knock never looks verified
	autoRefresh *widget.Check
	knock       *widget.Button
	cancel      *widget.Button
	edit        *widget.Button
	router      *widget.Button
	progress    *widget.ProgressBar
	result      *widget.Label
	runLog      *widget.Label
	history     *widget.Label

	form      *widget.Form
	opensItem *widget.FormItem // in the form only while the profile has a URL

	shownID   string            // the profile on screen, so a switch does not save into another
	summaries map[string]string // steps summary per profile ID, read from the keyring once
}

func newDetailView(u *ui) *detailView {
	d := &detailView{u: u, summaries: map[string]string{}}
	d.none = widget.NewLabel(lang.L("Select a profile to see its knock."))
	d.none.Alignment = fyne.TextAlignCenter
	d.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.title.SizeName = theme.SizeNameSubHeadingText
	d.host = widget.NewLabel("")
	d.steps = widget.NewLabel("")
	d.steps.Wrapping = fyne.TextWrapWord
	d.timeout = widget.NewLabel("")
	d.opens = widget.NewLabel("")
	d.opens.Wrapping = fyne.TextWrapBreak
	d.status = widget.NewLabel("")
	d.status.Wrapping = fyne.TextWrapWord
	d.statusIcon = widget.NewIcon(nil)
	d.autoRefresh = widget.NewCheck(lang.L("Re-knock before the entry expires"), func(on bool) { d.u.setAutoRefresh(d.shownID, on) })
	d.knock = widget.NewButtonWithIcon(lang.L("Knock"), theme.MediaPlayIcon(), func() { d.u.knockSelected() })
	d.knock.Importance = widget.HighImportance
	d.cancel = widget.NewButtonWithIcon(lang.L("Cancel"), theme.CancelIcon(), func() { d.u.log.cancel(d.u.list.selected) })
	d.edit = widget.NewButtonWithIcon(lang.L("Edit"), theme.DocumentCreateIcon(), func() { d.u.editSelected() })
	d.router = widget.NewButtonWithIcon(lang.L("Router setup"), theme.SettingsIcon(), func() { d.u.routerSetupSelected() })
	d.progress = widget.NewProgressBar()
	d.result = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.result.Wrapping = fyne.TextWrapWord
	d.runLog = widget.NewLabel("")
	d.runLog.Wrapping = fyne.TextWrapWord
	d.history = widget.NewLabel("")

	d.form = widget.NewForm(
		widget.NewFormItem(lang.L("Host"), d.host),
		widget.NewFormItem(lang.L("Steps"), d.steps),
		widget.NewFormItem(lang.L("Router timeout"), d.timeout),
		widget.NewFormItem(lang.L("Status"), container.NewBorder(nil, nil, d.statusIcon, nil, d.status)),
		widget.NewFormItem("", d.autoRefresh),
	)
	d.opensItem = widget.NewFormItem(lang.L("Opens after knock"), d.opens)
	d.card = container.NewVBox(
		d.title, d.form,
		container.NewHBox(d.knock, d.cancel, d.edit, d.router),
		d.progress, d.runLog, d.result,
		widget.NewLabelWithStyle(lang.L("Earlier knocks"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		d.history,
	)
	d.content = container.NewStack(container.NewCenter(d.none), container.NewVScroll(container.NewPadded(d.card)))
	d.clear()
	return d
}

func (d *detailView) clear() {
	d.shownID = ""
	d.card.Hide()
	d.none.Show()
}

// show puts p on screen with what this session's knocks of it did.
func (d *detailView) show(p profile.Profile, log *knockLog) {
	d.shownID = "" // no save while the check box is set below
	defer func() { d.shownID = p.ID }()
	d.none.Hide()
	d.card.Show()
	d.title.SetText(profile.Printable(p.Name))
	d.host.SetText(profile.Printable(p.Host) + familySuffix(p))
	d.showOpens(p)
	d.steps.SetText(d.stepsText(p))
	d.timeout.SetText(lang.L("not set"))
	if p.Timeout > 0 {
		d.timeout.SetText(humanDuration(p.Timeout))
	}
	d.autoRefresh.SetChecked(p.AutoRefresh)
	d.showStatus(p)

	run, result, history := log.runs[p.ID], log.results[p.ID], log.history[p.ID]
	running := run != nil && !run.done
	if running {
		d.knock.Disable()
		d.cancel.Enable()
	} else {
		d.knock.Enable()
		d.cancel.Disable()
	}
	switch {
	case run == nil:
		d.progress.Hide()
		d.runLog.SetText("")
	default:
		d.progress.Show()
		d.progress.Max = float64(max(run.total, 1))
		d.progress.SetValue(float64(run.steps))
		lines := run.lines
		if n := len(lines); run.done && n > 0 && lines[n-1] == result {
			lines = lines[:n-1] // the check's verdict is the result, shown once below
		}
		d.runLog.SetText(strings.Join(lines, "\n"))
	}
	switch {
	case running:
		d.result.SetText(lang.L("Knocking…"))
	case result != "":
		d.result.SetText(result)
	default:
		d.result.SetText("")
	}
	// Empty, they would still take a line each between the buttons and the
	// earlier knocks.
	showIfText(d.runLog)
	showIfText(d.result)
	if !running && result != "" && len(history) > 0 {
		history = history[1:] // the newest is the result above
	}
	if len(history) == 0 {
		d.history.SetText(lang.L("none in this session"))
	} else {
		lines := make([]string, len(history))
		for i, e := range history {
			lines[i] = e.String()
		}
		d.history.SetText(strings.Join(lines, "\n"))
	}
}

// showStatus updates the countdown only: it runs every second.
func (d *detailView) showStatus(p profile.Profile) {
	state, text := describeEntry(p, d.u.now(), inDetail)
	if line := d.u.auto.line(p, d.u.now()); line != "" {
		text += " · " + line
	}
	if text != d.status.Text { // an unchanged label would still be redrawn
		d.status.SetText(text)
	}
	if icon := d.u.list.icons.of(state, d.u.log.failed(p.ID)); d.statusIcon.Resource != icon {
		d.statusIcon.SetResource(icon)
	}
}

func familySuffix(p profile.Profile) string {
	if p.Family == 0 {
		return ""
	}
	return " (" + p.Family.String() + ")"
}

// forget drops the summaries read so far: steps may have changed with the
// profiles.
func (d *detailView) forget() { clear(d.summaries) }

// stepsText is p's steps summary, read from the keyring in the background
// the first time it is needed.
func (d *detailView) stepsText(p profile.Profile) string {
	if s, ok := d.summaries[p.ID]; ok {
		return s
	}
	reading := lang.L("reading the keyring…")
	d.summaries[p.ID] = reading
	background(&d.u.bridge, "steps", func() (profile.Profile, error) {
		return d.u.book.GetID(context.Background(), p.ID)
	}, func(full profile.Profile, err error) {
		if err != nil {
			d.summaries[p.ID] = lang.L("unavailable: {{.Err}}", tmpl{"Err": err})
		} else {
			d.summaries[p.ID] = knockSummary(full)
		}
		d.u.showSelected()
	})
	return reading
}

// showIfText shows a label only while it has something to say.
func showIfText(l *widget.Label) {
	if l.Text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// showOpens names the URL a verified knock opens, so that a URL that came
// in with an imported file is seen before it is ever opened.
func (d *detailView) showOpens(p profile.Profile) {
	has := slices.Contains(d.form.Items, d.opensItem)
	switch {
	case p.OpenURL == "" && has:
		d.form.Items = slices.DeleteFunc(d.form.Items, func(it *widget.FormItem) bool { return it == d.opensItem })
		d.form.Refresh()
	case p.OpenURL != "":
		text := p.OpenURL
		if p.NeedsOpenURLConsent() {
			text += " " + lang.L("(from an imported file: Knocker asks before opening it)")
		}
		d.opens.SetText(text)
		if !has {
			d.form.Items = slices.Insert(d.form.Items, 3, d.opensItem)
			d.form.Refresh()
		}
	}
}
