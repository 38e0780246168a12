package profile

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// hiddenRune reports characters that do not show as themselves: controls,
// format characters (bidi overrides and isolates such as U+202E and
// U+2066-U+2069, zero-width spaces and joiners, the byte-order mark), line
// and paragraph separators, private-use and surrogate code points. In a
// name they make look-alikes; printed to a terminal, controls can rewrite
// what the user sees.
func hiddenRune(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Co, unicode.Cs)
}

// maxShown bounds how much of a text from a file a message repeats.
const maxShown = MaxNameLen

// Printable returns s fit to print in a terminal or a one-line message:
// unchanged when every character shows as itself, else quoted with Go
// escapes (\x1b, \u202e), so no escape sequence or bidi override reaches
// the screen.
func Printable(s string) string {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, hiddenRune) {
		return strconv.Quote(s)
	}
	return s
}

// excerpt is text from a file (a section name, say) as a message repeats
// it: Printable, and cut after maxShown characters with "…".
func excerpt(s string) string {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, hiddenRune) {
		return quoted(s)
	}
	s, cut := shorten(s)
	if cut {
		s += "…"
	}
	return s
}

// quoted is s from a file in Go quotes, escapes and all, cut as excerpt
// cuts it.
func quoted(s string) string {
	s, cut := shorten(s)
	s = strconv.Quote(s)
	if cut {
		s += "…"
	}
	return s
}

// shorten cuts s to maxShown characters.
func shorten(s string) (string, bool) {
	if utf8.RuneCountInString(s) <= maxShown {
		return s, false
	}
	return string([]rune(s)[:maxShown]), true
}
