package gui

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/knocker/knocker/knock"
)

// maxHistory is how many recent knocks the detail view lists per profile.
const maxHistory = 20

// historyEntry is one knock in the detail view's history.
type historyEntry struct {
	at   time.Time
	text string
}

// String stamps the line with dayAndTime, whose day is padded, so the
// column of outcomes does not shift between the 9th and the 10th.
func (e historyEntry) String() string { return dayAndTime(e.at) + "  " + e.text }

// knockRun is one knock in progress or just finished.
type knockRun struct {
	cancel context.CancelFunc
	steps  int // sent so far in this attempt
	total  int
	lines  []string
	done   bool
	ok     bool // finished without error
}

// knockLog is what this session's knocks did, per profile ID: the knock
// running or run last, the last outcome in words, and the recent history.
// Like every part of the window it belongs to Fyne's goroutine.
type knockLog struct {
	runs    map[string]*knockRun
	results map[string]string
	history map[string][]historyEntry // newest first
}

func newKnockLog() *knockLog {
	return &knockLog{runs: map[string]*knockRun{}, results: map[string]string{}, history: map[string][]historyEntry{}}
}

// start shows run as the profile's knock, in place of the last outcome.
func (l *knockLog) start(id string, run *knockRun) {
	l.runs[id], l.results[id] = run, ""
}

// finish records how the profile's run ended, at the time given.
func (l *knockLog) finish(id string, run *knockRun, ok bool, outcome string, at time.Time) {
	run.done, run.ok = true, ok
	l.results[id] = outcome
	l.history[id] = append([]historyEntry{{at: at, text: outcome}}, l.history[id]...)
	if len(l.history[id]) > maxHistory {
		l.history[id] = l.history[id][:maxHistory]
	}
}

// forget drops what is known of a deleted profile.
func (l *knockLog) forget(id string) {
	delete(l.runs, id)
	delete(l.results, id)
	delete(l.history, id)
}

// running reports whether the profile is being knocked now.
func (l *knockLog) running(id string) bool {
	run := l.runs[id]
	return run != nil && !run.done
}

// failed reports whether the profile's last knock in this session failed.
func (l *knockLog) failed(id string) bool {
	run := l.runs[id]
	return run != nil && run.done && !run.ok
}

// cancel stops the profile's knock at once, if one runs.
func (l *knockLog) cancel(id string) {
	if l.running(id) {
		l.runs[id].cancel()
	}
}

// knockOutcome says in a few plain words how a knock ended.
func knockOutcome(res *knock.Result, err error) string {
	var notOpen *knock.NotOpenError
	switch {
	case errors.Is(err, context.Canceled):
		return lang.L("cancelled")
	case errors.As(err, &notOpen):
		return lang.L("sent, port {{.Port}} still closed", tmpl{"Port": notOpen.Port})
	case err != nil:
		return lang.L("failed: {{.Err}}", tmpl{"Err": err})
	case res.Verify != nil:
		return lang.L("port {{.Port}} open", tmpl{"Port": res.Verify.Port})
	}
	n := len(res.Steps)
	return lang.XN("outcome.sent", "sent {{.Count}} steps to {{.Addr}}, not checked", n, tmpl{"Count": n, "Addr": res.Addr})
}
