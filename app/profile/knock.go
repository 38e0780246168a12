package profile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/knocker/knocker/knock"
)

// ErrNotRecorded wraps the error of a knock that was sent but whose time
// could not be saved: the router is open, the countdown will be wrong.
var ErrNotRecorded = errors.New("knocked, but could not record the time")

// Knock sends p's knock (p read with its secret, as by Get) through the
// engine with hooks, over network (nil: the system's), and records when
// the last step left, which is when the router's timeout starts. Each
// attempt sends steps made for it: for SPA a fresh packet, since fwknopd
// drops a packet it has seen.
func (b *Book) Knock(ctx context.Context, p Profile, hooks knock.Hooks, network knock.Network) (*knock.Result, error) {
	// Missing keys are reported before anything is looked up or sent.
	if err := p.secretLoaded(); err != nil {
		return nil, err
	}
	// Looked up once: every attempt of this knock asks for the same address.
	p, err := p.withPublicAddress(ctx, b.HTTP)
	if err != nil {
		return nil, err
	}
	first, err := p.KnockSteps(time.Now())
	if err != nil {
		return nil, err
	}
	k := p.Knocker()
	k.Hooks, k.Network = hooks, network
	res, err := k.KnockEach(ctx, p.Host, func(attempt int) ([]knock.Step, error) {
		if attempt == 1 {
			return first, nil
		}
		return p.KnockSteps(time.Now())
	})
	if err != nil {
		return res, err
	}
	if err := b.MarkKnocked(p.ID, LastSent(res)); err != nil {
		return res, fmt.Errorf("%w: %w", ErrNotRecorded, err)
	}
	return res, nil
}

// LastSent is when the last step of a knock left, or the zero time if none did.
func LastSent(res *knock.Result) time.Time {
	if res == nil || len(res.Steps) == 0 {
		return time.Time{}
	}
	return res.Steps[len(res.Steps)-1].Time
}
