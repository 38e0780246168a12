package profile

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestPrintable(t *testing.T) {
	long := strings.Repeat("é", maxShown+5)
	tests := []struct{ in, printable, excerpt string }{
		{"openSSH", "openSSH", "openSSH"},
		{"Büro 2", "Büro 2", "Büro 2"},
		{"\x1b]2;pwned\x07", `"\x1b]2;pwned\a"`, `"\x1b]2;pwned\a"`},
		{"admin\u202egnp.exe", `"admin\u202egnp.exe"`, `"admin\u202egnp.exe"`},
		{"a\u200bb", `"a\u200bb"`, `"a\u200bb"`},
		{"a\u2028b", `"a\u2028b"`, `"a\u2028b"`},
		{"\xff", `"\xff"`, `"\xff"`},
		{long, long, strings.Repeat("é", maxShown) + "…"},
		{"\x1b" + long, strconv.Quote("\x1b" + long), `"\x1b` + strings.Repeat("é", maxShown-1) + `"…`},
	}
	for _, tt := range tests {
		if got := Printable(tt.in); got != tt.printable {
			t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.printable)
		}
		if got := excerpt(tt.in); got != tt.excerpt {
			t.Errorf("excerpt(%q) = %q, want %q", tt.in, got, tt.excerpt)
		}
	}
}

func FuzzPrintable(f *testing.F) {
	f.Add("plain")
	f.Add("\x1b[31mred")
	f.Add("\u202e\u2066x\u2069")
	f.Add(strings.Repeat("\u200d", 200))
	f.Fuzz(func(t *testing.T, s string) {
		for _, got := range []string{Printable(s), excerpt(s)} {
			if !utf8.ValidString(got) || strings.ContainsFunc(got, hiddenRune) {
				t.Fatalf("%q shown as %q holds hidden characters", s, got)
			}
		}
		if n := utf8.RuneCountInString(excerpt(s)); n > 12*maxShown+3 {
			t.Fatalf("excerpt(%q) is %d characters long", s, n)
		}
		if utf8.ValidString(s) && !strings.ContainsFunc(s, hiddenRune) && Printable(s) != s {
			t.Fatalf("Printable changed %q, which shows as it is", s)
		}
	})
}

// TestNamesRefuseHiddenCharacters: look-alike names (a bidi override that
// shows "exe.gnp" as "png.exe", zero-width joiners and spaces) and hosts
// with them are refused, as control characters were.
func TestNamesRefuseHiddenCharacters(t *testing.T) {
	for _, s := range []string{
		"office\u202e", "\u2066office\u2069", "off\u2067ice", "off\u2068ice", "off\u200bice", "off\u200dice",
		"off\ufeffice", "off\u00adice", "off\u2028ice", "off\ue000ice", "off\x1bice", "off\u0085ice",
	} {
		if err := ValidateName(s); err == nil || !strings.Contains(err.Error(), "control or invisible formatting character") {
			t.Errorf("ValidateName(%q) = %v", s, err)
		}
		if err := ValidateHost(s); err == nil {
			t.Errorf("ValidateHost(%q) accepted it", s)
		}
	}
	for _, s := range []string{"Büro", "東京 office", "router-1 (backup)", "👍 ok"} {
		if err := ValidateName(s); err != nil {
			t.Errorf("ValidateName(%q) = %v", s, err)
		}
	}
	if err := ValidateHost("bücher.example"); err != nil {
		t.Errorf("an IDN host was refused: %v", err)
	}
}

// TestNamesFromFilesAreEscaped: a section name with a terminal escape or a
// bidi override reaches no message as it is, in either format that names
// sections.
func TestNamesFromFilesAreEscaped(t *testing.T) {
	const evil = "\x1b]2;pwned\x07\u202e"
	tests := []struct{ name, in, host string }{
		{"knockd", "[" + evil + "]\nsequence = 1\n", "h"},
		{"knockd without sequence", "[" + evil + "]\n[b]\n", "h"},
		{"fwknoprc", "[" + evil + "]\nSPA_SERVER h\nACCESS tcp/22\n" + rcKeyLines, ""},
		{"knocker json", `{"version":1,"profiles":[{"name":"` + "\\u001b]2;x\\u0007" + `","host":"h","steps":[{"proto":"tcp","port":1}]}]}`, ""},
		{"knocker json field", `{"version":1,"profiles":[{"name":"a","host":"h","st\u001beps":[]}]}`, ""},
		{"kop", `{"version":1,"sequences":[{"name":"a","host":"h","ipv":"\u001b[2J","steps":[{"type":"tcp","port":1}]}]}`, ""},
		{"kop warning", `{"version":1,"sequences":[{"name":"a","host":"h","application":"\u001b[2J","steps":[{"type":"tcp","port":1}]}]}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			imp, err := ParseImport([]byte(tt.in), tt.host)
			msgs := imp.Warnings
			if err != nil {
				msgs = append(msgs, err.Error())
			}
			if len(msgs) == 0 {
				t.Fatal("no message to check")
			}
			for _, m := range msgs {
				if strings.ContainsFunc(m, hiddenRune) {
					t.Errorf("message holds a raw control or format character: %q", m)
				}
			}
		})
	}
}

// TestSavedNamesWithHiddenCharactersStillLoad: a list saved by a build that
// allowed format characters in names loads as it is, rather than being
// moved aside as corrupt; only a new name must follow today's rule.
func TestSavedNamesWithHiddenCharactersStillLoad(t *testing.T) {
	book, _ := newTestBook(t)
	saved := `{"version": 1, "profiles": [{"id": "a1", "name": "👨\u200d👩\u200d👧 home", "host": "h", "auto_refresh": false}]}`
	if err := os.WriteFile(book.Store.(*Store).Path(), []byte(saved), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := book.List()
	if err != nil || len(l.Profiles) != 1 || l.Profiles[0].Name != "👨\u200d👩\u200d👧 home" {
		t.Fatalf("%+v %v", l, err)
	}
	if aside, _ := filepath.Glob(book.Store.(*Store).Path() + ".corrupt-*"); len(aside) > 0 {
		t.Fatal("the list was moved aside")
	}
	if err := book.MarkKnocked("a1", time.Now()); err != nil {
		t.Fatalf("saving the list again: %v", err)
	}
	if err := book.Rename("👨\u200d👩\u200d👧 home", "family\u202e"); err == nil {
		t.Fatal("renamed to a name with a bidi override")
	}
	if err := book.Rename("👨\u200d👩\u200d👧 home", "family"); err != nil {
		t.Fatal(err)
	}
}
