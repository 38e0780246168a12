package routerconf

import (
	"errors"
	"regexp/syntax"
	"unicode"

	"github.com/knocker/knocker/knock/routerconf/rosscript"
)

// layer7Payload reads the payload a layer-7 pattern wants: the one string
// it matches (letters in small case, as the matcher ignores case), or,
// for a pattern that matches many, the simplest, with a warning. A payload
// of size bytes is wanted when size is not negative. The payload must
// match the pattern however RouterOS reads it.
func layer7Payload(re string, size int) ([]byte, []string, error) {
	if lit, err := rosscript.L7Literal(re); err == nil {
		return lit, nil, nil
	}
	tree, err := syntax.Parse(rosscript.L7Reading(re), syntax.POSIX)
	if err != nil {
		return nil, nil, errors.New("not a POSIX regular expression")
	}
	var s simplest
	s.walk(tree.Simplify())
	var warns []string
	switch {
	case s.tooBig:
		return nil, nil, errors.New("the pattern's simplest match is longer than one packet carries")
	case len(s.out) == 0:
		return nil, nil, errors.New("the pattern matches any data, so it names no payload")
	case !s.start || !s.end:
		warns = append(warns, "the pattern is not anchored at both ends (^…$): any payload holding its match works; Knocker sends just the match")
	}
	if s.many {
		warns = append(warns, "the pattern matches many payloads; Knocker sends the simplest")
	}
	data := make([]byte, len(s.out))
	for i, r := range s.out {
		data[i] = byte(r)
	}
	if size >= 0 && size != len(data) && s.many {
		return nil, nil, errors.New("the pattern's simplest match does not fit the packet-size its rule asks for")
	}
	if ok, err := rosscript.L7Matches(re, data); err != nil || !ok {
		return nil, nil, errors.New("l7-filter's reading of the pattern and a plain POSIX one disagree on its simplest match")
	}
	return data, warns, nil
}

// simplest builds the shortest, plainest string a pattern matches, noting
// whether it is the only one (letter case aside) and whether the pattern
// is anchored.
type simplest struct {
	out         []rune
	many        bool
	start, end  bool
	tooBig      bool
	seenLiteral bool
}

func (s *simplest) emit(r ...rune) {
	if len(s.out)+len(r) > 2047 {
		s.tooBig = true
		return
	}
	s.out = append(s.out, r...)
	s.seenLiteral = true
}

func (s *simplest) walk(re *syntax.Regexp) {
	switch re.Op {
	case syntax.OpLiteral:
		s.emit(re.Rune...)
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			s.tooBig = true // matches nothing
			return
		}
		r := pickRune(re.Rune)
		s.emit(r)
		if !oneLetter(re.Rune) {
			s.many = true
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		s.emit('a')
		s.many = true
	case syntax.OpBeginText, syntax.OpBeginLine:
		if !s.seenLiteral {
			s.start = true
		}
	case syntax.OpEndText, syntax.OpEndLine:
		s.end = true
	case syntax.OpCapture:
		s.walk(re.Sub[0])
	case syntax.OpStar, syntax.OpQuest:
		s.many = true
	case syntax.OpPlus:
		s.many = true
		s.walk(re.Sub[0])
	case syntax.OpRepeat:
		if re.Max != re.Min {
			s.many = true
		}
		for range min(re.Min, 2048) {
			s.walk(re.Sub[0])
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			s.end = false
			s.walk(sub)
		}
	case syntax.OpAlternate:
		s.many = true
		s.walk(re.Sub[0])
	case syntax.OpEmptyMatch:
	default:
		s.many = true
	}
}

// pickRune is the first printable character of a class, else its first.
func pickRune(ranges []rune) rune {
	for i := 0; i < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1] && r <= 0xff; r++ {
			if r >= 0x21 && r < 0x7f {
				return r
			}
		}
	}
	return ranges[0]
}

// oneLetter is a class of one character, or of one letter in both cases.
func oneLetter(ranges []rune) bool {
	var rs []rune
	for i := 0; i < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1]; r++ {
			if len(rs) == 2 {
				return false
			}
			rs = append(rs, r)
		}
	}
	return len(rs) == 1 || rs[0] < 0x80 && unicode.SimpleFold(rs[0]) == rs[1]
}
