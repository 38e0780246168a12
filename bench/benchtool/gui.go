package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/godbus/dbus/v5"
)

// GUIStats is what one app costs: start-up, memory, idle CPU.
type GUIStats struct {
	Mode       string    `json:"mode"` // window or tray
	StartMs    []float64 `json:"start_ms"`
	StartP50ms float64   `json:"start_p50_ms"`
	RSSKiB     int       `json:"rss_kib"`
	Threads    int       `json:"threads"`
	IdleSec    float64   `json:"idle_s"`
	CPUPct     float64   `json:"idle_cpu_pct"` // of one core
	Hidden     bool      `json:"window_hidden"`
}

var errExited = errors.New("exited before its window or tray item appeared")

// clkTck is USER_HZ, the unit of utime and stime in /proc/PID/stat (100 on Linux).
const clkTck = 100

// gui starts CMD -runs times and times how long until its window (or, with
// -tray, its tray item) appears, then starts it once more, lets it settle
// and measures RSS and CPU while it idles. DISPLAY must name an X server
// (Xvfb); -tray needs a session bus, on which it plays the
// StatusNotifierWatcher a desktop panel would provide.
func gui(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("gui", flag.ContinueOnError)
	title := fs.String("title", "Knocker", "window title to wait for")
	tray := fs.Bool("tray", false, "wait for a tray item instead of a window, and check the window stays hidden")
	runs := fs.Int("runs", 5, "start-up samples")
	settle := fs.Duration("settle", 3*time.Second, "wait after start before measuring")
	idle := fs.Duration("idle", 10*time.Second, "idle CPU measuring time")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cmdline := fs.Args()
	if len(cmdline) == 0 {
		return errors.New("usage: gui [flags] -- CMD [ARG]")
	}
	var w *sniWatcher
	if *tray {
		var err error
		if w, err = startWatcher(); err != nil {
			return fmt.Errorf("tray watcher: %w", err)
		}
	}
	st := GUIStats{Mode: "window"}
	if *tray {
		st.Mode = "tray"
	}
	ready := func(ctx context.Context, p *proc) error {
		if w != nil {
			select {
			case <-w.registered:
				return nil
			case <-p.exited:
				return errExited
			case <-ctx.Done():
				return errors.New("no tray item registered")
			}
		}
		for ctx.Err() == nil {
			if viewable(*title) {
				return nil
			}
			select {
			case <-p.exited:
				return errExited
			case <-time.After(5 * time.Millisecond):
			}
		}
		return fmt.Errorf("window %q never became viewable", *title)
	}
	for i := 0; i <= *runs; i++ {
		if w != nil {
			select { // a late word from the previous start
			case <-w.registered:
			default:
			}
		}
		p, err := launch(cmdline)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = ready(ctx, p)
		elapsed := time.Since(p.started)
		cancel()
		if err != nil {
			p.stop()
			return err
		}
		if i < *runs {
			st.StartMs = append(st.StartMs, float64(elapsed.Microseconds())/1000)
			p.stop()
			continue
		}
		// The last start stays up for the idle measurement.
		time.Sleep(*settle)
		if *tray {
			st.Hidden = !viewable(*title)
		}
		c0, err := cpuTicks(p.cmd.Process.Pid)
		if err != nil {
			p.stop()
			return err
		}
		t0 := time.Now()
		time.Sleep(*idle)
		c1, err := cpuTicks(p.cmd.Process.Pid)
		wall := time.Since(t0)
		if err == nil {
			st.RSSKiB, st.Threads, err = rss(p.cmd.Process.Pid)
		}
		p.stop()
		if err != nil {
			return err
		}
		st.IdleSec = wall.Seconds()
		st.CPUPct = float64(c1-c0) / clkTck / wall.Seconds() * 100
	}
	s := slices.Clone(st.StartMs)
	slices.Sort(s)
	st.StartP50ms = s[len(s)/2]
	return writeJSON(out, st)
}

type proc struct {
	cmd     *exec.Cmd
	started time.Time
	dir     string
	exited  chan struct{} // closed when the process has ended
}

// launch starts cmdline with private config, data, cache and runtime
// folders, so runs neither share state nor touch the user's own.
func launch(cmdline []string) (*proc, error) {
	dir, err := os.MkdirTemp("", "knocker-bench-gui-")
	if err != nil {
		return nil, err
	}
	env := os.Environ()
	for _, v := range []string{"XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "KNOCKER_CONFIG_DIR"} {
		d := dir + "/" + strings.ToLower(v)
		if err := os.Mkdir(d, 0o700); err != nil {
			return nil, err
		}
		env = append(env, v+"="+d)
	}
	// BENCH_PROFILES seeds the app's config folder with a profiles.json.
	if src := os.Getenv("BENCH_PROFILES"); src != "" {
		data, err := os.ReadFile(src)
		if err == nil {
			err = os.WriteFile(dir+"/knocker_config_dir/profiles.json", data, 0o600)
		}
		if err != nil {
			return nil, err
		}
	}
	cmd := exec.Command(cmdline[0], cmdline[1:]...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr // the caller keeps this for diagnosis
	p := &proc{cmd: cmd, dir: dir, started: time.Now(), exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	return p, nil
}

func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(3 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	os.RemoveAll(p.dir)
}

// viewable reports whether a window titled title is mapped.
func viewable(title string) bool {
	out, err := exec.Command("xwininfo", "-name", title).Output()
	return err == nil && bytes.Contains(out, []byte("Map State: IsViewable"))
}

// cpuTicks is the process's user plus system time, in clock ticks.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	rest := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(rest) < 13 {
		return 0, errors.New("short /proc stat")
	}
	u, err1 := strconv.ParseInt(rest[11], 10, 64)
	s, err2 := strconv.ParseInt(rest[12], 10, 64)
	return u + s, errors.Join(err1, err2)
}

// rss reads VmRSS (KiB) and the thread count.
func rss(pid int) (kib, threads int, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			kib, _ = strconv.Atoi(f[1])
		case "Threads:":
			threads, _ = strconv.Atoi(f[1])
		}
	}
	return kib, threads, nil
}

// sniWatcher stands in for a desktop panel: it owns the
// StatusNotifierWatcher name and hears items register.
type sniWatcher struct{ registered chan string }

func (w *sniWatcher) RegisterStatusNotifierItem(sender dbus.Sender, item string) *dbus.Error {
	select {
	case w.registered <- string(sender) + " " + item:
	default:
	}
	return nil
}

func startWatcher() (*sniWatcher, error) {
	conn, err := dbus.SessionBusPrivate()
	if err != nil {
		return nil, err
	}
	if err := conn.Auth(nil); err != nil {
		return nil, err
	}
	if err := conn.Hello(); err != nil {
		return nil, err
	}
	w := &sniWatcher{registered: make(chan string, 1)}
	if err := conn.Export(w, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		return nil, err
	}
	reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue)
	if err != nil {
		return nil, err
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return nil, errors.New("another StatusNotifierWatcher owns the name")
	}
	return w, nil
}
