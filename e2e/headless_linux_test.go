package e2e

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
)

// The headless build links no GUI toolkit and no C library: go list shows
// no Fyne, GL or GLFW package in it, and the binary asks for no dynamic
// loader and no shared library, so it runs where none are installed.
func TestHeadlessBuildIsStaticAndGUIFree(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	list := exec.Command("go", "list", "-deps", "-tags", "headless", ".")
	list.Dir = filepath.Join(filepath.Dir(file), "..")
	list.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := list.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, gui := range []string{"fyne.io/", "github.com/go-gl/", "github.com/fyne-io/", "github.com/knocker/knocker/app/gui"} {
			if strings.HasPrefix(pkg, gui) {
				t.Errorf("the headless build links %s", pkg)
			}
		}
	}
	bin, err := elf.Open(testbin.HeadlessPath(t))
	if err != nil {
		t.Fatal(err)
	}
	defer bin.Close()
	for _, p := range bin.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the headless binary asks for a dynamic loader")
		}
	}
	if libs, err := bin.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the headless binary needs shared libraries %v (%v)", libs, err)
	}
}

// The headless build knocks the lab router from a chroot that holds
// nothing but the binary: no loader, no libc, no /etc.
func TestHeadlessKnocksFromAnEmptyRoot(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.nft(routerConfig(t, "-4", "--timeout", "1m", labRouter4.String(), "1234:udp=chroot-knock"))
	declareSecrets(t, "chroot-knock")
	root := t.TempDir()
	copyFile(t, testbin.HeadlessPath(t), filepath.Join(root, "knocker-cli"), 0o755)
	cmd := nsCommand(l.client, "chroot", root, "/knocker-cli", "send", "--verify", fmt.Sprint(labPort), labRouter4.String(), "1234:udp=chroot-knock")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("knocker-cli send in an empty root: %v: %s", err, out)
	}
	if !l.open(labRouter4) {
		t.Fatalf("the knock from the empty root did not open the port: %s", out)
	}
}

// The systemd user unit the packages ship, played as systemd would: the
// profile file handed over as a credential (a private read-only copy), the
// unit's Environment= and ExecStart= with their specifiers filled in, in
// the lab's client namespace. It keeps the router open; a profile file
// others can read is refused before anything is sent.
func TestKeepUnitKnocksFromACredential(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	env, argv := readKeepUnit(t)
	const secret = "unit-credential-knock"
	declareSecrets(t, secret)
	l.nft(routerConfig(t, "-4", "--timeout", "1m", labRouter4.String(), "1234:udp="+secret))
	profiles := fmt.Sprintf(`{"version": 2, "profiles": [{"name": "branch office", "host": %q, "timeout": "1m",
		"steps": [{"proto": "udp", "port": 1234, "payload": %q}]}]}`, labRouter4, secret)

	start := func(mode os.FileMode) (*exec.Cmd, *syncBuffer) {
		credentials := t.TempDir() // systemd's $CREDENTIALS_DIRECTORY
		if err := os.WriteFile(filepath.Join(credentials, "knocker-profiles"), []byte(profiles), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(credentials, "knocker-profiles"), mode)
		fill := strings.NewReplacer("%d", credentials, "%I", "branch office", "%h", t.TempDir(), "/usr/bin/knocker-cli", testbin.HeadlessPath(t))
		args := make([]string, len(argv))
		for i, a := range argv {
			args[i] = fill.Replace(a)
		}
		cmd := nsCommand(l.client, args...)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, fill.Replace(env))
		out := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, out
	}

	refused, out := start(0o644)
	if err := refused.Wait(); refused.ProcessState.ExitCode() != 2 || !strings.Contains(out.String(), "chmod 600") {
		t.Fatalf("a credential others can read: %v, output %q; want exit 2 saying how to fix it", err, out.String())
	}
	if l.open(labRouter4) {
		t.Fatal("the refused unit knocked anyway")
	}

	keep, out := start(0o400) // the mode systemd gives a credential
	t.Cleanup(func() { keep.Process.Kill(); keep.Wait() })
	if !waitFor(10*time.Second, func() bool { return l.open(labRouter4) }) {
		t.Fatalf("the unit's knocker keep never opened the port:\n%s", out.String())
	}
	keep.Process.Signal(syscall.SIGTERM) // systemctl stop
	keep.Wait()
	if code := keep.ProcessState.ExitCode(); code != 0 || !strings.Contains(out.String(), "branch office: knocked") {
		t.Fatalf("exit %d after SIGTERM; output:\n%s", code, out.String())
	}
}

// readKeepUnit returns the Environment= assignment and the ExecStart=
// command line of the shipped unit.
func readKeepUnit(t *testing.T) (env string, argv []string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "packaging", "systemd", "knocker-keep@.service"))
	if err != nil {
		t.Fatal(err)
	}
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		key, value, _ := strings.Cut(s.Text(), "=")
		switch key {
		case "Environment":
			env = value
		case "ExecStart":
			argv = strings.Fields(value)
		}
	}
	if env == "" || len(argv) < 2 {
		t.Fatalf("the unit has no Environment= or ExecStart= line:\n%s", data)
	}
	return env, argv
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, mode); err != nil {
		t.Fatal(err)
	}
}

// systemd itself finds nothing wrong with the unit (only the binary's path
// is this machine's).
func TestKeepUnitIsValid(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze not found (Debian package systemd)")
	}
	_, file, _, _ := runtime.Caller(0)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "packaging", "systemd", "knocker-keep@.service"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	unit := strings.ReplaceAll(string(data), "/usr/bin/knocker-cli", testbin.HeadlessPath(t))
	if err := os.WriteFile(filepath.Join(dir, "knocker-keep@.service"), []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	verify := exec.Command("systemd-analyze", "verify", "--user", "./knocker-keep@office.service")
	verify.Dir = dir
	verify.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+t.TempDir())
	if out, err := verify.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v: %s", err, out)
	}
}
