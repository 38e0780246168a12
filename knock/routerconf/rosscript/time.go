package rosscript

import (
	"errors"
	"regexp"
	"strconv"
	"time"
)

// RouterOS writes times as 1w2d3h4m5s600ms, or (v6, and v7's print) as
// [Nd]HH:MM:SS; "none-dynamic" and "none-static" are no timeout at all.
var (
	unitTimeRE  = regexp.MustCompile(`^(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$`)
	clockTimeRE = regexp.MustCompile(`^(?:(\d+)d ?)?(\d{1,2}):(\d\d):(\d\d)$`)
)

// maxTime keeps sums far from overflowing: RouterOS's own limit is lower.
const maxTime = 100 * 365 * 24 * time.Hour

// ParseTime reads a RouterOS time. A zero time and "none-..." are 0: no
// timeout, the entry stays until removed or, if dynamic, until a reboot.
func ParseTime(v string) (time.Duration, error) {
	switch v {
	case "none-dynamic", "none-static":
		return 0, nil
	}
	var parts []string
	var units []time.Duration
	if m := unitTimeRE.FindStringSubmatch(v); v != "" && m != nil {
		units = []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute, time.Second, time.Millisecond}
		for i, p := range m[1:] {
			if p != "" {
				p = p[:len(p)-1]
				if i == 5 {
					p = p[:len(p)-1]
				}
			}
			parts = append(parts, p)
		}
	} else if m := clockTimeRE.FindStringSubmatch(v); m != nil {
		units = []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second}
		parts = m[1:]
	} else {
		return 0, errors.New("want a time such as 2h, 1m30s or 00:30:00")
	}
	var d time.Duration
	for i, p := range parts {
		if p == "" {
			continue
		}
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || time.Duration(n) > maxTime/units[i] {
			return 0, errors.New("time out of range")
		}
		d += time.Duration(n) * units[i]
		if d > maxTime {
			return 0, errors.New("time out of range")
		}
	}
	return d, nil
}
