package gui

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/spa"
)

// entryState is what Knocker knows of the router's address-list entry.
type entryState int

const (
	neverKnocked entryState = iota
	entryOpen               // knocked, the check port answered, and the router's timeout has not run out
	entrySent               // knocked with no check: the steps left, and the router should keep the entry until the timeout, if one is set
	entryExpired            // knocked, and the timeout has run out
	entryUnknown            // knocked and checked, but the profile does not say how long it lasts
)

// statusPlace is where a profile's state is shown; each has room for a
// different length of text.
type statusPlace int

const (
	inList   statusPlace = iota // a row's right end: short, the countdown to the second near the end
	inDetail                    // the detail view: the whole story
	inTray                      // the tray menu: in minutes, as it changes at most once a minute
)

// entryStatus describes a profile's entry at now for the list: in
// minutes ("open for 1 h 52 min", "open for 42 min") and, in the last
// minutes when the moment matters, to the second ("open for 4:59").
// Every change of a text is a redraw of the whole window and a new texture;
// with 10 profiles under software GL, countdowns ticking each second cost
// about one point of a core and 15 MiB of cached textures, all day, for
// precision nobody needs two hours ahead.
//
// Only a knock whose check port answered is "open": without a check,
// Knocker knows only that it sent the steps, and says when, and until when
// the router should keep the address if the knock was right.
func entryStatus(p profile.Profile, now time.Time) (entryState, string) {
	return describeEntry(p, now, inList)
}

// secondsBelow is the time left under which countdowns show seconds.
const secondsBelow = 10 * time.Minute

func describeEntry(p profile.Profile, now time.Time, place statusPlace) (entryState, string) {
	if p.LastKnocked.IsZero() {
		return neverKnocked, lang.L("never knocked")
	}
	sent := p.LastKnocked.In(now.Location())
	if p.Timeout <= 0 {
		state := entryUnknown
		if p.Verify == nil {
			state = entrySent // nobody checked either: the sent icon, never a check mark
		}
		return state, lang.L("knocked {{.Ago}}", tmpl{"Ago": ago(now.Sub(sent))})
	}
	until := sent.Add(p.Timeout)
	d := until.Sub(now)
	if d <= 0 {
		return entryExpired, lang.L("expired")
	}
	// A profile with a check port records a knock only once the port
	// answered (profile.Book.Knock): its entry was seen open.
	if p.Verify == nil {
		data := tmpl{"At": when(sent, now), "Until": when(until, now)}
		switch place {
		case inList:
			return entrySent, lang.L("knocked {{.At}} · until {{.Until}}", data)
		case inTray:
			return entrySent, lang.L("knocked {{.At}}, the router should keep you until {{.Until}}", data)
		}
		return entrySent, lang.L("knocked {{.At}}, not checked (no check port): the router should keep you until {{.Until}}", data)
	}
	left := minutes(d)
	if place != inTray && d < secondsBelow {
		left = clock(d)
	}
	if place == inTray {
		return entryOpen, lang.L("open {{.Time}}", tmpl{"Time": left})
	}
	return entryOpen, lang.L("open for {{.Time}}", tmpl{"Time": left})
}

// minutes formats a remaining time in whole minutes, rounded down once the
// seconds are rounded up, so it steps when clock's minute does.
func minutes(d time.Duration) string {
	m := int64((d+time.Second-1)/time.Second) / 60
	if m == 0 {
		return lang.L("<1 min")
	}
	return hoursMinutes(m)
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
		return lang.L("just now")
	case d < time.Hour:
		n := int(d / time.Minute)
		return lang.XN("ago.minutes", "{{.Count}} min ago", n, tmpl{"Count": n})
	case d < 48*time.Hour:
		n := int(d / time.Hour)
		return lang.XN("ago.hours", "{{.Count}} h ago", n, tmpl{"Count": n})
	}
	n := int(d / (24 * time.Hour))
	return lang.XN("ago.days", "{{.Count}} days ago", n, tmpl{"Count": n})
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
		allow := lang.L("the sender's address")
		switch {
		case s.ResolveURL != "":
			allow = lang.L("the public address looked up at {{.Host}}", tmpl{"Host": profile.Printable(urlHost(s.ResolveURL))})
		case s.AllowIP.IsValid():
			allow = s.AllowIP.String()
		}
		return lang.L("fwknop SPA packet to udp/{{.Port}} asking for {{.Access}} from {{.Allow}}",
			tmpl{"Port": port, "Access": s.Access, "Allow": allow})
	}
	parts := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		parts[i] = stepSummary(s)
	}
	return strings.Join(parts, lang.L(", then "))
}

// stepSummary is a step as the window shows it: udp/1234 (4-byte payload).
func stepSummary(s knock.Step) string {
	target := "icmp"
	if s.Proto != knock.ICMP {
		target = fmt.Sprintf("%s/%d", s.Proto, s.Port)
	}
	if n := len(s.Payload.Data); n > 0 {
		return lang.XN("step.withPayload", "{{.Step}} ({{.Count}}-byte payload)", n, tmpl{"Step": target, "Count": n})
	}
	return target
}

// humanDuration writes a timeout the way people say it: 2h, 90m, 45s. It
// is also what the editor's timeout field reads back, so it stays in Go's
// units in every language.
func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
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
