package schedule_test

import (
	"context"
	"log"
	"time"

	"github.com/knocker/knocker/knock/schedule"
	"github.com/knocker/knocker/knock/schedule/netwatch"
)

// The wiring the app needs: a knock function, events for the UI and for
// persisting the last successful knock, and the network watcher.
func Example() {
	s, err := schedule.New(schedule.Config{
		Knock: func(ctx context.Context, id string) (time.Time, error) {
			// Look the profile up by id and run knock.Knocker with ctx;
			// return the time of the last step sent.
			return time.Now(), nil
		},
		OnEvent: func(ev schedule.Event) {
			if ev.Kind == schedule.Succeeded {
				log.Printf("persist last success of %s: %v", ev.ID, ev.Sent)
			}
			if ev.Notify() {
				log.Printf("notify: %s %v (%d failures)", ev.ID, ev.Kind, ev.Failures)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if err := s.Add(schedule.Profile{ID: "office", Timeout: 2 * time.Hour, AutoRefresh: true}); err != nil {
		log.Fatal(err)
	}
	s.Start()

	w, err := netwatch.Start(netwatch.Config{OnChange: func(_, _ netwatch.Snapshot) { s.NetworkChanged() }})
	if err != nil {
		log.Fatal(err)
	}
	defer w.Stop()
}
