package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// The data service of "benchtool serve": a client sends one operation byte
// and a size; the service answers with a ready byte, then for opDownload
// sends size bytes and closes, for opUpload reads until end of file and
// answers with the number of bytes it read.
const (
	opDownload = 'D'
	opUpload   = 'U'
	ready      = '!'
)

// serve runs the data service on ADDR until killed.
func serve(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: serve ADDR")
	}
	l, err := net.Listen("tcp", args[0])
	if err != nil {
		return err
	}
	fmt.Println("serving")
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			if err := serveOne(c.(*net.TCPConn)); err != nil {
				fmt.Fprintf(os.Stderr, "serve: %v\n", err)
			}
		}()
	}
}

func serveOne(c *net.TCPConn) error {
	var hdr [9]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return err
	}
	size := int64(binary.BigEndian.Uint64(hdr[1:]))
	if _, err := c.Write([]byte{ready}); err != nil {
		return err
	}
	switch hdr[0] {
	case opDownload:
		_, err := io.CopyN(c, zeroes{}, size)
		return err
	case opUpload:
		n, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, struct{ io.Reader }{c}, make([]byte, 256<<10))
		if err != nil {
			return err
		}
		return binary.Write(c, binary.BigEndian, uint64(n))
	}
	return fmt.Errorf("unknown operation %q", hdr[0])
}

// zeroes reads as endless zero bytes; the data's content does not matter
// to a relay that copies bytes.
type zeroes struct{}

func (zeroes) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// RelayStats compares transfers through "knocker proxy" with the same
// transfers over a direct connection, in MB/s (10^6 bytes a second).
type RelayStats struct {
	Bytes int64 `json:"bytes"`
	Runs  int   `json:"runs"`
	// By direction ("download", "upload") and path ("direct", "proxy"):
	// the throughput of each run, in the order run.
	MBps map[string]map[string][]float64 `json:"mb_per_s"`
}

// medians are the median throughputs of dir's transfers, direct and
// through the relay.
func (st RelayStats) medians(dir string) (direct, relayed float64) {
	return median(slices.Clone(st.MBps[dir]["direct"])), median(slices.Clone(st.MBps[dir]["proxy"]))
}

// relay measures -size byte transfers to and from the data service at
// -addr, -n times each way, directly and through the command after "--"
// (knocker proxy, which connects to the same service), alternating the two
// so that the machine's load changes hit both alike. A transfer is timed
// from the service's ready byte, so starting the proxy and connecting are
// left out: this is the relay's throughput.
func relay(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("relay", flag.ContinueOnError)
	addr := fs.String("addr", "", "the data service, HOST:PORT")
	size := fs.Int64("size", 200_000_000, "bytes per transfer")
	n := fs.Int("n", 7, "transfers per direction and path")
	if err := fs.Parse(args); err != nil {
		return err
	}
	proxy := fs.Args()
	if *addr == "" || len(proxy) == 0 {
		return errors.New("usage: relay -addr HOST:PORT [-size N] [-n RUNS] -- PROXY-COMMAND")
	}
	st := RelayStats{Bytes: *size, Runs: *n, MBps: map[string]map[string][]float64{}}
	for range *n {
		for _, op := range []byte{opDownload, opUpload} {
			dir := map[byte]string{opDownload: "download", opUpload: "upload"}[op]
			if st.MBps[dir] == nil {
				st.MBps[dir] = map[string][]float64{}
			}
			for _, path := range []string{"direct", "proxy"} {
				var took time.Duration
				var err error
				if path == "direct" {
					took, err = transferDirect(*addr, op, *size)
				} else {
					took, err = transferProxy(proxy, op, *size)
				}
				if err != nil {
					return fmt.Errorf("%s %s: %w", dir, path, err)
				}
				st.MBps[dir][path] = append(st.MBps[dir][path], float64(*size)/took.Seconds()/1e6)
			}
		}
	}
	return writeJSON(out, st)
}

func transferDirect(addr string, op byte, size int64) (time.Duration, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return transfer(c, c, c.(*net.TCPConn).CloseWrite, op, size)
}

func transferProxy(argv []string, op byte, size int64) (time.Duration, error) {
	p, err := startProxy(argv)
	if err != nil {
		return 0, err
	}
	took, err := transfer(p.stdout, p.stdin, p.stdin.Close, op, size)
	return took, p.wait(err)
}

// proxyProcess is a started proxy command whose standard input and output
// are pipes, as ssh starts a ProxyCommand.
type proxyProcess struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stdout  io.ReadCloser
	stderr  strings.Builder
	started time.Time
}

func startProxy(argv []string) (*proxyProcess, error) {
	p := &proxyProcess{cmd: exec.Command(argv[0], argv[1:]...)}
	p.cmd.Stderr = &p.stderr
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if p.stdout, err = p.cmd.StdoutPipe(); err != nil {
		return nil, err
	}
	p.started = time.Now()
	return p, p.cmd.Start()
}

// wait ends the proxy's input (the server then closes, and the proxy
// exits) and returns how the proxy failed, if it did, else err.
func (p *proxyProcess) wait(err error) error {
	p.stdin.Close()
	io.Copy(io.Discard, p.stdout)
	if werr := p.cmd.Wait(); werr != nil {
		return fmt.Errorf("%s: %v: %s", p.cmd.Path, werr, strings.TrimSpace(p.stderr.String()))
	}
	return err
}

// transfer runs one operation over r and w; closeWrite ends what w sends.
func transfer(r io.Reader, w io.Writer, closeWrite func() error, op byte, size int64) (time.Duration, error) {
	var hdr [9]byte
	hdr[0] = op
	binary.BigEndian.PutUint64(hdr[1:], uint64(size))
	if _, err := w.Write(hdr[:]); err != nil {
		return 0, err
	}
	var got [1]byte
	if _, err := io.ReadFull(r, got[:]); err != nil || got[0] != ready {
		return 0, fmt.Errorf("no ready byte from the service (%v)", err)
	}
	start := time.Now()
	if op == opDownload {
		n, err := io.Copy(io.Discard, r)
		took := time.Since(start)
		if err == nil && n != size {
			err = fmt.Errorf("received %d bytes of %d", n, size)
		}
		return took, err
	}
	if _, err := io.CopyN(w, zeroes{}, size); err != nil {
		return 0, err
	}
	if err := closeWrite(); err != nil {
		return 0, err
	}
	var n uint64
	if err := binary.Read(r, binary.BigEndian, &n); err != nil {
		return 0, fmt.Errorf("no count from the service: %w", err)
	}
	took := time.Since(start)
	if int64(n) != size {
		return took, fmt.Errorf("the service read %d bytes of %d", n, size)
	}
	return took, nil
}

// BannerStats are the times from start to an SSH server's banner.
type BannerStats struct {
	Ms []float64 `json:"ms"` // in the order run
}

// banner measures, -n times, how long it takes from the start to the first
// line an SSH server sends (SSH-2.0-...): with -dial ADDR over a plain
// connection from this process, else through the command after "--"
// (knocker proxy), timed from its start, after running -prepare (a shell
// command, untimed) each time.
func banner(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("banner", flag.ContinueOnError)
	dial := fs.String("dial", "", "connect to HOST:PORT directly")
	prepare := fs.String("prepare", "", "shell command to run, untimed, before each run")
	n := fs.Int("n", 20, "runs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	proxy := fs.Args()
	if (*dial == "") == (len(proxy) == 0) {
		return errors.New("usage: banner [-n RUNS] -dial HOST:PORT | [-prepare CMD] -- PROXY-COMMAND")
	}
	var st BannerStats
	for range *n {
		if *prepare != "" {
			if b, err := exec.Command("sh", "-c", *prepare).CombinedOutput(); err != nil {
				return fmt.Errorf("prepare: %v: %s", err, b)
			}
		}
		var took time.Duration
		var err error
		if *dial != "" {
			took, err = bannerDirect(*dial)
		} else {
			took, err = bannerProxy(proxy)
		}
		if err != nil {
			return err
		}
		st.Ms = append(st.Ms, ms(took))
	}
	return writeJSON(out, st)
}

func bannerDirect(addr string) (time.Duration, error) {
	start := time.Now()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := readBanner(c); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func bannerProxy(argv []string) (time.Duration, error) {
	p, err := startProxy(argv)
	if err != nil {
		return 0, err
	}
	err = readBanner(p.stdout)
	return time.Since(p.started), p.wait(err)
}

func readBanner(r io.Reader) error {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		return fmt.Errorf("no banner: %w", err)
	}
	if !strings.HasPrefix(line, "SSH-2.0-") {
		return fmt.Errorf("not an SSH banner: %q", line)
	}
	return nil
}

// median of values, which it sorts.
func median(values []float64) float64 {
	slices.Sort(values)
	return nearestRank(values, 50)
}

func (r *reporter) sectionProxy() {
	r.p("## knocker proxy (SSH)\n")
	r.p("%s\n", r.firstLine("proxy.note"))
	r.p("| to the SSH banner | median | min | max | runs |")
	r.p("| --- | ---: | ---: | ---: | ---: |")
	for _, c := range []struct{ file, what string }{
		{"banner-plain.json", "plain connection to an open port (from a running process)"},
		{"banner-knock.json", "`knocker proxy --always`: start, knock, connect (the allow set flushed before each)"},
		{"banner-fresh.json", "`knocker proxy`, last knock still fresh: start, connect at once"},
	} {
		var st BannerStats
		if !r.load(c.file, &st) || len(st.Ms) == 0 {
			continue
		}
		s := slices.Clone(st.Ms)
		slices.Sort(s)
		r.p("| %s | **%.1f ms** | %.1f ms | %.1f ms | %d |", c.what, median(slices.Clone(s)), s[0], s[len(s)-1], len(s))
	}
	var st, socat RelayStats
	if r.load("relay.json", &st) {
		withSocat := r.load("relay-socat.json", &socat)
		r.p("\nThe relay alone: %.0f MB to (download) and from (upload) a data service on the router, read and written by a process at full speed, over a direct connection and through `knocker proxy` (its standard input and output are pipes, as ssh gives it); for scale, through socat, a relay often used as a ProxyCommand, in its own run. Median of %d each, the two paths alternating; timed from the service's first byte, so start-up and connecting are left out. At these speeds the writer, the relay and the reader share the 2 cores: the relay's time is taken from the others, which a network or ssh's cipher (the scp rows below) would not let show:\n", float64(st.Bytes)/1e6, st.Runs)
		r.p("| direction | direct | through `knocker proxy` | proxy / direct | socat / direct (its run) |")
		r.p("| --- | ---: | ---: | ---: | ---: |")
		for _, dir := range []string{"download", "upload"} {
			direct, proxy := st.medians(dir)
			other := "-"
			if withSocat {
				direct, relayed := socat.medians(dir)
				other = fmt.Sprintf("%.0f %%", 100*relayed/direct)
			}
			r.p("| %s | %.0f MB/s | %.0f MB/s | **%.0f %%** | %s |", dir, direct, proxy, 100*proxy/direct, other)
		}
	}
	r.p("\n%s\n", r.firstLine("scp.note"))
	if !r.hyperfineTable("scp.json") {
		return
	}
	var hf struct{ Results []hyperfineRun }
	if r.load("scp.json", &hf) && len(hf.Results) == 4 {
		r.p("\nThroughput through `knocker proxy`, as a share of direct: up **%.0f %%**, down **%.0f %%** (ratio of the medians).",
			100*hf.Results[0].Median/hf.Results[1].Median, 100*hf.Results[2].Median/hf.Results[3].Median)
	}
	r.p("")
}

// alternate runs commands in turn, -n times each after one untimed round,
// so that a change in the machine's load hits each alike (hyperfine runs
// one command's runs, then the next's). Each argument is NAME=COMMAND, the
// command split at spaces and run without a shell. The JSON is hyperfine's.
func alternate(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("alternate", flag.ContinueOnError)
	n := fs.Int("n", 9, "runs of each command")
	if err := fs.Parse(args); err != nil {
		return err
	}
	type command struct{ name, line string }
	var cmds []command
	for _, a := range fs.Args() {
		name, line, ok := strings.Cut(a, "=")
		if !ok || strings.TrimSpace(line) == "" {
			return fmt.Errorf("want NAME=COMMAND, got %q", a)
		}
		cmds = append(cmds, command{name, line})
	}
	if len(cmds) == 0 {
		return errors.New("usage: alternate [-n RUNS] NAME=COMMAND [NAME=COMMAND ...] (one or more commands)")
	}
	times := make([][]float64, len(cmds))
	for round := range *n + 1 {
		for i, c := range cmds {
			argv := strings.Fields(c.line)
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			start := time.Now()
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			if round > 0 {
				times[i] = append(times[i], time.Since(start).Seconds())
			}
		}
	}
	var res struct {
		Results []hyperfineRun `json:"results"`
	}
	for i, c := range cmds {
		t := times[i]
		s := slices.Clone(t)
		slices.Sort(s)
		var sum, sq float64
		for _, x := range t {
			sum += x
		}
		mean := sum / float64(len(t))
		for _, x := range t {
			sq += (x - mean) * (x - mean)
		}
		res.Results = append(res.Results, hyperfineRun{Command: c.name, Mean: mean, Stddev: math.Sqrt(sq / float64(max(len(t)-1, 1))),
			Median: nearestRank(s, 50), Min: s[0], Max: s[len(s)-1], Times: t})
	}
	return writeJSON(out, res)
}
