// Package testbin gives end-to-end tests the real knocker binary, so they
// exercise it exactly as a user's shell or script would.
package testbin

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// A build is one of the two binaries, built once per test process unless
// make test names it in the environment.
type build struct {
	env  string   // the variable that names a binary built already
	name string   // its file name
	args []string // the go build flags that make it
	vars []string // and the environment
	once sync.Once
	path string
	err  error
}

var (
	desktop = build{env: "KNOCKER_BIN", name: "knocker"}
	// The headless build, as make cli builds it: no cgo, no window.
	headlessBuild = build{env: "KNOCKER_CLI_BIN", name: "knocker-cli", args: []string{"-tags", "headless"}, vars: []string{"CGO_ENABLED=0"}}
)

// Path returns $KNOCKER_BIN when set (make test builds it once, and runs
// the end-to-end tests once with each build there), or builds the desktop
// binary into a temporary folder once per test process.
func Path(tb testing.TB) string {
	tb.Helper()
	return desktop.get(tb)
}

// HeadlessPath is the headless build (make cli): $KNOCKER_CLI_BIN, or
// built once per test process.
func HeadlessPath(tb testing.TB) string {
	tb.Helper()
	return headlessBuild.get(tb)
}

func (b *build) get(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv(b.env); p != "" {
		return p
	}
	b.once.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "knocker-bin-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, b.name)
		cmd := exec.Command("go", append(append([]string{"build"}, b.args...), "-o", b.path, ".")...)
		cmd.Dir, cmd.Env = root, append(os.Environ(), b.vars...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = errors.New(string(out))
		}
	})
	if b.err != nil {
		tb.Fatalf("building %s: %v", b.name, b.err)
	}
	return b.path
}

var (
	kindOnce sync.Once
	headless bool
)

// NeedWindow skips a test of the window when the binary under test is the
// headless build (make cli), which has none; every other test runs with
// both builds.
func NeedWindow(tb testing.TB) {
	tb.Helper()
	kindOnce.Do(func() {
		out, err := exec.Command(Path(tb), "version").Output()
		headless = err == nil && bytes.Contains(out, []byte("headless build"))
	})
	if headless {
		tb.Skip("the headless build has no window: this test runs with the desktop build")
	}
}

// Result is what one run of the binary produced.
type Result struct {
	Stdout, Stderr string
	Code           int
	Took           time.Duration
}

// Run runs the binary with args and env additions, failing the test only if
// it could not be started or outlived its 60 s guard.
func Run(tb testing.TB, env []string, args ...string) Result {
	tb.Helper()
	return RunIn(tb, nil, env, args...)
}

// RunIn is Run with the command's argv prefixed by wrap, for example
// []string{"ip", "netns", "exec", "client"} to run inside a namespace.
func RunIn(tb testing.TB, wrap []string, env []string, args ...string) Result {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	argv := append(append(append([]string{}, wrap...), Path(tb)), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String(), Took: time.Since(start)}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr) && ctx.Err() == nil:
		res.Code = exitErr.ExitCode()
	default:
		tb.Fatalf("running %v: %v (stderr: %s)", args, err, res.Stderr)
	}
	return res
}
