package rosscript

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Item is one entry of a menu: a firewall rule, a layer-7 pattern or an
// interface list.
type Item struct {
	ID      string // internal ID, "*1"
	Props   map[string]string
	Dynamic bool // made by the router itself: never exported, and not "dynamic=no"
	Line    int  // where the script added it; 0 for an item it did not
	// Unsure says why a lenient run cannot tell what this item holds or
	// where it stands (a variable the text does not set, a condition it
	// cannot read); empty when it can.
	Unsure string
}

// Config is a router's configuration as scripts change it: each menu's
// items in order.
type Config struct {
	Menus map[string][]*Item
	next  int
	// Dialect is how Run reads scripts.
	Dialect Dialect
	// Check, when set, refuses an item before an add makes it.
	Check func(menu string, props map[string]string) error
	// Reserved, when set, reports names a variable must not take.
	Reserved func(name string) bool
	// MaxItems, when set, bounds the items a run may add.
	MaxItems int
	// Notes are what a lenient run skipped that may change what the kept
	// menus hold, such as a set or a move: one each, at most maxNotes.
	Notes []Note
}

// Note is something a lenient run read but did not carry out.
type Note struct {
	Line int
	Menu string
	Msg  string
}

const maxNotes = 50

// NewConfig is an empty configuration read in dialect d.
func NewConfig(d Dialect) *Config {
	return &Config{Menus: map[string][]*Item{}, Dialect: d}
}

// Insert puts it into menu before position at (at the end for -1) and gives
// it an ID.
func (c *Config) Insert(menu string, it *Item, at int) {
	c.next++
	it.ID = "*" + strings.ToUpper(strconv.FormatInt(int64(c.next), 16))
	items := c.Menus[menu]
	if at < 0 || at > len(items) {
		at = len(items)
	}
	c.Menus[menu] = slices.Insert(items, at, it)
}

func (c *Config) index(menu, id string) int {
	return slices.IndexFunc(c.Menus[menu], func(it *Item) bool { return it.ID == id })
}

// kept reports whether the run holds menu's items: the dialect's menus.
func (c *Config) kept(menu string) bool { return c.Dialect.reads(menu) }

func (c *Config) note(line int, menu, format string, a ...any) {
	if len(c.Notes) < maxNotes {
		c.Notes = append(c.Notes, Note{Line: line, Menu: menu, Msg: fmt.Sprintf(format, a...)})
	}
}

// ScriptError is a script's own :error, or a command RouterOS would refuse.
type ScriptError struct {
	Line int
	Msg  string
}

func (e *ScriptError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// ErrTooManyItems is a script that adds more than MaxItems items.
var ErrTooManyItems = errors.New("more items than the reader takes")

// Run reads script and runs it as a terminal would: each top-level line in
// a scope of its own, a { } block as one script that stops at its first
// error. Strict, it stops at the first error and returns it; lenient, a
// command that fails is noted and the next line runs, as in a terminal,
// and only a syntax error or too many items stop it.
func (c *Config) Run(script string) error {
	p := NewParser(script, c.Dialect)
	e := &env{c: c, parseLeft: len(script)}
	for {
		cmd, err := p.Next()
		if cmd == nil || err != nil {
			return err
		}
		if len(e.scopes) != 1 || len(e.scopes[0]) > 0 {
			e.scopes = []map[string]*value{{}}
		}
		_, err = e.exec(cmd, cmd.Menu)
		var se *ScriptError
		switch {
		case err == nil:
		case c.Dialect.Lenient && errors.As(err, &se):
			c.note(se.Line, "", "%s", se.Msg)
		default:
			return err
		}
	}
}

// value is what a command or expression yields. A lenient run gives
// "unknown" for what it cannot know: a variable the text does not set, a
// command it does not run.
type value struct {
	kind string // "nil", "str", "num", "ids", "code", "unknown"
	s    string
	n    int64
	ids  []string
	code *Block
}

type env struct {
	c      *Config
	scopes []map[string]*value
	unsure string // why the items added now are unsure, if they are
	// parseLeft is how many more bytes :parse may read in this run: as
	// many as the script has, so that a text parsing one string again and
	// again costs no more than reading it once.
	parseLeft int
}

func (e *env) fail(c *Command, format string, a ...any) error {
	return &ScriptError{Line: c.Line, Msg: fmt.Sprintf(format, a...)}
}

func (e *env) lookup(name string) *value {
	for i := len(e.scopes) - 1; i >= 0; i-- {
		if v, ok := e.scopes[i][name]; ok {
			return v
		}
	}
	return nil
}

func (e *env) runBlock(b *Block, menu string) error {
	e.scopes = append(e.scopes, map[string]*value{})
	defer func() { e.scopes = e.scopes[:len(e.scopes)-1] }()
	for _, c := range b.Cmds {
		if _, err := e.exec(c, menu); err != nil {
			return err
		}
	}
	return nil
}

var unknown = value{kind: "unknown"}

// exec runs one command; menu is the enclosing command's, for relative verbs.
func (e *env) exec(c *Command, menu string) (value, error) {
	nothing := value{kind: "nil"}
	lenient := e.c.Dialect.Lenient
	switch c.Kind {
	case "block":
		return nothing, e.runBlock(c.Body, menu)
	case "other":
		if e.c.kept(c.Menu) {
			e.c.note(c.Line, c.Menu, "a command on %s was not applied", c.Menu)
		}
		// A command of a menu the run does not hold: what it yields is
		// the router's.
		return unknown, nil
	case ":local", ":set", ":global":
		return nothing, e.setVar(c, menu)
	case ":error":
		v, err := e.evalArgs(c, menu, ":error MESSAGE")
		if err != nil {
			return nothing, err
		}
		return nothing, e.fail(c, "script error: %s", v[0].s)
	case ":len":
		args, err := e.evalArgs(c, menu, ":len VALUE")
		if err != nil {
			return nothing, err
		}
		switch v := args[0]; v.kind {
		case "ids":
			return value{kind: "num", n: int64(len(v.ids))}, nil
		case "str":
			return value{kind: "num", n: int64(len(v.s))}, nil
		case "nil":
			return value{kind: "num"}, nil
		case "unknown":
			return unknown, nil
		}
		return nothing, e.fail(c, ":len of a number")
	case ":pick":
		args, err := e.evalArgs(c, menu, ":pick LIST INDEX")
		if err != nil {
			return nothing, err
		}
		v, i := args[0], args[1]
		if lenient && (v.kind == "unknown" || i.kind == "unknown") {
			return unknown, nil
		}
		if v.kind != "ids" || i.kind != "num" {
			return nothing, e.fail(c, ":pick is used here on a list of items only")
		}
		if i.n < 0 || i.n >= int64(len(v.ids)) {
			return nothing, nil
		}
		return value{kind: "ids", ids: []string{v.ids[i.n]}}, nil
	case ":if":
		return nothing, e.runIf(c, menu)
	case ":parse":
		return e.parse(c, menu)
	case "eval":
		_, err := e.eval(c, c.Args[0].Val, menu)
		return nothing, err
	case "call":
		return e.call(c, menu)
	case ":do":
		if c.Body == nil {
			break // lenient: a loop, not run
		}
		// on-error runs when the block fails as it runs.
		var se *ScriptError
		if err := e.runBlock(c.Body, menu); errors.As(err, &se) {
			return nothing, e.runBlock(c.Else, menu)
		} else if err != nil {
			return nothing, err
		}
		return nothing, nil
	}
	if strings.HasPrefix(c.Kind, ":") {
		// Lenient only: the parser refuses other commands when strict.
		for _, a := range c.Args {
			if a.Val.Kind == "block" {
				e.c.note(c.Line, "", "%s is not run, nor the commands in its { }", c.Kind)
				break
			}
		}
		return unknown, nil
	}
	if c.Menu != "" {
		menu = c.Menu
	}
	if menu == "" {
		return nothing, e.fail(c, "%s outside a menu", c.Kind)
	}
	switch c.Kind {
	case "find":
		return e.find(c, menu)
	case "remove":
		return nothing, e.remove(c, menu)
	case "add":
		return e.add(c, menu)
	}
	if lenient {
		if e.c.kept(menu) && c.Kind != "print" && c.Kind != "export" {
			e.c.note(c.Line, menu, "%s on %s was not applied", c.Kind, menu)
		}
		return unknown, nil
	}
	return nothing, e.fail(c, "unknown command %s", c.Kind)
}

// setVar runs :local, :set and (lenient) :global.
func (e *env) setVar(c *Command, menu string) error {
	if len(c.Args) == 0 || len(c.Args) > 2 || c.Args[0].Name != "" || c.Args[0].Val.Kind != "word" {
		return e.fail(c, "%s NAME [VALUE]", c.Kind)
	}
	name := c.Args[0].Val.Text
	if !varNameRE.MatchString(name) {
		return e.fail(c, "variable name %q is not letters and digits", name)
	}
	if e.c.Reserved != nil && e.c.Reserved(name) {
		// The manual: a variable named like a command's argument is
		// read as that argument.
		return e.fail(c, "variable %q has the name of a property", name)
	}
	v := value{kind: "nil"}
	if len(c.Args) == 2 {
		var err error
		if v, err = e.eval(c, c.Args[1].Val, menu); err != nil {
			return err
		}
	}
	top := e.scopes[len(e.scopes)-1]
	if c.Kind != ":set" {
		if _, ok := top[name]; ok && c.Kind == ":local" {
			return e.fail(c, "variable %q is already declared here", name)
		}
		top[name] = &v
		return nil
	}
	old := e.lookup(name)
	switch {
	case old != nil:
		*old = v
	case e.c.Dialect.Lenient:
		// A global set before this text: unknown here.
		top[name] = &unknown
	default:
		return e.fail(c, "variable %q is not declared", name)
	}
	return nil
}

// parse runs :parse, which reads text as code: syntax errors in it are
// errors of the run, which :do's on-error catches.
func (e *env) parse(c *Command, menu string) (value, error) {
	args, err := e.evalArgs(c, menu, ":parse CODE")
	switch {
	case err != nil:
		return value{}, err
	case args[0].kind == "unknown":
		return unknown, nil
	case args[0].kind != "str":
		return value{}, e.fail(c, ":parse takes text")
	}
	if e.parseLeft -= len(args[0].s) + 1; e.parseLeft < 0 {
		return value{}, e.fail(c, ":parse: more text than the script holds")
	}
	code, err := Parse(args[0].s, e.c.Dialect)
	if err != nil {
		return value{}, e.fail(c, ":parse: %v", err)
	}
	return value{kind: "code", code: code}, nil
}

// call runs the code [[...]]'s inner command returns.
func (e *env) call(c *Command, menu string) (value, error) {
	v, err := e.eval(c, c.Args[0].Val, menu)
	switch {
	case err != nil:
		return value{}, err
	case v.kind == "unknown":
		e.c.note(c.Line, "", "code made from a value this text does not set was not run")
		return unknown, nil
	case v.kind != "code":
		return value{}, e.fail(c, "[[...]] runs code only")
	}
	// Parsed code sees none of the caller's local variables.
	outer := e.scopes
	defer func() { e.scopes = outer }()
	e.scopes = []map[string]*value{{}}
	return value{kind: "nil"}, e.runBlock(v.code, "")
}

func (e *env) runIf(c *Command, menu string) error {
	l, err := e.eval(c, c.Cond.Left, menu)
	if err != nil {
		return err
	}
	r, err := e.eval(c, c.Cond.Right, menu)
	if err != nil {
		return err
	}
	if l.kind == "unknown" || r.kind == "unknown" {
		// Lenient: either branch may run. Both do, and what they add is
		// unsure; a branch that stops with an error is the one that does
		// not run on a router where the other one is meant to.
		defer func(was string) { e.unsure = was }(e.unsure)
		if e.unsure == "" {
			e.unsure = fmt.Sprintf("line %d: the :if above it depends on what this text does not show", c.Line)
		}
		for _, b := range []*Block{c.Then, c.Else} {
			if b == nil {
				continue
			}
			var se *ScriptError
			if err := e.runBlock(b, menu); err != nil && !errors.As(err, &se) {
				return err
			}
		}
		return nil
	}
	if l.kind != "num" || r.kind != "num" {
		return e.fail(c, ":if compares numbers only here")
	}
	holds := map[string]bool{"=": l.n == r.n, "!=": l.n != r.n, "<": l.n < r.n, ">": l.n > r.n}[c.Cond.Op]
	switch {
	case holds:
		return e.runBlock(c.Then, menu)
	case c.Else != nil:
		return e.runBlock(c.Else, menu)
	}
	return nil
}

// evalArgs evaluates a command's unnamed arguments, as many as usage names
// after the command.
func (e *env) evalArgs(c *Command, menu, usage string) ([]value, error) {
	if len(c.Args) != len(strings.Fields(usage))-1 {
		return nil, e.fail(c, "%s", usage)
	}
	var out []value
	for _, a := range c.Args {
		if a.Name != "" {
			return nil, e.fail(c, "%s", usage)
		}
		v, err := e.eval(c, a.Val, menu)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (e *env) eval(c *Command, x Expr, menu string) (value, error) {
	switch x.Kind {
	case "string":
		return value{kind: "str", s: x.Text}, nil
	case "word":
		if n, err := strconv.ParseInt(x.Text, 10, 64); err == nil {
			return value{kind: "num", n: n}, nil
		}
		return value{kind: "str", s: x.Text}, nil
	case "var":
		v := e.lookup(x.Text)
		switch {
		case v != nil:
			return *v, nil
		case e.c.Dialect.Lenient:
			return unknown, nil
		}
		return value{}, e.fail(c, "variable %q is not declared", x.Text)
	case "command":
		return e.exec(x.Cmd, menu)
	}
	if e.c.Dialect.Lenient {
		return unknown, nil
	}
	return value{}, e.fail(c, "unknown value")
}

// find reads "where PROP=VALUE PROP~REGEXP ..." and returns the matching
// items in list order. Lenient, "where" may be left out, as RouterOS v6
// allows, and a condition it cannot read makes the result unknown.
func (e *env) find(c *Command, menu string) (value, error) {
	lenient := e.c.Dialect.Lenient
	args := c.Args
	if len(args) > 0 && args[0].Name == "" && args[0].Val.Text == "where" {
		args = args[1:]
	} else if !lenient || len(args) == 0 {
		return value{}, e.fail(c, "find where CONDITION...")
	}
	if lenient && !e.c.kept(menu) {
		// The router holds items this run does not.
		return unknown, nil
	}
	type cond struct {
		prop, want string
		re         *regexp.Regexp
	}
	var conds []cond
	for _, a := range args {
		if a.Name == "" {
			if lenient {
				return unknown, nil
			}
			return value{}, e.fail(c, "find: a condition is PROP=VALUE or PROP~REGEXP")
		}
		v, err := e.eval(c, a.Val, menu)
		if err != nil {
			return value{}, err
		}
		if v.kind == "num" && lenient {
			v = value{kind: "str", s: strconv.FormatInt(v.n, 10)}
		}
		if v.kind != "str" {
			if lenient {
				return unknown, nil
			}
			return value{}, e.fail(c, "find: %s compares with text", a.Name)
		}
		cd := cond{prop: a.Name, want: v.s}
		if a.Op == '~' {
			re, err := compileFind(v.s)
			if err != nil {
				if lenient {
					return unknown, nil
				}
				return value{}, e.fail(c, "find: %s~ is not a regular expression: %v", a.Name, err)
			}
			cd.re = re
		} else if a.Name == "dynamic" && v.s != "yes" && v.s != "no" {
			return value{}, e.fail(c, "find: dynamic is yes or no")
		}
		conds = append(conds, cd)
	}
	ids := []string{}
	for _, it := range e.c.Menus[menu] {
		all := true
		for _, cd := range conds {
			got := it.Props[cd.prop]
			if cd.prop == "dynamic" {
				got = map[bool]string{true: "yes", false: "no"}[it.Dynamic]
			}
			if cd.re != nil && !cd.re.MatchString(got) || cd.re == nil && got != cd.want {
				all = false
				break
			}
		}
		if all {
			ids = append(ids, it.ID)
		}
	}
	return value{kind: "ids", ids: ids}, nil
}

// findRegexps caches the regexps of find's ~ conditions: a script asks for
// the same few again and again.
var findRegexps sync.Map

func compileFind(expr string) (*regexp.Regexp, error) {
	if re, ok := findRegexps.Load(expr); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.CompilePOSIX(expr)
	if err == nil {
		findRegexps.Store(expr, re)
	}
	return re, err
}

func (e *env) remove(c *Command, menu string) error {
	if len(c.Args) != 1 || c.Args[0].Name != "" {
		return e.fail(c, "remove ITEMS")
	}
	v, err := e.eval(c, c.Args[0].Val, menu)
	if err != nil {
		return err
	}
	if e.c.Dialect.Lenient && v.kind != "ids" {
		if e.c.kept(menu) {
			e.c.note(c.Line, menu, "a remove on %s names items this text does not show; it was not applied", menu)
		}
		return nil
	}
	if v.kind != "ids" {
		return e.fail(c, "remove takes items")
	}
	for _, id := range v.ids {
		i := e.c.index(menu, id)
		if i < 0 {
			return e.fail(c, "no such item %s", id)
		}
		e.c.Menus[menu] = slices.Delete(e.c.Menus[menu], i, i+1)
	}
	return nil
}

// add checks every property, places the item before place-before's or at
// the end, and returns its ID. Lenient, place-before may also be a number
// (the position print shows), and a value it cannot know makes the item
// unsure.
func (e *env) add(c *Command, menu string) (value, error) {
	lenient := e.c.Dialect.Lenient
	props := map[string]string{}
	at := -1
	unsure := e.unsure
	for _, a := range c.Args {
		if a.Name == "" || a.Op != '=' {
			if lenient {
				continue
			}
			return value{}, e.fail(c, "add takes PROP=VALUE only")
		}
		if _, dup := props[a.Name]; dup || a.Name == "place-before" && at >= 0 {
			return value{}, e.fail(c, "%s given twice", a.Name)
		}
		v, err := e.eval(c, a.Val, menu)
		if err != nil {
			return value{}, err
		}
		if v.kind == "unknown" || lenient && v.kind == "nil" {
			if unsure == "" {
				unsure = fmt.Sprintf("line %d: its %s= is a value this text does not set", c.Line, a.Name)
			}
			continue
		}
		if a.Name == "place-before" {
			switch {
			case v.kind == "num" && lenient:
				at = int(min(max(v.n, 0), int64(len(e.c.Menus[menu]))))
			case v.kind != "ids" || len(v.ids) != 1:
				if !lenient {
					return value{}, e.fail(c, "place-before takes one item, not %s %v", v.kind, v.ids)
				}
				if unsure == "" {
					unsure = fmt.Sprintf("line %d: its place-before= names a rule this text does not show", c.Line)
				}
			default:
				if at = e.c.index(menu, v.ids[0]); at < 0 {
					return value{}, e.fail(c, "place-before: no such item %s", v.ids[0])
				}
			}
			continue
		}
		if v.kind == "num" {
			v = value{kind: "str", s: strconv.FormatInt(v.n, 10)}
		}
		if v.kind != "str" {
			if lenient {
				continue
			}
			return value{}, e.fail(c, "%s takes text", a.Name)
		}
		props[a.Name] = v.s
	}
	if lenient && !e.c.kept(menu) {
		return unknown, nil
	}
	if e.c.Check != nil {
		if err := e.c.Check(menu, props); err != nil {
			return value{}, e.fail(c, "%s add: %v", menu, err)
		}
	}
	if e.c.MaxItems > 0 && e.c.next >= e.c.MaxItems {
		return value{}, fmt.Errorf("line %d: %w (%d)", c.Line, ErrTooManyItems, e.c.MaxItems)
	}
	it := &Item{Props: props, Line: c.Line, Unsure: unsure}
	e.c.Insert(menu, it, at)
	return value{kind: "ids", ids: []string{it.ID}}, nil
}
