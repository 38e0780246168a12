package profile

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Helper processes for the crash and multi-process tests: the test binary
// re-runs itself with helperMode set, so a real process dies or competes.
const (
	helperMode = "KNOCKER_PROFILE_HELPER"
	helperDir  = "KNOCKER_PROFILE_HELPER_DIR"
	helperName = "KNOCKER_PROFILE_HELPER_NAME"
)

func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperDir)
	s := NewStore(dir, func(msg string) { fmt.Fprintln(os.Stderr, "warning:", msg) })
	switch os.Getenv(helperMode) {
	case "":
		t.Skip("helper for the crash and multi-process tests; runs only as their child process")
	case "save-loop":
		// Saves lists of changing length forever; every profile of one save
		// carries the same generation, so a mixed file would show.
		for gen := 0; ; gen++ {
			err := s.Update(func(l *List) error {
				l.Profiles = nil
				for i := range 1 + gen%150 {
					p := sample(fmt.Sprintf("p%d", i))
					p.Notes = "generation " + strconv.Itoa(gen)
					if err := l.Add(p); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				fmt.Println("error:", err)
				os.Exit(1)
			}
			if gen == 0 {
				fmt.Println("ready")
			}
		}
	case "add":
		prefix := os.Getenv(helperName)
		for i := range 30 {
			if err := s.Update(func(l *List) error { return l.Add(sample(fmt.Sprintf("%s-%d", prefix, i))) }); err != nil {
				fmt.Println("error:", err)
				os.Exit(1)
			}
		}
	}
}

func helper(t *testing.T, dir, mode, name string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperMode+"="+mode, helperDir+"="+dir, helperName+"="+name)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestKillDuringSave kills a process that saves in a loop, 200 times at
// random moments, and checks each time that the file loads whole.
func TestKillDuringSave(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 200 processes")
	}
	dir := t.TempDir()
	const kills = 200
	midSave := 0
	start := time.Now()
	for k := range kills {
		cmd := helper(t, dir, "save-loop", "")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if line != "ready\n" {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("kill %d: helper said %q", k, line)
		}
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if temps, _ := filepath.Glob(filepath.Join(dir, tempPrefix+"*")); len(temps) > 0 {
			midSave++
		}

		var warnings []string
		l, err := NewStore(dir, func(m string) { warnings = append(warnings, m) }).Load()
		if err != nil || len(warnings) > 0 {
			t.Fatalf("kill %d: load failed: %v %q", k, err, warnings)
		}
		if len(l.Profiles) == 0 {
			t.Fatalf("kill %d: the saved list is empty", k)
		}
		gen := l.Profiles[0].Notes
		for _, p := range l.Profiles {
			if p.Notes != gen {
				t.Fatalf("kill %d: one file holds %q and %q: a half-written save", k, gen, p.Notes)
			}
		}
		if want := "generation "; !strings.HasPrefix(gen, want) {
			t.Fatalf("kill %d: notes %q", k, gen)
		}
	}
	t.Logf("%d kills in %v, %d of them while a save was being written", kills, time.Since(start).Round(time.Millisecond), midSave)
	if midSave == 0 {
		t.Errorf("no kill landed during a save; the test proved nothing")
	}
}

// TestTwoProcessesKeepEachOthersChanges runs two processes that add
// profiles at the same time; the lock and re-read keep all of them.
func TestTwoProcessesKeepEachOthersChanges(t *testing.T) {
	dir := t.TempDir()
	a, b := helper(t, dir, "add", "a"), helper(t, dir, "add", "b")
	var outA, outB strings.Builder
	a.Stdout, b.Stdout = &outA, &outB
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	if err := a.Wait(); err != nil {
		t.Fatalf("%v: %s", err, outA.String())
	}
	if err := b.Wait(); err != nil {
		t.Fatalf("%v: %s", err, outB.String())
	}
	l, err := NewStore(dir, nil).Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Profiles) != 60 {
		t.Fatalf("%d profiles after two processes added 30 each", len(l.Profiles))
	}
}
