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

var (
	buildOnce sync.Once
	built     string
	buildErr  error
)

// Path returns $KNOCKER_BIN when set (make test builds it once), or builds
// the binary into a temporary folder once per test process.
func Path(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("KNOCKER_BIN"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "knocker-bin-")
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(dir, "knocker")
		cmd := exec.Command("go", "build", "-o", built, ".")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		tb.Fatalf("building knocker: %v", buildErr)
	}
	return built
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
