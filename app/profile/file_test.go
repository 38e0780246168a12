package profile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

const fileProfiles = `{"version": 2, "profiles": [{"name": "office", "host": "127.0.0.1", "timeout": "2h",
	"steps": [{"proto": "udp", "port": 1234, "payload": "file-secret-42"}]}]}`

func writeProfileFile(t *testing.T, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keep.json")
	if err := os.WriteFile(path, []byte(fileProfiles), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	return path
}

func TestOpenFileGivesTheProfilesWithTheirSteps(t *testing.T) {
	b, err := OpenFile(writeProfileFile(t, 0o600))
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.Get(context.Background(), "office")
	if err != nil || len(p.Steps) != 1 || string(p.Steps[0].Payload.Data) != "file-secret-42" || p.Timeout != 2*time.Hour {
		t.Fatalf("office from the file: %+v, %v", p, err)
	}
	// Knock times are kept, for this process.
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := b.MarkKnocked(p.ID, at); err != nil {
		t.Fatal(err)
	}
	if l, _ := b.List(); !l.Profiles[0].LastKnocked.Equal(at) {
		t.Fatalf("knock time %v, want %v", l.Profiles[0].LastKnocked, at)
	}
	// Everything else is the file's, which Knocker never writes.
	var readOnly *ReadOnlyError
	for name, err := range map[string]error{
		"rename":       b.Rename("office", "home"),
		"delete":       b.Delete(context.Background(), "office"),
		"auto-refresh": b.SetAutoRefresh(p.ID, true),
		"add":          b.Add(context.Background(), []Profile{{ID: NewID(), Name: "new", Host: "h", Steps: p.Steps}}),
	} {
		if !errors.As(err, &readOnly) || !strings.Contains(err.Error(), "edit that file") {
			t.Errorf("%s: %v, want a ReadOnlyError", name, err)
		}
	}
	if l, _ := b.List(); len(l.Profiles) != 1 || l.Profiles[0].Name != "office" || l.Profiles[0].AutoRefresh {
		t.Fatalf("a refused change changed the profiles: %+v", l.Profiles)
	}
	if p, err := b.Get(context.Background(), "office"); err != nil || len(p.Steps) != 1 {
		t.Fatalf("a refused delete lost the steps: %v", err)
	}
}

func TestOpenFileRefusesWhatOthersCouldRead(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix file modes")
	}
	for _, tt := range []struct {
		mode os.FileMode
		ok   bool
	}{{0o600, true}, {0o400, true}, {0o640, false}, {0o604, false}, {0o620, false}, {0o644, false}} {
		path := writeProfileFile(t, tt.mode)
		_, err := OpenFile(path)
		if tt.ok != (err == nil) {
			t.Errorf("mode %04o: %v", tt.mode, err)
		}
		if err != nil && (!strings.Contains(err.Error(), "chmod 600 "+path) || strings.Contains(err.Error(), "file-secret")) {
			t.Errorf("mode %04o: %q must say how to fix it, and never quote the file", tt.mode, err)
		}
	}
	if _, err := OpenFile(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a folder: %v", err)
	}
	if _, err := OpenFile(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), FileEnv) {
		t.Errorf("a missing file: %v", err)
	}
}

func TestOpenFileRefusesAnotherUsersFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the file to another user (make test runs as root)")
	}
	path := writeProfileFile(t, 0o600)
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(path); err == nil || !strings.Contains(err.Error(), "belongs to user 65534") {
		t.Fatalf("a file of user 65534, read by root: %v", err)
	}
}

func TestOpenFileNeedsTheSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keep.json")
	public := `{"version": 2, "profiles": [{"name": "office", "host": "127.0.0.1"}]}`
	if err := os.WriteFile(path, []byte(public), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(path); err == nil || !strings.Contains(err.Error(), "--with-secrets") {
		t.Fatalf("an export without secrets: %v", err)
	}
}

// A profile file's profiles keep their IDs from one run to the next: the
// router name of a profile whose name is not one already holds its ID,
// and a script run again must carry the same name to replace its rules.
func TestOpenFileIDsAreStable(t *testing.T) {
	path := writeProfileFile(t, 0o600)
	var ids []string
	for range 2 {
		b, err := OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		l, _ := b.List()
		ids = append(ids, l.Profiles[0].ID)
	}
	if ids[0] != ids[1] || ids[0] == "" {
		t.Fatalf("IDs %q, want one ID at every run", ids)
	}
}
