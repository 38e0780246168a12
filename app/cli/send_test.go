package cli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/internal/testnet"
)

func run(args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = Run(context.Background(), testEnv(strings.NewReader(""), &out, &errOut), args)
	return out.String(), errOut.String(), code
}

func TestSendBadInput(t *testing.T) {
	tests := []struct {
		args   []string
		errHas string
	}{
		{[]string{"send"}, "missing HOST and steps"},
		{[]string{"send", "127.0.0.1"}, "missing steps after HOST"},
		{[]string{"send", "127.0.0.1", "0"}, "step 1: port 0 is out of range"},
		{[]string{"send", "127.0.0.1", "22", "65536:udp"}, "step 2: port 65536 is out of range"},
		{[]string{"send", "127.0.0.1", "22:gre"}, "step 1: unknown protocol"},
		{[]string{"send", "127.0.0.1", "22:udp=hex:abc"}, "step 1: payload: hex payload has an odd number of digits"},
		{[]string{"send", "127.0.0.1", "22:udp=hex:zz"}, "not a hex digit"},
		{[]string{"send", "127.0.0.1", "22:udp=base64:***"}, "not valid standard base64"},
		{[]string{"send", "127.0.0.1", "22:udp="}, "step 1: payload: empty payload"},
		{[]string{"send", "127.0.0.1", "22:udp=size:70000"}, "larger than one packet can carry"},
		{[]string{"send", "127.0.0.1", "22=test"}, "TCP step cannot carry a payload"},
		{[]string{"send", "-d", "-5ms", "127.0.0.1", "1", "2"}, "negative delay"},
		{[]string{"send", "-d", "soon", "127.0.0.1", "1"}, "not a duration"},
		{[]string{"send", "-4", "-6", "127.0.0.1", "1"}, "-4 and -6 exclude each other"},
		{[]string{"send", "--verify", "0", "127.0.0.1", "1"}, "port 0 is out of range"},
		{[]string{"send", "--retries", "2", "127.0.0.1", "1"}, "--retries needs --verify"},
		{[]string{"send", "--verify", "22", "--verify-timeout", "0s", "127.0.0.1", "1"}, "--verify-timeout must be positive"},
		{[]string{"send", "--bogus", "127.0.0.1", "1"}, "flag provided but not defined: -bogus"},
		{[]string{"send", "-6", "127.0.0.1", "1:udp"}, "no IPv6 address"},
		// .onion names fail without a DNS query (RFC 7686), keeping tests off the network.
		{[]string{"send", "nowhere.onion", "1:udp"}, `cannot resolve "nowhere.onion"`},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"version", "extra"}, "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, code := run(tt.args...)
			if code != ExitUsage {
				t.Errorf("exit code %d, want %d", code, ExitUsage)
			}
			if !strings.Contains(stderr, tt.errHas) {
				t.Errorf("stderr %q does not say %q", stderr, tt.errHas)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "knocker") {
				t.Errorf("stderr must be one line starting with knocker, got %q", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}

func TestSendWarnsAboutFragmentation(t *testing.T) {
	ln := testnet.ListenUDP(t)
	port := ln.LocalAddr().(*net.UDPAddr).Port
	_, stderr, code := run("send", "127.0.0.1", fmt.Sprintf("%d:udp=size:1473", port))
	if code != ExitOK || !strings.Contains(stderr, "warning: step 1 carries 1473 bytes; above 1472 it may be fragmented") {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	_, stderr, _ = run("send", "127.0.0.1", fmt.Sprintf("%d:udp=size:1472", port))
	if stderr != "" {
		t.Fatalf("1472 bytes fit one frame, but stderr says %q", stderr)
	}
}

func readDatagrams(t *testing.T, ln *net.UDPConn, n int) []string {
	t.Helper()
	var got []string
	buf := make([]byte, 65536)
	for range n {
		ln.SetReadDeadline(time.Now().Add(5 * time.Second))
		m, _, err := ln.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("after %d datagrams: %v", len(got), err)
		}
		got = append(got, string(buf[:m]))
	}
	return got
}

func TestSendVerboseAndInterspersedFlags(t *testing.T) {
	ln := testnet.ListenUDP(t)
	port := ln.LocalAddr().(*net.UDPAddr).Port
	// Flags after the steps, as people type them, and -u making bare ports
	// UDP, which carry knock's one zero byte.
	stdout, stderr, code := run("send", "127.0.0.1", fmt.Sprint(port), fmt.Sprintf("%d=hunter2", port), "-u", "-v", "-d", "20")
	if code != ExitOK || stderr != "" {
		t.Fatalf("code %d stderr %q", code, stderr)
	}
	if got := readDatagrams(t, ln, 2); got[0] != "\x00" || got[1] != "hunter2" {
		t.Fatalf("datagrams %q", got)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per step, got %q", stdout)
	}
	want := regexp.MustCompile(fmt.Sprintf(`^\d\d:\d\d:\d\d\.\d{6} step 2/2 udp/%d \(7-byte payload\) sent 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:%d$`, port, port))
	if !want.MatchString(lines[1]) {
		t.Fatalf("verbose line %q does not match %v", lines[1], want)
	}
	if strings.Contains(stdout, "hunter2") {
		t.Fatal("verbose output reveals the payload")
	}
}

func TestSendDoubleDashEndsFlags(t *testing.T) {
	ln := testnet.ListenUDP(t)
	port := ln.LocalAddr().(*net.UDPAddr).Port
	_, stderr, code := run("send", "-u", "--", "127.0.0.1", fmt.Sprintf("%d=-v", port))
	if code != ExitOK {
		t.Fatalf("code %d stderr %q", code, stderr)
	}
	if got := readDatagrams(t, ln, 1); got[0] != "-v" {
		t.Fatalf("payload %q", got[0])
	}
}

func TestSendVerify(t *testing.T) {
	open := testnet.OpenTCPPort(t)
	tcp2, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := tcp2.Addr().(*net.TCPAddr).Port
	tcp2.Close()
	ln := testnet.ListenUDP(t)
	step := fmt.Sprintf("%d:udp=test", ln.LocalAddr().(*net.UDPAddr).Port)

	stdout, stderr, code := run("send", "-v", "--verify", fmt.Sprint(open), "127.0.0.1", step)
	if code != ExitOK || !strings.Contains(stdout, fmt.Sprintf("verify tcp/%d: open", open)) {
		t.Fatalf("open port: code %d stdout %q stderr %q", code, stdout, stderr)
	}
	_, stderr, code = run("send", "--verify", fmt.Sprint(closed), "--verify-timeout", "300ms", "--retries", "2", "127.0.0.1", step)
	if code != ExitFailed || stderr != fmt.Sprintf("knocker send: sent, but port %d is still closed after 3 knocks\n", closed) {
		t.Fatalf("closed port: code %d stderr %q", code, stderr)
	}
	if got := readDatagrams(t, ln, 4); len(got) != 4 {
		t.Fatalf("want 1 + 3 knocks, got %d", len(got))
	}
}

func TestInterrupted(t *testing.T) {
	ln := testnet.ListenUDP(t)
	port := ln.LocalAddr().(*net.UDPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var errOut bytes.Buffer
	start := time.Now()
	code := Run(ctx, testEnv(nil, &bytes.Buffer{}, &errOut), []string{"send", "-u", "-d", "1h", "127.0.0.1", fmt.Sprint(port), fmt.Sprint(port)})
	if code != ExitFailed || time.Since(start) > time.Minute { // the second step waits an hour
		t.Fatalf("code %d after %v, stderr %q", code, time.Since(start), errOut.String())
	}
}

func TestHelpAndVersion(t *testing.T) {
	stdout, _, code := run("help")
	if code != ExitOK || !strings.Contains(stdout, "knocker send") || !strings.Contains(stdout, "Exit codes") {
		t.Fatalf("help: %d %q", code, stdout)
	}
	stdout, _, code = run("send", "--help")
	if code != ExitOK || !strings.Contains(stdout, "STEP is PORT[:udp|:tcp][=PAYLOAD]") {
		t.Fatalf("send --help: %d %q", code, stdout)
	}
	_, stderr, code := run()
	if code != ExitUsage || !strings.Contains(stderr, "Usage:") {
		t.Fatalf("no args: %d %q", code, stderr)
	}
	Version = "v1.2.3-test"
	defer func() { Version = "" }()
	stdout, _, code = run("version")
	if code != ExitOK || !strings.HasPrefix(stdout, "knocker v1.2.3-test (headless build, go") {
		t.Fatalf("version without a window: %d %q", code, stdout)
	}
	useTestWindow(t, func(context.Context, *profile.Book) error { return nil })
	stdout, _, code = run("version")
	if code != ExitOK || !strings.HasPrefix(stdout, "knocker v1.2.3-test (desktop build, go") {
		t.Fatalf("version with a window: %d %q", code, stdout)
	}
	if stdout, _, _ = run("help"); !strings.Contains(stdout, "knocker                open the window") {
		t.Fatalf("help with a window must name it:\n%s", stdout)
	}
}

// The headless build's help lists the same commands and says where the
// window is.
func TestHelpWithoutWindow(t *testing.T) {
	stdout, _, code := run("help")
	if code != ExitOK || strings.Contains(stdout, "open the window") || !strings.Contains(stdout, "the window is in the desktop build") ||
		!strings.Contains(stdout, "knocker keep") {
		t.Fatalf("help: %d %q", code, stdout)
	}
}

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		args    []string
		wantPos []string
		wantV   bool
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, false},
		{[]string{"-v", "a"}, []string{"a"}, true},
		{[]string{"a", "-v", "b"}, []string{"a", "b"}, true},
		{[]string{"a", "--", "-v"}, []string{"a", "-v"}, false},
		{nil, nil, false},
	}
	for _, tt := range tests {
		fs := newFlagSet("t")
		v := fs.Bool("v", false, "")
		pos, err := parseInterspersed(fs, tt.args)
		if err != nil || fmt.Sprint(pos) != fmt.Sprint(tt.wantPos) || *v != tt.wantV {
			t.Errorf("%q: pos %q v %v err %v", tt.args, pos, *v, err)
		}
	}
}

func TestDelayFlag(t *testing.T) {
	for in, want := range map[string]time.Duration{"100ms": 100 * time.Millisecond, "250": 250 * time.Millisecond, "1.5s": 1500 * time.Millisecond, "0": 0} {
		var f delayFlag
		if err := f.Set(in); err != nil || f.d != want {
			t.Errorf("Set(%q) = %v, %v; want %v", in, f.d, err, want)
		}
	}
}
