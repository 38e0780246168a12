package rosmodel

import (
	"fmt"
	"maps"
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
}

// Router is the modelled state: the menus' items in order, and which
// interfaces each interface list holds (for writing rules as nftables).
type Router struct {
	menus   map[string][]*Item
	members map[string][]string
	next    int
	noIPv6  bool
	// Warnings collect what a script did that RouterOS may refuse although
	// its manual does not say so.
	Warnings []string
}

// ScriptError is a script's own :error, or a command RouterOS would refuse.
type ScriptError struct {
	Line int
	Msg  string
}

func (e *ScriptError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// New is a router with no configuration: empty firewall menus and only the
// built-in interface lists (all, none, dynamic, static).
func New() *Router {
	r := &Router{menus: map[string][]*Item{}, members: map[string][]string{}}
	for _, name := range []string{"all", "none", "dynamic", "static"} {
		r.insert(IfaceList, &Item{Props: map[string]string{"name": name}, Dynamic: true}, -1)
	}
	return r
}

// Defconf is a router as MikroTik's default configuration leaves it, with
// the given interfaces in its LAN and WAN lists: the input chains of /ip and
// /ipv6 firewall filter hold defconf's rules (the IPv6 chain only the ones
// that decide what reaches the router from where: the IPsec, DHCPv6 and
// traceroute accepts are left out), and the dynamic rule RouterOS shows for
// fasttrack counters sits first in the list.
func Defconf(lan, wan []string) *Router {
	r := New()
	r.AddInterfaceList("LAN", lan...)
	r.AddInterfaceList("WAN", wan...)
	rule := func(menu string, props ...string) {
		it := &Item{Props: map[string]string{}}
		for i := 0; i < len(props); i += 2 {
			it.Props[props[i]] = props[i+1]
		}
		r.insert(menu, it, -1)
	}
	r.insert(IPFilter, &Item{Props: map[string]string{"chain": "forward", "action": "passthrough",
		"comment": "special dummy rule to show fasttrack counters"}, Dynamic: true}, -1)
	for _, m := range []struct{ menu, icmp, icmpComment string }{
		{IPFilter, "icmp", "defconf: accept ICMP"}, {IPv6Filter, "icmpv6", "defconf: accept ICMPv6"},
	} {
		rule(m.menu, "action", "accept", "chain", "input", "comment", "defconf: accept established,related,untracked",
			"connection-state", "established,related,untracked")
		rule(m.menu, "action", "drop", "chain", "input", "comment", "defconf: drop invalid", "connection-state", "invalid")
		rule(m.menu, "action", "accept", "chain", "input", "comment", m.icmpComment, "protocol", m.icmp)
		if m.menu == IPFilter {
			rule(m.menu, "action", "accept", "chain", "input", "comment", "defconf: accept to local loopback (for CAPsMAN)",
				"dst-address", "127.0.0.1")
			rule(m.menu, "action", "drop", "chain", "input", "comment", "defconf: drop all not coming from LAN",
				"in-interface-list", "!LAN")
		} else {
			rule(m.menu, "action", "drop", "chain", "input", "comment", "defconf: drop everything else not coming from LAN",
				"in-interface-list", "!LAN")
		}
		rule(m.menu, "action", "accept", "chain", "forward", "comment", "defconf: accept established,related,untracked",
			"connection-state", "established,related,untracked")
	}
	return r
}

// WithoutIPv6 makes r a RouterOS 6 whose ipv6 package is disabled, as
// small routers' owners do to save memory: it has no /ipv6 menus, so a
// script that names one is refused before any of it runs (RouterOS 7 has
// IPv6 built in, and its menus always). Any IPv6 rules go with the package.
func (r *Router) WithoutIPv6() *Router {
	r.noIPv6 = true
	for _, m := range ipv6Menus {
		delete(r.menus, m)
	}
	return r
}

// hasMenu reports whether r has menu.
func (r *Router) hasMenu(menu string) bool {
	return slices.Contains(menus, menu) && !(r.noIPv6 && slices.Contains(ipv6Menus, menu))
}

// AddInterfaceList adds an interface list with these members.
func (r *Router) AddInterfaceList(name string, members ...string) error {
	if err := checkName("", name); err != nil {
		return err
	}
	if slices.ContainsFunc(r.menus[IfaceList], func(it *Item) bool { return it.Props["name"] == name }) {
		return fmt.Errorf("interface list %s exists", name)
	}
	r.insert(IfaceList, &Item{Props: map[string]string{"name": name}}, -1)
	r.members[name] = members
	return nil
}

// AddRule appends a rule as if a user had added it, for tests of routers
// with rules of their own; props are name, value pairs.
func (r *Router) AddRule(menu string, props ...string) error {
	it := &Item{Props: map[string]string{}}
	for i := 0; i+1 < len(props); i += 2 {
		it.Props[props[i]] = props[i+1]
	}
	if err := r.checkAdd(menu, it.Props); err != nil {
		return err
	}
	r.insert(menu, it, -1)
	return nil
}

// Items returns copies of a menu's items in order.
func (r *Router) Items(menu string) []Item {
	var out []Item
	for _, it := range r.menus[menu] {
		out = append(out, Item{ID: it.ID, Props: maps.Clone(it.Props), Dynamic: it.Dynamic})
	}
	return out
}

func (r *Router) insert(menu string, it *Item, at int) {
	r.next++
	it.ID = "*" + strings.ToUpper(strconv.FormatInt(int64(r.next), 16))
	items := r.menus[menu]
	if at < 0 {
		at = len(items)
	}
	r.menus[menu] = slices.Insert(items, at, it)
}

func (r *Router) index(menu, id string) int {
	return slices.IndexFunc(r.menus[menu], func(it *Item) bool { return it.ID == id })
}

// Run parses script and runs it as a terminal would: each top-level line
// in a scope of its own, a { } block as one script that stops at its first
// error. It stops at the first error and returns it.
func (r *Router) Run(script string) error {
	b, err := parse(script, r.hasMenu)
	if err != nil {
		return err
	}
	e := &env{r: r}
	for _, c := range b.cmds {
		e.scopes = []map[string]*value{{}}
		if _, err := e.exec(c, ""); err != nil {
			return err
		}
	}
	return nil
}

// Export writes the static items of every menu in the order RouterOS
// keeps them, as add commands, for comparing whole configurations.
func (r *Router) Export() string {
	var b strings.Builder
	for _, menu := range menus {
		var lines []string
		for _, it := range r.menus[menu] {
			if it.Dynamic {
				continue
			}
			var kv []string
			for _, k := range slices.Sorted(maps.Keys(it.Props)) {
				kv = append(kv, k+"="+exportValue(it.Props[k]))
			}
			lines = append(lines, "add "+strings.Join(kv, " "))
		}
		if len(lines) > 0 {
			b.WriteString(menu + "\n" + strings.Join(lines, "\n") + "\n")
		}
	}
	return b.String()
}

var bareValueRE = regexp.MustCompile(`^[A-Za-z0-9_.,:!*/-]+$`)

// exportValue quotes a value that is not a bare word, as RouterOS's export
// does, escaping what its strings must.
func exportValue(v string) string {
	if bareValueRE.MatchString(v) {
		return v
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case strings.IndexByte(`"\$?`, c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// value is what a command or expression yields.
type value struct {
	kind string // "nil", "str", "num", "ids", "code"
	s    string
	n    int64
	ids  []string
	code *block
}

type env struct {
	r      *Router
	scopes []map[string]*value
}

func (e *env) fail(c *command, format string, a ...any) error {
	return &ScriptError{Line: c.line, Msg: fmt.Sprintf(format, a...)}
}

func (e *env) lookup(name string) *value {
	for i := len(e.scopes) - 1; i >= 0; i-- {
		if v, ok := e.scopes[i][name]; ok {
			return v
		}
	}
	return nil
}

func (e *env) runBlock(b *block) error {
	e.scopes = append(e.scopes, map[string]*value{})
	defer func() { e.scopes = e.scopes[:len(e.scopes)-1] }()
	for _, c := range b.cmds {
		if _, err := e.exec(c, ""); err != nil {
			return err
		}
	}
	return nil
}

// exec runs one command; menu is the enclosing command's, for relative verbs.
func (e *env) exec(c *command, menu string) (value, error) {
	nothing := value{kind: "nil"}
	switch c.kind {
	case "block":
		return nothing, e.runBlock(c.body)
	case ":local", ":set":
		if len(c.args) == 0 || len(c.args) > 2 || c.args[0].name != "" || c.args[0].val.kind != "word" {
			return nothing, e.fail(c, "%s NAME [VALUE]", c.kind)
		}
		name := c.args[0].val.text
		if !varNameRE.MatchString(name) {
			return nothing, e.fail(c, "variable name %q is not letters and digits", name)
		}
		if isPropertyName(name) {
			// The manual: a variable named like a command's argument is
			// read as that argument.
			return nothing, e.fail(c, "variable %q has the name of a property", name)
		}
		v := nothing
		if len(c.args) == 2 {
			var err error
			if v, err = e.eval(c, c.args[1].val, menu); err != nil {
				return nothing, err
			}
		}
		top := e.scopes[len(e.scopes)-1]
		if c.kind == ":local" {
			if _, ok := top[name]; ok {
				return nothing, e.fail(c, "variable %q is already declared here", name)
			}
			top[name] = &v
			return nothing, nil
		}
		old := e.lookup(name)
		if old == nil {
			return nothing, e.fail(c, "variable %q is not declared", name)
		}
		*old = v
		return nothing, nil
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
		}
		return nothing, e.fail(c, ":len of a number")
	case ":pick":
		args, err := e.evalArgs(c, menu, ":pick LIST INDEX")
		if err != nil {
			return nothing, err
		}
		v, i := args[0], args[1]
		if v.kind != "ids" || i.kind != "num" {
			return nothing, e.fail(c, ":pick is used here on a list of items only")
		}
		if i.n < 0 || i.n >= int64(len(v.ids)) {
			return nothing, nil
		}
		return value{kind: "ids", ids: []string{v.ids[i.n]}}, nil
	case ":do":
		if err := e.runBlock(c.body); err != nil {
			// on-error catches what fails at run time: a refused command,
			// an :error, and the syntax errors :parse finds.
			return nothing, e.runBlock(c.els)
		}
		return nothing, nil
	case ":parse":
		args, err := e.evalArgs(c, menu, ":parse CODE")
		if err != nil {
			return nothing, err
		}
		if args[0].kind != "str" {
			return nothing, e.fail(c, ":parse takes text")
		}
		code, err := parse(args[0].s, e.r.hasMenu)
		if err != nil {
			return nothing, e.fail(c, ":parse: %v", err)
		}
		return value{kind: "code", code: code}, nil
	case "eval":
		_, err := e.eval(c, c.args[0].val, menu)
		return nothing, err
	case "call":
		v, err := e.eval(c, c.args[0].val, menu)
		if err != nil {
			return nothing, err
		}
		if v.kind != "code" {
			return nothing, e.fail(c, "[[...]] runs code only")
		}
		// Parsed code sees none of the caller's local variables.
		outer := e.scopes
		defer func() { e.scopes = outer }()
		e.scopes = []map[string]*value{{}}
		return nothing, e.runBlock(v.code)
	case ":if":
		l, err := e.eval(c, c.cond.left, menu)
		if err != nil {
			return nothing, err
		}
		r, err := e.eval(c, c.cond.right, menu)
		if err != nil {
			return nothing, err
		}
		if l.kind != "num" || r.kind != "num" {
			return nothing, e.fail(c, ":if compares numbers only here")
		}
		holds := map[string]bool{"=": l.n == r.n, "!=": l.n != r.n, "<": l.n < r.n, ">": l.n > r.n}[c.cond.op]
		switch {
		case holds:
			return nothing, e.runBlock(c.then)
		case c.els != nil:
			return nothing, e.runBlock(c.els)
		}
		return nothing, nil
	}
	if c.menu != "" {
		menu = c.menu
	}
	if menu == "" {
		return nothing, e.fail(c, "%s outside a menu", c.kind)
	}
	switch c.kind {
	case "find":
		return e.find(c, menu)
	case "remove":
		if len(c.args) != 1 || c.args[0].name != "" {
			return nothing, e.fail(c, "remove ITEMS")
		}
		v, err := e.eval(c, c.args[0].val, menu)
		if err != nil {
			return nothing, err
		}
		if v.kind != "ids" {
			return nothing, e.fail(c, "remove takes items")
		}
		for _, id := range v.ids {
			i := e.r.index(menu, id)
			if i < 0 {
				return nothing, e.fail(c, "no such item %s", id)
			}
			e.r.menus[menu] = slices.Delete(e.r.menus[menu], i, i+1)
		}
		return nothing, nil
	case "add":
		return e.add(c, menu)
	}
	return nothing, e.fail(c, "unknown command %s", c.kind)
}

// evalArgs evaluates a command's unnamed arguments, as many as usage names
// after the command.
func (e *env) evalArgs(c *command, menu, usage string) ([]value, error) {
	if len(c.args) != len(strings.Fields(usage))-1 {
		return nil, e.fail(c, "%s", usage)
	}
	var out []value
	for _, a := range c.args {
		if a.name != "" {
			return nil, e.fail(c, "%s", usage)
		}
		v, err := e.eval(c, a.val, menu)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (e *env) eval(c *command, x expr, menu string) (value, error) {
	switch x.kind {
	case "string":
		return value{kind: "str", s: x.text}, nil
	case "word":
		if n, err := strconv.ParseInt(x.text, 10, 64); err == nil {
			return value{kind: "num", n: n}, nil
		}
		return value{kind: "str", s: x.text}, nil
	case "var":
		v := e.lookup(x.text)
		if v == nil {
			return value{}, e.fail(c, "variable %q is not declared", x.text)
		}
		return *v, nil
	case "command":
		return e.exec(x.cmd, menu)
	}
	return value{}, e.fail(c, "unknown value")
}

// find reads "where PROP=VALUE PROP~REGEXP ..." and returns the matching
// items in list order.
func (e *env) find(c *command, menu string) (value, error) {
	if len(c.args) < 2 || c.args[0].name != "" || c.args[0].val.text != "where" {
		return value{}, e.fail(c, "find where CONDITION...")
	}
	type cond struct {
		prop, want string
		re         *regexp.Regexp
	}
	var conds []cond
	for _, a := range c.args[1:] {
		if a.name == "" {
			return value{}, e.fail(c, "find: a condition is PROP=VALUE or PROP~REGEXP")
		}
		v, err := e.eval(c, a.val, menu)
		if err != nil {
			return value{}, err
		}
		if v.kind != "str" {
			return value{}, e.fail(c, "find: %s compares with text", a.name)
		}
		cd := cond{prop: a.name, want: v.s}
		if a.op == '~' {
			re, err := compileFind(v.s)
			if err != nil {
				return value{}, e.fail(c, "find: %s~ is not a regular expression: %v", a.name, err)
			}
			cd.re = re
		} else if a.name == "dynamic" && v.s != "yes" && v.s != "no" {
			return value{}, e.fail(c, "find: dynamic is yes or no")
		}
		conds = append(conds, cd)
	}
	ids := []string{}
	for _, it := range e.r.menus[menu] {
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

// add checks every property, places the item before place-before's or at
// the end, and returns its ID.
func (e *env) add(c *command, menu string) (value, error) {
	props := map[string]string{}
	at := -1
	for _, a := range c.args {
		if a.name == "" || a.op != '=' {
			return value{}, e.fail(c, "add takes PROP=VALUE only")
		}
		if _, dup := props[a.name]; dup || a.name == "place-before" && at >= 0 {
			return value{}, e.fail(c, "%s given twice", a.name)
		}
		v, err := e.eval(c, a.val, menu)
		if err != nil {
			return value{}, err
		}
		if a.name == "place-before" {
			if v.kind != "ids" || len(v.ids) != 1 {
				return value{}, e.fail(c, "place-before takes one item, not %s %v", v.kind, v.ids)
			}
			if at = e.r.index(menu, v.ids[0]); at < 0 {
				return value{}, e.fail(c, "place-before: no such item %s", v.ids[0])
			}
			continue
		}
		if v.kind == "num" {
			v = value{kind: "str", s: strconv.FormatInt(v.n, 10)}
		}
		if v.kind != "str" {
			return value{}, e.fail(c, "%s takes text", a.name)
		}
		props[a.name] = v.s
	}
	if err := e.r.checkAdd(menu, props); err != nil {
		return value{}, e.fail(c, "%s add: %v", menu, err)
	}
	it := &Item{Props: props}
	e.r.insert(menu, it, at)
	return value{kind: "ids", ids: []string{it.ID}}, nil
}
