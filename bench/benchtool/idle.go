package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"syscall"
	"time"
)

// IdleStats is what a long-running command costs at rest.
type IdleStats struct {
	Command  string  `json:"command"`
	SettleS  float64 `json:"settle_s"`  // after start, before RSS is read
	IdleS    float64 `json:"idle_s"`    // the CPU measurement's length
	RSSKiB   int     `json:"rss_kib"`   // after settling
	Threads  int     `json:"threads"`   // after settling
	CPUms    float64 `json:"cpu_ms"`    // user+system over the idle span
	CPUPct   float64 `json:"cpu_pct"`   // of one core
	Output   string  `json:"output"`    // what it printed, to show it worked
	ExitCode int     `json:"exit_code"` // after SIGINT
}

// idle runs a command (such as knocker keep), lets it settle, reads its RSS,
// measures its CPU while it idles, then stops it with SIGINT.
func idle(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("idle", flag.ContinueOnError)
	settle := fs.Duration("settle", 3*time.Second, "time before RSS is read")
	span := fs.Duration("idle", 30*time.Second, "time the CPU is measured over")
	if err := fs.Parse(args); err != nil {
		return err
	}
	argv := fs.Args()
	if len(argv) == 0 {
		return errors.New("usage: benchtool idle [-settle D] [-idle D] -- CMD ARGS")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	var printed bytes.Buffer
	cmd.Stdout, cmd.Stderr = &printed, &printed // read only after Wait
	if err := cmd.Start(); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	time.Sleep(*settle)
	st := IdleStats{Command: fmt.Sprint(argv), SettleS: settle.Seconds(), IdleS: span.Seconds()}
	var err error
	if st.RSSKiB, st.Threads, err = rss(pid); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return fmt.Errorf("%v exited early: %s", argv, printed.String())
	}
	t0, err := cpuTicks(pid)
	if err != nil {
		return err
	}
	time.Sleep(*span)
	t1, err := cpuTicks(pid)
	if err != nil {
		return err
	}
	st.CPUms = float64(t1-t0) * 1000 / clkTck
	st.CPUPct = st.CPUms / (span.Seconds() * 10)
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	st.ExitCode = cmd.ProcessState.ExitCode()
	st.Output = printed.String()
	return json.NewEncoder(out).Encode(st)
}
