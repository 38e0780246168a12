package gui

import (
	"sync/atomic"

	"fyne.io/fyne/v2"

	"github.com/knocker/knocker/knock"
)

// bridge is the one crossing from background goroutines (keyring calls,
// knocks, file reads, the countdown ticker) to Fyne's goroutine, where every
// widget and every field of ui is touched. Nothing else calls fyne.Do.
type bridge struct {
	// dispatch runs an update on the UI goroutine; nil means fyne.Do. Tests
	// queue updates and run them on the test goroutine, which plays Fyne's
	// event loop there (the test driver's fyne.Do would run them at once on
	// the background goroutine, racing the test).
	dispatch func(what string, update func())
	pending  atomic.Int64 // background work whose outcome has not been posted yet
}

// background runs work off the UI goroutine, since a keyring may wait
// seconds for an unlock prompt and a knock may take minutes, then hands the
// outcome to done on the UI goroutine.
func background[T any](b *bridge, what string, work func() (T, error), done func(T, error)) {
	b.pending.Add(1)
	go func() {
		v, err := work()
		b.post(what, func() { done(v, err) })
		b.pending.Add(-1)
	}()
}

// post runs update on the UI goroutine.
func (b *bridge) post(what string, update func()) {
	if b.dispatch != nil {
		b.dispatch(what, update)
		return
	}
	fyne.Do(update)
}

// knockHooks forwards the engine's progress events to the UI goroutine.
func (b *bridge) knockHooks(step func(knock.StepEvent), verified func(knock.VerifyEvent), resolved func(knock.ResolvedEvent)) knock.Hooks {
	return knock.Hooks{
		StepSent: func(e knock.StepEvent) { b.post("step", func() { step(e) }) },
		Verified: func(e knock.VerifyEvent) { b.post("verify", func() { verified(e) }) },
		Resolved: func(e knock.ResolvedEvent) { b.post("resolved", func() { resolved(e) }) },
	}
}
