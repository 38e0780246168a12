package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
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

// profileList is the list of saved profiles on the left, with the one that
// is selected, and the empty state that stands in for it on a first start.
type profileList struct {
	profiles []profile.Profile // as listed: no steps
	selected string            // ID of the selected profile, "" for none
	shown    map[string]string // each drawn row's status text as last drawn

	widget       *widget.List
	empty        *fyne.Container
	emptyText    *widget.Label
	newButton    *widget.Button
	importButton *widget.Button

	state    func(profile.Profile) rowState
	hidden   func() bool
	onSelect func() // the selection changed
}

// newProfileList builds the list; state says what each row shows, add and
// open are the empty state's two ways to a first profile.
func newProfileList(state func(profile.Profile) rowState, hidden func() bool, add, open func()) *profileList {
	l := &profileList{shown: map[string]string{}, state: state, hidden: hidden, onSelect: func() {}}
	l.widget = widget.NewList(func() int { return len(l.profiles) }, newRow, l.updateRow)
	l.widget.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(l.profiles) {
			l.selected = l.profiles[i].ID
			l.onSelect()
		}
	}
	l.emptyText = widget.NewLabel("No profiles yet.\n\nA profile holds a router's address and its secret knock: " +
		"the ports, protocols and payloads its firewall waits for. " +
		"Add one by hand, or import a Knocker JSON export or a knockd.conf.")
	l.emptyText.Wrapping = fyne.TextWrapWord
	l.emptyText.Alignment = fyne.TextAlignCenter
	l.newButton = widget.NewButtonWithIcon("Add a profile", theme.ContentAddIcon(), add)
	l.newButton.Importance = widget.HighImportance
	l.importButton = widget.NewButtonWithIcon("Import…", theme.FolderOpenIcon(), open)
	l.empty = container.NewCenter(container.NewVBox(l.emptyText, container.NewCenter(container.NewHBox(l.newButton, l.importButton))))
	return l
}

// set lists profiles, keeping the selection where it still exists: something
// is always selected, so Enter or Ctrl+K knocks at once.
func (l *profileList) set(profiles []profile.Profile) {
	l.profiles = profiles
	if l.selectedIndex() < 0 {
		l.selected = ""
		if len(profiles) > 0 {
			l.selected = profiles[0].ID
		}
	}
}

func (l *profileList) selectedIndex() int {
	for i, p := range l.profiles {
		if p.ID == l.selected {
			return i
		}
	}
	return -1
}

func (l *profileList) selectedProfile() (profile.Profile, bool) {
	if i := l.selectedIndex(); i >= 0 {
		return l.profiles[i], true
	}
	return profile.Profile{}, false
}

// byID finds a listed profile.
func (l *profileList) byID(id string) (profile.Profile, bool) {
	return profile.List{Profiles: l.profiles}.ByID(id)
}

// redraw shows the profiles as listed now, with the selection.
func (l *profileList) redraw() {
	if l.hidden() {
		return
	}
	if len(l.profiles) == 0 {
		l.empty.Show()
	} else {
		l.empty.Hide()
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
	for _, p := range l.profiles {
		shown, drawn := l.shown[p.ID]
		if drawn && l.state(p).text != shown {
			clear(l.shown)
			l.widget.Refresh()
			return
		}
	}
}

// newRow is a row: status icon, name over host, countdown on the right.
func newRow() fyne.CanvasObject {
	name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	host := widget.NewLabel("")
	host.Importance = widget.LowImportance
	status := widget.NewLabel("")
	return container.NewBorder(nil, nil, widget.NewIcon(nil), status, container.NewVBox(name, host))
}

func (l *profileList) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i < 0 || i >= len(l.profiles) {
		return
	}
	p := l.profiles[i]
	row := o.(*fyne.Container)
	texts := row.Objects[0].(*fyne.Container).Objects
	texts[0].(*widget.Label).SetText(p.Name)
	texts[1].(*widget.Label).SetText(p.Host)
	s := l.state(p)
	row.Objects[1].(*widget.Icon).SetResource(stateIcon(s.entry, s.failed))
	row.Objects[2].(*widget.Label).SetText(s.text)
	l.shown[p.ID] = s.text
}

func stateIcon(s entryState, failed bool) fyne.Resource {
	switch {
	case failed:
		return theme.NewErrorThemedResource(theme.ErrorIcon())
	case s == entryOpen:
		return theme.NewSuccessThemedResource(theme.ConfirmIcon())
	case s == entryExpired:
		return theme.NewWarningThemedResource(theme.HistoryIcon())
	case s == entryUnknown:
		return theme.NewThemedResource(theme.ConfirmIcon())
	}
	return theme.NewDisabledResource(theme.RadioButtonIcon())
}
