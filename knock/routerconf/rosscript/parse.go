// Package rosscript reads RouterOS's console language and runs the part of it
// that builds a firewall configuration, for the two readers of RouterOS
// text in Knocker: the model of a router that checks the scripts Knocker
// writes (rosmodel, strict: whatever it does not know is an error) and the
// reader that finds the knocks in a configuration people paste (routerconf,
// lenient: whatever does not bear on a knock is skipped). It also holds how
// RouterOS's layer-7 matcher reads a pattern, which both need.
package rosscript

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The syntax tree of a script.
type (
	Block struct{ Cmds []*Command }

	Command struct {
		Line int
		// One of: "block" (Body), "menu" (a menu path alone, which makes
		// it the current one), ":local", ":set", ":if", ":do" (Body, and
		// Else for on-error), ":error", ":len", ":pick", ":parse", "eval"
		// (Args[0] is evaluated), "call" (Args[0] yields the code to run),
		// another ":" command (lenient only), or a menu verb such as "add"
		// with Menu set (empty for a verb relative to the enclosing
		// command's menu, inside [ ]).
		Kind string
		Menu string
		Body *Block
		Args []Arg
		Cond *Condition
		Then *Block
		Else *Block
	}

	Arg struct {
		Name string // empty for an unnamed argument
		Op   byte   // '=' or, in find's where clause, '~'
		Val  Expr
	}

	Expr struct {
		// "string", "word", "var", "command" (Cmd); lenient also "block"
		// (Body) and "paren" (an expression in ( ), not read further).
		Kind string
		Text string // the decoded string, the bare word or the variable name
		Cmd  *Command
		Body *Block
	}

	Condition struct {
		Left, Right Expr
		Op          string
	}
)

// Dialect says how strictly a script is read.
type Dialect struct {
	// Lenient takes any menu and verb, any ":" command (read, not run),
	// comments after blanks and { } blocks as values: text as people paste
	// it; the commands of menus other than Menus are passed over unread.
	// Otherwise only Menus and the verbs add, remove and find are taken.
	Lenient bool
	Menus   []string
}

// reads reports whether commands of menu are read.
func (d Dialect) reads(menu string) bool { return len(d.Menus) == 0 || slices.Contains(d.Menus, menu) }

// strictVerbs are the verbs Knocker's scripts use.
var strictVerbs = map[string]bool{"add": true, "remove": true, "find": true}

// lenientVerbs end a menu path in pasted text: RouterOS's common commands.
// A path that ends without one is a menu of its own ("/ip firewall filter"
// alone), or a command nobody here needs to tell from one.
var lenientVerbs = map[string]bool{
	"add": true, "remove": true, "find": true, "set": true, "print": true, "export": true,
	"enable": true, "disable": true, "move": true, "comment": true, "edit": true, "get": true,
	"unset": true, "reset": true, "reset-counters": true, "reset-counters-all": true, "import": true,
	"monitor": true,
}

// strictColon are the ":" commands Knocker's scripts use.
var strictColon = []string{":if", ":do", ":local", ":set", ":error", ":len", ":pick", ":parse"}

// Limits that keep a hostile script small and shallow: a command's
// arguments, the nesting of [ ] and { }, and the syntax tree one top-level
// command may make.
const (
	maxDepth = 32
	maxNodes = 1 << 14
)

// SyntaxError reports where a script stops being what RouterOS reads.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Parser reads a script one top-level command at a time, so a long script
// never stands in memory as a whole tree.
type Parser struct {
	d     Dialect
	src   string
	pos   int
	line  int
	col0  bool   // at the start of a physical line
	menu  string // the current menu, set by a menu path alone
	depth int
	nodes int
	buf   []byte            // a menu path being read
	names map[string]string // menu paths read so far, so each is one string
}

// menuOnly stands for every menu path alone: it changes the parser's
// current menu and does nothing else, so it is not handed on.
var menuOnly = &Command{Kind: "menu"}

// NewParser reads src in dialect d.
func NewParser(src string, d Dialect) *Parser {
	return &Parser{d: d, src: src, line: 1, col0: true}
}

// Next returns the next top-level command, or nil at the end.
func (p *Parser) Next() (*Command, error) {
	for {
		p.nodes = 0
		if !p.skipBlanksAndComments() {
			return nil, p.errf("a comment must start its line")
		}
		switch {
		case p.eof():
			return nil, nil
		case p.peek() == '\n' || p.peek() == ';':
			p.advance()
			continue
		case p.peek() == '}':
			return nil, p.errf("} without {")
		}
		c, err := p.command(false)
		if err != nil {
			return nil, err
		}
		if err := p.endOfCommand(); err != nil {
			return nil, err
		}
		if c != menuOnly {
			return c, nil
		}
	}
}

// Parse reads a whole script.
func Parse(src string, d Dialect) (*Block, error) {
	p := NewParser(src, d)
	b := &Block{}
	for {
		c, err := p.Next()
		if c == nil || err != nil {
			return b, err
		}
		b.Cmds = append(b.Cmds, c)
	}
}

func (p *Parser) errf(format string, a ...any) error {
	return &SyntaxError{Line: p.line, Msg: fmt.Sprintf(format, a...)}
}

func (p *Parser) eof() bool  { return p.pos >= len(p.src) }
func (p *Parser) peek() byte { return p.src[p.pos] }

func (p *Parser) advance() {
	if p.src[p.pos] == '\n' {
		p.line++
		p.col0 = true
	} else {
		p.col0 = false
	}
	p.pos++
}

// continuation reports a backslash that ends its line (before an optional
// carriage return): the manual's line joining. Exports wrap long commands
// so, anywhere, even inside a value or a string.
func (p *Parser) continuation() int {
	if p.eof() || p.peek() != '\\' {
		return 0
	}
	rest := p.src[p.pos+1:]
	switch {
	case strings.HasPrefix(rest, "\n"):
		return 2
	case strings.HasPrefix(rest, "\r\n"):
		return 3
	}
	return 0
}

// joinLine skips a continuation and the indent of the line it joins.
func (p *Parser) joinLine() bool {
	n := p.continuation()
	if n == 0 {
		return false
	}
	for range n {
		p.advance()
	}
	for !p.eof() && (p.peek() == ' ' || p.peek() == '\t') {
		p.advance()
	}
	return true
}

// spaces skips blanks within a logical line.
func (p *Parser) spaces() {
	for !p.eof() {
		switch c := p.peek(); {
		case c == ' ' || c == '\t' || c == '\r':
			p.advance()
		case p.joinLine():
		default:
			return
		}
	}
}

// skipBlanksAndComments skips blanks and whole-line comments; it is false
// for a comment after a blank, which the strict dialect refuses.
func (p *Parser) skipBlanksAndComments() bool {
	for {
		if !p.eof() && p.peek() == '#' {
			// The manual: no whitespace or anything else may come before
			// the hash of a comment.
			if !p.col0 && !p.d.Lenient {
				return false
			}
			for !p.eof() && p.peek() != '\n' {
				p.advance()
			}
			continue
		}
		p.spaces()
		if p.eof() || p.peek() != '#' {
			return true
		}
	}
}

func (p *Parser) endOfCommand() error {
	p.spaces()
	if !p.eof() && !strings.ContainsRune("\n;}", rune(p.peek())) {
		return p.errf("unexpected %q after a command", p.peek())
	}
	return nil
}

// lines reads commands up to the "}" that closes a block.
func (p *Parser) lines() (*Block, error) {
	b := &Block{}
	for {
		if !p.skipBlanksAndComments() {
			return nil, p.errf("a comment must start its line")
		}
		switch {
		case p.eof():
			return nil, p.errf("a { block is not closed")
		case p.peek() == '\n' || p.peek() == ';':
			p.advance()
			continue
		case p.peek() == '}':
			return b, nil
		}
		c, err := p.command(false)
		if err != nil {
			return nil, err
		}
		if c != menuOnly {
			b.Cmds = append(b.Cmds, c)
		}
		if err := p.endOfCommand(); err != nil {
			return nil, err
		}
	}
}

// enter counts a level of nesting and a node of the tree.
func (p *Parser) enter() error {
	p.depth++
	p.nodes++
	switch {
	case p.depth > maxDepth:
		return p.errf("nested deeper than %d levels", maxDepth)
	case p.nodes > maxNodes:
		return p.errf("one command longer than %d parts", maxNodes)
	}
	return nil
}

// command reads one command; nested is true inside [ ].
func (p *Parser) command(nested bool) (*Command, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	if p.eof() {
		return nil, p.errf("a command is missing")
	}
	if p.peek() == '/' {
		// Read first: a menu path alone makes no command.
		line := p.line
		menu, kind, err := p.path()
		switch {
		case err != nil:
			return nil, err
		case kind == "menu":
			if !nested {
				p.menu = menu
			}
			return menuOnly, nil
		}
		return p.menuCommand(&Command{Line: line, Menu: menu, Kind: kind})
	}
	c := &Command{Line: p.line}
	switch {
	case p.peek() == '{':
		body, err := p.block()
		if err != nil {
			return nil, err
		}
		c.Kind, c.Body = "block", body
		return c, nil
	case p.peek() == '[':
		// A line [cmd] runs cmd for its effect; a command that is itself
		// [cmd], as the inner one of [[:parse "..."]], runs the code cmd
		// returns.
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		c.Kind, c.Args = "eval", []Arg{{Val: v}}
		if nested {
			c.Kind = "call"
		}
		return c, nil
	case p.peek() == ':':
		p.advance()
		c.Kind = ":" + p.word()
		switch {
		case c.Kind == ":if":
			return p.ifCommand(c)
		case c.Kind == ":do":
			return p.doCommand(c)
		case !p.d.Lenient && !slices.Contains(strictColon, c.Kind):
			return nil, p.errf("unknown command %s", c.Kind)
		}
	default:
		w := p.word()
		verbs := strictVerbs
		if p.d.Lenient {
			verbs = lenientVerbs
		}
		switch {
		case !verbs[w] && !p.d.Lenient:
			return nil, p.errf("unknown command %q", w)
		case !verbs[w]:
			// A menu relative to the current one, such as "filter" after
			// "/ip firewall", or a command of a menu nobody reads here.
			c.Kind, c.Menu = "other", p.menu
			p.skipToEndOfCommand()
			return c, nil
		case !nested && p.menu == "":
			// A relative command would depend on where the terminal
			// happens to be.
			return nil, p.errf("%s without a menu path outside [ ]", w)
		case !nested:
			c.Menu = p.menu
		}
		c.Kind = w
	}
	return p.menuCommand(c)
}

// menuCommand reads the arguments of a menu's command, or passes over a
// command of a menu the lenient dialect does not read.
func (p *Parser) menuCommand(c *Command) (*Command, error) {
	if c.Kind == "other" {
		return c, nil
	}
	if p.d.Lenient && c.Menu != "" && !p.d.reads(c.Menu) && !strings.HasPrefix(c.Kind, ":") {
		c.Kind = "other"
		p.skipToEndOfCommand()
		return c, nil
	}
	args, err := p.args()
	if err != nil {
		return nil, err
	}
	c.Args = append(c.Args, args...)
	return c, nil
}

// path reads "/ip firewall filter add" or, as v7 also writes it,
// "/ip/firewall/filter/add": a menu and a verb, or a menu alone.
func (p *Parser) path() (menu, kind string, err error) {
	p.buf = p.buf[:0]
	verbs := strictVerbs
	if p.d.Lenient {
		verbs = lenientVerbs
	}
	for {
		for !p.eof() && p.peek() == '/' {
			p.advance()
		}
		// v7's slash paths separate the words with "/".
		w := p.wordUntil('/')
		if w == "" {
			return "", "", p.errf("a menu path must end in a command")
		}
		if verbs[w] {
			kind = w
			break
		}
		sep := byte(' ')
		if len(p.buf) == 0 {
			sep = '/'
		}
		p.buf = append(append(p.buf, sep), w...)
		if p.eof() || p.peek() != '/' {
			p.spaces()
		}
		if p.eof() || strings.ContainsRune("\n;]}", rune(p.peek())) {
			kind = "menu"
			break
		}
		if !p.eof() && p.peek() != '/' && p.d.Lenient && p.nextIsArg() {
			// A command this reader has no verb for, such as /tool fetch.
			kind = "other"
			p.skipToEndOfCommand()
			break
		}
	}
	menu = p.intern()
	if !p.d.Lenient && !p.d.reads(menu) {
		return "", "", p.errf("unknown menu %s", menu)
	}
	return menu, kind, nil
}

// intern is the menu path in buf as one string however often it is read.
func (p *Parser) intern() string {
	if s, ok := p.names[string(p.buf)]; ok {
		return s
	}
	s := string(p.buf)
	if p.names == nil {
		p.names = map[string]string{}
	}
	if len(p.names) < 64 {
		p.names[s] = s
	}
	return s
}

// nextIsArg reports whether a NAME= argument, or something other than a
// bare word, comes next.
func (p *Parser) nextIsArg() bool {
	start, line, col0 := p.pos, p.line, p.col0
	w := p.word()
	arg := w == "" || !p.eof() && (p.peek() == '=' || p.peek() == '~')
	p.pos, p.line, p.col0 = start, line, col0
	return arg
}

// skipToEndOfCommand passes over the rest of a command nobody reads.
func (p *Parser) skipToEndOfCommand() { p.skip(false) }

// skipParen passes over "( ... )" up to its closing parenthesis, or the end
// of the line if there is none.
func (p *Parser) skipParen() string {
	start := p.pos
	p.skip(true)
	return p.src[start:p.pos]
}

// skip passes over text nobody reads, its strings and brackets included,
// so that their contents do not end it early: the rest of a command, or
// with paren one parenthesis, at most to the end of its line.
func (p *Parser) skip(paren bool) {
	depth := 0
	for !p.eof() {
		switch c := p.peek(); {
		case p.joinLine():
			continue
		case c == '"':
			p.skipString()
			continue
		case paren && c == '\n':
			return
		case c == '[' || c == '{' || c == '(':
			depth++
		case (c == ']' || c == '}' || c == ')') && depth > 0:
			depth--
		case depth == 0 && (c == '\n' || c == ';' || c == '}' || c == ']'):
			return
		}
		p.advance()
		if paren && depth == 0 {
			return
		}
	}
}

// skipString passes over a string, whatever its escapes.
func (p *Parser) skipString() { _, _ = p.quoted() }

// block reads "{ ... }".
func (p *Parser) block() (*Block, error) {
	p.advance() // "{"
	body, err := p.lines()
	if err != nil {
		return nil, err
	}
	p.advance() // "}"
	return body, nil
}

// wordEnds are a blank and the characters the console gives a meaning.
var wordEnds = func() (t [256]bool) {
	for _, c := range []byte(" \t\r\n;[](){}\"$=~") {
		t[c] = true
	}
	return t
}()

// word reads a bare word, up to a blank or a character of wordEnds. A
// continuation inside the word joins its two halves.
func (p *Parser) word() string { return p.wordUntil(0) }

// wordUntil is word that also stops at stop.
func (p *Parser) wordUntil(stop byte) string {
	start := p.pos
	var joined []byte
	for !p.eof() {
		if p.continuation() > 0 {
			joined = append(joined, p.src[start:p.pos]...)
			p.joinLine()
			start = p.pos
			continue
		}
		if c := p.peek(); wordEnds[c] || c == stop && stop != 0 {
			break
		}
		p.advance()
	}
	if joined != nil {
		return string(append(joined, p.src[start:p.pos]...))
	}
	return p.src[start:p.pos]
}

// args reads arguments to the end of the command.
func (p *Parser) args() ([]Arg, error) {
	var out []Arg
	for {
		p.spaces()
		if p.eof() || strings.ContainsRune("\n;]})", rune(p.peek())) {
			return out, nil
		}
		p.nodes++
		if p.nodes > maxNodes {
			return nil, p.errf("one command longer than %d parts", maxNodes)
		}
		start, line, col0 := p.pos, p.line, p.col0
		name := p.word()
		if name != "" && !p.eof() && (p.peek() == '=' || p.peek() == '~') {
			op := p.peek()
			p.advance()
			p.joinLine()
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			out = append(out, Arg{Name: name, Op: op, Val: v})
			continue
		}
		p.pos, p.line, p.col0 = start, line, col0
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, Arg{Val: v})
	}
}

var varNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)

// value reads a quoted string, a [command], a $variable or a bare word;
// lenient also a { block } or a ( expression ).
func (p *Parser) value() (Expr, error) {
	if p.eof() {
		return Expr{}, p.errf("a value is missing")
	}
	switch p.peek() {
	case '"':
		s, err := p.quoted()
		return Expr{Kind: "string", Text: s}, err
	case '[':
		if err := p.enter(); err != nil {
			return Expr{}, err
		}
		defer func() { p.depth-- }()
		p.advance()
		p.spaces()
		c, err := p.command(true)
		if err != nil {
			return Expr{}, err
		}
		p.spaces()
		if p.eof() || p.peek() != ']' {
			return Expr{}, p.errf("[ is not closed")
		}
		p.advance()
		return Expr{Kind: "command", Cmd: c}, nil
	case '$':
		p.advance()
		name := p.word()
		if !varNameRE.MatchString(name) {
			return Expr{}, p.errf("variable name %q is not letters and digits", name)
		}
		return Expr{Kind: "var", Text: name}, nil
	case '{':
		if !p.d.Lenient {
			return Expr{}, p.errf("a { block where a value belongs")
		}
		if err := p.enter(); err != nil {
			return Expr{}, err
		}
		defer func() { p.depth-- }()
		body, err := p.block()
		return Expr{Kind: "block", Body: body}, err
	case '(':
		if p.d.Lenient {
			return Expr{Kind: "paren", Text: p.skipParen()}, nil
		}
	}
	w := p.word()
	if w == "" {
		return Expr{}, p.errf("unexpected %q", p.peek())
	}
	return Expr{Kind: "word", Text: w}, nil
}

// ifCommand reads the rest of ":if (A OP B) do={...} [else={...}]".
func (p *Parser) ifCommand(c *Command) (*Command, error) {
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
	c.Cond = &Condition{Left: left, Right: right, Op: op}
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
			c.Then = body.Body
		} else {
			c.Else = body.Body
		}
	}
	return c, nil
}

// doCommand reads the rest of ":do {...} on-error={...}". Lenient, a :do
// of another form (a loop, ":do {...} while=(...)") is read as any other
// ":" command, its block the first argument, and is not run.
func (p *Parser) doCommand(c *Command) (*Command, error) {
	p.spaces()
	if p.eof() || p.peek() != '{' {
		if p.d.Lenient {
			return p.menuCommand(c)
		}
		return nil, p.errf(":do wants a {block}")
	}
	body, err := p.command(false)
	if err != nil {
		return nil, err
	}
	p.spaces()
	if !strings.HasPrefix(p.src[p.pos:], "on-error={") {
		if p.d.Lenient {
			c.Args = append(c.Args, Arg{Val: Expr{Kind: "block", Body: body.Body}})
			return p.menuCommand(c)
		}
		return nil, p.errf(":do is used here with on-error={...} only")
	}
	for range len("on-error=") {
		p.advance()
	}
	onError, err := p.command(false)
	if err != nil {
		return nil, err
	}
	c.Body, c.Else = body.Body, onError.Body
	return c, nil
}

// quoted reads a string constant, decoding the escapes the scripting manual
// lists. It refuses what the console would read as something else: a bare
// "$" (a variable) or "?" (help), raw control bytes, and hex escapes in
// small letters (the manual wants capitals). A continuation inside the
// string joins its two halves, as it does anywhere else.
func (p *Parser) quoted() (string, error) {
	start := p.pos
	p.advance()
	var joined []byte
	for !p.eof() && p.peek() != '"' {
		if p.continuation() > 0 {
			joined = append(joined, p.src[start:p.pos]...)
			p.joinLine()
			start = p.pos
			continue
		}
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
	raw := p.src[start:p.pos]
	if joined != nil {
		raw = string(append(joined, raw...))
	}
	s, err := Unquote(raw)
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
