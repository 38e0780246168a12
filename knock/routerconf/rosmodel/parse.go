// Package rosmodel is a model of the part of RouterOS that Knocker's router
// scripts use, for tests. It parses the console language as far as
// routerconf writes it, holding every value to what the RouterOS manual
// allows (and to the stricter limits routerconf promises, such as timeouts
// in whole seconds); it runs a script against a modelled router, such as
// one with MikroTik's default configuration, as RouterOS would; and it
// writes the resulting input chains as an nftables ruleset, so that real
// packets can show what a RouterOS would do with the script.
//
// Whatever it does not know it refuses, so a script it accepts uses nothing
// but the behaviours modelled here, each of which rests on RouterOS's
// documentation (see the package's tests for the sources).
package rosmodel

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The syntax tree of a script.
type (
	block struct{ cmds []*command }

	command struct {
		line int
		// One of: "block" (body), ":local", ":set", ":if", ":do" (body,
		// and els for on-error), ":error", ":len", ":pick", ":parse", "eval"
		// (args[0] is evaluated), "call" (args[0] yields the code to run),
		// or a menu verb such as "add"
		// with menu set (empty for a verb relative to the enclosing
		// command's menu).
		kind string
		menu string
		body *block
		args []arg
		cond *condition
		then *block
		els  *block
	}

	arg struct {
		name string // empty for an unnamed argument
		op   byte   // '=' or, in find's where clause, '~'
		val  expr
	}

	expr struct {
		kind string // "string", "word", "var", "command"
		text string // the decoded string, the bare word or the variable name
		cmd  *command
	}

	condition struct {
		left, right expr
		op          string
	}
)

// Menus the model knows, by their console path.
const (
	IPFilter   = "/ip firewall filter"
	IPv6Filter = "/ipv6 firewall filter"
	Layer7     = "/ip firewall layer7-protocol"
	IfaceList  = "/interface list"
)

var menus = []string{IPFilter, IPv6Filter, Layer7, IfaceList}

// ipv6Menus are the menus a RouterOS 6 without its ipv6 package lacks.
var ipv6Menus = []string{IPv6Filter}

var verbs = map[string]bool{"add": true, "remove": true, "find": true}

// SyntaxError reports where a script stops being what RouterOS reads.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

type parser struct {
	src  string
	pos  int
	line int
	col0 bool // at the start of a physical line
	// known reports the menus of the router that reads the script:
	// RouterOS resolves a script's menus before it runs any of it.
	known func(menu string) bool
}

// parse reads a whole script for a router that has the menus known reports.
func parse(src string, known func(string) bool) (*block, error) {
	p := &parser{src: src, line: 1, col0: true, known: known}
	b, err := p.lines(false)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func (p *parser) errf(format string, a ...any) error {
	return &SyntaxError{Line: p.line, Msg: fmt.Sprintf(format, a...)}
}

func (p *parser) eof() bool  { return p.pos >= len(p.src) }
func (p *parser) peek() byte { return p.src[p.pos] }

func (p *parser) advance() {
	if p.src[p.pos] == '\n' {
		p.line++
		p.col0 = true
	} else {
		p.col0 = false
	}
	p.pos++
}

// spaces skips blanks within a line.
func (p *parser) spaces() {
	for !p.eof() && (p.peek() == ' ' || p.peek() == '\t' || p.peek() == '\r') {
		p.advance()
	}
}

// lines reads commands up to the end of the script, or to the "}" that
// closes a block.
func (p *parser) lines(inBlock bool) (*block, error) {
	b := &block{}
	for {
		if !p.eof() && p.peek() == '#' {
			// The manual: no whitespace or anything else may come before
			// the hash of a comment.
			if !p.col0 {
				return nil, p.errf("a comment must start its line")
			}
			for !p.eof() && p.peek() != '\n' {
				p.advance()
			}
			continue
		}
		p.spaces()
		switch {
		case p.eof():
			if inBlock {
				return nil, p.errf("a { block is not closed")
			}
			return b, nil
		case p.peek() == '#':
			return nil, p.errf("a comment must start its line")
		case p.peek() == '\n' || p.peek() == ';':
			p.advance()
			continue
		case p.peek() == '}':
			if !inBlock {
				return nil, p.errf("} without {")
			}
			return b, nil
		}
		c, err := p.command(false)
		if err != nil {
			return nil, err
		}
		b.cmds = append(b.cmds, c)
		p.spaces()
		if !p.eof() && !strings.ContainsRune("\n;}", rune(p.peek())) {
			return nil, p.errf("unexpected %q after a command", p.peek())
		}
	}
}

// command reads one command; nested is true inside [ ].
func (p *parser) command(nested bool) (*command, error) {
	c := &command{line: p.line}
	if p.eof() {
		return nil, p.errf("a command is missing")
	}
	switch {
	case p.peek() == '{':
		p.advance()
		body, err := p.lines(true)
		if err != nil {
			return nil, err
		}
		p.advance() // "}"
		c.kind, c.body = "block", body
		return c, nil
	case p.peek() == ':':
		p.advance()
		word := p.word()
		c.kind = ":" + word
		switch c.kind {
		case ":if":
			return p.ifCommand(c)
		case ":do":
			return p.doCommand(c)
		case ":local", ":set", ":error", ":len", ":pick", ":parse":
		default:
			return nil, p.errf("unknown command :%s", word)
		}
	case p.peek() == '/':
		var path []string
		for {
			p.spaces()
			if !p.eof() && p.peek() == '/' && len(path) == 0 {
				p.advance()
			}
			w := p.word()
			if w == "" {
				return nil, p.errf("a menu path must end in a command")
			}
			if verbs[w] {
				c.kind = w
				break
			}
			path = append(path, w)
		}
		c.menu = "/" + strings.Join(path, " ")
		if !p.known(c.menu) {
			return nil, p.errf("unknown menu %s", c.menu)
		}
	case p.peek() == '[':
		// A line [cmd] runs cmd for its effect; a command that is itself
		// [cmd], as the inner one of [[:parse "..."]], runs the code cmd
		// returns.
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		c.kind, c.args = "eval", []arg{{val: v}}
		if nested {
			c.kind = "call"
		}
		return c, nil
	default:
		w := p.word()
		if !verbs[w] {
			return nil, p.errf("unknown command %q", w)
		}
		if !nested {
			// Every command Knocker writes names its menu: a relative one
			// would depend on where the terminal happens to be.
			return nil, p.errf("%s without a menu path outside [ ]", w)
		}
		c.kind = w
	}
	args, err := p.args()
	if err != nil {
		return nil, err
	}
	c.args = args
	return c, nil
}

// wordEnds are a blank and the characters the console gives a meaning.
var wordEnds = func() (t [256]bool) {
	for _, c := range []byte(" \t\r\n;[](){}\"$=~") {
		t[c] = true
	}
	return t
}()

// word reads a bare word, up to a blank or a character of wordEnds.
func (p *parser) word() string {
	start := p.pos
	for !p.eof() && !wordEnds[p.peek()] {
		p.advance()
	}
	return p.src[start:p.pos]
}

// args reads arguments to the end of the command.
func (p *parser) args() ([]arg, error) {
	var out []arg
	for {
		p.spaces()
		if p.eof() || strings.ContainsRune("\n;]}", rune(p.peek())) {
			return out, nil
		}
		start := p.pos
		name := p.word()
		if name != "" && !p.eof() && (p.peek() == '=' || p.peek() == '~') {
			op := p.peek()
			p.advance()
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			out = append(out, arg{name: name, op: op, val: v})
			continue
		}
		p.pos = start
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, arg{val: v})
	}
}

var varNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)

// value reads a quoted string, a [command], a $variable or a bare word.
func (p *parser) value() (expr, error) {
	if p.eof() {
		return expr{}, p.errf("a value is missing")
	}
	switch p.peek() {
	case '"':
		s, err := p.quoted()
		return expr{kind: "string", text: s}, err
	case '[':
		p.advance()
		p.spaces()
		c, err := p.command(true)
		if err != nil {
			return expr{}, err
		}
		p.spaces()
		if p.eof() || p.peek() != ']' {
			return expr{}, p.errf("[ is not closed")
		}
		p.advance()
		return expr{kind: "command", cmd: c}, nil
	case '$':
		p.advance()
		name := p.word()
		if !varNameRE.MatchString(name) {
			return expr{}, p.errf("variable name %q is not letters and digits", name)
		}
		return expr{kind: "var", text: name}, nil
	case '{':
		return expr{}, p.errf("a { block where a value belongs")
	}
	w := p.word()
	if w == "" {
		return expr{}, p.errf("unexpected %q", p.peek())
	}
	return expr{kind: "word", text: w}, nil
}

// ifCommand reads the rest of ":if (A OP B) do={...} [else={...}]".
func (p *parser) ifCommand(c *command) (*command, error) {
	p.spaces()
	if p.eof() || p.peek() != '(' {
		return nil, p.errf(":if wants a (condition)")
	}
	p.advance()
	p.spaces()
	left, err := p.value()
	if err != nil {
		return nil, err
	}
	p.spaces()
	op := ""
	for !p.eof() && strings.ContainsRune("=<>!", rune(p.peek())) {
		op += string(p.peek())
		p.advance()
	}
	if op != "=" && op != "!=" && op != "<" && op != ">" {
		return nil, p.errf("unknown comparison %q", op)
	}
	p.spaces()
	right, err := p.value()
	if err != nil {
		return nil, err
	}
	p.spaces()
	if p.eof() || p.peek() != ')' {
		return nil, p.errf(":if condition is not closed")
	}
	p.advance()
	c.cond = &condition{left: left, right: right, op: op}
	for _, part := range []string{"do", "else"} {
		p.spaces()
		if part == "else" && (p.eof() || !strings.HasPrefix(p.src[p.pos:], "else=")) {
			break
		}
		if !strings.HasPrefix(p.src[p.pos:], part+"={") {
			return nil, p.errf(":if wants %s={...}", part)
		}
		for range len(part) + 1 {
			p.advance()
		}
		body, err := p.command(false)
		if err != nil {
			return nil, err
		}
		if part == "do" {
			c.then = body.body
		} else {
			c.els = body.body
		}
	}
	return c, nil
}

// doCommand reads the rest of ":do {...} on-error={...}".
func (p *parser) doCommand(c *command) (*command, error) {
	p.spaces()
	if p.eof() || p.peek() != '{' {
		return nil, p.errf(":do wants a {block}")
	}
	body, err := p.command(false)
	if err != nil {
		return nil, err
	}
	p.spaces()
	if !strings.HasPrefix(p.src[p.pos:], "on-error={") {
		return nil, p.errf(":do is used here with on-error={...} only")
	}
	for range len("on-error=") {
		p.advance()
	}
	onError, err := p.command(false)
	if err != nil {
		return nil, err
	}
	c.body, c.els = body.body, onError.body
	return c, nil
}

// quoted reads a string constant, decoding the escapes the scripting manual
// lists. It refuses what the console would read as something else: a bare
// "$" (a variable) or "?" (help), raw control bytes, and hex escapes in
// small letters (the manual wants capitals).
func (p *parser) quoted() (string, error) {
	start := p.pos
	p.advance()
	for !p.eof() && p.peek() != '"' {
		if p.peek() == '\\' {
			p.advance()
		}
		if !p.eof() {
			p.advance()
		}
	}
	if p.eof() {
		return "", p.errf("a string is not closed")
	}
	p.advance()
	s, err := Unquote(p.src[start:p.pos])
	if err != nil {
		return "", p.errf("%v", err)
	}
	return s, nil
}

var namedEscapes = map[byte]byte{'"': '"', '\\': '\\', '$': '$', '?': '?', '_': ' ', 'n': '\n', 'r': '\r', 't': '\t',
	'a': 0x07, 'b': 0x08, 'f': 0x0c, 'v': 0x0b}

// Unquote decodes a RouterOS string constant, "..." with its quotes.
func Unquote(s string) (string, error) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", errors.New("not a quoted string")
	}
	s = s[1 : len(s)-1]
	var out []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '$' || c == '?' || c == '"':
			return "", fmt.Errorf("unescaped %q in a string", c)
		case c < 0x20 || c >= 0x7f:
			return "", fmt.Errorf("raw byte %#x in a string", c)
		case c != '\\':
			out = append(out, c)
		case i+2 < len(s) && isUpperHex(s[i+1]) && isUpperHex(s[i+2]):
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			out = append(out, byte(n))
			i += 2
		case i+1 < len(s) && namedEscapes[s[i+1]] != 0:
			out = append(out, namedEscapes[s[i+1]])
			i++
		default:
			return "", errors.New("unknown escape in a string")
		}
	}
	return string(out), nil
}

func isUpperHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }
