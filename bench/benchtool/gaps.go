package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GapStats is the delay error of the gaps between consecutive steps of
// 10-step sequences, as a capture on the receiving side saw them.
type GapStats struct {
	Delay     string    `json:"delay"`
	Sequences int       `json:"sequences"`
	Gaps      int       `json:"gaps"`
	P50us     float64   `json:"p50_us"`
	P99us     float64   `json:"p99_us"`
	MaxUs     float64   `json:"max_us"`
	MeanUs    float64   `json:"mean_signed_us"` // signed: positive means late
	Errors    []float64 `json:"errors_us"`      // signed, in capture order
	// Over1ms counts gaps more than 1 ms off, by gap: [0] is between
	// steps 1 and 2, [8] between steps 9 and 10.
	Over1ms [9]int `json:"over_1ms_by_gap"`
}

// gaps reads "tcpdump -n -tt --nano" text lines and, of the UDP packets to
// ports BASE+1..BASE+10 (one 10-step sequence after another), reports how
// far each gap is from DELAY.
func gaps(args []string, out io.Writer) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: gaps DELAY FILE BASE")
	}
	base, err := strconv.Atoi(args[2])
	if err != nil {
		return err
	}
	delay, err := time.ParseDuration(args[0])
	if err != nil {
		return err
	}
	f, err := os.Open(args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	type pkt struct {
		at   float64 // seconds
		port int
	}
	var pkts []pkt
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 1732543200.123456789 IP 10.213.99.1.51234 > 10.213.99.2.41001: UDP, length 4
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 || fields[3] != ">" {
			continue
		}
		at, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			continue
		}
		dst := strings.TrimSuffix(fields[4], ":")
		port, err := strconv.Atoi(dst[strings.LastIndexByte(dst, '.')+1:])
		if err != nil || port <= base || port > base+10 {
			continue
		}
		pkts = append(pkts, pkt{at, port})
	}
	if err := sc.Err(); err != nil {
		return err
	}
	st := GapStats{Delay: delay.String()}
	var abs []float64
	// A sequence is 10 packets whose ports count up by one.
	for i := 0; i+10 <= len(pkts); {
		ok := true
		for j := 1; j < 10; j++ {
			if pkts[i+j].port != pkts[i].port+j {
				ok = false
				break
			}
		}
		if !ok {
			i++
			continue
		}
		for j := 1; j < 10; j++ {
			e := (pkts[i+j].at-pkts[i+j-1].at)*1e6 - float64(delay.Microseconds())
			st.Errors = append(st.Errors, e)
			if math.Abs(e) > 1000 {
				st.Over1ms[j-1]++
			}
			abs = append(abs, math.Abs(e))
			st.MeanUs += e
		}
		st.Sequences++
		i += 10
	}
	if len(abs) == 0 {
		return fmt.Errorf("%s: no complete 10-step sequence in %d packets", args[1], len(pkts))
	}
	st.Gaps = len(abs)
	st.MeanUs /= float64(len(abs))
	slices.Sort(abs)
	st.P50us = nearestRank(abs, 50)
	st.P99us = nearestRank(abs, 99)
	st.MaxUs = abs[len(abs)-1]
	return writeJSON(out, st)
}

// nearestRank is the nearest-rank p-th percentile of sorted values.
func nearestRank(sorted []float64, p int) float64 {
	i := (len(sorted)*p+99)/100 - 1
	return sorted[max(i, 0)]
}
