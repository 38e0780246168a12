//go:build linux || freebsd || openbsd || netbsd

package autostart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestXDGEntry(t *testing.T) {
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	if on, err := Enabled(); on || err != nil {
		t.Fatalf("fresh: %v %v", on, err)
	}
	exe := `/opt/My Apps/knocker$1%u`
	if err := Enable(exe); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(config, "autostart", "io.knocker.desktop.desktop"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `Exec="/opt/My Apps/knocker\\$1%%u" --tray`+"\n") {
		t.Fatalf("entry:\n%s", data)
	}
	if on, err := Enabled(); !on || err != nil {
		t.Fatalf("after Enable: %v %v", on, err)
	}
	if err := Disable(); err != nil {
		t.Fatal(err)
	}
	if on, _ := Enabled(); on {
		t.Fatal("still enabled after Disable")
	}
	if err := Disable(); err != nil {
		t.Fatalf("disabling twice: %v", err)
	}
}
