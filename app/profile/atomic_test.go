//go:build unix

package profile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// nobody owns the files a test gives away (as root).
const nobody = 65534

func owner(t *testing.T, path string) (uid, gid uint32) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return st.Uid, st.Gid
}

func writeFile(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestWriteFileAtomic: the mode is the one asked for whatever the umask, a
// replaced file keeps its owner, a link is replaced rather than written
// through, and no temporary file is left behind.
func TestWriteFileAtomic(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()

	fresh := filepath.Join(dir, "export.json")
	if err := WriteFileAtomic(fresh, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(fresh); fi.Mode().Perm() != 0o600 || readFile(t, fresh) != "secret" {
		t.Fatalf("new file: %v %q", fi.Mode(), readFile(t, fresh))
	}
	syscall.Umask(0o077)
	if err := WriteFileAtomic(fresh, []byte("shared"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(fresh); fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v under umask 077, want 0644 as asked", fi.Mode())
	}

	target := filepath.Join(dir, "target")
	writeFile(t, target, "kept", 0o600)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(link, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); !fi.Mode().IsRegular() || readFile(t, target) != "kept" {
		t.Fatal("the link was written through")
	}

	if os.Getuid() == 0 {
		theirs := filepath.Join(dir, "theirs")
		writeFile(t, theirs, "old", 0o640)
		if err := os.Chown(theirs, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		if err := WriteFileAtomic(theirs, []byte("new"), 0o640); err != nil {
			t.Fatal(err)
		}
		if uid, gid := owner(t, theirs); uid != nobody || gid != nobody || readFile(t, theirs) != "new" {
			t.Fatalf("owner %d:%d after the rewrite, want %d:%d", uid, gid, nobody, nobody)
		}
	}

	if err := WriteFileAtomic(filepath.Join(dir, "missing", "x"), nil, 0o600); err == nil {
		t.Fatal("wrote into a missing folder")
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"+tempSuffix+"*"))
	if len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

const rcWithKeys = "[s]\nSPA_SERVER h\nACCESS tcp/22\n" + rcKeyLines

// TestScrubFwknoprcFile: through a symbolic link the real file is scrubbed,
// keeping its mode and owner, and the link stays; a file with a second hard
// link, or changed since it was read, is refused and left as it was.
func TestScrubFwknoprcFile(t *testing.T) {
	dir := t.TempDir()
	scrubbed, _ := ScrubFwknoprc([]byte(rcWithKeys))

	t.Run("symbolic link", func(t *testing.T) {
		real := filepath.Join(dir, "dotfiles-fwknoprc")
		writeFile(t, real, rcWithKeys, 0o640)
		if os.Getuid() == 0 {
			if err := os.Chown(real, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}
		uid, gid := owner(t, real)
		link := filepath.Join(dir, ".fwknoprc")
		if err := os.Symlink(real, link); err != nil {
			t.Fatal(err)
		}
		target, n, err := ScrubFwknoprcFile(link, []byte(rcWithKeys))
		if err != nil || target != real || n != 2 {
			t.Fatalf("%s %d %v", target, n, err)
		}
		if got := readFile(t, real); got != string(scrubbed) || strings.Contains(got, "c2VjcmV0") {
			t.Fatalf("the real file still holds:\n%s", got)
		}
		if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
			t.Fatal("the link was replaced by a file")
		}
		if fi, _ := os.Stat(real); fi.Mode().Perm() != 0o640 {
			t.Fatalf("mode %v, want 0640 kept", fi.Mode())
		}
		if u, g := owner(t, real); u != uid || g != gid {
			t.Fatalf("owner %d:%d, want %d:%d kept", u, g, uid, gid)
		}
	})

	t.Run("hard link", func(t *testing.T) {
		rc := filepath.Join(dir, "rc-linked")
		writeFile(t, rc, rcWithKeys, 0o600)
		other := filepath.Join(dir, "backup")
		if err := os.Link(rc, other); err != nil {
			t.Fatal(err)
		}
		if _, err := ScrubTarget(rc); err == nil || !strings.Contains(err.Error(), "has 2 hard links") {
			t.Fatalf("ScrubTarget: %v", err)
		}
		if _, _, err := ScrubFwknoprcFile(rc, []byte(rcWithKeys)); err == nil || !strings.Contains(err.Error(), "has 2 hard links") {
			t.Fatalf("scrub: %v", err)
		}
		if readFile(t, rc) != rcWithKeys || readFile(t, other) != rcWithKeys {
			t.Fatal("a refused file was changed")
		}
	})

	t.Run("changed meanwhile", func(t *testing.T) {
		rc := filepath.Join(dir, "rc-changed")
		writeFile(t, rc, rcWithKeys+"# edited\n", 0o600)
		if _, _, err := ScrubFwknoprcFile(rc, []byte(rcWithKeys)); err == nil || !strings.Contains(err.Error(), "changed since it was read") {
			t.Fatalf("scrub: %v", err)
		}
		if readFile(t, rc) != rcWithKeys+"# edited\n" {
			t.Fatal("a changed file was rewritten")
		}
	})

	t.Run("not a file", func(t *testing.T) {
		if _, err := ScrubTarget(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("ScrubTarget(folder): %v", err)
		}
	})
}
