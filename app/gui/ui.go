package gui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime/debug"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock"
)

// maxHistory is how many recent knocks the detail view lists per profile.
const maxHistory = 20

// historyTime stamps a history line. It is fixed-width (the day is padded),
// so the column of outcomes does not shift between the 9th and the 10th.
const historyTime = "Jan _2 15:04:05"

// historyEntry is one knock in the detail view's history.
type historyEntry struct {
	at   time.Time
	text string
}

func (e historyEntry) String() string { return e.at.Format(historyTime) + "  " + e.text }

// ui is the main window. All its fields belong to Fyne's goroutine; work
// that may block goes through the bridge.
type ui struct {
	app       fyne.App
	win       fyne.Window
	book      *profile.Book
	network   knock.Network // nil: the system's sockets
	now       func() time.Time
	bridge    bridge
	ctx       context.Context // ends at Quit, and with it every knock
	cancelAll context.CancelFunc
	gate      knockGate
	auto      refresher // re-knocking before expiry
	tray      trayState
	// hidden: closed to the tray. Nothing in the window is updated then:
	// Fyne measures text the moment a widget changes, parsing a font per
	// text style (some 17 MiB), and a Knocker started in the tray should not
	// pay for a window nobody has opened. showWindow brings it up to date.
	hidden     bool
	root       fyne.CanvasObject // the window's content, set on first show
	bannerText string            // the banner's message, "" for none
	// sendNotification and openURL reach the desktop; tests record them.
	sendNotification func(*fyne.Notification)
	openURL          func(*url.URL) error

	profiles []profile.Profile // as listed: no steps
	selected string            // ID of the selected profile, "" for none
	runs     map[string]*knockRun
	history  map[string][]historyEntry // recent knocks per profile ID, newest first
	results  map[string]string         // last outcome per profile ID

	banner        *widget.Label
	bannerBox     *fyne.Container
	list          *widget.List
	empty         *fyne.Container
	emptyText     *widget.Label
	detail        *detailView
	editor        *editor     // the open profile form, if any
	routerView    *routerView // the open router setup window, if any
	confirmDelete *dialog.ConfirmDialog
	importPreview *dialog.ConfirmDialog
	importText    *widget.Label           // what the preview says
	shortcuts     map[fyne.KeyName]func() // Ctrl/Cmd + key
	summaries     map[string]string       // steps summary per profile ID, read from the keyring once
	shownStatus   map[string]string       // each row's status text as last drawn
	body          *fyne.Container
	newButton     *widget.Button
	importBtn     *widget.Button
	ticker        *time.Ticker
	stopTick      chan struct{}
}

// knockRun is one knock in progress or just finished.
type knockRun struct {
	cancel context.CancelFunc
	steps  int // sent so far in this attempt
	total  int
	lines  []string
	done   bool
	ok     bool // finished without error
}

// uiOptions are what differ between the windows newUI builds.
type uiOptions struct {
	// hidden starts the window closed to the tray, where nothing on screen
	// needs the keyring yet.
	hidden bool
	// dispatch replaces fyne.Do in the bridge (tests play Fyne's event loop
	// themselves). It is in place before newUI starts its first keyring read.
	dispatch func(what string, update func())
}

// newUI builds the window's content over book.
func newUI(a fyne.App, win fyne.Window, book *profile.Book, opts uiOptions) *ui {
	ctx, cancel := context.WithCancel(context.Background())
	u := &ui{
		app: a, win: win, book: book, now: time.Now, ctx: ctx, cancelAll: cancel, hidden: opts.hidden,
		bridge: bridge{dispatch: opts.dispatch},
		runs:   map[string]*knockRun{}, history: map[string][]historyEntry{}, results: map[string]string{},
		summaries: map[string]string{}, shownStatus: map[string]string{},
	}
	u.sendNotification, u.openURL = a.SendNotification, a.OpenURL
	u.build()
	u.reload()
	return u
}

func (u *ui) build() {
	u.banner = widget.NewLabel("")
	u.banner.Wrapping = fyne.TextWrapWord
	u.banner.Importance = widget.DangerImportance
	closeBanner := widget.NewButtonWithIcon("", theme.CancelIcon(), func() { u.showError(nil) })
	closeBanner.Importance = widget.LowImportance
	u.bannerBox = container.NewBorder(nil, nil, nil, closeBanner, u.banner)
	u.bannerBox.Hide()

	u.list = widget.NewList(
		func() int { return len(u.profiles) },
		newRow,
		func(id widget.ListItemID, o fyne.CanvasObject) { u.updateRow(id, o) },
	)
	u.list.OnSelected = func(id widget.ListItemID) {
		if id >= 0 && id < len(u.profiles) {
			u.selected = u.profiles[id].ID
			u.showSelected()
		}
	}

	u.emptyText = widget.NewLabel("No profiles yet.\n\nA profile holds a router's address and its secret knock: " +
		"the ports, protocols and payloads its firewall waits for. " +
		"Add one by hand, or import a Knocker JSON export or a knockd.conf.")
	u.emptyText.Wrapping = fyne.TextWrapWord
	u.emptyText.Alignment = fyne.TextAlignCenter
	u.newButton = widget.NewButtonWithIcon("Add a profile", theme.ContentAddIcon(), u.newProfile)
	u.newButton.Importance = widget.HighImportance
	u.importBtn = widget.NewButtonWithIcon("Import…", theme.FolderOpenIcon(), u.importFile)
	u.empty = container.NewCenter(container.NewVBox(u.emptyText, container.NewCenter(container.NewHBox(u.newButton, u.importBtn))))

	u.detail = newDetailView(u)
	split := container.NewHSplit(u.list, u.detail.content)
	split.Offset = 0.38
	u.body = container.NewStack(split, u.empty)

	u.root = container.NewBorder(u.bannerBox, nil, nil, nil, u.body)
	u.addShortcuts()
	if !u.hidden {
		u.attach()
	}
}

// redraw brings the window up to date as it becomes visible.
func (u *ui) redraw() {
	u.hidden = false
	u.attach()
	u.refresh()
	u.showBanner()
}

// attach puts the content and the menu into the window, once.
func (u *ui) attach() {
	if u.win.Content() == u.root {
		return
	}
	u.win.SetContent(u.root)
	u.win.SetMainMenu(u.mainMenu())
	releaseStartupGarbage.Do(func() { time.AfterFunc(firstFrameSettle, debug.FreeOSMemory) })
}

// Drawing the first frame parses Fyne's fonts and leaves some 9 MiB of
// garbage behind; it is handed back to the system once, rather than kept in
// an all-day process until the runtime's scavenger gets to it.
var releaseStartupGarbage sync.Once

// firstFrameSettle is how long after attaching the first frame is drawn.
const firstFrameSettle = 2 * time.Second

func (u *ui) mainMenu() *fyne.MainMenu {
	file := fyne.NewMenu("File",
		fyne.NewMenuItem("New Profile…", u.newProfile),
		fyne.NewMenuItem("Import…", u.importFile),
		fyne.NewMenuItem("Export…", u.exportFile),
	)
	prof := fyne.NewMenu("Profile",
		fyne.NewMenuItem("Knock", func() { u.knockSelected() }),
		fyne.NewMenuItem("Edit…", u.editSelected),
		fyne.NewMenuItem("Duplicate…", u.duplicateSelected),
		fyne.NewMenuItem("Router Setup…", u.routerSetupSelected),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Delete…", u.deleteSelected),
	)
	return fyne.NewMainMenu(file, prof)
}

// addShortcuts binds the keys of the issue: Ctrl+N, Ctrl+K or Enter, Ctrl+E,
// Delete, Ctrl+Q, and Ctrl+W to close to the tray (Cmd on macOS). Plain keys reach the canvas only when no
// text field has the focus.
func (u *ui) addShortcuts() {
	u.shortcuts = map[fyne.KeyName]func(){
		fyne.KeyN: u.newProfile,
		fyne.KeyK: func() { u.knockSelected() },
		fyne.KeyE: u.editSelected,
		fyne.KeyQ: u.quit,
		fyne.KeyW: u.closeWindow,
	}
	c := u.win.Canvas()
	for key, f := range u.shortcuts {
		c.AddShortcut(&desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) { f() })
	}
	c.SetOnTypedKey(func(e *fyne.KeyEvent) {
		switch e.Name {
		case fyne.KeyReturn, fyne.KeyEnter:
			u.knockSelected()
		case fyne.KeyDelete:
			u.deleteSelected()
		}
	})
}

// reload reads the profile list again. It needs no keyring, so it works
// while the keyring is locked.
func (u *ui) reload() {
	l, err := u.book.List()
	if err != nil {
		u.showError(err)
		return
	}
	u.profiles = l.Profiles
	clear(u.summaries) // steps may have changed with the profiles
	if u.selectedIndex() < 0 {
		// Something is always selected, so Enter or Ctrl+K knocks at once.
		u.selected = ""
		if len(u.profiles) > 0 {
			u.selected = u.profiles[0].ID
		}
	}
	u.syncSchedule()
	u.refresh()
	u.updateTray(true)
}

func (u *ui) selectedIndex() int {
	for i, p := range u.profiles {
		if p.ID == u.selected {
			return i
		}
	}
	return -1
}

func (u *ui) selectedProfile() (profile.Profile, bool) {
	if i := u.selectedIndex(); i >= 0 {
		return u.profiles[i], true
	}
	return profile.Profile{}, false
}

func (u *ui) refresh() {
	if u.hidden {
		return
	}
	if len(u.profiles) == 0 {
		u.empty.Show()
	} else {
		u.empty.Hide()
	}
	u.list.Refresh()
	if i := u.selectedIndex(); i >= 0 {
		u.list.Select(i)
	} else {
		u.list.UnselectAll()
	}
	u.showSelected()
}

func (u *ui) showSelected() {
	if u.hidden {
		return
	}
	p, ok := u.selectedProfile()
	if !ok {
		u.detail.clear()
		return
	}
	u.detail.show(p, u.runs[p.ID], u.results[p.ID], u.history[p.ID])
}

// showWarning is showError for messages that are not errors.
func (u *ui) showWarning(msg string) {
	u.bannerText = msg
	u.showBanner()
}

// showError puts err in plain words above everything; nil hides it.
func (u *ui) showError(err error) {
	u.bannerText = ""
	if err != nil {
		u.bannerText = err.Error()
	}
	u.showBanner()
}

func (u *ui) showBanner() {
	switch {
	case u.hidden:
	case u.bannerText == "":
		u.bannerBox.Hide()
	default:
		u.banner.SetText(u.bannerText)
		u.bannerBox.Show()
	}
}

// list rows: status icon, name over host, countdown on the right.
func newRow() fyne.CanvasObject {
	name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	host := widget.NewLabel("")
	host.Importance = widget.LowImportance
	status := widget.NewLabel("")
	return container.NewBorder(nil, nil, widget.NewIcon(nil), status, container.NewVBox(name, host))
}

func (u *ui) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= len(u.profiles) {
		return
	}
	p := u.profiles[id]
	row := o.(*fyne.Container)
	texts := row.Objects[0].(*fyne.Container).Objects
	texts[0].(*widget.Label).SetText(p.Name)
	texts[1].(*widget.Label).SetText(p.Host)
	state, text := u.rowStatus(p)
	row.Objects[1].(*widget.Icon).SetResource(stateIcon(state, u.failed(p.ID)))
	row.Objects[2].(*widget.Label).SetText(text)
	u.shownStatus[p.ID] = text
}

// rowStatus is the state and the text on the right of a profile's row.
func (u *ui) rowStatus(p profile.Profile) (entryState, string) {
	state, text := entryStatus(p, u.now())
	if run := u.runs[p.ID]; run != nil && !run.done {
		text = "knocking…"
	}
	return state, text
}

// failed reports whether the profile's last knock in this session failed.
func (u *ui) failed(id string) bool {
	run := u.runs[id]
	return run != nil && run.done && !run.ok
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

// startTicking starts the one ticker that refreshes every countdown; it
// runs only while the window is visible.
func (u *ui) startTicking() {
	if u.ticker != nil {
		return
	}
	u.ticker, u.stopTick = time.NewTicker(time.Second), make(chan struct{})
	go func(t *time.Ticker, stop chan struct{}) {
		for {
			select {
			case <-t.C:
				u.bridge.post("tick", u.tick)
			case <-stop:
				return
			}
		}
	}(u.ticker, u.stopTick)
}

func (u *ui) stopTicking() {
	if u.ticker != nil {
		u.ticker.Stop()
		close(u.stopTick)
		u.ticker = nil
	}
}

// tick redraws only the countdowns whose text changed, so an idle window
// with nothing counting down does no drawing at all.
func (u *ui) tick() {
	if u.hidden {
		return
	}
	// Fyne's List.RefreshItem redraws every visible row, whichever row it
	// names, so one refresh serves all rows whose text moved. Rows never
	// drawn get their text when they are; rows scrolled away since their
	// last drawing drop out here, as the refresh redraws only visible ones.
	for _, p := range u.profiles {
		shown, drawn := u.shownStatus[p.ID]
		if _, text := u.rowStatus(p); drawn && text != shown {
			clear(u.shownStatus)
			u.list.Refresh()
			break
		}
	}
	if p, ok := u.selectedProfile(); ok {
		u.detail.showStatus(p)
	}
}

// knockSelected knocks the selected profile; it returns false when none is selected.
func (u *ui) knockSelected() bool {
	p, ok := u.selectedProfile()
	if !ok {
		return false
	}
	u.knock(p)
	return true
}

// knock sends p's sequence now, unless it is being knocked already.
func (u *ui) knock(p profile.Profile) {
	background(&u.bridge, "knock", func() (time.Time, error) {
		return u.runKnock(u.ctx, p.ID, "", false)
	}, func(time.Time, error) {})
}

func (u *ui) showRun(id string) {
	if id == u.selected {
		u.showSelected()
	}
}

// cancelSelected stops the selected profile's knock at once.
func (u *ui) cancelSelected() {
	if run := u.runs[u.selected]; run != nil && !run.done {
		run.cancel()
	}
}

// knockOutcome says in a few plain words how a knock ended.
func knockOutcome(res *knock.Result, err error) string {
	var notOpen *knock.NotOpenError
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.As(err, &notOpen):
		return fmt.Sprintf("sent, port %d still closed", notOpen.Port)
	case err != nil:
		return "failed: " + err.Error()
	case res.Verify != nil:
		return fmt.Sprintf("port %d open", res.Verify.Port)
	}
	return fmt.Sprintf("sent %d %s to %v", len(res.Steps), plural(len(res.Steps), "step", "steps"), res.Addr)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// deleteSelected asks, then deletes the profile and its keyring secret.
func (u *ui) deleteSelected() {
	p, ok := u.selectedProfile()
	if !ok {
		return
	}
	msg := fmt.Sprintf("Delete %q and its secret knock from the keyring?\nThis cannot be undone; export it first to keep a copy.", p.Name)
	u.confirmDelete = dialog.NewConfirm("Delete profile", msg, func(yes bool) {
		if !yes {
			return
		}
		background(&u.bridge, "deleted", func() (struct{}, error) {
			return struct{}{}, u.book.Delete(context.Background(), p.Name)
		}, func(_ struct{}, err error) {
			u.showError(err)
			if err == nil {
				delete(u.runs, p.ID)
				delete(u.history, p.ID)
				delete(u.results, p.ID)
			}
			u.reload()
		})
	}, u.win)
	u.confirmDelete.SetConfirmText("Delete")
	u.confirmDelete.SetConfirmImportance(widget.DangerImportance)
	u.confirmDelete.Show()
}
