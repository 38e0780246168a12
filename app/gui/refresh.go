package gui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock/schedule"
	"github.com/knocker/knocker/knock/schedule/netwatch"
)

// refresher keeps routers' entries fresh in the background: the scheduler,
// and the network watcher that tells it of a new network. What is planned
// and how re-knocking fares is the scheduler's own state, read through
// Status, never a copy that could drift from it.
type refresher struct {
	sched     *schedule.Scheduler
	watch     *netwatch.Watcher
	scheduled map[string]bool // profile IDs the scheduler knows
}

// start re-knocks auto-refresh profiles with knock: now for those not known
// to be fresh, later before each entry expires, and at once after a wake
// from sleep or, if asked, a network change. clock is nil outside tests.
func (r *refresher) start(clock schedule.Clock, knock schedule.KnockFunc, onEvent func(schedule.Event), network networkWatch) error {
	sched, err := schedule.New(schedule.Config{Clock: clock, Knock: knock, OnEvent: onEvent})
	if err != nil {
		return err
	}
	r.sched, r.scheduled = sched, map[string]bool{}
	sched.Start()
	if network == watchNetwork {
		r.watch, err = netwatch.Start(netwatch.Config{OnChange: func(_, _ netwatch.Snapshot) { sched.NetworkChanged() }})
	}
	return err
}

// sync tells the scheduler about the profiles as listed now, and says which
// it could not take.
func (r *refresher) sync(profiles []profile.Profile) []error {
	if r.sched == nil {
		return nil
	}
	var errs []error
	seen := map[string]bool{}
	for _, p := range profiles {
		if p.Timeout < time.Second {
			continue // nothing to refresh before: the router's timeout is unknown
		}
		seen[p.ID] = true
		sp := schedule.Profile{ID: p.ID, Timeout: p.Timeout, AutoRefresh: p.AutoRefresh, LastSuccess: p.LastKnocked}
		var err error
		if r.scheduled[p.ID] {
			err = r.sched.Update(sp)
		} else {
			err = r.sched.Add(sp)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", lang.L("auto-refresh of \"{{.Name}}\"", tmpl{"Name": profile.Printable(p.Name)}), err))
			continue
		}
		r.scheduled[p.ID] = true
	}
	for id := range r.scheduled {
		if !seen[id] {
			_ = r.sched.Remove(id)
			delete(r.scheduled, id)
		}
	}
	return errs
}

// status is the scheduler's plan for a profile it knows.
func (r *refresher) status(id string) (schedule.Status, bool) {
	if r.sched == nil || !r.scheduled[id] {
		return schedule.Status{}, false
	}
	return r.sched.Status(id)
}

// failing reports whether re-knocking the profile fails now.
func (r *refresher) failing(id string) bool {
	s, ok := r.status(id)
	return ok && s.Failures > 0
}

// anyFailing reports whether re-knocking fails for some profile.
func (r *refresher) anyFailing() bool {
	for id := range r.scheduled {
		if r.failing(id) {
			return true
		}
	}
	return false
}

// line says when the scheduler will knock p next, for the detail view.
func (r *refresher) line(p profile.Profile, now time.Time) string {
	s, ok := r.status(p.ID)
	if !ok || !p.AutoRefresh || s.Next.IsZero() {
		return ""
	}
	next := clockTimeSeconds(s.Next.In(now.Location()))
	if s.Failures > 0 {
		return lang.XN("refresh.failed", "re-knock failed {{.Count}} times; next try {{.Next}}", s.Failures, tmpl{"Count": s.Failures, "Next": next})
	}
	return lang.L("re-knock at {{.Next}}", tmpl{"Next": next})
}

// stop cancels planned and running re-knocks.
func (r *refresher) stop() {
	if r.watch != nil {
		r.watch.Stop()
		r.watch = nil
	}
	if r.sched != nil {
		r.sched.Close()
		r.sched = nil
	}
}
