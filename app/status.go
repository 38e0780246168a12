package app

import (
	"fmt"
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

// entryStatus describes a profile's entry at now, e.g. "open for 1:52:10".
func entryStatus(p profile.Profile, now time.Time) (entryState, string) {
	if p.LastKnocked.IsZero() {
		return neverKnocked, "never knocked"
	}
	if p.Timeout <= 0 {
		return entryUnknown, "knocked " + ago(now.Sub(p.LastKnocked))
	}
	left := p.LastKnocked.Add(p.Timeout).Sub(now)
	if left <= 0 {
		return entryExpired, "expired"
	}
	return entryOpen, "open for " + clock(left)
}

// clock formats a remaining time as H:MM:SS, or M:SS under an hour; it
// rounds up so "0:00" never shows while the entry is still open.
func clock(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
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
		if s.AllowIP.IsValid() {
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
