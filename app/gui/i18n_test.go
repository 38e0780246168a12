package gui

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2/lang"
)

// TestMain runs the package's tests in English, whatever the machine's
// language: their assertions read the English texts. Tests of other
// languages switch and switch back.
func TestMain(m *testing.M) {
	if err := setupLanguage(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	useLanguage("en")
	os.Exit(m.Run())
}

// inLanguage runs the rest of a test in code, and English again after it.
func inLanguage(t testing.TB, code string) {
	t.Helper()
	useLanguage(code)
	t.Cleanup(func() { useLanguage("en") })
}

var writeEnglish = flag.Bool("write-en", false, "rewrite translations/en.json from the keys in the code")

// message is a text the code asks lang for.
type message struct {
	key, english string // english: the fallback the code carries
	plural       bool
	at           string // where the code asks for it
}

// codeMessages reads every lang.L, N, X and XN call in the package's Go
// source (every platform's) with go/ast. A key or fallback that is not a
// string literal (or a sum of literals) is an error: a tool could not see
// it, so no translator would.
func codeMessages(t *testing.T) map[string]message {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]message{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		langName := ""
		for _, imp := range f.Imports {
			if imp.Path.Value == `"fyne.io/fyne/v2/lang"` {
				langName = "lang"
				if imp.Name != nil {
					langName = imp.Name.Name
				}
			}
		}
		if langName == "" {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != langName {
				return true
			}
			at := fset.Position(call.Pos()).String()
			literal := func(i int) string {
				if i >= len(call.Args) {
					t.Errorf("%s: lang.%s without argument %d", at, sel.Sel.Name, i+1)
					return ""
				}
				s, ok := stringLiteral(call.Args[i])
				if !ok {
					t.Errorf("%s: lang.%s's argument %d is not a string literal, so its text cannot be extracted", at, sel.Sel.Name, i+1)
				}
				return s
			}
			var m message
			switch sel.Sel.Name {
			case "L", "Localize":
				m = message{key: literal(0), english: literal(0)}
			case "N", "LocalizePlural":
				m = message{key: literal(0), english: literal(0), plural: true}
			case "X", "LocalizeKey":
				m = message{key: literal(0), english: literal(1)}
			case "XN", "LocalizePluralKey":
				m = message{key: literal(0), english: literal(1), plural: true}
			default:
				return true
			}
			m.at = at
			if old, ok := found[m.key]; ok && (old.english != m.english || old.plural != m.plural) {
				t.Errorf("%s: key %q means %q here and %q at %s", at, m.key, m.english, old.english, old.at)
			}
			found[m.key] = m
			return true
		})
	}
	if len(found) < 100 {
		t.Fatalf("only %d texts found in the code: the extraction is broken", len(found))
	}
	return found
}

// stringLiteral is the value of a string literal or a sum of them.
func stringLiteral(e ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(x.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return "", false
		}
		a, ok1 := stringLiteral(x.X)
		b, ok2 := stringLiteral(x.Y)
		return a + b, ok1 && ok2
	case *ast.ParenExpr:
		return stringLiteral(x.X)
	}
	return "", false
}

// pluralForms are the CLDR plural categories of each language Knocker
// ships, as go-i18n chooses among them: each form must be there, and no
// other. Spanish and Portuguese have "many" for millions.
var pluralForms = map[string][]string{
	"en":    {"one", "other"},
	"de":    {"one", "other"},
	"es":    {"one", "many", "other"},
	"pt_BR": {"one", "many", "other"},
	"ru":    {"one", "few", "many", "other"},
	"uk":    {"one", "few", "many", "other"},
	"pl":    {"one", "few", "many", "other"},
	"id":    {"other"},
}

// languageFile is a translation file: each key's text, or its plural forms.
type languageFile map[string]any

func readLanguage(t *testing.T, code string) languageFile {
	t.Helper()
	data, err := translations.ReadFile("translations/" + code + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var f languageFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s.json: %v", code, err)
	}
	return f
}

// forms is a key's texts by plural form; "" for a text without plurals.
func (f languageFile) forms(key string) (map[string]string, bool) {
	switch v := f[key].(type) {
	case string:
		return map[string]string{"": v}, true
	case map[string]any:
		out := map[string]string{}
		for form, text := range v {
			s, ok := text.(string)
			if !ok {
				return nil, false
			}
			out[form] = s
		}
		return out, true
	}
	return nil, false
}

var placeholder = regexp.MustCompile(`{{\s*\.(\w+)\s*}}`)

// placeholders is the set of template fields a text uses.
func placeholders(s string) []string {
	var names []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		names = append(names, m[1])
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Every language file holds exactly the texts the code uses, each with the
// English one's placeholders and, for counts, every plural form the
// language has and no other. A text added to the code without its
// translations fails here; so does a file that kept one the code dropped.
func TestTranslationFiles(t *testing.T) {
	code := codeMessages(t)
	if *writeEnglish {
		writeEnglishFile(t, code)
	}
	entries, err := translations.ReadDir("translations")
	if err != nil {
		t.Fatal(err)
	}
	var shipped []string
	for _, e := range entries {
		shipped = append(shipped, strings.TrimSuffix(e.Name(), ".json"))
	}
	if want := slices.Sorted(maps.Keys(pluralForms)); !slices.Equal(shipped, want) {
		t.Fatalf("translation files %v, want %v", shipped, want)
	}
	english := readLanguage(t, "en")
	for _, lang := range shipped {
		f := readLanguage(t, lang)
		for key, m := range code {
			forms, ok := f.forms(key)
			if !ok {
				t.Errorf("%s.json lacks %q (used at %s)", lang, key, m.at)
				continue
			}
			want := []string{""}
			if m.plural {
				want = slices.Sorted(slices.Values(pluralForms[lang]))
			}
			if got := slices.Sorted(maps.Keys(forms)); !slices.Equal(got, want) {
				t.Errorf("%s.json: %q has forms %q, want %q", lang, key, got, want)
			}
			wantFields := placeholders(m.english)
			for form, text := range forms {
				if strings.TrimSpace(text) == "" {
					t.Errorf("%s.json: %q (%s) is empty", lang, key, form)
				}
				if got := placeholders(text); !slices.Equal(got, wantFields) {
					t.Errorf("%s.json: %q (%s) uses %v, the English %v", lang, key, form, got, wantFields)
				}
			}
			if lang == "en" {
				if text := forms[map[bool]string{false: "", true: "other"}[m.plural]]; text != m.english {
					t.Errorf("en.json: %q reads %q, the code's English %q", key, text, m.english)
				}
			}
		}
		for key := range f {
			if _, used := code[key]; !used {
				t.Errorf("%s.json has %q, which the code does not use", lang, key)
			}
		}
	}
	if t.Failed() {
		t.Log("en.json can be rewritten from the code with: go test -tags ci -run TestTranslationFiles ./app/gui/ -args -write-en")
	}
	_ = english
}

// writeEnglishFile writes en.json from the code: every key with its
// English text, plural texts keeping the "one" form already written (a new
// one starts as the "other" form, to be corrected by hand).
func writeEnglishFile(t *testing.T, code map[string]message) {
	t.Helper()
	old := readLanguage(t, "en")
	out := map[string]any{}
	for key, m := range code {
		if !m.plural {
			out[key] = m.english
			continue
		}
		one := m.english
		if forms, ok := old.forms(key); ok && forms["one"] != "" {
			one = forms["one"]
		}
		out[key] = map[string]string{"one": one, "other": m.english}
	}
	var data bytes.Buffer
	enc := json.NewEncoder(&data)
	enc.SetEscapeHTML(false) // "<1 min" as people read it
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("translations", "en.json"), data.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Counts read right in every language: 1, 21 and 112 are where Slavic
// plurals trip (21 takes the singular, 112 the genitive plural, as 11 does).
func TestPluralForms(t *testing.T) {
	counts := []int{1, 2, 5, 11, 21, 112}
	want := map[string][]string{
		"en":    {"1 step", "2 steps", "5 steps", "11 steps", "21 steps", "112 steps"},
		"de":    {"1 Schritt", "2 Schritte", "5 Schritte", "11 Schritte", "21 Schritte", "112 Schritte"},
		"es":    {"1 paso", "2 pasos", "5 pasos", "11 pasos", "21 pasos", "112 pasos"},
		"pt_BR": {"1 passo", "2 passos", "5 passos", "11 passos", "21 passos", "112 passos"},
		"ru":    {"1 шаг", "2 шага", "5 шагов", "11 шагов", "21 шаг", "112 шагов"},
		"uk":    {"1 крок", "2 кроки", "5 кроків", "11 кроків", "21 крок", "112 кроків"},
		"pl":    {"1 krok", "2 kroki", "5 kroków", "11 kroków", "21 kroków", "112 kroków"},
		"id":    {"1 langkah", "2 langkah", "5 langkah", "11 langkah", "21 langkah", "112 langkah"},
	}
	days := map[string][]string{
		"en":    {"1 day ago", "2 days ago", "5 days ago", "11 days ago", "21 days ago", "112 days ago"},
		"de":    {"vor 1 Tag", "vor 2 Tagen", "vor 5 Tagen", "vor 11 Tagen", "vor 21 Tagen", "vor 112 Tagen"},
		"es":    {"hace 1 día", "hace 2 días", "hace 5 días", "hace 11 días", "hace 21 días", "hace 112 días"},
		"pt_BR": {"há 1 dia", "há 2 dias", "há 5 dias", "há 11 dias", "há 21 dias", "há 112 dias"},
		"ru":    {"1 день назад", "2 дня назад", "5 дней назад", "11 дней назад", "21 день назад", "112 дней назад"},
		"uk":    {"1 день тому", "2 дні тому", "5 днів тому", "11 днів тому", "21 день тому", "112 днів тому"},
		"pl":    {"1 dzień temu", "2 dni temu", "5 dni temu", "11 dni temu", "21 dni temu", "112 dni temu"},
		"id":    {"1 hari lalu", "2 hari lalu", "5 hari lalu", "11 hari lalu", "21 hari lalu", "112 hari lalu"},
	}
	profiles := map[string][]string{
		"ru": {"1 профиль", "2 профиля", "5 профилей", "11 профилей", "21 профиль", "112 профилей"},
		"uk": {"1 профіль", "2 профілі", "5 профілів", "11 профілів", "21 профіль", "112 профілів"},
		"pl": {"1 profil", "2 profile", "5 profili", "11 profili", "21 profili", "112 profili"},
	}
	for code, steps := range want {
		t.Run(code, func(t *testing.T) {
			inLanguage(t, code)
			for i, n := range counts {
				if got := lang.XN("outcome.sent", "sent {{.Count}} steps to {{.Addr}}, not checked", n, tmpl{"Count": n, "Addr": "192.0.2.1"}); !containsWord(got, steps[i]) {
					t.Errorf("%d steps: %q lacks %q", n, got, steps[i])
				}
				if got := ago(time.Duration(n) * 24 * time.Hour); n >= 2 && got != days[code][i] {
					t.Errorf("%d days ago: %q, want %q", n, got, days[code][i])
				}
				if wantP, ok := profiles[code]; ok {
					text := lang.XN("import.holds", "{{.File}} holds {{.Format}} with {{.Count}} profiles:", n, tmpl{"File": "f", "Format": "x", "Count": n})
					if !containsWord(text, wantP[i]) {
						t.Errorf("%d profiles: %q lacks %q", n, text, wantP[i])
					}
				}
			}
			if got := lang.XN("outcome.sent", "sent {{.Count}} steps to {{.Addr}}, not checked", 1000000, tmpl{"Count": 1000000, "Addr": "192.0.2.1"}); !strings.Contains(got, "1000000 ") {
				t.Errorf("a million steps: %q", got)
			}
		})
	}
}

// KNOCKER_LANG picks the window's language over the system's, for Fyne's
// own dialog buttons too; a locale name as LANG writes it works, and a
// language without a file leaves English.
func TestKnockerLangPicksTheLanguage(t *testing.T) {
	t.Cleanup(func() { useLanguage("en") })
	for _, tt := range []struct{ env, knock, cancel string }{
		{"ru", "Постучать", "Отмена"},
		{"pt_BR", "Bater", "Cancelar"},
		{"de_DE.UTF-8", "Anklopfen", "Abbrechen"},
		{"uk-UA", "Постукати", "Скасувати"},
		{"xx", "Knock", "Cancel"},
		{"en", "Knock", "Cancel"},
	} {
		t.Setenv(languageEnv, tt.env)
		pickLanguage()
		if got := lang.L("Knock"); got != tt.knock {
			t.Errorf("KNOCKER_LANG=%s: Knock reads %q, want %q", tt.env, got, tt.knock)
		}
		if got := lang.L("Cancel"); got != tt.cancel {
			t.Errorf("KNOCKER_LANG=%s: Cancel reads %q, want %q", tt.env, got, tt.cancel)
		}
	}
}

// Without KNOCKER_LANG the window follows the system's language, as Fyne
// reads it (on Linux and the BSDs from LANGUAGE, LC_ALL, LC_MESSAGES, LANG).
func TestSystemLanguageIsFollowed(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		t.Skip("the system's language is not read from the environment here")
	}
	t.Cleanup(func() { useLanguage("en") })
	for _, tt := range []struct{ lang, want string }{
		{"pl_PL.UTF-8", "Zapukaj"},
		{"es_MX.UTF-8", "Tocar"},
		{"fr_FR.UTF-8", "Knock"},
	} {
		t.Setenv(languageEnv, "")
		t.Setenv("LANGUAGE", "")
		t.Setenv("LC_ALL", "")
		t.Setenv("LC_MESSAGES", "")
		t.Setenv("LANG", tt.lang)
		if err := loadTranslations(); err != nil {
			t.Fatal(err)
		}
		if got := lang.L("Knock"); got != tt.want {
			t.Errorf("LANG=%s: Knock reads %q, want %q", tt.lang, got, tt.want)
		}
	}
}

// containsWord reports whether s holds w followed by no further letter:
// "21 шаг" is not in "21 шага".
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		end := i + j + len(w)
		if r, _ := utf8.DecodeRuneInString(s[end:]); !unicode.IsLetter(r) {
			return true
		}
		i = end
	}
}

// Whatever KNOCKER_LANG holds, the window gets a language, never a panic:
// one it has, or English.
func FuzzKnockerLang(f *testing.F) {
	for _, seed := range []string{"ru", "pt_BR", "de_DE.UTF-8", "sr_RS@latin", "", "C", "xx-YY-zz", "en-XA", "-", "@.", "ru;q=0.5,de"} {
		f.Add(seed)
	}
	f.Cleanup(func() { useLanguage("en") })
	f.Fuzz(func(t *testing.T, code string) {
		useLanguage(code)
		if lang.L("Knock") == "" || lang.XN("outcome.sent", "sent {{.Count}} steps to {{.Addr}}, not checked", 21, tmpl{"Count": 21, "Addr": "x"}) == "" {
			t.Fatalf("KNOCKER_LANG=%q leaves the window without words", code)
		}
	})
}
