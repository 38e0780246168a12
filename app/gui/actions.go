package gui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock/routerconf"
)

// The actions on profiles that the menu, the keys, the detail view and the
// tray share.

// knockSelected knocks the selected profile; it returns false when none is selected.
func (u *ui) knockSelected() bool {
	p, ok := u.list.selectedProfile()
	if !ok {
		return false
	}
	u.knock(p)
	return true
}

// knock sends p's sequence now, unless it is being knocked already.
func (u *ui) knock(p profile.Profile) {
	background(&u.bridge, "knock", func() (time.Time, error) {
		return u.runKnock(u.ctx, p.ID, userKnock)
	}, func(time.Time, error) {})
}

// newProfile opens an empty form.
func (u *ui) newProfile() {
	u.openEditor(profile.Profile{Timeout: routerconf.DefaultTimeout}, createProfile)
}

// withSteps reads the selected profile's steps from the keyring, off the UI
// goroutine, and hands the whole profile to then; a keyring failure goes to
// the banner.
func (u *ui) withSteps(what string, then func(profile.Profile)) {
	p, ok := u.list.selectedProfile()
	if !ok {
		return
	}
	background(&u.bridge, what, func() (profile.Profile, error) {
		return u.book.GetID(context.Background(), p.ID)
	}, func(full profile.Profile, err error) {
		u.banner.showError(err)
		if err == nil {
			then(full)
		}
	})
}

func (u *ui) editSelected() {
	u.withSteps("edit", func(p profile.Profile) { u.openEditor(p, changeProfile) })
}

// duplicateSelected opens a copy of the selected profile under a free name.
func (u *ui) duplicateSelected() {
	u.withSteps("duplicate", func(p profile.Profile) {
		p.Name = u.freeName(lang.L("{{.Name}} copy", tmpl{"Name": p.Name}))
		p.LastKnocked = time.Time{}
		u.openEditor(p, createProfile)
	})
}

// freeName returns name, or name with a number, whichever no profile has.
func (u *ui) freeName(name string) string {
	l := profile.List{Profiles: u.list.profiles}
	candidate := name
	for i := 2; l.Index(candidate) >= 0; i++ {
		candidate = fmt.Sprintf("%s %d", name, i)
	}
	return candidate
}

// setAutoRefresh saves the switch; it needs no keyring.
func (u *ui) setAutoRefresh(id string, on bool) {
	if id == "" {
		return
	}
	background(&u.bridge, "auto-refresh", func() (struct{}, error) {
		return struct{}{}, u.book.SetAutoRefresh(id, on)
	}, func(_ struct{}, err error) {
		u.banner.showError(err)
		u.reload()
	})
}

// deleteSelected asks, then deletes the profile and its keyring secret.
func (u *ui) deleteSelected() {
	p, ok := u.list.selectedProfile()
	if !ok {
		return
	}
	msg := lang.L("Delete \"{{.Name}}\" and its secret knock from the keyring?\nThis cannot be undone; export it first to keep a copy.",
		tmpl{"Name": profile.Printable(p.Name)})
	confirm := u.askText(lang.L("Delete profile"), lang.L("Delete"), lang.L("Cancel"), msg, enterIgnored, func(yes bool) {
		if !yes {
			return
		}
		background(&u.bridge, "deleted", func() (struct{}, error) {
			return struct{}{}, u.book.DeleteID(context.Background(), p.ID)
		}, func(_ struct{}, err error) {
			u.banner.showError(err)
			if err == nil {
				u.log.forget(p.ID)
			}
			u.reload()
		})
	})
	confirm.SetConfirmImportance(widget.DangerImportance)
}
