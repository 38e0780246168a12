//go:build !windows

package profile

import (
	"context"
	"testing"
)

// A profile file holds no IDs, yet the ID ssh-config writes into
// ~/.ssh/config must find the profile in every later process, and a router
// script run again must carry the same router name (which may hold the ID)
// to replace its rules: each reading of the file gives the same ID, and
// GetID finds the profile by it.
func TestOpenFileIDsAreStable(t *testing.T) {
	path := writeProfileFile(t, 0o600)
	var ids []string
	for range 2 {
		b, err := OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		l, err := b.List()
		if err != nil {
			t.Fatal(err)
		}
		id := l.Profiles[0].ID
		if p, err := b.GetID(context.Background(), id); err != nil || p.Name != "office" || len(p.Steps) != 1 {
			t.Fatalf("GetID(%q): %+v, %v", id, p, err)
		}
		ids = append(ids, id)
	}
	if ids[0] != ids[1] || ids[0] == "" || ids[0] == fileID("office ") {
		t.Fatalf("IDs %q: want one stable ID, its own to the name", ids)
	}
}
