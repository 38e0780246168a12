package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/internal/testbin"
	"github.com/knocker/knocker/knock/spa"
)

// maxImportRSS is what knocker import may grow to on a hostile file: a
// desktop program is fine well below it; the Knock on Ports bomb once took
// 0.8 GB from 1 MiB.
const maxImportRSS = 100 << 20

// kopBombSequences writes Knock on Ports sequences of steps ICMP steps of
// 100 echoes each, n of them or, with n 0, as many as fit in size bytes:
// small text that once expanded into 100 steps per step.
func kopBombSequences(n, steps, size int) string {
	step := strings.TrimSuffix(strings.Repeat(`{"type":"icmp","icmp_size":0,"icmp_count":100},`, steps), ",")
	var b strings.Builder
	b.WriteString(`{"version":1,"sequences":[`)
	for i := 0; n == 0 || i < n; i++ {
		seq := fmt.Sprintf(`{"name":"s%d","host":"h","steps":[%s]}`, i, step)
		if n == 0 && b.Len()+len(seq)+3 > size {
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(seq)
	}
	b.WriteString("]}")
	return b.String()
}

// knockdSections writes size bytes of knockd.conf sections.
func knockdSections(size int) string {
	var b strings.Builder
	for i := 0; ; i++ {
		section := fmt.Sprintf("[s%d]\nsequence = 1,2,3\n", i)
		if b.Len()+len(section) > size {
			return b.String()
		}
		b.WriteString(section)
	}
}

// peakRSS runs the binary with args under GNU time and returns how it
// exited, what it wrote on stderr and its peak resident size. Measured by
// the test itself, the child's peak would include the test process's own:
// Go starts children with vfork, and the kernel counts the memory shared
// until exec.
func peakRSS(t *testing.T, env []string, args ...string) (code int, stderr string, rss int64) {
	t.Helper()
	gnuTime, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		t.Skip("GNU time is not installed (Debian package time; make test installs it)")
	}
	out := filepath.Join(t.TempDir(), "rss")
	cmd := exec.Command(gnuTime, append([]string{"-f", "%M", "-o", out, testbin.Path(t)}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	_ = cmd.Run()
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("GNU time wrote nothing: %v (stderr %q)", err, errBuf.String())
	}
	// GNU time notes a nonzero exit before the figure.
	lines := strings.Fields(string(data))
	kib, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
	if err != nil {
		t.Fatalf("GNU time wrote %q", data)
	}
	return cmd.ProcessState.ExitCode(), errBuf.String(), kib << 10
}

// TestImportBombsThroughBinary: files built to expand are refused by the
// real binary with a one-line reason, the process staying under 100 MB
// (its peak resident size, from the kernel's accounting of the child).
// The time each took is logged as a measurement.
func TestImportBombsThroughBinary(t *testing.T) {
	t.Parallel()
	fill := func(prefix, item, suffix string, size int) string {
		n := (size - len(prefix) - len(suffix)) / (len(item) + 1)
		return prefix + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + suffix
	}
	const mib = 1 << 20
	tests := []struct {
		name string
		file func() string
		want string
	}{
		{"Knock on Ports: 1 MiB of 100-echo steps", func() string { return kopBombSequences(0, 1, mib) }, "more than 1000 profiles"},
		{"Knock on Ports: 8 MiB of 100-echo steps", func() string { return kopBombSequences(0, 1, 8*mib) }, "more than 1000 profiles"},
		{"Knock on Ports: every list full, 100 echoes each", func() string { return kopBombSequences(1000, 100, 0) }, "more than 100 steps in one profile"},
		{"Knock on Ports: 8 MiB of empty steps", func() string {
			return fill(`{"version":1,"sequences":[{"name":"a","host":"h","steps":[`, "{}", "]}]}", 8*mib)
		}, "more than 100 steps"},
		{"Knocker JSON: 8 MiB of empty profiles", func() string { return fill(`{"version":1,"profiles":[`, "{}", "]}", 8*mib) }, "more than 1000 profiles"},
		{"knockd.conf: 1 MiB of sections", func() string { return knockdSections(mib) }, "more than 1000 profiles"},
		{".fwknoprc: 8 MiB of unknown lines", func() string { return "[a]\nSPA_SERVER h\n" + strings.Repeat("X1 1\n", (8*mib-20)/5) }, "no KEY_BASE64"},
	}
	env := append([]string{"KNOCKER_CONFIG_DIR=" + t.TempDir()}, noDisplay...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "bomb")
			data := tt.file()
			if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
			args := []string{"import", file}
			if strings.HasPrefix(tt.name, "knockd") {
				args = []string{"import", "--host", "router.example", file}
			}
			start := time.Now()
			code, stderr, rss := peakRSS(t, env, args...)
			took := time.Since(start)
			if code != 2 || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("exit %d, stderr %q; want 2 and one line saying %q", code, stderr, tt.want)
			}
			if rss > maxImportRSS {
				t.Fatalf("knocker import grew to %d MiB on a %d KiB file", rss>>20, len(data)>>10)
			}
			t.Logf("%d KiB file: refused in %v, peak %d MiB: %s", len(data)>>10, took.Round(time.Millisecond), rss>>20, strings.TrimSpace(stderr))
		})
	}
}

// TestFwknoprcKeysNeverPrinted: a .fwknoprc with a key written as
// KEY_BASE64=… and a stray passphrase line, refused and then accepted once
// fixed, through the binary and a real keyring: no output holds either, in
// any letter case (the importer once repeated the line upper-cased).
func TestFwknoprcKeysNeverPrinted(t *testing.T) {
	needKeyring(t)
	const (
		key        = "c2VjcmV0LWtleS0xMjM0NTY3ODkwYWJjZGVmZ2hpams="
		hmacKey    = "aG1hYy1rZXktMTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1Njc4OQ=="
		passphrase = "correct-horse-battery-staple-42"
	)
	declareSecrets(t, key, hmacKey, passphrase)
	dir := t.TempDir()
	rc := filepath.Join(dir, ".fwknoprc")
	env := append([]string{"KNOCKER_CONFIG_DIR=" + t.TempDir()}, noDisplay...)
	public := &publicRuns{t: t, env: env}

	writeSecret(t, rc, "[office]\nSPA_SERVER 127.0.0.1\nACCESS tcp/22\nKEY_BASE64="+key+"\nHMAC_KEY_BASE64 "+hmacKey+"\n"+passphrase+"\n")
	if res := public.run(2, "import", rc); !strings.Contains(res.Stderr, `line 4: KEY_BASE64 is joined to its value by "="`) {
		t.Fatalf("stderr %q", res.Stderr)
	}
	writeSecret(t, rc, "[office]\nSPA_SERVER 127.0.0.1\nACCESS tcp/22\nKEY_BASE64 "+key+"\nHMAC_KEY_BASE64 "+hmacKey+"\n"+passphrase+"\n")
	if res := public.run(0, "import", rc); !strings.Contains(res.Stderr, "line 6: not settings Knocker knows") {
		t.Fatalf("stderr %q", res.Stderr)
	}
	public.run(0, "list")
	for _, out := range public.outputs {
		low := strings.ToLower(out)
		for _, s := range []string{key, hmacKey, passphrase} {
			if strings.Contains(low, strings.ToLower(s)) || strings.Contains(low, strings.ToLower(s[:16])) {
				t.Errorf("output holds a secret (in some letter case): %q", out)
			}
		}
	}
}

// TestScrubSourceThroughSymlink: import --scrub-source on a ~/.fwknoprc
// that links into a dotfiles folder removes the keys from the real file,
// through the binary and a real keyring.
func TestScrubSourceThroughSymlink(t *testing.T) {
	needKeyring(t)
	keys, err := spa.GenerateKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	key, hmacKey := keys.Base64()
	declareSecrets(t, key, hmacKey)
	dir := t.TempDir()
	real := filepath.Join(dir, "dotfiles-fwknoprc")
	writeSecret(t, real, "[office]\nSPA_SERVER 127.0.0.1\nACCESS tcp/22\nKEY_BASE64 "+key+"\nHMAC_KEY_BASE64 "+hmacKey+"\n")
	link := filepath.Join(dir, ".fwknoprc")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	env := append([]string{"KNOCKER_CONFIG_DIR=" + t.TempDir()}, noDisplay...)
	res := testbin.Run(t, env, "import", "--scrub-source", link)
	if res.Code != 0 || !strings.Contains(res.Stdout, "scrubbed "+real) {
		t.Fatalf("exit %d: %q %q", res.Code, res.Stdout, res.Stderr)
	}
	if data, _ := os.ReadFile(real); bytes.Contains(data, []byte(key)) || bytes.Contains(data, []byte(hmacKey)) {
		t.Fatalf("the real file still holds the keys:\n%s", data)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the link was replaced")
	}
}

// TestImportNamesCannotEscapeTheTerminal: a section name with a terminal
// escape reaches stderr quoted, not as the escape.
func TestImportNamesCannotEscapeTheTerminal(t *testing.T) {
	file := filepath.Join(t.TempDir(), "knockd.conf")
	if err := os.WriteFile(file, []byte("[\x1b]2;pwned\x07\x1b[2J]\nsequence = 1\n[b]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := testbin.Run(t, append([]string{"KNOCKER_CONFIG_DIR=" + t.TempDir()}, noDisplay...), "import", "--host", "h", file)
	if res.Code != 2 || strings.ContainsAny(res.Stderr, "\x1b\x07") || !strings.Contains(res.Stderr, `\x1b]2;pwned\a`) {
		t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
	}
}
