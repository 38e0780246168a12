package gui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/schedule"
	"github.com/knocker/knocker/knock/schedule/netwatch"
)

// errBusy means the profile is being knocked already; that knock serves.
var errBusy = errors.New("already knocking")

// knockGate lets one knock per profile run at a time, whoever starts it:
// the Knock button, the tray, or the scheduler.
type knockGate struct {
	mu   sync.Mutex
	busy map[string]chan struct{}
}

// enter marks id busy. If it is busy already, a scheduled knock waits for
// the running one to end; a click does not queue a second knock behind it.
func (g *knockGate) enter(ctx context.Context, id string, wait bool) (leave func(), err error) {
	for {
		g.mu.Lock()
		running, busy := g.busy[id]
		if !busy {
			done := make(chan struct{})
			if g.busy == nil {
				g.busy = map[string]chan struct{}{}
			}
			g.busy[id] = done
			g.mu.Unlock()
			return func() {
				g.mu.Lock()
				delete(g.busy, id)
				g.mu.Unlock()
				close(done)
			}, nil
		}
		g.mu.Unlock()
		if !wait {
			return nil, errBusy
		}
		select {
		case <-running:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// runKnock knocks the profile with id, showing its progress in the window,
// and returns when the last step was sent. It runs on any goroutine but the
// UI's: secrets come from the keyring and packets leave through the engine,
// and every screen update goes through the bridge. why says who asked
// ("" for the user, else the scheduler's reason).
func (u *ui) runKnock(ctx context.Context, id, why string, wait bool) (time.Time, error) {
	leave, err := u.gate.enter(ctx, id, wait)
	if err != nil {
		return time.Time{}, err
	}
	defer leave()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	run := &knockRun{cancel: cancel}
	u.bridge.post("started", func() {
		u.runs[id], u.results[id] = run, ""
		u.refresh()
	})
	show := func() { u.showRun(id) }
	hooks := u.bridge.knockHooks(
		func(e knock.StepEvent) {
			run.steps, run.total = e.Index+1, e.Count
			attempt := ""
			if e.Attempt > 1 {
				attempt = fmt.Sprintf(" (knock %d)", e.Attempt)
			}
			run.lines = append(run.lines, fmt.Sprintf("step %d/%d %s sent%s", e.Index+1, e.Count, e.Step.Summary(), attempt))
			show()
		},
		func(e knock.VerifyEvent) {
			state := "still closed"
			if e.Open {
				state = "open"
			}
			run.lines = append(run.lines, fmt.Sprintf("port %d %s", e.Port, state))
			show()
		},
		func(e knock.ResolvedEvent) {
			if e.Host != e.Addr.String() {
				run.lines = append(run.lines, fmt.Sprintf("%s is %v", e.Host, e.Addr))
				show()
			}
		},
	)
	res, err := u.knockProfile(ctx, id, hooks)
	var sent time.Time
	if err == nil {
		sent = profile.LastSent(res)
	}
	u.bridge.post("knocked", func() {
		run.done, run.ok = true, err == nil
		text := knockOutcome(res, err)
		if why != "" {
			text = "re-knock (" + why + "): " + text
		}
		u.results[id] = text
		if why == "" && err == nil && res.Verify != nil && res.Verify.Open {
			u.afterKnock(id)
		}
		u.history[id] = append([]historyEntry{{at: u.now(), text: text}}, u.history[id]...)
		if len(u.history[id]) > maxHistory {
			u.history[id] = u.history[id][:maxHistory]
		}
		u.reload()
	})
	return sent, err
}

// afterKnock opens the profile's URL, if it has one, through the desktop's
// handler for its scheme: a user's knock verified open leads on to the
// service, as an SSH or Winbox link would. Nothing runs through a shell.
func (u *ui) afterKnock(id string) {
	p, ok := u.profileByID(id)
	if !ok || p.OpenURL == "" {
		return
	}
	target, err := url.Parse(p.OpenURL)
	if err == nil {
		err = u.openURL(target)
	}
	if err != nil {
		u.showError(fmt.Errorf("knocked, but could not open %s: %w", p.OpenURL, err))
	}
}

// knockProfile reads the profile with id and its secret, and knocks.
func (u *ui) knockProfile(ctx context.Context, id string, hooks knock.Hooks) (*knock.Result, error) {
	l, err := u.book.List()
	if err != nil {
		return nil, err
	}
	var name string
	for _, p := range l.Profiles {
		if p.ID == id {
			name = p.Name
		}
	}
	if name == "" {
		return nil, errors.New("the profile was deleted")
	}
	p, err := u.book.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	return u.book.Knock(ctx, p, hooks, u.network)
}

// refresher keeps routers' entries fresh in the background: the scheduler
// and the network watcher, wired to the window and the tray.
type refresher struct {
	sched     *schedule.Scheduler
	watch     *netwatch.Watcher
	scheduled map[string]bool      // profile IDs the scheduler knows
	next      map[string]time.Time // planned re-knocks
	failures  map[string]int       // current failure streaks
}

// startRefresh starts re-knocking auto-refresh profiles: now for those not
// known to be fresh, later before each entry expires, and at once after a
// wake from sleep or a network change. clock is nil outside tests.
func (u *ui) startRefresh(clock schedule.Clock, watchNetwork bool) error {
	sched, err := schedule.New(schedule.Config{
		Clock: clock,
		Knock: func(ctx context.Context, id string) (time.Time, error) {
			return u.runKnock(ctx, id, "auto", true)
		},
		OnEvent: func(ev schedule.Event) { u.bridge.post("schedule", func() { u.onScheduleEvent(ev) }) },
	})
	if err != nil {
		return err
	}
	u.auto.sched = sched
	u.auto.scheduled = map[string]bool{}
	u.auto.next = map[string]time.Time{}
	u.auto.failures = map[string]int{}
	u.syncSchedule()
	sched.Start()
	if watchNetwork {
		u.auto.watch, err = netwatch.Start(netwatch.Config{OnChange: func(_, _ netwatch.Snapshot) { sched.NetworkChanged() }})
	}
	return err
}

// syncSchedule tells the scheduler about the profiles as listed now.
func (u *ui) syncSchedule() {
	r := &u.auto
	if r.sched == nil {
		return
	}
	seen := map[string]bool{}
	for _, p := range u.profiles {
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
			u.showError(fmt.Errorf("auto-refresh of %q: %w", p.Name, err))
			continue
		}
		r.scheduled[p.ID] = true
	}
	for id := range r.scheduled {
		if !seen[id] {
			_ = r.sched.Remove(id)
			delete(r.scheduled, id)
			delete(r.next, id)
			delete(r.failures, id)
		}
	}
}

func (u *ui) onScheduleEvent(ev schedule.Event) {
	r := &u.auto
	switch ev.Kind {
	case schedule.Planned:
		r.next[ev.ID] = ev.Next
	case schedule.Failed:
		r.failures[ev.ID] = ev.Failures
	case schedule.Succeeded:
		delete(r.failures, ev.ID)
	}
	if ev.Notify() {
		u.notify(ev)
	}
	u.updateTray(true)
	u.showSelected()
}

// notify tells the user once when re-knocking starts failing, and once when
// it works again; the retries in between stay quiet.
func (u *ui) notify(ev schedule.Event) {
	name := ev.ID
	if p, ok := u.profileByID(ev.ID); ok {
		name = p.Name
	}
	msg := name + ": re-knocking works again"
	if ev.Kind == schedule.Failed {
		msg = fmt.Sprintf("%s: re-knock failed (%v); retrying", name, ev.Err)
	}
	u.sendNotification(fyne.NewNotification("Knocker", msg))
}

// refreshLine says when the scheduler will knock next, for the detail view.
func (u *ui) refreshLine(p profile.Profile) string {
	r := &u.auto
	if r.sched == nil || !p.AutoRefresh || !r.scheduled[p.ID] {
		return ""
	}
	next, planned := r.next[p.ID]
	switch {
	case r.failures[p.ID] > 0 && planned:
		return fmt.Sprintf("re-knock failed %d %s; next try %s", r.failures[p.ID], plural(r.failures[p.ID], "time", "times"), next.Local().Format("15:04:05"))
	case planned:
		return "re-knock at " + next.Local().Format("15:04:05")
	}
	return ""
}

// stopRefresh cancels planned and running re-knocks; Quit calls it.
func (u *ui) stopRefresh() {
	if u.auto.watch != nil {
		u.auto.watch.Stop()
		u.auto.watch = nil
	}
	if u.auto.sched != nil {
		u.auto.sched.Close()
		u.auto.sched = nil
	}
}

// profileByID finds a listed profile.
func (u *ui) profileByID(id string) (profile.Profile, bool) {
	for _, p := range u.profiles {
		if p.ID == id {
			return p, true
		}
	}
	return profile.Profile{}, false
}
