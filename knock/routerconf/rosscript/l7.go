package rosscript

import (
	"errors"
	"regexp"
	"strings"
)

// RouterOS's manual says its layer-7 matcher collects the first 10 packets
// or 2 KB of a connection, is case-insensitive, and takes l7-filter's
// patterns. l7-filter (the kernel module RouterOS's matcher follows) keeps
// a 2048-byte buffer ending in a NUL, copies the data into it without its
// NUL bytes and with ASCII letters lowercased, and prepares a pattern by
// turning each \xHH into that byte and lowercasing every byte with the
// kernel's tolower, which takes Latin-1's capitals for letters. The model
// reads patterns both that way and as a plain POSIX regexp matched without
// regard to ASCII case, since RouterOS's engine is its own (the manual names
// POSIX syntax), and a pattern must mean the same either way.

// L7MaxData is what the matcher keeps of a connection.
const L7MaxData = 2047

// kernelToLower is Linux's tolower, whose character table has Latin-1.
func kernelToLower(c byte) byte {
	if c >= 'A' && c <= 'Z' || c >= 0xc0 && c <= 0xde && c != 0xd7 {
		return c + 0x20
	}
	return c
}

func isHex(c byte) bool { return isUpperHex(c) || c >= 'a' && c <= 'f' }

// preProcess is l7-filter's reading of a pattern: it does not know the
// regexp's own escapes, so a \xHH behind an escaped backslash is turned too.
func preProcess(re string) string {
	var out []byte
	for i := 0; i < len(re); i++ {
		if i+3 < len(re) && re[i] == '\\' && re[i+1] == 'x' && isHex(re[i+2]) && isHex(re[i+3]) {
			out = append(out, kernelToLower(hexByte(re[i+2])<<4|hexByte(re[i+3])))
			i += 3
			continue
		}
		out = append(out, kernelToLower(re[i]))
	}
	return string(out)
}

func hexByte(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// latin1 maps each byte to the rune of the same number, so Go's regexp
// engine, which reads UTF-8, sees one character per byte.
func latin1(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

func CompileL7(re string) (*regexp.Regexp, error) {
	c, err := regexp.CompilePOSIX(latin1(re))
	if err != nil {
		return nil, errors.New("not a POSIX regular expression: " + err.Error())
	}
	return c, nil
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 0x20
		}
	}
	return string(b)
}

// l7Data is a connection's data as the matcher searches it.
func l7Data(data []byte) string {
	var out []byte
	for _, c := range data {
		if c == 0 {
			continue
		}
		out = append(out, c)
	}
	return latin1(asciiLower(string(out[:min(len(out), L7MaxData)])))
}

// L7Matches reports whether pattern re matches a connection whose data is
// data, both as l7-filter reads the pattern and as a plain POSIX regexp; it
// fails where the two readings disagree, as nobody can tell which one a
// RouterOS uses.
func L7Matches(re string, data []byte) (bool, error) {
	m, err := NewL7Matcher(re)
	if err != nil {
		return false, err
	}
	return m.Match(data)
}

// L7Matcher is a pattern compiled both ways L7Matches reads it.
type L7Matcher struct{ l7, plain *regexp.Regexp }

// NewL7Matcher compiles re for L7Matches's Match.
func NewL7Matcher(re string) (*L7Matcher, error) {
	l7, err := CompileL7(preProcess(re))
	if err != nil {
		return nil, err
	}
	plain, err := CompileL7(asciiLower(re))
	if err != nil {
		return nil, err
	}
	return &L7Matcher{l7, plain}, nil
}

// Match is L7Matches of the compiled pattern.
func (m *L7Matcher) Match(data []byte) (bool, error) {
	d := l7Data(data)
	a, b := m.l7.MatchString(d), m.plain.MatchString(d)
	if a != b {
		return false, errors.New("l7-filter's reading of the pattern and a plain POSIX one disagree")
	}
	return a, nil
}

// L7Literal reads back the text an anchored literal pattern, as routerconf
// writes them, stands for: "^…$" where a metacharacter is escaped with a
// backslash and a backslash is [\\]. Anything else is an error, which is
// how the model refuses to write as nftables a pattern it cannot be sure of,
// and so is a pattern l7-filter would read differently (a \xHH in it, or a
// byte its tolower changes): the text is then what the pattern matches,
// ignoring ASCII case, either way RouterOS reads it.
func L7Literal(re string) ([]byte, error) {
	if len(re) < 2 || re[0] != '^' || re[len(re)-1] != '$' {
		return nil, errors.New("not an anchored literal pattern")
	}
	if preProcess(re) != re {
		return nil, errors.New("l7-filter would read the pattern differently")
	}
	re = re[1 : len(re)-1]
	var out []byte
	for i := 0; i < len(re); i++ {
		switch c := re[i]; {
		case strings.HasPrefix(re[i:], `[\\]`):
			out = append(out, '\\')
			i += 3
		case c == '\\':
			if i+1 == len(re) || strings.IndexByte(`^$.|?*+()[{`, re[i+1]) < 0 {
				return nil, errors.New("an escape of a plain character")
			}
			out = append(out, re[i+1])
			i++
		case strings.IndexByte(`^$.|?*+()[{\`, c) >= 0:
			return nil, errors.New("a bare metacharacter")
		default:
			out = append(out, c)
		}
	}
	return out, nil
}

// L7Reading is pattern re as l7-filter reads it, for Go's regexp/syntax:
// each \xHH turned into its byte, every byte lowercased as the kernel does
// and written as the rune of the same number.
func L7Reading(re string) string { return latin1(preProcess(re)) }
