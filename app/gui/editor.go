package gui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock"
)

// familyChoice is an address-family option as the editor shows it.
type familyChoice struct {
	label  string
	family knock.Family
}

// familyChoices are the address-family options, in the window's language.
func familyChoices() []familyChoice {
	return []familyChoice{
		{lang.L("Automatic"), knock.Auto},
		{lang.L("IPv4 only"), knock.IPv4},
		{lang.L("IPv6 only"), knock.IPv6},
		{lang.L("Prefer IPv4"), knock.PreferIPv4},
		{lang.L("Prefer IPv6"), knock.PreferIPv6},
	}
}

// encodingChoices are the payload encodings as a step row offers them, in
// the order of knock's Encoding values; hex and base64 are names admins
// write as they are.
func encodingChoices() []string {
	return []string{lang.X("encoding.text", "text"), "hex", "base64", lang.X("encoding.size", "size")}
}

// The two kinds of profile the editor knows, as its radio buttons name them.
func kindSequence() string { return lang.L("Knock sequence") }
func kindSPA() string      { return lang.L("fwknop SPA") }

// editor is the add/edit/duplicate form, in a window of its own. Nothing
// typed is lost on an error: the window stays open with the message.
type editor struct {
	u     *ui
	win   fyne.Window
	base  profile.Profile // ID, times and other fields the form does not show
	isNew bool

	name, host, timeout       *widget.Entry
	verifyPort, verifyTimeout *widget.Entry
	retries, notes, openURL   *widget.Entry
	family                    *widget.Select
	autoRefresh               *widget.Check
	forms                     []*widget.Form
	more                      *widget.Accordion // the fields most profiles leave alone, folded
	moreFields                []*widget.Entry   // those of them that can be invalid
	paste                     *widget.Button
	pasteNote                 *widget.Label // what a pasted command could not carry
	scroll                    *container.Scroll
	kind                      *widget.RadioGroup
	sequence                  *fyne.Container // the step rows, for a knock sequence
	rows                      []*stepRow
	stepsBox                  *fyne.Container
	addStep                   *widget.Button
	spa                       *spaFields
	status                    *widget.Label
	save, cancel              *widget.Button
}

// editorSize is the form's opening size: the router, the first step and
// the router's timeout in view, on screens of 1024×768 and up.
var editorSize = fyne.NewSize(760, 600)

// stepRow edits one step; its error shows right under it.
type stepRow struct {
	proto    *widget.Select
	port     *widget.Entry
	payload  *widget.Entry // a password entry: masked, with a reveal toggle
	encoding *widget.Select
	delay    *widget.Entry
	up, down *widget.Button
	remove   *widget.Button
	err      *widget.Label
	box      *fyne.Container
}

// formPurpose says what saving a form does.
type formPurpose int

const (
	createProfile formPurpose = iota // a new profile or a duplicate: a fresh ID on save
	changeProfile                    // the profile p, under its ID
)

// openEditor shows the form for p. Editing a profile whose form is open
// already brings that form forward: two forms of one profile would let the
// second save undo the first.
func (u *ui) openEditor(p profile.Profile, purpose formPurpose) *editor {
	isNew := purpose == createProfile
	if e := u.editor; e != nil && !isNew && !e.isNew && e.base.ID == p.ID {
		e.win.RequestFocus()
		return e
	}
	title := lang.L("Edit {{.Name}}", tmpl{"Name": profile.Printable(p.Name)})
	if isNew {
		title = lang.L("New profile")
	}
	e := &editor{u: u, win: u.app.NewWindow(title), base: p, isNew: isNew}
	e.build()
	e.fill(p)
	e.win.Resize(editorSize)
	e.win.Show()
	e.win.Canvas().Focus(e.name) // typing starts at the top
	u.editor = e
	e.win.SetOnClosed(func() {
		if u.editor == e {
			u.editor = nil
		}
	})
	return e
}

func (e *editor) build() {
	e.name = widget.NewEntry()
	e.name.SetPlaceHolder(lang.L("office router"))
	e.name.Validator = e.validateName
	e.host = widget.NewEntry()
	e.host.SetPlaceHolder(lang.L("router.example.com or 203.0.113.7"))
	e.host.Validator = profile.ValidateHost
	e.family = widget.NewSelect(labelsOf(familyChoices(), func(c familyChoice) string { return c.label }), nil)
	e.timeout = widget.NewEntry()
	e.timeout.SetPlaceHolder("2h")
	e.timeout.Validator = validateTimeout
	e.autoRefresh = widget.NewCheck(lang.L("Re-knock before it expires"), nil)
	e.verifyPort = widget.NewEntry()
	e.verifyPort.SetPlaceHolder(lang.L("22 (empty: no check)"))
	e.verifyPort.Validator = optional(func(s string) error { _, err := parsePort(s); return err })
	e.verifyTimeout = widget.NewEntry()
	e.verifyTimeout.SetPlaceHolder(knock.DefaultVerifyTimeout.String())
	e.verifyTimeout.Validator = optional(validatePositiveDuration)
	e.retries = widget.NewEntry()
	e.retries.SetPlaceHolder("0")
	e.retries.Validator = optional(validateRetries)
	e.notes = widget.NewMultiLineEntry()
	e.notes.SetMinRowsVisible(2)
	e.openURL = widget.NewEntry()
	e.openURL.SetPlaceHolder("ssh://admin@router.example.com")
	e.openURL.Validator = func(s string) error {
		if err := profile.ValidateOpenURL(strings.TrimSpace(s)); err != nil {
			return err
		}
		if strings.TrimSpace(s) != "" && strings.TrimSpace(e.verifyPort.Text) == "" {
			return errors.New(lang.L("opens once the check port answers: set a check port"))
		}
		return nil
	}
	e.verifyPort.OnChanged = func(string) {
		e.openURL.Validate()
		e.unfoldIfInvalid()
	}
	e.moreFields = []*widget.Entry{e.verifyTimeout, e.retries, e.openURL}

	// What every profile needs comes first: the router, its knock and how
	// long it lets you in; the rest waits, folded, under More options.
	router := widget.NewForm(
		&widget.FormItem{Text: lang.L("Name"), Widget: e.name},
		&widget.FormItem{Text: lang.L("Host"), Widget: e.host},
	)
	entry := widget.NewForm(
		&widget.FormItem{Text: lang.L("Router timeout"), Widget: e.timeout, HintText: lang.L("how long the router keeps your address (its address-list timeout)")},
		&widget.FormItem{Text: "", Widget: e.autoRefresh},
		&widget.FormItem{Text: lang.L("Check port"), Widget: e.verifyPort, HintText: lang.L("TCP port that should open after the knock")},
	)
	options := widget.NewForm(
		&widget.FormItem{Text: lang.L("Address family"), Widget: e.family},
		&widget.FormItem{Text: lang.L("Check timeout"), Widget: e.verifyTimeout},
		&widget.FormItem{Text: lang.L("Retries"), Widget: e.retries, HintText: lang.L("knock again while the port stays closed (0-10)")},
		&widget.FormItem{Text: lang.L("Open after knock"), Widget: e.openURL, HintText: lang.L("ssh://, https://, winbox://… opened once the check port answers")},
		&widget.FormItem{Text: lang.L("Notes"), Widget: e.notes},
	)
	e.forms = []*widget.Form{router, entry, options}
	e.more = widget.NewAccordion(widget.NewAccordionItem(lang.L("More options"), options))

	e.stepsBox = container.NewVBox()
	e.addStep = widget.NewButtonWithIcon(lang.L("Add step"), theme.ContentAddIcon(), func() { e.appendRow(knock.Step{Proto: knock.UDP}) })
	e.spa = newSPAFields()
	e.kind = widget.NewRadioGroup([]string{kindSequence(), kindSPA()}, func(string) { e.showKind() })
	e.kind.Horizontal = true
	e.status = widget.NewLabel("")
	e.status.Wrapping = fyne.TextWrapWord
	e.status.Importance = widget.DangerImportance
	e.status.Hide()
	e.save = widget.NewButtonWithIcon(lang.L("Save"), theme.DocumentSaveIcon(), e.submit)
	e.save.Importance = widget.HighImportance
	e.cancel = widget.NewButton(lang.L("Cancel"), func() { e.win.Close() })
	e.paste = widget.NewButtonWithIcon(lang.L("Paste a command…"), theme.ContentPasteIcon(), e.askForCommand)
	e.pasteNote = widget.NewLabel("")
	e.pasteNote.Wrapping = fyne.TextWrapWord
	e.pasteNote.Hide()

	secretHeader := widget.NewLabelWithStyle(lang.L("The knock (secret: kept in the keyring)"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	e.sequence = container.NewVBox(stepHeader(), e.stepsBox, container.NewHBox(e.addStep))
	body := container.NewVBox(
		router,
		widget.NewSeparator(),
		container.NewBorder(nil, nil, nil, e.paste, secretHeader),
		e.pasteNote,
		e.kind, e.sequence, e.spa.box,
		widget.NewSeparator(),
		entry,
		e.more,
	)
	buttons := container.NewVBox(e.status, container.NewHBox(layout.NewSpacer(), e.cancel, e.save))
	var scrolled fyne.CanvasObject
	e.scroll, scrolled = wheelScrolled(container.NewPadded(body))
	e.win.SetContent(container.NewBorder(nil, container.NewPadded(buttons), nil, nil, scrolled))
	e.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) { e.submit() })
	// Enter in a one-line field saves, as in a dialog: the keyboard alone
	// goes from a new form to a saved profile.
	for _, entry := range []*widget.Entry{e.name, e.host, e.timeout, e.verifyPort, e.verifyTimeout, e.retries, e.openURL} {
		entry.OnSubmitted = func(string) { e.submit() }
	}
}

// unfoldIfInvalid opens More options when a field in it is at fault, so no
// error hides in a folded section.
func (e *editor) unfoldIfInvalid() {
	for _, f := range e.moreFields {
		if f.Validate() != nil {
			e.more.Open(0)
			return
		}
	}
}

func (e *editor) fill(p profile.Profile) {
	e.name.SetText(p.Name)
	e.host.SetText(p.Host)
	e.family.SetSelectedIndex(0)
	e.setFamily(p.Family)
	if p.Timeout > 0 {
		e.timeout.SetText(humanDuration(p.Timeout))
	}
	e.autoRefresh.SetChecked(p.AutoRefresh)
	if v := p.Verify; v != nil {
		e.verifyPort.SetText(strconv.Itoa(int(v.Port)))
		if v.Timeout > 0 {
			e.verifyTimeout.SetText(v.Timeout.String())
		}
		if v.Retries > 0 {
			e.retries.SetText(strconv.Itoa(v.Retries))
		}
	}
	e.notes.SetText(p.Notes)
	e.openURL.SetText(p.OpenURL)
	e.kind.SetSelected(kindSequence())
	if p.SPA != nil {
		e.spa.fill(p.SPA)
		e.kind.SetSelected(kindSPA())
	}
	for _, s := range p.Steps {
		e.appendRow(s)
	}
	if len(p.Steps) == 0 {
		e.appendRow(knock.Step{Proto: knock.UDP})
	}
}

// setFamily chooses family in its select.
func (e *editor) setFamily(family knock.Family) {
	for i, c := range familyChoices() {
		if c.family == family {
			e.family.SetSelectedIndex(i)
		}
	}
}

// showKind shows the fields of the chosen kind of knock.
func (e *editor) showKind() {
	if e.kind.Selected == kindSPA() {
		e.sequence.Hide()
		e.spa.box.Show()
	} else {
		e.spa.box.Hide()
		e.sequence.Show()
	}
}

func (e *editor) appendRow(s knock.Step) {
	r := &stepRow{}
	r.proto = widget.NewSelect([]string{"udp", "tcp", "icmp"}, func(string) { r.adapt() })
	r.port = widget.NewEntry()
	r.port.SetPlaceHolder(lang.L("port"))
	r.payload = widget.NewPasswordEntry()
	r.payload.SetPlaceHolder(lang.L("optional"))
	r.encoding = widget.NewSelect(encodingChoices(), nil)
	r.delay = widget.NewEntry()
	r.delay.SetPlaceHolder(lang.L("e.g. 200ms"))
	r.up = widget.NewButtonWithIcon("", theme.MoveUpIcon(), func() { e.moveRow(r, -1) })
	r.down = widget.NewButtonWithIcon("", theme.MoveDownIcon(), func() { e.moveRow(r, +1) })
	r.remove = widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { e.removeRow(r) })
	r.err = widget.NewLabel("")
	r.err.Importance = widget.DangerImportance
	r.err.Hide()
	for _, entry := range []*widget.Entry{r.port, r.payload, r.delay} {
		entry.OnChanged = func(string) { r.check(e.rowIndex(r)) }
		entry.OnSubmitted = func(string) { e.submit() }
	}

	r.proto.SetSelected(s.Proto.String())
	if s.Port != 0 {
		r.port.SetText(strconv.Itoa(int(s.Port)))
	}
	r.encoding.SetSelectedIndex(int(s.Payload.Encoding))
	if len(s.Payload.Data) > 0 {
		r.payload.SetText(s.Payload.Value())
	}
	if s.Delay > 0 {
		r.delay.SetText(s.Delay.String())
	}
	r.encoding.OnChanged = func(string) { r.check(e.rowIndex(r)) }

	fields := container.New(stepColumns{}, r.proto, r.port, r.payload, r.encoding, r.delay, stepButtons(r.up, r.down, r.remove))
	r.box = container.NewVBox(fields, r.err)
	e.rows = append(e.rows, r)
	e.relayout()
}

func (e *editor) rowIndex(r *stepRow) int {
	for i, x := range e.rows {
		if x == r {
			return i
		}
	}
	return -1
}

func (e *editor) moveRow(r *stepRow, by int) {
	i := e.rowIndex(r)
	j := i + by
	if i < 0 || j < 0 || j >= len(e.rows) {
		return
	}
	e.rows[i], e.rows[j] = e.rows[j], e.rows[i]
	e.relayout()
}

func (e *editor) removeRow(r *stepRow) {
	i := e.rowIndex(r)
	if i < 0 || len(e.rows) == 1 {
		return // a profile keeps at least one step
	}
	e.rows = append(e.rows[:i], e.rows[i+1:]...)
	e.relayout()
}

// relayout rebuilds the step list after a change of order or count: the
// first step has no delay, the ends cannot move further, one row cannot go.
func (e *editor) relayout() {
	objs := make([]fyne.CanvasObject, len(e.rows))
	for i, r := range e.rows {
		objs[i] = r.box
		setEnabled(r.up, i > 0)
		setEnabled(r.down, i < len(e.rows)-1)
		setEnabled(r.remove, len(e.rows) > 1)
		r.adapt()
		if i == 0 {
			r.delay.SetText("")
			r.delay.Disable()
		} else {
			r.delay.Enable()
		}
	}
	e.stepsBox.Objects = objs
	e.stepsBox.Refresh()
}

// adapt enables the fields the protocol uses: ICMP has no port, a TCP SYN
// carries no payload.
func (r *stepRow) adapt() {
	switch r.proto.Selected {
	case "icmp":
		r.port.SetText("")
		r.port.Disable()
		r.payload.Enable()
		r.encoding.Enable()
	case "tcp":
		r.port.Enable()
		r.payload.SetText("")
		r.payload.Disable()
		r.encoding.Disable()
	default:
		r.port.Enable()
		r.payload.Enable()
		r.encoding.Enable()
	}
}

// step reads the row; the error names the field at fault, never its content.
func (r *stepRow) step(first bool) (knock.Step, error) {
	proto, err := knock.ParseProto(r.proto.Selected)
	if err != nil {
		return knock.Step{}, errors.New(lang.L("choose udp, tcp or icmp"))
	}
	s := knock.Step{Proto: proto}
	if proto != knock.ICMP {
		if s.Port, err = parsePort(strings.TrimSpace(r.port.Text)); err != nil {
			return knock.Step{}, err
		}
	}
	if r.payload.Text != "" {
		enc := r.encoding.SelectedIndex()
		if enc < 0 {
			return knock.Step{}, errors.New(lang.L("choose the payload's encoding"))
		}
		if s.Payload, err = knock.DecodePayload(r.payload.Text, knock.Encoding(enc)); err != nil {
			return knock.Step{}, fmt.Errorf("%s: %w", lang.L("payload"), err)
		}
	}
	if d := strings.TrimSpace(r.delay.Text); d != "" && !first {
		if s.Delay, err = time.ParseDuration(d); err != nil || s.Delay < 0 {
			return knock.Step{}, errors.New(lang.L("delay: want a duration such as 200ms or 1s"))
		}
	}
	return s, s.Validate()
}

// check validates the row and shows the verdict under it.
func (r *stepRow) check(index int) error {
	_, err := r.step(index == 0)
	if err != nil {
		r.err.SetText(lang.L("Step {{.Number}}: {{.Err}}", tmpl{"Number": index + 1, "Err": err}))
		r.err.Show()
	} else {
		r.err.Hide()
	}
	return err
}

func (e *editor) validateName(s string) error {
	if err := profile.ValidateName(s); err != nil {
		return err
	}
	for _, p := range e.u.list.profiles {
		if strings.EqualFold(p.Name, s) && (e.isNew || p.ID != e.base.ID) {
			return errors.New(lang.L("a profile called \"{{.Name}}\" exists already", tmpl{"Name": profile.Printable(p.Name)}))
		}
	}
	return nil
}

func validateTimeout(s string) error {
	if s == "" {
		return nil
	}
	return validatePositiveDuration(s)
}

func validatePositiveDuration(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 {
		return errors.New(lang.L("want a duration such as 2h, 30m or 90s"))
	}
	return nil
}

func validateRetries(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > profile.MaxRetries {
		return errors.New(lang.L("want a whole number from 0 to {{.Max}}", tmpl{"Max": profile.MaxRetries}))
	}
	return nil
}

// collect validates every field, marks the faulty ones, and returns the
// profile the form describes.
func (e *editor) collect() (profile.Profile, bool) {
	ok := true
	for _, f := range e.forms {
		if f.Validate() != nil {
			ok = false
		}
	}
	e.unfoldIfInvalid()
	for _, entry := range []*widget.Entry{e.name, e.host, e.timeout, e.verifyPort, e.verifyTimeout, e.retries, e.openURL} {
		if entry.Validate() != nil {
			ok = false
		}
	}
	p := e.base
	p.Name = e.name.Text
	p.Host = strings.TrimSpace(e.host.Text)
	p.Family = familyChoices()[max(e.family.SelectedIndex(), 0)].family
	p.Timeout, _ = time.ParseDuration(strings.TrimSpace(e.timeout.Text))
	p.AutoRefresh = e.autoRefresh.Checked
	p.Notes = e.notes.Text
	p.OpenURL = strings.TrimSpace(e.openURL.Text)
	p.Verify = nil
	if port, err := parsePort(strings.TrimSpace(e.verifyPort.Text)); err == nil {
		v := &profile.Verify{Port: port}
		v.Timeout, _ = time.ParseDuration(strings.TrimSpace(e.verifyTimeout.Text))
		v.Retries, _ = strconv.Atoi(strings.TrimSpace(e.retries.Text))
		p.Verify = v
	}
	p.Steps, p.SPA = nil, nil
	if e.kind.Selected == kindSPA() {
		var err error
		if p.SPA, err = e.spa.read(); err != nil {
			e.spa.show(err)
			ok = false
		}
	} else {
		p.Steps = make([]knock.Step, 0, len(e.rows))
		for i, r := range e.rows {
			s, err := r.step(i == 0)
			if r.check(i) != nil || err != nil {
				ok = false
				continue
			}
			p.Steps = append(p.Steps, s)
		}
	}
	if p.AutoRefresh && p.Timeout <= 0 {
		e.timeout.SetValidationError(errors.New(lang.L("re-knocking needs the router's timeout")))
		ok = false
	}
	return p, ok
}

// submit saves the profile: the steps to the keyring, the rest to
// profiles.json. The window closes only once both succeeded.
func (e *editor) submit() {
	if !e.save.Disabled() {
		p, ok := e.collect()
		if !ok {
			e.setStatus(lang.L("Fix the fields marked above; nothing was saved."))
			return
		}
		if e.isNew {
			p.ID, p.Created = profile.NewID(), e.u.now()
		}
		e.save.Disable()
		e.setStatus("")
		background(&e.u.bridge, "saved", func() (struct{}, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if e.isNew {
				return struct{}{}, e.u.book.Add(ctx, []profile.Profile{p})
			}
			return struct{}{}, e.u.book.Update(ctx, p)
		}, func(_ struct{}, err error) {
			e.save.Enable()
			if err != nil {
				e.setStatus(lang.L("Not saved: {{.Err}}", tmpl{"Err": err}))
				return
			}
			e.u.list.selected = p.ID
			e.u.reload()
			e.win.Close()
		})
	}
}

func (e *editor) setStatus(msg string) {
	e.status.SetText(msg)
	if msg == "" {
		e.status.Hide()
	} else {
		e.status.Show()
	}
}

// parsePort reads a port number, saying what is wrong in the window's
// language; knock's own message is the command line's.
func parsePort(s string) (uint16, error) {
	port, err := knock.ParsePort(s)
	switch {
	case err == nil:
		return port, nil
	case s == "":
		return 0, errors.New(lang.L("missing port number"))
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, errors.New(lang.L("port is not a number (want 1-65535)"))
	}
	return 0, errors.New(lang.L("port {{.Port}} is out of range (want 1-65535)", tmpl{"Port": n}))
}
