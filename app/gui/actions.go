package gui

import (
	"context"
	"fmt"
	"time"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock/routerconf"
)

// newProfile opens an empty form.
func (u *ui) newProfile() {
	u.openEditor(profile.Profile{Timeout: routerconf.DefaultTimeout}, true)
}

// withSteps reads the selected profile's steps from the keyring, off the UI
// goroutine, and hands the whole profile to then; a keyring failure goes to
// the banner.
func (u *ui) withSteps(what string, then func(profile.Profile)) {
	p, ok := u.selectedProfile()
	if !ok {
		return
	}
	background(&u.bridge, what, func() (profile.Profile, error) {
		return u.book.Get(context.Background(), p.Name)
	}, func(full profile.Profile, err error) {
		if err != nil {
			u.showError(err)
			return
		}
		u.showError(nil)
		then(full)
	})
}

func (u *ui) editSelected() {
	u.withSteps("edit", func(p profile.Profile) { u.openEditor(p, false) })
}

// duplicateSelected opens a copy of the selected profile under a free name.
func (u *ui) duplicateSelected() {
	u.withSteps("duplicate", func(p profile.Profile) {
		p.Name = u.freeName(p.Name + " copy")
		p.LastKnocked = time.Time{}
		u.openEditor(p, true)
	})
}

// freeName returns name, or name with a number, whichever no profile has.
func (u *ui) freeName(name string) string {
	taken := func(n string) bool {
		l := profile.List{Profiles: u.profiles}
		return l.Index(n) >= 0
	}
	candidate := name
	for i := 2; taken(candidate); i++ {
		candidate = fmt.Sprintf("%s %d", name, i)
	}
	return candidate
}

// stepsText is the selected profile's steps summary, read from the keyring
// in the background the first time it is needed.
func (u *ui) stepsText(p profile.Profile) string {
	if s, ok := u.summaries[p.ID]; ok {
		return s
	}
	const reading = "reading the keyring…"
	u.summaries[p.ID] = reading
	background(&u.bridge, "steps", func() (profile.Profile, error) {
		return u.book.Get(context.Background(), p.Name)
	}, func(full profile.Profile, err error) {
		if err != nil {
			u.summaries[p.ID] = "unavailable: " + err.Error()
		} else {
			u.summaries[p.ID] = knockSummary(full)
		}
		u.showSelected()
	})
	return reading
}

// setAutoRefresh saves the switch; it needs no keyring.
func (u *ui) setAutoRefresh(id string, on bool) {
	if id == "" {
		return
	}
	background(&u.bridge, "auto-refresh", func() (struct{}, error) {
		return struct{}{}, u.book.SetAutoRefresh(id, on)
	}, func(_ struct{}, err error) {
		u.showError(err)
		u.reload()
	})
}
