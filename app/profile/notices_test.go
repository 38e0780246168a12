package profile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A corrupt file found before anyone shows messages is reported once the
// face is ready, and later messages go straight through.
func TestNoticesWaitForTheFace(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	var n Notices
	if _, err := NewStore(dir, n.Add).Load(); err != nil {
		t.Fatal(err)
	}
	var shown []string
	n.ShowWith(func(msg string) { shown = append(shown, msg) })
	if len(shown) != 1 || !strings.Contains(shown[0], "moved to") {
		t.Fatalf("shown %q, want the corrupt file's notice", shown)
	}
	n.Add("later")
	if !slices.Equal(shown[1:], []string{"later"}) {
		t.Fatalf("shown %q after a later notice", shown)
	}
}
