package main

import (
	"os"
	"strings"
)

// sectionHeadless sets the headless build (make cli) against its targets:
// a one-step send at most 3× knock -u and 5 ms, and knocker keep at rest.
func (r *reporter) sectionHeadless() {
	r.p("## The headless build\n")
	var hf struct{ Results []hyperfineRun }
	if r.load("wall.json", &hf) {
		median := map[string]float64{}
		for _, x := range hf.Results {
			median[strings.Fields(x.Command)[0]] = x.Median
		}
		cli, desktop, knock := median["knocker-cli"], median["knocker"], median["knock"]
		if cli > 0 && knock > 0 {
			r.p("One-step send, whole process, medians of the run above (targets: at most 3× `knock -u`, and 5 ms):\n")
			r.p("| build | median | × knock -u |")
			r.p("| --- | ---: | ---: |")
			r.p("| knocker-cli (make cli: static, no cgo, no Fyne) | **%s** | %.1f× |", dur(cli), cli/knock)
			if desktop > 0 {
				r.p("| knocker (make build: the window too) | %s | %.1f× |", dur(desktop), desktop/knock)
			}
			r.p("")
		}
	}
	r.p("%s\n", r.firstLine("keep.note"))
	r.p("| build | RSS | threads | CPU while idle | knocks at start |")
	r.p("| --- | ---: | ---: | ---: | ---: |")
	for _, build := range []string{"knocker-cli", "knocker"} {
		var st IdleStats
		name := "keep-" + build + ".json"
		if _, err := os.Stat(r.path(name)); err != nil {
			r.p("| %s | not measured: %s | | | |", build, r.skip(name))
			continue
		}
		if !r.load(name, &st) {
			continue
		}
		r.p("| %s | %.1f MiB | %d | %.1f ms in %.0f s (%.3f %%) | %d |", build, float64(st.RSSKiB)/1024, st.Threads,
			st.CPUms, st.IdleS, st.CPUPct, strings.Count(st.Output, ": knocked"))
	}
	r.p("")
}
