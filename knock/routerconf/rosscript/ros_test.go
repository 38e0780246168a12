package rosscript

import (
	"strings"
	"testing"
)

func TestUnquote(t *testing.T) {
	for in, want := range map[string]string{
		`"test"`:              "test",
		`"a\"b\\c\$d\?e"`:     `a"b\c$d?e`,
		`"\00\0A\7F\FF"`:      "\x00\n\x7f\xff",
		`"\_\n\r\t\a\b\f\v"`:  " \n\r\t\a\b\f\v",
		`"[h]{} #;"`:          "[h]{} #;",
		`"\48\45\4C\4C\4F"`:   "HELLO",
		`"^knocker office: "`: "^knocker office: ",
	} {
		got, err := Unquote(in)
		if err != nil || got != want {
			t.Errorf("Unquote(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`test`, `"a$b"`, `"a?"`, `"a"b"`, `"\0a"`, `"\q"`, "\"\x01\"", "\"\xff\"", `"\`} {
		if got, err := Unquote(bad); err == nil {
			t.Errorf("Unquote(%s) = %q, want an error", bad, got)
		}
	}
}

func TestL7(t *testing.T) {
	// l7-filter turns \xHH into the byte, lowercased, also behind an
	// escaped backslash, and leaves an incomplete one alone.
	for in, want := range map[string]string{`\x41b`: "ab", `\\x41b`: `\ab`, `^\xC9$`: "^\xe9$", `a\x41`: "aa", `a\x4`: `a\x4`, "AB\xc0": "ab\xe0"} {
		if got := preProcess(in); got != want {
			t.Errorf("preProcess(%q) = %q, want %q", in, got, want)
		}
	}
	for _, tt := range []struct {
		re, data string
		match    bool
		err      bool
	}{
		{"^test$", "TeSt", true, false},
		{"^test$", "test\x00", true, false}, // NULs are not part of the data
		{"^test$", "tests", false, false},
		{`^[\\]x41$`, `\x41`, true, false},
		{`^\\x41$`, `\x41`, false, true}, // l7-filter reads \a, a plain regexp \x41
		{"^\xe0$", "\xe0", true, false},
		{"^\xc0$", "\xc0", false, true}, // l7-filter lowercases the pattern only
	} {
		got, err := L7Matches(tt.re, []byte(tt.data))
		if got != tt.match || (err != nil) != tt.err {
			t.Errorf("L7Matches(%q, %q) = %v, %v; want %v, error %v", tt.re, tt.data, got, err, tt.match, tt.err)
		}
	}
	for _, bad := range []string{"test", "^te.t$", `^a\b$`, "^a(b$"} {
		if lit, err := L7Literal(bad); err == nil {
			t.Errorf("L7Literal(%q) = %q, want an error", bad, lit)
		}
	}
}

// :do {...} on-error={...} runs on-error when the block fails, in either
// dialect; a lenient :do of another form (a loop) is read and not run.
func TestDoOnError(t *testing.T) {
	for _, d := range []Dialect{{Menus: []string{"/ip firewall filter"}}, {Lenient: true}} {
		c := NewConfig(d)
		script := "{\n:do {/ip firewall filter add chain=input comment=\"a\"\n:error \"no\"} on-error={/ip firewall filter add chain=input comment=\"caught\"}\n" +
			":do {/ip firewall filter add chain=input comment=\"b\"} on-error={/ip firewall filter add chain=input comment=\"not\"}\n}\n"
		if d.Lenient {
			script += ":do { :put 1 } while=(1 = 0)\n"
		}
		if err := c.Run(script); err != nil {
			t.Fatalf("lenient %v: %v", d.Lenient, err)
		}
		var got []string
		for _, it := range c.Menus["/ip firewall filter"] {
			got = append(got, it.Props["comment"])
		}
		if strings.Join(got, ",") != "a,caught,b" {
			t.Errorf("lenient %v: rules %q", d.Lenient, got)
		}
	}
	if err := NewConfig(Dialect{Menus: []string{"/ip firewall filter"}}).Run("{\n:do {:error x}\n}"); err == nil || !strings.Contains(err.Error(), "on-error") {
		t.Errorf("strict :do without on-error: %v", err)
	}
}

// [[:parse "..."]] runs the code in the text, in the caller's dialect and
// without its local variables; lenient, code from a value the text does
// not set is noted, not run; and :parse reads no more text in a run than
// the script holds, however often it is handed the same string.
func TestParseCall(t *testing.T) {
	const menu = "/ip firewall filter"
	add := `/ip firewall filter add chain=input comment=\"p\"`
	tests := []struct {
		name    string
		lenient bool
		script  string
		err     string
		rules   int
		note    string
	}{
		{"strict", false, "{\n:local a 1\n[[:parse \"" + add + "\"]]\n}", "", 1, ""},
		{"lenient", true, "[[:parse \"" + add + "\"]]\n", "", 1, ""},
		{"lenient, a value it does not set", true, "[[:parse $elsewhere]]\n", "", 0, "was not run"},
		{"lenient, a syntax error noted", true, "[[:parse \"/ip firewall filter add comment=\\\"\"]]\n", "", 0, ":parse: line 1"},
		{"strict, the same string again and again", false,
			"{\n:local s \"" + add + "\"\n" + strings.Repeat("[[:parse $s]]\n", 20) + "}", "more text than the script holds", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewConfig(Dialect{Lenient: tt.lenient, Menus: []string{menu}})
			err := c.Run(tt.script)
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("error %v, want %q", err, tt.err)
			}
			if tt.err == "" && len(c.Menus[menu]) != tt.rules {
				t.Errorf("%d rules, want %d", len(c.Menus[menu]), tt.rules)
			}
			if tt.note != "" && (len(c.Notes) != 1 || !strings.Contains(c.Notes[0].Msg, tt.note)) {
				t.Errorf("notes %+v, want one saying %q", c.Notes, tt.note)
			}
		})
	}
}
