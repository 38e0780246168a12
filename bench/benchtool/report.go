package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

type hyperfineRun struct {
	Command string    `json:"command"`
	Mean    float64   `json:"mean"`
	Stddev  float64   `json:"stddev"`
	Median  float64   `json:"median"`
	Min     float64   `json:"min"`
	Max     float64   `json:"max"`
	Times   []float64 `json:"times"`
}

// report turns the results bench/run.sh left in DIR into the Markdown
// report OUT, and writes DIR/delay-errors.dat for the plot.
func report(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: report DIR OUT.md")
	}
	dir, outPath := args[0], args[1]
	r := &reporter{dir: dir}
	r.p("# Knocker benchmarks\n")
	r.p("Written by `make bench` (bench/run.sh); every number below comes from one run of it, all tools measured side by side in that run.\n")
	r.p("## Machine\n")
	r.p("```\n%s```\n", r.text("machine.txt"))
	r.sectionWall()
	r.sectionHeadless()
	r.sectionGaps()
	r.sectionOpen()
	r.sectionProxy()
	r.sectionGUI()
	r.sectionScale()
	r.p("## Go benchmarks\n")
	r.p("`go test -bench` over the whole module (`-benchmem`; the delay-accuracy benchmarks with `-benchtime 10x`, gaps seen by a loopback receiver). Output as printed:\n")
	r.p("```\n%s```\n", r.text("gobench.txt"))
	if r.err != nil {
		return r.err
	}
	return os.WriteFile(outPath, []byte(r.b.String()), 0o644)
}

type reporter struct {
	dir string
	b   strings.Builder
	err error
}

func (r *reporter) p(format string, a ...any) { fmt.Fprintf(&r.b, format+"\n", a...) }

func (r *reporter) path(name string) string { return filepath.Join(r.dir, name) }

// text returns a results file, or why it is missing (NAME.skip), or a note.
func (r *reporter) text(name string) string {
	b, err := os.ReadFile(r.path(name))
	if err != nil {
		return "(not measured: " + r.skip(name) + ")\n"
	}
	return string(b)
}

func (r *reporter) skip(name string) string {
	base := strings.TrimSuffix(name, filepath.Ext(name))
	if b, err := os.ReadFile(r.path(base + ".skip")); err == nil {
		return strings.TrimSpace(string(b))
	}
	return name + " missing"
}

// load decodes a JSON results file; false (and a note in the report) if it is missing.
func (r *reporter) load(name string, v any) bool {
	b, err := os.ReadFile(r.path(name))
	if err != nil {
		r.p("_%s: not measured: %s._\n", name, r.skip(name))
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		r.err = fmt.Errorf("%s: %w", name, err)
		return false
	}
	return true
}

// hyperfineTable prints hyperfine's JSON results in file as a table; false
// when the file is missing, which load has already reported.
func (r *reporter) hyperfineTable(file string) bool {
	var hf struct{ Results []hyperfineRun }
	if !r.load(file, &hf) {
		return false
	}
	r.p("| command | median | mean ± σ | min | max | runs |")
	r.p("| --- | ---: | ---: | ---: | ---: | ---: |")
	for _, x := range hf.Results {
		r.p("| `%s` | **%s** | %s ± %s | %s | %s | %d |", x.Command, dur(x.Median), dur(x.Mean), dur(x.Stddev), dur(x.Min), dur(x.Max), len(x.Times))
	}
	return true
}

func (r *reporter) sectionWall() {
	r.p("## One-step knock, whole process\n")
	r.p("Wall time from exec to exit of one UDP datagram to 127.0.0.1 (no listener), %s. `knock` sends no payload; `nping` waits about 1 s for replies by design, which is most of its time.\n", r.firstLine("wall.note"))
	if !r.hyperfineTable("wall.json") {
		return
	}
	r.p("")
}

func (r *reporter) sectionGaps() {
	r.p("## Inter-step delay accuracy\n")
	r.p("%s\n", r.firstLine("gaps.note"))
	r.p("| sender | delay | sequences | gaps | error p50 | error p99 | error max | mean signed error | gaps > 1 ms off, by gap 1–9 |")
	r.p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	var dat strings.Builder
	var titles []string
	for _, tool := range []string{"knocker", "knock"} {
		for _, d := range []string{"100ms", "10ms"} {
			name := fmt.Sprintf("gaps-%s-%s.json", tool, d)
			var st GapStats
			b, err := os.ReadFile(r.path(name))
			if err == nil {
				err = json.Unmarshal(b, &st)
			}
			if err != nil {
				r.p("| %s | %s | not measured: %s | | | | | | |", tool, d, r.skip(name))
				continue
			}
			over := make([]string, len(st.Over1ms))
			for i, n := range st.Over1ms {
				over[i] = fmt.Sprint(n)
			}
			r.p("| %s | %s | %d | %d | %s | %s | %s | %+.0f µs | %s |", tool, d, st.Sequences, st.Gaps, us(st.P50us), us(st.P99us), us(st.MaxUs), st.MeanUs, strings.Join(over, " "))
			abs := make([]float64, len(st.Errors))
			for i, e := range st.Errors {
				abs[i] = math.Max(math.Abs(e), 1) // the log axis starts at 1 µs
			}
			slices.Sort(abs)
			if len(titles) > 0 {
				dat.WriteString("\n\n")
			}
			titles = append(titles, tool+"_"+d)
			fmt.Fprintf(&dat, "# %s %s\n", tool, d)
			for i, a := range abs {
				fmt.Fprintf(&dat, "%.1f %.4f\n", a, float64(i+1)/float64(len(abs)))
			}
		}
	}
	r.p("\nError = |gap between consecutive datagrams at the receiver − delay|. Distribution (fraction of gaps with at most that error):\n")
	r.p("![delay error distribution](delay-error.png)\n")
	if err := os.WriteFile(r.path("delay-errors.dat"), []byte(dat.String()), 0o644); err != nil {
		r.err = err
	}
	if err := os.WriteFile(r.path("delay-errors.titles"), []byte(strings.Join(titles, " ")), 0o644); err != nil {
		r.err = err
	}
}

func (r *reporter) sectionOpen() {
	r.p("## Knock to verified open (nftables)\n")
	r.p("%s\n", r.firstLine("open.note"))
	if !r.hyperfineTable("open.json") {
		return
	}
	r.p("\nControl: %s\n", r.firstLine("open-control.txt"))
}

func (r *reporter) sectionGUI() {
	r.p("## GUI\n")
	r.p("%s\n", r.firstLine("gui.note"))
	r.p("| app | mode | start p50 (samples) | RSS | threads | idle CPU (one core) | window hidden | over its yardstick |")
	r.p("| --- | --- | ---: | ---: | ---: | ---: | --- | --- |")
	load := func(file string) (GUIStats, error) {
		var st GUIStats
		b, err := os.ReadFile(r.path(file))
		if err == nil {
			err = json.Unmarshal(b, &st)
		}
		return st, err
	}
	for _, c := range []struct{ file, app, base string }{
		{"gui-empty-window.json", "empty Fyne window (one label)", ""},
		{"gui-empty-button.json", "empty Fyne window (a label and a button)", "gui-empty-window.json"},
		{"gui-empty-button-tray.json", "empty Fyne window (a label and a button) with a tray menu", "gui-empty-button.json"},
		// Knocker's window has buttons and a tray menu: the yardstick is
		// the window with both.
		{"gui-knocker-window.json", "knocker, no profiles (first-run screen)", "gui-empty-button-tray.json"},
		{"gui-knocker-window-10.json", "knocker, 10 profiles counting down", "gui-empty-button-tray.json"},
		{"gui-empty-tray.json", "empty Fyne app, tray only", ""},
		{"gui-knocker-tray.json", "knocker --tray", "gui-empty-tray.json"},
		{"gui-knocker-tray-10.json", "knocker --tray, 10 auto-refresh profiles", "gui-empty-tray.json"},
	} {
		st, err := load(c.file)
		if err != nil {
			why := r.skip(c.file)
			if !errors.Is(err, fs.ErrNotExist) {
				why = err.Error()
			}
			r.p("| %s | not measured: %s | | | | | | |", c.app, why)
			continue
		}
		samples := make([]string, len(st.StartMs))
		for i, s := range st.StartMs {
			samples[i] = fmt.Sprintf("%.0f", s)
		}
		hidden := "-"
		if st.Mode == "tray" {
			hidden = fmt.Sprint(st.Hidden)
		}
		over := "(yardstick)"
		if c.base != "" {
			over = "-"
			if base, err := load(c.base); err == nil && base.RSSKiB > 0 {
				over = fmt.Sprintf("RSS %+.1f %%, CPU %+.2f points", st.rssOver(base), st.CPUPct-base.CPUPct)
			}
		}
		r.p("| %s | %s | %.0f ms (%s) | %.1f MiB | %d | %.2f %% over %.0f s | %s | %s |", c.app, st.Mode, st.StartP50ms, strings.Join(samples, ", "),
			float64(st.RSSKiB)/1024, st.Threads, st.CPUPct, st.IdleSec, hidden, over)
	}
	r.p("")
	// The tray's price is Fyne's, not Knocker's; the note says what it is,
	// and how Knocker's window compares without it.
	bare, err1 := load("gui-empty-button.json")
	tray, err2 := load("gui-empty-button-tray.json")
	if err1 != nil || err2 != nil || bare.RSSKiB == 0 {
		return
	}
	var versus []string
	for _, c := range []struct{ file, what string }{
		{"gui-knocker-window.json", "first-run screen"},
		{"gui-knocker-window-10.json", "10 profiles"},
	} {
		if st, err := load(c.file); err == nil {
			versus = append(versus, fmt.Sprintf("%+.1f %% (%s)", st.rssOver(bare), c.what))
		}
	}
	r.p("A tray menu costs a Fyne app a second, hidden window with its own OpenGL context (Fyne's SystrayMonitor, which tells the app when the session ends): %+.1f MiB here, on software OpenGL. Knocker's window always has its tray menu, so the window with a tray menu is its yardstick; against the label-and-button window without one, Knocker's window is %s.\n",
		float64(tray.RSSKiB-bare.RSSKiB)/1024, strings.Join(versus, ", "))
}

// rssOver is how much more memory st took than base, in per cent of base's.
func (st GUIStats) rssOver(base GUIStats) float64 {
	return 100 * float64(st.RSSKiB-base.RSSKiB) / float64(base.RSSKiB)
}

func (r *reporter) sectionScale() {
	r.p("## Scale: 1000 auto-refresh profiles, idle\n")
	var st ScaleStats
	if !r.load("scale.json", &st) {
		return
	}
	r.p("The refresh scheduler (knock/schedule) on the real clock with %d auto-refresh profiles, all with fresh router entries (2 h timeout, last knocked over the past hour), idling for %.0f s in bench/benchtool (`benchtool scale`):\n", st.Profiles, st.IdleSec)
	r.p("| measure | value |")
	r.p("| --- | ---: |")
	r.p("| goroutines before New → while idle | %d → %d |", st.GoroutinesNone, st.GoroutinesIdle)
	r.p("| timers armed while idle (created in all) | %d (%d) |", st.TimersArmed, st.TimersCreated)
	r.p("| timer firings while idle | %d |", st.TimerFires)
	r.p("| knocks while idle | %d |", st.Knocks)
	r.p("| CPU while idle | %.1f ms (%.3f %%) |", st.CPUms, st.CPUPct)
	r.p("| heap in use for the scheduler | %d KiB |", st.HeapDeltaKiB)
	r.p("| Add × %d, Start | %.1f ms, %.2f ms |", st.Profiles, st.AddAllMs, st.StartMs)
	r.p("| next knock planned in (latest) | %s (%s) |", st.NextPlannedIn, st.LatestPlannedIn)
	r.p("\nThe cost of one scheduler pass over the 1000 profiles (`BenchmarkIdlePass1000`) and of a network change re-knocking all of them (`BenchmarkNetworkChange1000`, with a no-op knock):\n")
	r.p("| benchmark | result |")
	r.p("| --- | --- |")
	f, err := os.Open(r.path("gobench.txt"))
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "BenchmarkIdlePass1000") || strings.HasPrefix(line, "BenchmarkNetworkChange1000") {
			fields := strings.Fields(line)
			r.p("| %s | %s |", fields[0], strings.Join(fields[1:], " "))
		}
	}
	r.p("")
}

func (r *reporter) firstLine(name string) string {
	return strings.TrimSpace(r.text(name))
}

func dur(sec float64) string {
	switch {
	case sec >= 1:
		return fmt.Sprintf("%.3f s", sec)
	case sec >= 0.01:
		return fmt.Sprintf("%.1f ms", sec*1000)
	default:
		return fmt.Sprintf("%.2f ms", sec*1000)
	}
}

func us(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.2f ms", v/1000)
	}
	return fmt.Sprintf("%.0f µs", v)
}
