package gui

import (
	"context"
	"net/url"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/schedule"
)

// ui is the main window: it puts its parts together (the banner, the list,
// the detail view, the knock log, the re-knocking, the tray) and carries out
// what the user asks of them. Every part belongs to Fyne's goroutine; work
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
	// hidden: closed to the tray. Nothing in the window is updated then:
	// Fyne measures text the moment a widget changes, parsing a font per
	// text style (some 17 MiB), and a Knocker started in the tray should not
	// pay for a window nobody has opened. showWindow brings it up to date.
	hidden bool
	opened bool              // the event loop runs with a window: Fyne and GL came up
	root   fyne.CanvasObject // the window's content, set on first show
	// program is this executable, which an ssh ProxyCommand runs.
	program string
	// sendNotification and openURL reach the desktop; tests record them.
	sendNotification func(*fyne.Notification)
	openURL          func(*url.URL) error

	banner     *banner
	welcome    *welcome // the whole window while there is no profile
	list       *profileList
	detail     *detailView
	split      *container.Split // the list beside the detail view
	place      windowPlace
	log        *knockLog
	auto       refresher // re-knocking before expiry
	tray       trayState
	asking     *question               // the question over the window, if any
	editor     *editor                 // the open profile form, if any
	routerView *routerView             // the open router setup window, if any
	shortcuts  map[fyne.KeyName]func() // Ctrl/Cmd + key
	ticker     *time.Ticker
	stopTick   chan struct{}
}

// uiOptions are what differ between the windows newUI builds.
type uiOptions struct {
	// hidden starts the window closed to the tray, where nothing on screen
	// needs the keyring yet.
	hidden bool
	// dispatch replaces fyne.Do in the bridge (tests play Fyne's event loop
	// themselves). It is in place before newUI starts its first keyring read.
	dispatch func(what string, update func())
	// placeFile replaces where the window's size is kept (tests: Fyne's
	// test app keeps everything in the shared temporary folder).
	placeFile string
}

// newUI builds the window's content over book.
func newUI(a fyne.App, win fyne.Window, book *profile.Book, opts uiOptions) *ui {
	langErr := setupLanguage()
	ctx, cancel := context.WithCancel(context.Background())
	u := &ui{
		app: a, win: win, book: book, now: time.Now, ctx: ctx, cancelAll: cancel, hidden: opts.hidden,
		bridge: bridge{dispatch: opts.dispatch}, log: newKnockLog(),
	}
	u.sendNotification, u.openURL = a.SendNotification, a.OpenURL
	u.program, _ = os.Executable() // "" says so where the ssh block needs it
	u.place = windowPlace{file: opts.placeFile, legacy: a.Preferences()}
	if u.place.file == "" {
		u.place.file = placeFile(a)
	}
	u.build()
	u.reload()
	if langErr != nil {
		u.banner.showError(langErr)
	}
	return u
}

func (u *ui) build() {
	isHidden := func() bool { return u.hidden }
	u.banner = newBanner(isHidden)
	u.welcome = newWelcome(u.newProfile, u.importFile, u.tryDemo)
	u.welcome.demo.start = startDemoProcess
	u.list = newProfileList(u.rowState, isHidden, func() { u.knockSelected() })
	u.list.onSelect = u.showSelected
	u.detail = newDetailView(u)
	u.split = container.NewHSplit(u.list.content, u.detail.content)
	u.split.Offset = u.place.split()
	u.root = container.NewBorder(u.banner.content, nil, nil, nil, container.NewStack(u.split, u.welcome.content))
	u.addShortcuts()
	if !u.hidden {
		u.attach()
	}
}

// rowState is what the list shows for p: its countdown, or that it is
// being knocked, and whether its last knock failed.
func (u *ui) rowState(p profile.Profile) rowState {
	state, text := entryStatus(p, u.now())
	if u.log.running(p.ID) {
		text = lang.L("knocking…")
	}
	return rowState{entry: state, text: text, failed: u.log.failed(p.ID)}
}

// redraw brings the window up to date as it becomes visible.
func (u *ui) redraw() {
	u.hidden = false
	u.attach()
	u.refresh()
	u.banner.redraw()
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
	item := func(label string, key fyne.KeyName, action func()) *fyne.MenuItem {
		it := fyne.NewMenuItem(label, action)
		if key != "" {
			it.Shortcut = shortcutFor(key)
		}
		return it
	}
	quit := item(lang.L("Quit"), fyne.KeyQ, u.quit)
	quit.IsQuit = true
	file := fyne.NewMenu(lang.L("File"),
		item(lang.L("New Profile…"), fyne.KeyN, u.newProfile),
		item(lang.L("Import…"), "", u.importFile),
		item(lang.L("Export…"), "", u.exportFile),
		fyne.NewMenuItemSeparator(),
		item(lang.L("Try the Demo Router"), "", u.tryDemo),
		fyne.NewMenuItemSeparator(),
		quit,
	)
	prof := fyne.NewMenu(lang.L("Profile"),
		item(lang.L("Knock"), fyne.KeyK, func() { u.knockSelected() }),
		item(lang.L("Edit…"), fyne.KeyE, u.editSelected),
		item(lang.L("Duplicate…"), "", u.duplicateSelected),
		item(lang.L("Router Setup…"), fyne.KeyR, u.routerSetupSelected),
		item(lang.L("Find…"), fyne.KeyF, u.focusFilter),
		fyne.NewMenuItemSeparator(),
		item(lang.L("Delete…"), "", u.deleteSelected),
	)
	return fyne.NewMainMenu(file, prof)
}

// shortcutFor is Ctrl+key (Cmd+key on macOS).
func shortcutFor(key fyne.KeyName) fyne.Shortcut {
	return &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}
}

// addShortcuts binds Ctrl+N (new), Ctrl+K or Enter (knock), Ctrl+E (edit),
// Ctrl+R (Router setup), Ctrl+F (filter), Delete, Ctrl+Q (quit) and Ctrl+W
// (close to the tray);
// Cmd on macOS. The menu carries the same keys, which reach it even while
// a text field (the filter) has the focus; plain keys reach the canvas only
// when none has.
func (u *ui) addShortcuts() {
	u.shortcuts = map[fyne.KeyName]func(){
		fyne.KeyN: u.newProfile,
		fyne.KeyK: func() { u.knockSelected() },
		fyne.KeyE: u.editSelected,
		fyne.KeyR: u.routerSetupSelected,
		fyne.KeyF: u.focusFilter,
		fyne.KeyQ: u.quit,
		fyne.KeyW: u.closeWindow,
	}
	c := u.win.Canvas()
	for key, f := range u.shortcuts {
		c.AddShortcut(shortcutFor(key), func(fyne.Shortcut) { f() })
	}
	c.SetOnTypedKey(func(e *fyne.KeyEvent) {
		if u.questionKey(e.Name) {
			return
		}
		switch e.Name {
		case fyne.KeyReturn, fyne.KeyEnter:
			u.knockSelected()
		case fyne.KeyDelete:
			u.deleteSelected()
		}
	})
}

// focusFilter puts the cursor in the filter above the list, its text
// selected, so typing replaces the last search.
func (u *ui) focusFilter() {
	if len(u.list.profiles) == 0 {
		return // the welcome screen has no list to filter
	}
	u.win.Canvas().Focus(u.list.filter)
	u.list.filter.TypedShortcut(&fyne.ShortcutSelectAll{})
}

// reload reads the profile list again. It needs no keyring, so it works
// while the keyring is locked.
func (u *ui) reload() {
	l, err := u.book.List()
	if err != nil {
		u.banner.showError(err)
		return
	}
	u.list.set(l.Profiles)
	u.detail.forget()
	for _, err := range u.auto.sync(u.list.profiles) {
		u.banner.showError(err)
	}
	u.refresh()
	u.updateTray()
}

// refresh redraws the list and the selected profile.
func (u *ui) refresh() {
	if u.hidden {
		return
	}
	if len(u.list.profiles) == 0 {
		u.split.Hide()
		u.welcome.content.Show()
	} else {
		u.welcome.content.Hide()
		u.split.Show()
	}
	u.list.redraw()
	u.showSelected()
}

func (u *ui) showSelected() {
	if u.hidden {
		return
	}
	p, ok := u.list.selectedProfile()
	if !ok {
		u.detail.clear()
		return
	}
	u.detail.show(p, u.log)
}

// networkWatch says whether re-knocking follows network changes; tests on
// a fake clock leave the machine's network out.
type networkWatch bool

const (
	watchNetwork  networkWatch = true
	ignoreNetwork networkWatch = false
)

// startRefresh starts re-knocking auto-refresh profiles; clock is nil
// outside tests.
func (u *ui) startRefresh(clock schedule.Clock, network networkWatch) error {
	knock := func(ctx context.Context, id string) (time.Time, error) {
		return u.runKnock(ctx, id, knockRequest{why: "auto", busy: waitIfBusy})
	}
	onEvent := func(ev schedule.Event) { u.bridge.post("schedule", func() { u.onScheduleEvent(ev) }) }
	err := u.auto.start(clock, knock, onEvent, network)
	u.auto.sync(u.list.profiles)
	return err
}

func (u *ui) onScheduleEvent(ev schedule.Event) {
	if ev.Notify() {
		u.notify(ev)
	}
	u.updateTray()
	u.showSelected()
}

// notify tells the user once when re-knocking starts failing, and once when
// it works again; the retries in between stay quiet.
func (u *ui) notify(ev schedule.Event) {
	name := ev.ID
	if p, ok := u.list.byID(ev.ID); ok {
		name = p.Name
	}
	msg := lang.L("{{.Name}}: re-knocking works again", tmpl{"Name": name})
	if ev.Kind == schedule.Failed {
		msg = lang.L("{{.Name}}: re-knock failed ({{.Err}}); retrying", tmpl{"Name": name, "Err": ev.Err})
	}
	u.sendNotification(fyne.NewNotification("Knocker", msg))
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

// tick moves the countdowns on screen.
func (u *ui) tick() {
	if u.hidden {
		return
	}
	u.list.tick()
	if p, ok := u.list.selectedProfile(); ok {
		u.detail.showStatus(p)
	}
}
