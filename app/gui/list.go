package gui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/knocker/knocker/app/profile"
)

// rowState is what a profile's row shows on the right and by its icon.
type rowState struct {
	entry  entryState
	text   string
	failed bool // the last knock in this session failed
}

// profileList is the list of saved profiles on the left, the filter above
// it that narrows the list to a name or host, and the one selected.
type profileList struct {
	profiles []profile.Profile // every saved one, as listed: no steps
	query    string            // the filter, lower-case; "" lets all through
	matches  []profile.Profile // those the filter lets through, in order: the rows
	selected string            // ID of the selected profile, "" for none
	drawn    map[string]string // each drawn row's status text as last drawn
	icons    rowIcons

	widget  *widget.List
	filter  *widget.Entry
	content *fyne.Container // the filter over the list

	state    func(profile.Profile) rowState
	hidden   func() bool
	onSelect func() // the selection changed
}

// newProfileList builds the list; state says what each row shows, and
// submit is what Enter in the filter does (knock the match).
func newProfileList(state func(profile.Profile) rowState, hidden func() bool, submit func()) *profileList {
	l := &profileList{drawn: map[string]string{}, icons: newRowIcons(), state: state, hidden: hidden, onSelect: func() {}}
	l.widget = widget.NewList(func() int { return len(l.matches) }, newRow, l.updateRow)
	l.widget.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(l.matches) && l.matches[i].ID != l.selected {
			l.selected = l.matches[i].ID
			l.onSelect()
		}
	}
	// The field, not SetPlaceHolder, which measures the text at once: that
	// would load a font (some 15 MiB) in a Knocker started in the tray,
	// whose window may never open.
	l.filter = &widget.Entry{PlaceHolder: lang.L("Filter by name or host (Ctrl+F)")}
	l.filter.ExtendBaseWidget(l.filter)
	l.filter.OnChanged = l.setFilter
	l.filter.OnSubmitted = func(string) { submit() }
	l.filter.ActionItem = widget.NewIcon(theme.SearchIcon())
	l.content = container.NewBorder(container.NewPadded(l.filter), nil, nil, nil, l.widget)
	return l
}

// set lists profiles, keeping the selection where it still exists.
func (l *profileList) set(profiles []profile.Profile) {
	l.profiles = profiles
	l.narrow()
}

// setFilter narrows the list to profiles whose name or host holds text.
func (l *profileList) setFilter(text string) {
	query := strings.ToLower(strings.TrimSpace(text))
	if query == l.query {
		return
	}
	l.query = query
	before := l.selected
	l.narrow()
	l.redraw()
	if l.selected != before {
		l.onSelect()
	}
}

// narrow recomputes the rows from the profiles and the filter. Something
// shown is always selected, so Enter or Ctrl+K knocks at once: the first
// match when the filter hides the selection.
func (l *profileList) narrow() {
	l.matches = l.matches[:0]
	for _, p := range l.profiles {
		if l.query == "" || strings.Contains(strings.ToLower(p.Name), l.query) || strings.Contains(strings.ToLower(p.Host), l.query) {
			l.matches = append(l.matches, p)
		}
	}
	if l.selectedIndex() < 0 {
		l.selected = ""
		if len(l.matches) > 0 {
			l.selected = l.matches[0].ID
		}
	}
}

// selectedIndex is the selected profile's row, -1 for none.
func (l *profileList) selectedIndex() int {
	for i, p := range l.matches {
		if p.ID == l.selected {
			return i
		}
	}
	return -1
}

func (l *profileList) selectedProfile() (profile.Profile, bool) {
	if i := l.selectedIndex(); i >= 0 {
		return l.matches[i], true
	}
	return profile.Profile{}, false
}

// byID finds a saved profile, shown or not.
func (l *profileList) byID(id string) (profile.Profile, bool) {
	return profile.List{Profiles: l.profiles}.ByID(id)
}

// redraw shows the profiles as listed now, with the selection.
func (l *profileList) redraw() {
	if l.hidden() {
		return
	}
	l.widget.Refresh()
	if i := l.selectedIndex(); i >= 0 {
		l.widget.Select(i)
	} else {
		l.widget.UnselectAll()
	}
}

// tick redraws the rows if a drawn row's countdown text changed, so an idle
// list with nothing counting down does no drawing at all.
func (l *profileList) tick() {
	// Fyne's List.RefreshItem redraws every visible row, whichever row it
	// names, so one refresh serves all rows whose text moved. Rows never
	// drawn get their text when they are; rows scrolled away since their
	// last drawing drop out here, as the refresh redraws only visible ones.
	for _, p := range l.matches {
		shown, drawn := l.drawn[p.ID]
		if drawn && l.state(p).text != shown {
			clear(l.drawn)
			l.widget.Refresh()
			return
		}
	}
}

// newRow is a row: status icon, name over host, countdown on the right.
// Every text is in the theme's foreground colour, the one that reads on
// the selection and hover backgrounds of both themes; the host line is set
// apart by its smaller size, not by a paler grey that would not.
func newRow() fyne.CanvasObject {
	// A long name or host is cut short: the countdown beside it must stay
	// in view however narrow the list is. Cut, not ended with an ellipsis:
	// Fyne shapes an ellipsis with a font of its own each time, which made
	// a keystroke in the filter over 1000 profiles take 40 ms instead of a
	// few.
	name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateClip
	host := widget.NewLabel("")
	host.SizeName = theme.SizeNameCaptionText
	host.Truncation = fyne.TextTruncateClip
	status := widget.NewLabel("")
	// The host line sits close under the name, as one entry of two lines.
	texts := container.New(&stackedLines{}, name, host)
	return container.NewBorder(nil, nil, widget.NewIcon(nil), status, texts)
}

func (l *profileList) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i < 0 || i >= len(l.matches) {
		return
	}
	p := l.matches[i]
	row := o.(*fyne.Container)
	texts := row.Objects[0].(*fyne.Container).Objects
	texts[0].(*widget.Label).SetText(profile.Printable(p.Name))
	texts[1].(*widget.Label).SetText(profile.Printable(p.Host))
	s := l.state(p)
	// An icon set again is decoded and coloured again; most redraws
	// (a filter keystroke, a countdown) leave it as it was.
	if icon, res := row.Objects[1].(*widget.Icon), l.icons.of(s.entry, s.failed); icon.Resource != res {
		icon.SetResource(res)
	}
	row.Objects[2].(*widget.Label).SetText(s.text)
	row.Layout.Layout(row.Objects, row.Size()) // the countdown's width changes with its text
	l.drawn[p.ID] = s.text
}

// stackedLines puts labels under one another, overlapping by their inner
// padding: a VBox would leave two paddings and a gap between the name and
// its host, and the row would read as two entries.
type stackedLines struct{}

func (stackedLines) overlap() float32 { return theme.InnerPadding() }

func (s stackedLines) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var size fyne.Size
	for i, o := range objects {
		m := o.MinSize()
		size.Width = max(size.Width, m.Width)
		size.Height += m.Height
		if i > 0 {
			size.Height -= s.overlap()
		}
	}
	return size
}

func (s stackedLines) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	y := float32(0)
	for _, o := range objects {
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h - s.overlap()
	}
}

// rowIcons are the state icons, made once per list so that a row can tell
// whether its icon changed (they need the running app, so not at start-up).
// The green check is for a port seen open; a knock nobody checked shows a
// sent letter, which promises nothing about the router.
type rowIcons struct {
	failed, open, sent, expired, unknown, never fyne.Resource
}

func newRowIcons() rowIcons {
	return rowIcons{
		failed:  theme.NewErrorThemedResource(theme.ErrorIcon()),
		open:    theme.NewSuccessThemedResource(theme.ConfirmIcon()),
		sent:    theme.NewThemedResource(theme.MailSendIcon()),
		expired: theme.NewWarningThemedResource(theme.HistoryIcon()),
		unknown: theme.NewThemedResource(theme.ConfirmIcon()),
		never:   theme.NewDisabledResource(theme.RadioButtonIcon()),
	}
}

func (i rowIcons) of(s entryState, failed bool) fyne.Resource {
	switch {
	case failed:
		return i.failed
	case s == entryOpen:
		return i.open
	case s == entrySent:
		return i.sent
	case s == entryExpired:
		return i.expired
	case s == entryUnknown:
		return i.unknown
	}
	return i.never
}
