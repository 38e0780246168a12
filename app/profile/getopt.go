package profile

import (
	"fmt"
	"slices"
	"strings"
)

// The option scanners below read a command line the way the program that
// line runs reads it, so that a word is an option's value or a target
// exactly when it is one to that program: knock and nping use glibc's
// getopt_long and getopt_long_only, knocker send Go's flag package.

// argKind says whether an option takes a value.
type argKind uint8

const (
	noArg       argKind = iota
	needsArg            // the next word if not attached
	optionalArg         // only attached: -v3, --verbose=3
)

// longOpt is an entry of a getopt_long option table.
type longOpt struct {
	kind  argKind
	short byte // the short option it stands for (its val), or 0
}

// getoptTable is what a program passes to getopt_long.
type getoptTable struct {
	short    map[byte]argKind // the optstring
	long     map[string]longOpt
	longOnly bool // getopt_long_only: "-name" is tried as a long option first
}

// option is one option as the program saw it.
type option struct {
	// name is canonical: "-p" for a short option and for a long one that
	// stands for it (--dest-port), else "--" and the long option's full
	// name, however abbreviated on the line.
	name  string
	value string
}

// parseShortOptstring reads a getopt optstring such as "vud:hV46".
func parseShortOptstring(s string) map[byte]argKind {
	m := map[byte]argKind{}
	for i := 0; i < len(s); i++ {
		c, kind := s[i], noArg
		if strings.HasPrefix(s[i+1:], "::") {
			kind, i = optionalArg, i+2
		} else if strings.HasPrefix(s[i+1:], ":") {
			kind, i = needsArg, i+1
		}
		m[c] = kind
	}
	return m
}

// scanWords walks args as both kinds of parser do: "--" ends the options,
// a word that does not start with "-" (or is a lone "-") is positional, and
// each other word goes to read, which may take the next word as a value.
func scanWords(prog string, args []string, read func(word string, next func(name string) (string, error)) ([]option, error)) ([]option, []string, error) {
	var opts []option
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return opts, append(pos, args[i+1:]...), nil
		case len(a) < 2 || a[0] != '-':
			pos = append(pos, a)
			continue
		}
		o, err := read(a, func(name string) (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s option %s needs a value", prog, name)
			}
			i++
			return args[i], nil
		})
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, o...)
	}
	return opts, pos, nil
}

// scan separates options from the other words as GNU getopt does:
// options anywhere (it permutes), "--" ends them, a lone "-" is a word,
// short options bundle ("-ud100"), long ones take "=value" or the next
// word and may be abbreviated to any unambiguous prefix. An option the
// program does not know fails the line, as it would fail the program.
func (t *getoptTable) scan(prog string, args []string) ([]option, []string, error) {
	return scanWords(prog, args, func(a string, next func(string) (string, error)) ([]option, error) {
		switch {
		case a[1] == '-':
			o, err := t.longOption(prog, "--", a[2:], next)
			if err != nil {
				return nil, err
			}
			return []option{*o}, nil
		case t.longOnly && (len(a) > 2 || !t.hasShort(a[1])):
			// glibc tries "-abc" as a long option first, and falls back to
			// short options only when no long one has that prefix.
			o, err := t.longOption(prog, "-", a[1:], next)
			switch {
			case err != nil:
				return nil, err
			case o != nil:
				return []option{*o}, nil
			}
		}
		return t.shortOptions(prog, a, next)
	})
}

// shortOptions reads a word of bundled short options, such as "-ud100".
func (t *getoptTable) shortOptions(prog, a string, next func(string) (string, error)) ([]option, error) {
	var opts []option
	for j := 1; j < len(a); j++ {
		c := a[j]
		kind, known := t.short[c]
		if !known {
			return nil, fmt.Errorf("%s option -%s is not one %s knows", prog, excerpt(string(c)), prog)
		}
		name := "-" + string(c)
		rest := a[j+1:]
		if kind == noArg {
			opts = append(opts, option{name: name})
			continue
		}
		if rest == "" && kind == needsArg {
			var err error
			if rest, err = next(name); err != nil {
				return nil, err
			}
		}
		return append(opts, option{name: name, value: rest}), nil
	}
	return opts, nil
}

func (t *getoptTable) hasShort(c byte) bool {
	_, ok := t.short[c]
	return ok
}

// longOption reads one long option (text is what follows its dashes). With
// getopt_long_only and one dash, a name no long option starts with gives
// nil and no error: the word is then read as short options.
func (t *getoptTable) longOption(prog, dashes, text string, next func(string) (string, error)) (*option, error) {
	name, value, hasValue := strings.Cut(text, "=")
	full, opt, err := t.lookupLong(prog, dashes, name)
	if err != nil || full == "" {
		if err == nil && (dashes == "--" || !t.hasShort(text[0])) {
			err = fmt.Errorf("%s option %s is not one %s knows", prog, excerpt(dashes+name), prog)
		}
		return nil, err
	}
	canonical := "--" + full
	if opt.short != 0 {
		canonical = "-" + string(opt.short)
	}
	switch {
	case hasValue && opt.kind == noArg:
		return nil, fmt.Errorf("%s option --%s takes no value", prog, full)
	case !hasValue && opt.kind == needsArg:
		if value, err = next(dashes + full); err != nil {
			return nil, err
		}
	}
	return &option{name: canonical, value: value}, nil
}

// lookupLong finds the long option name stands for: its exact name, or
// the one option it is a prefix of. glibc calls a prefix of several
// options ambiguous, except under getopt_long when they all mean the same.
func (t *getoptTable) lookupLong(prog, dashes, name string) (string, longOpt, error) {
	if o, ok := t.long[name]; ok && name != "" {
		return name, o, nil
	}
	var matches []string
	for full := range t.long {
		if name != "" && strings.HasPrefix(full, name) {
			matches = append(matches, full)
		}
	}
	slices.Sort(matches)
	if len(matches) == 0 {
		return "", longOpt{}, nil
	}
	for _, m := range matches[1:] {
		if t.longOnly || t.long[m] != t.long[matches[0]] {
			return "", longOpt{}, fmt.Errorf("%s option %s is ambiguous (it could be --%s)", prog, excerpt(dashes+name), strings.Join(matches, ", --"))
		}
	}
	return matches[0], t.long[matches[0]], nil
}

// scanGoFlags separates options from the other words as knocker's own
// commands do (Go's flag package, positional words anywhere): one dash or
// two, "=value" or the next word, no bundling, no abbreviations. takes says
// which flags exist and which of them take a value; the canonical name has
// one dash.
func scanGoFlags(prog string, args []string, takes map[string]bool) ([]option, []string, error) {
	return scanWords(prog, args, func(a string, next func(string) (string, error)) ([]option, error) {
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a[1:], "-"), "=")
		needs, known := takes[name]
		switch {
		case !known || name == "" || name[0] == '-':
			return nil, fmt.Errorf("%s option %s is not one %s knows", prog, excerpt("-"+name), prog)
		case needs && !hasValue:
			var err error
			if value, err = next("-" + name); err != nil {
				return nil, err
			}
		case !needs && hasValue:
			switch strings.ToLower(value) {
			case "1", "t", "true":
			case "0", "f", "false":
				return nil, nil // -u=false: the flag as if not given
			default:
				return nil, fmt.Errorf("%s option -%s is on or off (true or false)", prog, name)
			}
		}
		return []option{{name: "-" + name, value: value}}, nil
	})
}
