package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/schedule"
	"github.com/knocker/knocker/knock/schedule/netwatch"
)

const keepUsage = `Usage: knocker keep [-v] NAME...

Keep the saved profiles' router entries open without a window: knock now,
again before each entry expires (the profile's router timeout, less a
margin of 10 %, at least 30 s, at most half), at once after a wake from
sleep or a network change, and with growing pauses while knocks fail.
Runs until interrupted (Ctrl+C), printing one line per knock.
  -v    also print each step as it is sent`

// keepPrinter prints the scheduler's events; a mutex keeps lines whole.
type keepPrinter struct {
	mu    sync.Mutex
	w     io.Writer
	names map[string]string
}

func (p *keepPrinter) printf(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, time.Now().Format("15:04:05")+" "+format+"\n", a...)
}

func (p *keepPrinter) event(ev schedule.Event) {
	name := p.names[ev.ID]
	switch ev.Kind {
	case schedule.Succeeded:
		p.printf("%s: knocked; open until %s", name, ev.Expires.Format("15:04:05"))
	case schedule.Failed:
		p.printf("%s: knock failed: %v (%d in a row)", name, ev.Err, ev.Failures)
	case schedule.Planned:
		if !ev.Next.IsZero() {
			p.printf("%s: next knock at %s (%s)", name, ev.Next.Format("15:04:05"), ev.Reason)
		}
	}
}

func runKeep(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet("keep")
	verbose := fs.Bool("v", false, "")
	names, err := parseFlags(fs, env, args, keepUsage)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return usagef("want one or more profile NAMEs (see knocker list)")
	}
	book, err := env.book()
	if err != nil {
		return err
	}
	// Secrets are read once, at start: a keyring that locks later does not
	// stop the refreshing.
	profiles := map[string]profile.Profile{}
	printer := &keepPrinter{w: env.Stdout, names: map[string]string{}}
	for _, name := range names {
		p, err := book.Get(ctx, name)
		if err != nil {
			return bookErr(err)
		}
		if p.Timeout < time.Second {
			return usagef("profile %q has no router timeout, so there is nothing to refresh before (edit it to set one)", p.Name)
		}
		profiles[p.ID], printer.names[p.ID] = p, p.Name
	}

	var hooks knock.Hooks
	if *verbose {
		hooks = verboseHooks(env.Stdout)
	}
	sched, err := schedule.New(schedule.Config{
		Knock: func(ctx context.Context, id string) (time.Time, error) {
			p := profiles[id]
			res, err := book.Knock(ctx, p, hooks, nil)
			if errors.Is(err, profile.ErrNotRecorded) {
				printer.printf("%s: %v", p.Name, err)
				err = nil // the router is open; only the saved time is stale
			}
			return profile.LastSent(res), err
		},
		OnEvent: printer.event,
	})
	if err != nil {
		return err
	}
	for id, p := range profiles {
		// Always on here, whatever the profile's switch: naming it asked for it.
		if err := sched.Add(schedule.Profile{ID: id, Timeout: p.Timeout, AutoRefresh: true, LastSuccess: p.LastKnocked}); err != nil {
			sched.Close()
			return usageError{err}
		}
	}
	sched.Start()
	watch, err := netwatch.Start(netwatch.Config{OnChange: func(_, _ netwatch.Snapshot) {
		printer.printf("network changed: knocking again")
		sched.NetworkChanged()
	}})
	if err != nil {
		printer.printf("not watching the network: %v", err)
	}
	<-ctx.Done()
	if watch != nil {
		watch.Stop()
	}
	sched.Close()
	return nil
}
