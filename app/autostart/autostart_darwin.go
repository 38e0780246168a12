//go:build darwin

package autostart

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
)

func agentPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, "Library", "LaunchAgents", ID+".plist"), nil
}

// Enabled reports whether Knocker starts at login.
func Enabled() (bool, error) { return fileEnabled(agentPath()) }

// Enable makes exe start at login, hidden in the tray. It refuses a
// program another user could replace (an *UnsafePathError).
func Enable(exe string) error {
	if err := checkExecutable(exe); err != nil {
		return err
	}
	p, err := agentPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	var esc strings.Builder
	if err := xml.EscapeText(&esc, []byte(exe)); err != nil {
		return err
	}
	plist := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
  <key>Label</key><string>` + ID + `</string>
  <key>ProgramArguments</key><array><string>` + esc.String() + `</string><string>` + HiddenFlag + `</string></array>
  <key>RunAtLoad</key><true/>
</dict></plist>
`
	return os.WriteFile(p, []byte(plist), 0o644)
}

// Disable removes the login entry; it is not an error if there was none.
func Disable() error { return removeFile(agentPath()) }
