//go:build linux || freebsd || openbsd || netbsd

package autostart

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// entryPath is the XDG autostart file; XDG_CONFIG_HOME moves it, as the
// specification says.
func entryPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "autostart", ID+".desktop"), nil
}

// Enabled reports whether Knocker starts at login.
func Enabled() (bool, error) { return fileEnabled(entryPath()) }

// Enable makes exe start at login, hidden in the tray. It refuses a
// program another user could replace (an *UnsafePathError) and a path the
// desktop entry cannot carry.
func Enable(exe string) error {
	if err := checkExecutable(exe); err != nil {
		return err
	}
	execLine, err := quoteExec(exe)
	if err != nil {
		return err
	}
	p, err := entryPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	entry := fmt.Sprintf("[Desktop Entry]\nType=Application\nName=Knocker\nComment=Keep router knocks fresh\nExec=%s %s\nIcon=%s\nTerminal=false\nX-GNOME-Autostart-enabled=true\n",
		execLine, HiddenFlag, ID)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(entry), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// Disable removes the login entry; it is not an error if there was none.
func Disable() error { return removeFile(entryPath()) }

// quoteExec quotes a path for a desktop entry's Exec key, as the Desktop
// Entry Specification reads it back: first as a string value, whose
// escapes \\ \n \t \r stand for a backslash, newline, tab and carriage
// return, then as a command line, where a quoted argument escapes " ` $ and
// \ with a backslash; % starts a field code, so it is doubled. Other control
// characters have no escape, and invalid UTF-8 no place in the file.
func quoteExec(s string) (string, error) {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && !strings.ContainsRune("\n\t\r", r) }) {
		return "", fmt.Errorf("cannot start %q at login: its path holds a character a desktop entry cannot carry", s)
	}
	quoted := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", "$", `\$`).Replace(s) + `"`
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\t", `\t`, "\r", `\r`, "%", "%%").Replace(quoted), nil
}
