//go:build linux || freebsd || openbsd || netbsd

package autostart

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// Enable makes exe start at login, hidden in the tray.
func Enable(exe string) error {
	p, err := entryPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	entry := fmt.Sprintf("[Desktop Entry]\nType=Application\nName=Knocker\nComment=Keep router knocks fresh\nExec=%s %s\nIcon=%s\nTerminal=false\nX-GNOME-Autostart-enabled=true\n",
		quoteExec(exe), HiddenFlag, ID)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(entry), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// Disable removes the login entry; it is not an error if there was none.
func Disable() error { return removeFile(entryPath()) }

// quoteExec quotes a path for a desktop entry's Exec key: the quoting rule
// escapes " ` $ \ with a backslash, then the string rule doubles every
// backslash, as the Desktop Entry Specification asks.
func quoteExec(s string) string {
	quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", "$", `\$`, "%", "%%").Replace(s)
	return `"` + strings.ReplaceAll(quoted, `\`, `\\`) + `"`
}
