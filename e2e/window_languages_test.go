package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/knocker/knocker/internal/testbin"
	"github.com/knocker/knocker/internal/testnet"
)

// windowLanguages are the languages the window ships in, as KNOCKER_LANG
// names them.
var windowLanguages = []string{"ru", "uk", "pt_BR", "es", "de", "pl", "id"}

// translated is a text of the window in a language, read from the file the
// binary embeds, with its template's fields filled in.
func translated(t *testing.T, code, key string, fields map[string]string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "app", "gui", "translations", code+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var texts map[string]any
	if err := json.Unmarshal(data, &texts); err != nil {
		t.Fatal(err)
	}
	text, ok := texts[key].(string)
	if !ok {
		t.Fatalf("%s.json has no text %q", code, key)
	}
	for name, value := range fields {
		text = strings.ReplaceAll(text, "{{."+name+"}}", value)
	}
	return text
}

// The screens a newcomer meets, in each language the window speaks, through
// the real binary with KNOCKER_LANG on a real X server: the first run, the
// editor, the list with several profiles (one knocked without a check) and
// Router setup, kept as artifacts for native speakers to look at. The
// window titles, which X reports, are the translated ones; that nothing is
// cut off or overlaps at these sizes is TestTranslatedScreensFit's, in
// app/gui, measured with the same fonts.
func TestWindowInEachLanguage(t *testing.T) {
	t.Parallel()
	needDesktop(t)
	needXdotool(t)
	ln := testnet.ListenUDP(t)
	port := ln.LocalAddr().(*net.UDPAddr).Port
	config := importProfiles(t, fmt.Sprintf(`{"version": 1, "profiles": [
		{"name": "office", "host": "127.0.0.1", "timeout": "2h", "steps": [{"proto": "udp", "port": %d, "payload": "languages"}]},
		{"name": "branch router", "host": "198.51.100.20", "timeout": "30m", "steps": [{"proto": "tcp", "port": 2000}], "verify": {"proto": "tcp", "port": 22}},
		{"name": "home", "host": "home.example.net", "timeout": "8h", "steps": [{"proto": "udp", "port": 7000}, {"proto": "tcp", "port": 8000}]}]}`, port))
	if res := testbin.Run(t, []string{"KNOCKER_CONFIG_DIR=" + config}, "knock", "office"); res.Code != 0 {
		t.Fatalf("knock: %s", res.Stderr)
	}
	for _, code := range windowLanguages {
		t.Run(code, func(t *testing.T) {
			t.Parallel() // each window on an X server of its own
			env := []string{"KNOCKER_LANG=" + code, "FYNE_THEME=light"}
			g := startGUI(t, nil, env...)
			g.waitDrawn(t, "Knocker")
			g.screenshotOf(t, "Knocker", "first-run-"+code+".png")
			g.key(t, "ctrl+n")
			editor := translated(t, code, "New profile", nil)
			g.waitWindow(t, editor)
			g.waitDrawn(t, editor)
			g.screenshotOf(t, editor, "editor-"+code+".png")
			g.stop()

			list := startGUI(t, nil, append(env, "KNOCKER_CONFIG_DIR="+config)...)
			list.waitDrawn(t, "Knocker")
			list.screenshotOf(t, "Knocker", "list-"+code+".png")
			list.key(t, "ctrl+r")
			router := translated(t, code, "Router setup — {{.Name}}", map[string]string{"Name": "office"})
			list.waitWindow(t, router)
			list.waitDrawn(t, router)
			list.screenshotOf(t, router, "router-setup-"+code+".png")
		})
	}
}
