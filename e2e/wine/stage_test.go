// Package wine runs the Windows build of Knocker, and its installer, under
// Wine with a private X server and a fresh Wine prefix: the Windows stage
// of make test (scripts/windows-test.sh cross-builds knocker.exe and runs
// this package with KNOCKER_WINE_TEST=1). Elsewhere every test skips.
package wine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testx"
)

// stage is the Wine set-up every test shares; nil outside the stage.
var stage *wineStage

func TestMain(m *testing.M) {
	if os.Getenv("KNOCKER_WINE_TEST") != "1" {
		os.Exit(m.Run())
	}
	s, err := newStage()
	if err != nil {
		fmt.Fprintln(os.Stderr, "wine stage:", err)
		if s != nil {
			s.close()
		}
		os.Exit(1)
	}
	stage = s
	code := m.Run()
	s.close()
	os.Exit(code)
}

// needStage skips t outside the Windows stage.
func needStage(t *testing.T) *wineStage {
	t.Helper()
	if stage == nil {
		t.Skip("the Windows build runs under Wine in the Windows stage of make test (scripts/windows-test.sh)")
	}
	return stage
}

type wineStage struct {
	dir     string // everything of the stage: prefix, home, fixtures
	wine    string // the wine64 loader
	exe     string // the knocker.exe under test
	version string // the version it must report
	prefix  string
	env     []string
	display string
	stopX   func()
	// server is the prefix's wineserver, kept running for the stage's life
	// (-p): one that quits on its own, once its last program has been gone
	// for its persistence delay, can drop a program that connects to it
	// just then ("wine client error:0: recvmsg: Connection reset by
	// peer"), which a cold, slow machine makes likely.
	server       *exec.Cmd
	serverExited chan error
	serverDir    string // its socket's folder, removed at the close
	// Test helpers built for Windows: credlist lists Credential Manager
	// items, loginitem drives app/autostart.
	credlist, loginitem string
}

// newStage starts Xvfb, then makes a fresh Wine prefix (Wine wants the X
// server first), adds the ProcessPrng stand-in Go needs, and builds the
// test helpers.
func newStage() (*wineStage, error) {
	s := &wineStage{exe: os.Getenv("KNOCKER_EXE"), version: os.Getenv("KNOCKER_VERSION")}
	if s.exe == "" {
		return nil, errors.New("KNOCKER_EXE must name the cross-built knocker.exe")
	}
	s.wine = os.Getenv("KNOCKER_WINE")
	if s.wine == "" {
		s.wine = "/usr/lib/wine/wine64" // Debian's wine64 package
	}
	for _, tool := range []string{s.wine, "Xvfb", "xwininfo", "x86_64-w64-mingw32-gcc"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s is missing (make test installs wine64, xvfb, x11-utils, gcc-mingw-w64-x86-64): %w", tool, err)
		}
	}
	dir, err := os.MkdirTemp("", "knocker-wine-")
	if err != nil {
		return nil, err
	}
	s.dir = dir
	if s.display, s.stopX, err = testx.StartXvfb("1280x800x24"); err != nil {
		return s, err
	}
	s.prefix = filepath.Join(dir, "prefix")
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return s, err
	}
	s.env = append(os.Environ(),
		"WINEPREFIX="+s.prefix, "WINEARCH=win64", "WINEDEBUG=-all", "DISPLAY="+s.display,
		// No Mono or Gecko install prompts; no Linux menu entries for the
		// installer's shortcuts (winemenubuilder writes into $HOME).
		"WINEDLLOVERRIDES=mscoree,mshtml=;winemenubuilder.exe=d",
		"HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, "data"), "XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"XDG_RUNTIME_DIR="+home)
	start := time.Now()
	log, err := os.Create(filepath.Join(dir, "wineboot.log"))
	if err != nil {
		return s, err
	}
	defer log.Close()
	if err := s.startServer(log); err != nil {
		return s, err
	}
	boot := s.command(context.Background(), nil, "wineboot", "--init")
	boot.Stdout, boot.Stderr = log, log
	if err := boot.Run(); err != nil {
		out, _ := os.ReadFile(log.Name())
		return s, fmt.Errorf("wineboot --init: %v\n%s", err, out)
	}
	if err := s.waitIdle(); err != nil {
		return s, err
	}
	fmt.Printf("wine stage: prefix ready in %v\n", time.Since(start).Round(100*time.Millisecond))

	// Go 1.26 programs call ProcessPrng from bcryptprimitives.dll, which
	// Wine 8 lacks: a stand-in built from testdata goes into system32.
	dll := filepath.Join(s.prefix, "drive_c", "windows", "system32", "bcryptprimitives.dll")
	if out, err := exec.Command("x86_64-w64-mingw32-gcc", "-shared", "-O2", "-o", dll,
		filepath.Join("testdata", "processprng", "processprng.c"), "-ladvapi32").CombinedOutput(); err != nil {
		return s, fmt.Errorf("building the ProcessPrng stand-in: %v\n%s", err, out)
	}
	for _, helper := range []struct {
		name string
		path *string
	}{{"credlist", &s.credlist}, {"loginitem", &s.loginitem}} {
		*helper.path = filepath.Join(dir, helper.name+".exe")
		build := exec.Command("go", "build", "-o", *helper.path, "./testdata/"+helper.name)
		build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			return s, fmt.Errorf("building %s: %v\n%s", helper.name, err, out)
		}
	}
	return s, nil
}

// startServer starts the prefix's wineserver in the foreground, persistent,
// and waits until it takes connections, before any other Wine program
// runs. No client may probe it earlier: Debian's Wine keeps the server's
// folder under a random name (/tmp/wine-XXXXXX) written into the prefix's
// "wineserver" file by whichever Wine program finds no such file first,
// and a client racing the server there writes a folder of its own. Every
// later program then went to that folder, found no server and started one
// that quits as soon as it is idle (Debian's wrapper runs it with -p0):
// the race persistence is for was back, and windows failed to open.
func (s *wineStage) startServer(log *os.File) error {
	if err := os.MkdirAll(s.prefix, 0o700); err != nil {
		return err
	}
	server := exec.Command(s.wineserver(), "-f", "-p")
	server.Env = s.env
	server.Stdout, server.Stderr = log, log
	if err := server.Start(); err != nil {
		return fmt.Errorf("wineserver -f -p: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- server.Wait() }()
	s.server, s.serverExited = server, exited
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-exited:
			out, _ := os.ReadFile(log.Name())
			return fmt.Errorf("wineserver -f -p ended at once: %v\n%s", err, out)
		default:
		}
		dir, err := s.serverFolder()
		if err != nil {
			return err
		}
		if dir != "" {
			s.serverDir = dir
			return nil
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(log.Name())
			return fmt.Errorf("wineserver -f -p made no socket within 30 s\n%s", out)
		}
	}
}

// serverFolder is the folder of the stage's server once its socket is
// there ("" before). The server works in that folder; where the prefix
// names the server's folder (Debian), it must name this one.
func (s *wineStage) serverFolder() (string, error) {
	dir, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", s.server.Process.Pid))
	if err != nil || !strings.HasPrefix(filepath.Base(dir), "server-") {
		return "", nil // not yet there
	}
	if _, err := os.Stat(filepath.Join(dir, "socket")); err != nil {
		return "", nil
	}
	named, err := os.ReadFile(filepath.Join(s.prefix, "wineserver"))
	if err == nil && string(named) != filepath.Base(filepath.Dir(dir)) {
		return "", fmt.Errorf("the prefix names the wineserver folder %q, but the server works in %s", named, dir)
	}
	return dir, nil
}

func (s *wineStage) wineserver() string { return filepath.Join(filepath.Dir(s.wine), "wineserver") }

// wineServices are the programs Wine itself keeps running in a prefix. They
// end only with the server, so with a persistent one they stay.
var wineServices = map[string]bool{
	"services.exe": true, "winedevice.exe": true, "plugplay.exe": true, "svchost.exe": true,
	"rpcss.exe": true, "explorer.exe": true, "tabtip.exe": true,
}

// waitIdle waits until no Windows program of the prefix runs but Wine's own
// services, as "wineserver -w" would, without waiting for the persistent
// server to go.
func (s *wineStage) waitIdle() error {
	return s.waitGone("Windows programs", 2*time.Minute, func(p prefixProcess) bool { return !wineServices[p.name] })
}

// waitGone waits until no process of the prefix that match picks runs.
func (s *wineStage) waitGone(what string, within time.Duration, match func(prefixProcess) bool) error {
	for deadline := time.Now().Add(within); ; time.Sleep(100 * time.Millisecond) {
		var running []string
		for _, p := range s.processes() {
			if match(p) {
				running = append(running, fmt.Sprintf("%s (%d)", p.name, p.pid))
			}
		}
		if len(running) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still running in the prefix after %v: %s", what, within, strings.Join(running, ", "))
		}
	}
}

// describeProcesses lists the prefix's processes, one a line, with their
// state and the kernel function a sleeping one waits in, and which folder
// the prefix names for its server: what a failure needs to be understood.
func (s *wineStage) describeProcesses() string {
	var b strings.Builder
	for _, p := range s.processes() {
		stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
		wchan, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", p.pid))
		state := ""
		if _, after, ok := strings.Cut(string(stat), ") "); ok && after != "" {
			state = after[:1]
		}
		fmt.Fprintf(&b, "  %s (%d) state %s wchan %s DISPLAY=%q\n", p.name, p.pid, state, wchan, envValue(p.env, "DISPLAY"))
	}
	named, _ := os.ReadFile(filepath.Join(s.prefix, "wineserver"))
	fmt.Fprintf(&b, "  server %d in %s; the prefix names %q\n", s.server.Process.Pid, s.serverDir, named)
	return b.String()
}

// envValue is key's value in env ("" when unset).
func envValue(env []string, key string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// prefixProcess is a process of the stage's prefix, its server aside.
type prefixProcess struct {
	name string
	pid  int
	env  []string
}

// processes lists the processes whose environment holds the prefix's
// WINEPREFIX entry, but the server.
func (s *wineStage) processes() []prefixProcess {
	mark := "WINEPREFIX=" + s.prefix
	dirs, _ := os.ReadDir("/proc")
	var found []prefixProcess
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || pid == s.server.Process.Pid {
			continue
		}
		environ, err := os.ReadFile(filepath.Join("/proc", d.Name(), "environ"))
		if err != nil {
			continue
		}
		env := strings.Split(string(environ), "\x00")
		if !slices.Contains(env, mark) {
			continue
		}
		comm, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "comm"))
		found = append(found, prefixProcess{name: strings.TrimSpace(string(comm)), pid: pid, env: env})
	}
	return found
}

func (s *wineStage) close() {
	if s.server != nil {
		kill := exec.Command(s.wineserver(), "-k")
		kill.Env = s.env
		_ = kill.Run()
		select {
		case <-s.serverExited:
		case <-time.After(10 * time.Second):
			_ = s.server.Process.Kill()
			<-s.serverExited
		}
	}
	if s.serverDir != "" {
		// Wine leaves the folder behind; Debian's random parent goes too
		// (it holds this prefix's server only), upstream's shared
		// /tmp/.wine-UID stays while it holds others.
		os.RemoveAll(s.serverDir)
		os.Remove(filepath.Dir(s.serverDir))
	}
	if s.stopX != nil {
		s.stopX()
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// command is wine running args (a Windows program and its arguments) with
// the stage's environment plus env.
func (s *wineStage) command(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, s.wine, args...)
	cmd.Env = append(append([]string{}, s.env...), env...)
	return cmd
}

// outputFile is a file for a Wine program's output. Not a pipe: the first
// Wine program of a prefix starts the wineserver and Wine's services, which
// inherit its standard handles and outlive it, so a pipe would not close.
func outputFile(t *testing.T) *os.File {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readOutput(f *os.File) string {
	b, _ := os.ReadFile(f.Name())
	return crlf(string(b))
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs a Windows program to its end (at most a minute).
func (s *wineStage) run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := s.command(ctx, env, args...)
	stdout, stderr := outputFile(t), outputFile(t)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	res := result{stdout: readOutput(stdout), stderr: readOutput(stderr)}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("wine %v: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("wine %v did not end within a minute:\n%s%s", args, res.stdout, res.stderr)
	}
	return res
}

// crlf turns Windows line ends into "\n", as the checks are written.
func crlf(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// knocker runs knocker.exe with args and wants exit code want.
func (s *wineStage) knocker(t *testing.T, env []string, want int, args ...string) result {
	t.Helper()
	res := s.run(t, env, append([]string{s.exe}, args...)...)
	if res.code != want {
		t.Fatalf("knocker %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), res.code, want, res.stdout, res.stderr)
	}
	return res
}

// winPath is path as Windows programs under Wine see it (drive Z: is /).
func winPath(path string) string { return `Z:` + strings.ReplaceAll(path, "/", `\`) }

// user is the Windows profile folder of the prefix's user (the Unix user).
func (s *wineStage) user(t *testing.T) string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(s.prefix, "drive_c", "users", "*", "AppData"))
	for _, d := range dirs {
		if filepath.Base(filepath.Dir(d)) != "Public" {
			return filepath.Dir(d)
		}
	}
	t.Fatalf("no user profile in %s", s.prefix)
	return ""
}

// regValue reads the data of a value from the prefix's registry with
// reg.exe; ok is false when the value does not exist.
func (s *wineStage) regValue(t *testing.T, key, name string) (value string, ok bool) {
	t.Helper()
	res := s.run(t, nil, "reg", "query", key, "/v", name)
	if res.code != 0 {
		return "", false
	}
	for line := range strings.SplitSeq(res.stdout, "\n") {
		fields := strings.SplitN(strings.TrimSpace(line), "    ", 3)
		if len(fields) == 3 && fields[0] == name {
			return fields[2], true
		}
	}
	t.Fatalf("reg query %s /v %s printed no value:\n%s", key, name, res.stdout)
	return "", false
}

// credentials lists the Credential Manager items Knocker owns.
func (s *wineStage) credentials(t *testing.T) []string {
	t.Helper()
	res := s.run(t, nil, s.credlist, "io.knocker.desktop:")
	if res.code != 0 {
		t.Fatalf("credlist: exit %d: %s", res.code, res.stderr)
	}
	return strings.Fields(res.stdout)
}

// artifact is where a test keeps a file for people to look at:
// $KNOCKER_ARTIFACTS, or knocker-artifacts in the temporary folder.
func artifact(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("KNOCKER_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "knocker-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name)
}

// repoRoot is the repository's top folder.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
