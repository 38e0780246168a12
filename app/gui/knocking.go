package gui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock"
)

// errBusy means the profile is being knocked already; that knock serves.
var errBusy = errors.New("already knocking")

// knockGate lets one knock per profile run at a time, whoever starts it:
// the Knock button, the tray, or the scheduler.
type knockGate struct {
	mu   sync.Mutex
	busy map[string]chan struct{}
}

// whenBusy says what a knock does about one of the same profile running.
type whenBusy int

const (
	skipIfBusy whenBusy = iota // a click does not queue a second knock behind it
	waitIfBusy                 // a scheduled knock waits for the running one to end
)

// enter marks id busy, or waits or fails as busy says if it is already.
func (g *knockGate) enter(ctx context.Context, id string, busy whenBusy) (leave func(), err error) {
	for {
		g.mu.Lock()
		running, isBusy := g.busy[id]
		if !isBusy {
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
		if busy == skipIfBusy {
			return nil, errBusy
		}
		select {
		case <-running:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// knockRequest says who asks for a knock.
type knockRequest struct {
	// why is "" for the user, else the scheduler's reason; a user's knock
	// verified open goes on to the profile's URL, a re-knock never does.
	why  string
	busy whenBusy
}

var userKnock = knockRequest{busy: skipIfBusy}

// runKnock knocks the profile with id, showing its progress in the window,
// and returns when the last step was sent. It runs on any goroutine but the
// UI's: secrets come from the keyring and packets leave through the engine,
// and every screen update goes through the bridge.
func (u *ui) runKnock(ctx context.Context, id string, req knockRequest) (time.Time, error) {
	leave, err := u.gate.enter(ctx, id, req.busy)
	if err != nil {
		return time.Time{}, err
	}
	defer leave()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	run := &knockRun{cancel: cancel}
	u.bridge.post("started", func() {
		u.log.start(id, run)
		u.refresh()
	})
	show := func() {
		if id == u.list.selected {
			u.showSelected()
		}
	}
	hooks := u.bridge.knockHooks(
		func(e knock.StepEvent) {
			run.steps, run.total = e.Index+1, e.Count
			run.lines = append(run.lines, stepProgress(e))
			show()
		},
		func(e knock.VerifyEvent) {
			run.lines = append(run.lines, verifyState(e))
			show()
		},
		func(e knock.ResolvedEvent) {
			if e.Host != e.Addr.String() {
				run.lines = append(run.lines, lang.L("{{.Host}} is {{.Addr}}", tmpl{"Host": profile.Printable(e.Host), "Addr": e.Addr}))
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
		outcome := knockOutcome(res, err)
		if req.why != "" {
			outcome = lang.L("re-knock (auto): {{.Outcome}}", tmpl{"Outcome": outcome})
		}
		u.log.finish(id, run, err == nil, outcome, u.now())
		if req.why == "" && err == nil && res.Verify != nil && res.Verify.Open {
			u.afterKnock(id)
		}
		u.reload()
	})
	return sent, err
}

// knockProfile reads the profile with id and its secret, and knocks.
func (u *ui) knockProfile(ctx context.Context, id string, hooks knock.Hooks) (*knock.Result, error) {
	p, err := u.book.GetID(ctx, id)
	if err != nil {
		return nil, err
	}
	return u.book.Knock(ctx, p, hooks, u.network)
}

// afterKnock opens the profile's URL, if it has one, through the desktop's
// handler for its scheme: a user's knock verified open leads on to the
// service, as an SSH or Winbox link would. Nothing runs through a shell. A
// URL that came in with an imported file is opened only once the user has
// seen it and agreed, which is asked once.
func (u *ui) afterKnock(id string) {
	p, ok := u.list.byID(id)
	if !ok || p.OpenURL == "" {
		return
	}
	if !p.NeedsOpenURLConsent() {
		u.openAfterKnock(p.OpenURL)
		return
	}
	msg := lang.L("{{.Name}} is open. Its profile came from an imported file and asks to open\n\n{{.URL}}\n\n"+
		"Open it now, and from now on after each knock?", tmpl{"Name": profile.Printable(p.Name), "URL": p.OpenURL})
	u.askText(lang.L("Open this address?"), lang.L("Open"), lang.L("Not now"), msg, enterConfirms, func(yes bool) {
		if !yes {
			return // asked again after the next knock
		}
		background(&u.bridge, "consent", func() (struct{}, error) {
			return struct{}{}, u.book.ConsentOpenURL(p.ID, p.OpenURL)
		}, func(_ struct{}, err error) {
			if err != nil {
				u.banner.showError(err)
				return
			}
			u.openAfterKnock(p.OpenURL)
			u.reload()
		})
	})
}

func (u *ui) openAfterKnock(address string) {
	target, err := url.Parse(address)
	if err == nil {
		err = u.openURL(target)
	}
	if err != nil {
		u.banner.showError(fmt.Errorf("%s: %w", lang.L("knocked, but could not open {{.URL}}", tmpl{"URL": address}), err))
	}
}

// stepProgress is a step's line in the run log: step 1/3 udp/1234 sent.
func stepProgress(e knock.StepEvent) string {
	line := lang.L("step {{.Number}}/{{.Count}} {{.Step}} sent", tmpl{"Number": e.Index + 1, "Count": e.Count, "Step": stepSummary(e.Step)})
	if e.Attempt > 1 {
		line += " " + lang.L("(knock {{.Attempt}})", tmpl{"Attempt": e.Attempt})
	}
	return line
}

// verifyState is the check's line in the run log.
func verifyState(e knock.VerifyEvent) string {
	if e.Open {
		return lang.L("port {{.Port}} open", tmpl{"Port": e.Port})
	}
	return lang.L("port {{.Port}} still closed", tmpl{"Port": e.Port})
}
