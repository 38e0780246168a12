//go:build linux || freebsd || openbsd || netbsd

package autostart

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// safeDir is a fresh folder for test programs that only this user can
// write to all the way up. t.TempDir will not do: it is under /tmp, which
// everyone can write to. The package's own folder, in the source tree, is
// such a place on a normal checkout.
func safeDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp(".", ".autostart-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkExecutable(abs); err != nil {
		t.Skipf("the source tree is not a safe place for a test program: %v", err)
	}
	return abs
}

// program makes an executable file named name in dir.
func program(t *testing.T, dir, name string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func entry(t *testing.T, config string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(config, "autostart", "io.knocker.desktop.desktop"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// execArgs reads an entry's Exec value back as the Desktop Entry
// Specification says a launcher does: string escapes first, then the
// command line's quoting, then %% for a percent sign.
func execArgs(t *testing.T, file string) []string {
	t.Helper()
	var value string
	for line := range strings.Lines(file) {
		if v, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "Exec="); ok {
			value = v
		}
	}
	var s strings.Builder
	for i := 0; i < len(value); i++ {
		if value[i] == '\\' && i+1 < len(value) {
			i++
			s.WriteByte(map[byte]byte{'s': ' ', 'n': '\n', 't': '\t', 'r': '\r', '\\': '\\'}[value[i]])
			continue
		}
		s.WriteByte(value[i])
	}
	var args []string
	var arg strings.Builder
	quoted, inArg := false, false
	cmd := s.String()
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case quoted && c == '\\' && i+1 < len(cmd):
			i++
			arg.WriteByte(cmd[i])
		case c == '"':
			quoted, inArg = !quoted, true
		case c == ' ' && !quoted:
			if inArg {
				args = append(args, strings.ReplaceAll(arg.String(), "%%", "%"))
				arg.Reset()
				inArg = false
			}
		default:
			arg.WriteByte(c)
			inArg = true
		}
	}
	if inArg {
		args = append(args, strings.ReplaceAll(arg.String(), "%%", "%"))
	}
	return args
}

func TestXDGEntry(t *testing.T) {
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	if on, err := Enabled(); on || err != nil {
		t.Fatalf("fresh: %v %v", on, err)
	}
	dir := safeDir(t)
	exe := program(t, dir, "My Apps/knocker$1%u", 0o755)
	if err := Enable(exe); err != nil {
		t.Fatal(err)
	}
	if got := entry(t, config); !strings.Contains(got, `Exec="`+dir+`/My Apps/knocker\\$1%%u" --tray`+"\n") {
		t.Fatalf("entry:\n%s", got)
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

// TestXDGExecEscapes: whatever characters the program's path holds, a
// launcher reading the entry by the specification gets back exactly that
// path and the flag; a newline in particular stays inside the Exec line
// instead of starting a line of its own. Characters the format cannot carry
// are refused.
func TestXDGExecEscapes(t *testing.T) {
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	dir := safeDir(t)
	for _, name := range []string{
		"line\nbreak", "tab\there", "cr\rhere", `back\slash`, `a "quoted" name`, "back`tick`", "$HOME and %f",
		"line\nExec=/bin/evil\nX=", `\n literally`,
	} {
		exe := program(t, dir, name, 0o755)
		if err := Enable(exe); err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		got := entry(t, config)
		if args := execArgs(t, got); len(args) != 2 || args[0] != exe || args[1] != HiddenFlag {
			t.Errorf("%q reads back as %q from:\n%s", name, args, got)
		}
		if strings.Count(got, "\nExec=") != 1 || strings.Count(got, "\n") != 8 {
			t.Errorf("%q: the entry is not 8 lines with one Exec:\n%s", name, got)
		}
	}
	for _, name := range []string{"bell\a", "esc\x1b[2J", "del\x7f"} {
		exe := program(t, dir, name, 0o755)
		if err := Enable(exe); err == nil || !strings.Contains(err.Error(), "cannot carry") {
			t.Errorf("%q: %v", name, err)
		}
	}
}

// TestEnableRefusesReplaceablePrograms: login must not run a program that
// another user could swap for their own: one under /tmp, in a folder anyone
// (or another group) can write to, writable itself, owned by someone else,
// or reached through a link to such a place. Nothing is written then.
func TestEnableRefusesReplaceablePrograms(t *testing.T) {
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	safe := safeDir(t)
	const nobody = 65534
	asRoot := os.Getuid() == 0
	tests := []struct {
		name string
		root bool
		make func(t *testing.T) string
		want string
	}{
		{"under /tmp", false, func(t *testing.T) string { return program(t, t.TempDir(), "knocker", 0o755) }, "can be written by every user"},
		{"sticky folder anyone may write", false, func(t *testing.T) string {
			p := program(t, safe, "open/knocker", 0o755)
			if err := os.Chmod(filepath.Dir(p), 0o1777); err != nil {
				t.Fatal(err)
			}
			return p
		}, "can be written by every user"},
		{"writable program", false, func(t *testing.T) string { return program(t, safe, "knocker-666", 0o777) }, "can be written by every user"},
		{"link to /tmp", false, func(t *testing.T) string {
			target := program(t, t.TempDir(), "knocker", 0o755)
			link := filepath.Join(safe, "knocker-link")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			return link
		}, "can be written by every user"},
		{"folder of another user", true, func(t *testing.T) string {
			p := program(t, safe, "theirs/knocker", 0o755)
			if err := os.Chown(filepath.Dir(p), nobody, nobody); err != nil {
				t.Fatal(err)
			}
			return p
		}, "belongs to another user (uid 65534)"},
		{"folder another group may write", true, func(t *testing.T) string {
			p := program(t, safe, "group/knocker", 0o755)
			if err := os.Chmod(filepath.Dir(p), 0o775); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(filepath.Dir(p), 0, nobody); err != nil {
				t.Fatal(err)
			}
			return p
		}, "can be written by the members of group 65534"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root && !asRoot {
				t.Skip("giving a folder to another user needs root (make test runs as root in CI)")
			}
			exe := tt.make(t)
			err := Enable(exe)
			var unsafe *UnsafePathError
			if !errors.As(err, &unsafe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Enable(%s) = %v, want it refused: %s", exe, err, tt.want)
			}
			if on, _ := Enabled(); on {
				t.Fatal("the entry was written anyway")
			}
		})
	}

	// The user's own group may write, as with a umask of 002.
	own := program(t, safe, "own-group/knocker", 0o755)
	if err := os.Chmod(filepath.Dir(own), 0o775); err != nil {
		t.Fatal(err)
	}
	if err := Enable(own); err != nil {
		t.Fatalf("a folder the user's own group may write: %v", err)
	}
}
