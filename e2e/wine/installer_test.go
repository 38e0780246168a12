package wine

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
)

// uninstallKey is the installer's entry in "Apps" (per user).
const uninstallKey = `HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\io.knocker.desktop`

// The installer, silent (/S) and without administrator rights, puts
// knocker.exe, its uninstaller and a Start menu shortcut in place,
// registers the uninstaller in "Apps" and, asked with /AUTOSTART, the Run
// value Knocker's own setting writes. The silent uninstall removes all of
// it but keeps the profiles and their Credential Manager items, unless
// asked with /REMOVEDATA. A Knocker running in the tray, as it does after
// a login, is closed first by either, since Windows neither replaces nor
// deletes a running program.
func TestInstallerPerUser(t *testing.T) {
	s := needStage(t)
	setup := buildSetup(t, s)
	user := s.user(t)
	dir := filepath.Join(user, "AppData", "Local", "Programs", "Knocker")
	winDir := `C:\users\` + filepath.Base(user) + `\AppData\Local\Programs\Knocker`
	shortcut := filepath.Join(user, "AppData", "Roaming", "Microsoft", "Windows", "Start Menu", "Programs", "Knocker.lnk")
	config := filepath.Join(user, "AppData", "Roaming", "knocker") // os.UserConfigDir()\knocker

	install := func(args ...string) {
		t.Helper()
		if res := s.run(t, nil, append([]string{setup, "/S"}, args...)...); res.code != 0 {
			t.Fatalf("setup /S %v: exit %d\n%s%s", args, res.code, res.stdout, res.stderr)
		}
		shipped, err := os.ReadFile(s.exe)
		if err != nil {
			t.Fatal(err)
		}
		installed, err := os.ReadFile(filepath.Join(dir, "knocker.exe"))
		if err != nil || !bytes.Equal(installed, shipped) {
			t.Fatalf("knocker.exe was not installed into %s: %v", dir, err)
		}
		for _, f := range []string{filepath.Join(dir, "uninstall.exe"), shortcut} {
			if _, err := os.Stat(f); err != nil {
				t.Fatalf("the installer left no %s: %v", f, err)
			}
		}
		for name, want := range map[string]string{
			"DisplayName":          "Knocker",
			"UninstallString":      `"` + winDir + `\uninstall.exe"`,
			"QuietUninstallString": `"` + winDir + `\uninstall.exe" /S`,
			"InstallLocation":      winDir,
		} {
			if got, _ := s.regValue(t, uninstallKey, name); got != want {
				t.Errorf("Apps entry %s = %q, want %q", name, got, want)
			}
		}
	}
	uninstall := func(args ...string) {
		t.Helper()
		// The uninstaller copies itself to %TEMP% and runs from there, so
		// its own process ends at once: wait for the files to go.
		if res := s.run(t, nil, append([]string{filepath.Join(dir, "uninstall.exe"), "/S"}, args...)...); res.code != 0 {
			t.Fatalf("uninstall.exe /S %v: exit %d\n%s%s", args, res.code, res.stdout, res.stderr)
		}
		for deadline := time.Now().Add(60 * time.Second); exists(dir); time.Sleep(200 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the uninstaller left %s", dir)
			}
		}
		if err := s.waitIdle(); err != nil { // the uninstaller's copy in %TEMP% has ended too
			t.Fatal(err)
		}
		if exists(shortcut) {
			t.Errorf("the uninstaller left the Start menu shortcut")
		}
		if got, ok := s.regValue(t, uninstallKey, "DisplayName"); ok {
			t.Errorf("the Apps entry outlived the uninstall: %q", got)
		}
		if got, ok := s.regValue(t, runKey, "io.knocker.desktop"); ok {
			t.Errorf("the Run value outlived the uninstall: %q", got)
		}
	}

	install("/AUTOSTART")
	if got, _ := s.regValue(t, runKey, "io.knocker.desktop"); got != `"`+winDir+`\knocker.exe" --tray` {
		t.Fatalf("/AUTOSTART wrote the Run value %q", got)
	}
	if on := s.loginItem(t, "enabled"); on != "true" {
		t.Fatalf("Knocker's setting does not see the installer's login entry: %s", on)
	}
	installed := filepath.Join(dir, "knocker.exe")
	res := s.knocker(t, nil, 0, "version")
	if got := s.run(t, nil, installed, "version"); got.code != 0 || got.stdout != res.stdout {
		t.Fatalf("the installed knocker.exe: exit %d, %q", got.code, got.stdout)
	}
	// A profile in the default folder, with its secret in the Credential Manager.
	item := importWith(t, s, installed, config)

	running := startGUI(t, s, installed, nil, []string{"--tray"}, inTray(t))
	uninstall()
	if !running.waitExit() {
		t.Fatal("the uninstaller left Knocker running")
	}
	if !slices.Contains(s.credentials(t), item) || !exists(filepath.Join(config, "profiles.json")) {
		t.Fatal("a plain uninstall must keep the profiles and their secrets")
	}

	install() // no /AUTOSTART: no login entry
	running = startGUI(t, s, installed, nil, []string{"--tray"}, inTray(t))
	install() // an update, over the running Knocker
	if !running.waitExit() {
		t.Fatal("the installer updated Knocker without closing the running one")
	}
	if got, ok := s.regValue(t, runKey, "io.knocker.desktop"); ok {
		t.Fatalf("installed without /AUTOSTART, the Run value is %q", got)
	}
	uninstall("/REMOVEDATA")
	if got := s.credentials(t); slices.Contains(got, item) {
		t.Fatalf("/REMOVEDATA left the Credential Manager item %s", item)
	}
	if exists(config) {
		t.Fatalf("/REMOVEDATA left %s", config)
	}
}

// importWith imports a profile with the installed knocker.exe into its
// default folder and returns the name of its Credential Manager item.
func importWith(t *testing.T, s *wineStage, exe, config string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "p.json")
	doc := `{"version": 1, "profiles": [{"name": "kept", "host": "192.0.2.1", "steps": [{"proto": "tcp", "port": 1}]}]}`
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if res := s.run(t, nil, exe, "import", winPath(file)); res.code != 0 {
		t.Fatalf("import: exit %d: %s", res.code, res.stderr)
	}
	item := "io.knocker.desktop:" + testbin.ProfileID(t, config, "kept")
	if !slices.Contains(s.credentials(t), item) {
		t.Fatalf("import saved no Credential Manager item %s", item)
	}
	return item
}

// buildSetup wraps the knocker.exe under test into the installer, with
// the script make package uses, compressing faster than a release.
func buildSetup(t *testing.T, s *wineStage) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "knocker-setup.exe")
	cmd := exec.Command(filepath.Join(repoRoot(), "packaging", "windows-setup.sh"), s.exe, s.version, "1", out)
	cmd.Env = append(os.Environ(), "SETUP_COMPRESSOR=zlib")
	if res, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("packaging/windows-setup.sh: %v\n%s", err, res)
	}
	return out
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
