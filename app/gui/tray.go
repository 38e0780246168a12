package gui

import (
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"

	"github.com/knocker/knocker/app/autostart"
	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/assets"
)

// trayHost is the part of Fyne's desktop.App the tray needs; tests record it.
type trayHost interface {
	SetSystemTrayMenu(*fyne.Menu)
	SetSystemTrayIcon(fyne.Resource)
}

type trayState struct {
	host    trayHost // nil: this driver has no tray
	menu    *fyne.Menu
	updated time.Time
	failing bool
	// available reports whether a tray is shown right now (on Linux, whether
	// a StatusNotifierWatcher runs); it decides what closing the window does.
	available func() bool
}

// shown reports whether closing the window can hide it in a visible tray.
func (t *trayState) shown() bool {
	return t.host != nil && t.available != nil && t.available()
}

// setupTray puts Knocker in the system tray and keeps its menu current: at
// once when profiles or their health change, else once a minute until
// Knocker quits, since a menu refresh rebuilds the whole menu.
func (u *ui) setupTray(host trayHost, available func() bool) {
	u.tray.host, u.tray.available = host, available
	host.SetSystemTrayIcon(assets.Tray)
	u.updateTray()
	minute := time.NewTicker(time.Minute)
	go func() {
		defer minute.Stop()
		for {
			select {
			case <-minute.C:
				u.bridge.post("tray", u.tickTray)
			case <-u.ctx.Done():
				return
			}
		}
	}()
}

// updateTray rebuilds the tray menu now: profiles or their health changed.
func (u *ui) updateTray() {
	t := &u.tray
	if t.host == nil {
		return
	}
	if failing := u.auto.anyFailing(); failing != t.failing {
		t.failing = failing
		icon := assets.Tray
		if failing {
			icon = assets.IconFailing
		}
		t.host.SetSystemTrayIcon(icon)
	}
	t.updated = u.now()
	t.menu = u.trayMenu()
	t.host.SetSystemTrayMenu(t.menu)
}

// tickTray moves the menu's countdowns on, at most once a minute, since
// a menu refresh rebuilds the whole menu.
func (u *ui) tickTray() {
	if u.now().Sub(u.tray.updated) >= time.Minute {
		u.updateTray()
	}
}

// trayMenu lists every profile with its state, the auto-refresh switches,
// and the ways back to the window and out. A profile's state carries the
// list's icon, so a knock nobody checked never looks like an open port.
func (u *ui) trayMenu() *fyne.Menu {
	items := []*fyne.MenuItem{fyne.NewMenuItem(lang.L("Show Knocker"), u.showWindow), fyne.NewMenuItemSeparator()}
	var autos []*fyne.MenuItem
	for _, p := range u.list.profiles {
		entry, state := describeEntry(p, u.now(), inTray)
		failing := u.auto.failing(p.ID)
		if failing {
			state = lang.L("re-knock failing")
		}
		name := profile.Printable(p.Name)
		item := fyne.NewMenuItem(lang.L("Knock {{.Name}} — {{.State}}", tmpl{"Name": name, "State": state}), func() { u.knock(p) })
		item.Icon = trayIcon(entry, failing)
		items = append(items, item)
		if p.Timeout >= time.Second {
			item := fyne.NewMenuItem(name, func() { u.setAutoRefresh(p.ID, !p.AutoRefresh) })
			item.Checked = p.AutoRefresh
			autos = append(autos, item)
		}
	}
	if len(autos) > 0 {
		refresh := fyne.NewMenuItem(lang.L("Re-knock before expiry"), nil)
		refresh.ChildMenu = fyne.NewMenu("", autos...)
		items = append(items, fyne.NewMenuItemSeparator(), refresh)
	}
	login := fyne.NewMenuItem(lang.L("Start at login"), u.toggleAutostart)
	login.Checked, _ = autostart.Enabled()
	items = append(items, login, fyne.NewMenuItemSeparator(), fyne.NewMenuItem(lang.L("Quit"), u.quit))
	return fyne.NewMenu("Knocker", items...)
}

// trayIcon marks a tray item with the state's icon: a check for a port
// seen open, a sent letter for a knock nobody checked, a warning when
// re-knocking fails; none for the rest, which only wait for a knock. The
// desktop draws them in its own colours, so shapes, not colours, tell them
// apart.
func trayIcon(s entryState, failing bool) fyne.Resource {
	switch {
	case failing:
		return theme.ErrorIcon()
	case s == entryOpen:
		return theme.ConfirmIcon()
	case s == entrySent:
		return theme.MailSendIcon()
	}
	return nil
}

func (u *ui) toggleAutostart() {
	on, err := autostart.Enabled()
	if err == nil {
		if on {
			err = autostart.Disable()
		} else {
			var exe string
			if exe, err = os.Executable(); err == nil {
				err = autostart.Enable(exe)
			}
		}
	}
	u.banner.showError(err)
	u.updateTray()
}

// closeWindow hides the window to the tray when one is shown, and quits
// otherwise: Knocker never becomes an invisible process with no way back.
func (u *ui) closeWindow() {
	u.rememberPlace()
	if u.tray.shown() {
		u.win.Hide()
		u.hidden = true
		u.stopTicking()
		return
	}
	u.quit()
}

// rememberPlace keeps the window's size and split for the next run; a
// window never shown, or one that could not open, has nothing to keep.
func (u *ui) rememberPlace() {
	if u.opened && u.win.Content() == u.root {
		if err := u.place.remember(u.win.Canvas().Size(), u.split.Offset); err != nil {
			// The window is closing: a size not kept is not worth a dialog.
			fyne.LogError("keeping the window's size", err)
		}
	}
}

func (u *ui) showWindow() {
	u.redraw()
	u.win.Show()
	u.win.RequestFocus()
	u.tick()
	u.startTicking()
}

// quit stops every knock in flight and the scheduler, then the app.
func (u *ui) quit() {
	u.rememberPlace()
	u.cancelAll()
	u.auto.stop()
	u.app.Quit()
}
