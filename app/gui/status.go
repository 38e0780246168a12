package gui

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock/spa"
)

// entryState is what Knocker knows of the router's address-list entry.
type entryState int

const (
	neverKnocked entryState = iota
	entryOpen               // knocked, and the router's timeout has not run out
	entryExpired            // knocked, and the timeout has run out
	entryUnknown            // knocked, but the profile does not say how long it lasts
)

// entryStatus describes a profile's entry at now for the window: in
// minutes ("open for 1 h 52 min", "open for 42 min") and, in the last
// minutes when the moment matters, to the second ("open for 4:59").
// Every change of a text is a redraw of the whole window and a new texture;
// with 10 profiles under software GL, countdowns ticking each second cost
// about one point of a core and 15 MiB of cached textures, all day, for
// precision nobody needs two hours ahead.
func entryStatus(p profile.Profile, now time.Time) (entryState, string) {
	return status(p, now, func(left time.Duration) string {
		if left < secondsBelow {
			return clock(left)
		}
		return minutes(left)
	})
}

// secondsBelow is the time left under which countdowns show seconds.
const secondsBelow = 10 * time.Minute

// entryStatusMinutes is entryStatus always in minutes, for the tray menu,
// which changes at most once a minute.
func entryStatusMinutes(p profile.Profile, now time.Time) (entryState, string) {
	return status(p, now, minutes)
}

func status(p profile.Profile, now time.Time, left func(time.Duration) string) (entryState, string) {
	if p.LastKnocked.IsZero() {
		return neverKnocked, "never knocked"
	}
	if p.Timeout <= 0 {
		return entryUnknown, "knocked " + ago(now.Sub(p.LastKnocked))
	}
	d := p.LastKnocked.Add(p.Timeout).Sub(now)
	if d <= 0 {
		return entryExpired, "expired"
	}
	return entryOpen, "open for " + left(d)
}

// minutes formats a remaining time in whole minutes, rounded down once the
// seconds are rounded up, so it steps when clock's minute does.
func minutes(d time.Duration) string {
	m := int64((d+time.Second-1)/time.Second) / 60
	switch {
	case m >= 60:
		return fmt.Sprintf("%d h %d min", m/60, m%60)
	case m > 0:
		return fmt.Sprintf("%d min", m)
	}
	return "<1 min"
}

// clock formats a remaining time as M:SS; it rounds up so "0:00" never
// shows while the entry is still open.
func clock(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// ago formats an elapsed time in the largest sensible unit.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

// knockSummary describes what a profile sends, for the screen: protocols,
// ports and payload sizes of a sequence, or what an SPA packet asks for;
// never a payload or a key.
func knockSummary(p profile.Profile) string {
	if s := p.SPA; s != nil {
		port := s.Port
		if port == 0 {
			port = spa.DefaultPort
		}
		allow := "the sender's address"
		switch {
		case s.ResolveURL != "":
			allow = "the public address looked up at " + profile.Printable(urlHost(s.ResolveURL))
		case s.AllowIP.IsValid():
			allow = s.AllowIP.String()
		}
		return fmt.Sprintf("fwknop SPA packet to udp/%d asking for %s from %s", port, s.Access, allow)
	}
	parts := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		parts[i] = s.Summary()
	}
	return strings.Join(parts, ", then ")
}

// humanDuration writes a timeout the way people say it: 2h, 90m, 45s.
func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "not set"
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// urlHost is the host a URL names, or the URL if it names none.
func urlHost(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}
