package gui

import (
	"embed"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
	_ "unsafe" // for go:linkname

	"fyne.io/fyne/v2/lang"
)

// The window's translations: one go-i18n JSON file per language, named by
// its language tag (pt_BR.json), the English one holding every key. Fyne
// merges them with its own, so its dialogs' buttons follow the same choice.
//
//go:embed translations/*.json
var translations embed.FS

// languageEnv picks the window's language over the system's: a language
// tag such as ru, pt_BR or de-DE, or a locale name such as ru_RU.UTF-8.
const languageEnv = "KNOCKER_LANG"

func loadTranslations() error { return lang.AddTranslationsFS(translations, "translations") }

// setupLanguage loads the translations, once, and picks the language:
// KNOCKER_LANG if set, else the system's (Fyne reads it as it loads them).
// A language Knocker has no file for leaves the window in English.
var setupLanguage = sync.OnceValue(func() error {
	err := loadTranslations()
	pickLanguage()
	if err != nil {
		return fmt.Errorf("translations: %w", err)
	}
	return nil
})

// pickLanguage follows KNOCKER_LANG, if it is set.
func pickLanguage() {
	if code := os.Getenv(languageEnv); code != "" {
		useLanguage(code)
	}
}

// useLanguage makes every lang call, Fyne's own included, speak code.
func useLanguage(code string) {
	code, _, _ = strings.Cut(code, ".") // ru_RU.UTF-8
	code, _, _ = strings.Cut(code, "@") // sr_RS@latin
	fyneSetupLang(strings.ReplaceAll(strings.TrimSpace(code), "_", "-"))
}

// fyneSetupLang is Fyne's own switch of language (lang.setupLang), which
// its API leaves unexported: Fyne reads only the system's locale, and on
// Windows and macOS no environment variable can override that. The name is
// checked at link time, and TestKnockerLangPicksTheLanguage fails if its
// meaning ever changes.
//
//go:linkname fyneSetupLang fyne.io/fyne/v2/lang.setupLang
func fyneSetupLang(lang string)

// tmpl is the data of a translated text's template.
type tmpl = map[string]any

// hoursMinutes writes a time span of whole minutes as "1 h 52 min" or
// "42 min", in the language's units.
func hoursMinutes(m int64) string {
	mins := lang.XN("duration.minutes", "{{.Count}} min", int(m%60), tmpl{"Count": m % 60})
	if m < 60 {
		return mins
	}
	hours := lang.XN("duration.hours", "{{.Count}} h", int(m/60), tmpl{"Count": m / 60})
	return lang.X("duration.hoursMinutes", "{{.Hours}} {{.Minutes}}", tmpl{"Hours": hours, "Minutes": mins})
}

// clockTime is t's time of day as the language writes it (14:02; 14.02 in
// Indonesian), in t's own zone.
func clockTime(t time.Time) string {
	return lang.X("time.clock", "{{.HH}}:{{.MM}}", timeData(t))
}

// clockTimeSeconds is clockTime with the seconds.
func clockTimeSeconds(t time.Time) string {
	return lang.X("time.clockSeconds", "{{.HH}}:{{.MM}}:{{.SS}}", timeData(t))
}

func timeData(t time.Time) tmpl {
	return tmpl{
		"HH": fmt.Sprintf("%02d", t.Hour()), "MM": fmt.Sprintf("%02d", t.Minute()), "SS": fmt.Sprintf("%02d", t.Second()),
		"H": t.Hour(), "Day": t.Day(), "Day2": fmt.Sprintf("%2d", t.Day()), "Month": monthShort(t.Month()),
	}
}

// dayAndTime is a date and time of day in a column: the day is padded, so
// the 9th and the 10th line up ("Mar  9 14:02:05", "9 мар. 14:02:05").
func dayAndTime(t time.Time) string {
	data := timeData(t)
	data["Time"] = clockTimeSeconds(t)
	return lang.X("date.dayTime", "{{.Month}} {{.Day2}} {{.Time}}", data)
}

// when is a moment near now: its time of day if it is today, else with
// its day and month.
func when(t, now time.Time) string {
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return clockTime(t)
	}
	data := timeData(t)
	data["Time"] = clockTime(t)
	return lang.X("date.dayMonthTime", "{{.Month}} {{.Day}} {{.Time}}", data)
}

// monthShort is the month's short name as a date writes it (in Russian,
// Ukrainian and Polish, the genitive: 5 мар.).
func monthShort(m time.Month) string {
	switch m {
	case time.January:
		return lang.X("month.short.1", "Jan")
	case time.February:
		return lang.X("month.short.2", "Feb")
	case time.March:
		return lang.X("month.short.3", "Mar")
	case time.April:
		return lang.X("month.short.4", "Apr")
	case time.May:
		return lang.X("month.short.5", "May")
	case time.June:
		return lang.X("month.short.6", "Jun")
	case time.July:
		return lang.X("month.short.7", "Jul")
	case time.August:
		return lang.X("month.short.8", "Aug")
	case time.September:
		return lang.X("month.short.9", "Sep")
	case time.October:
		return lang.X("month.short.10", "Oct")
	case time.November:
		return lang.X("month.short.11", "Nov")
	}
	return lang.X("month.short.12", "Dec")
}
