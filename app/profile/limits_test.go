package profile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime/metrics"
	"strings"
	"testing"
	"unicode/utf8"
)

// repeatJoin is n copies of item joined by sep.
func repeatJoin(item, sep string, n int) string {
	return strings.TrimSuffix(strings.Repeat(item+sep, n), sep)
}

// listDoc is a document of n profiles of the given steps: Knocker JSON
// for list "profiles", a Knock on Ports export for "sequences". Profile i
// is named by the list's initial and i: p7, s7.
func listDoc(list string, n int, steps string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"version": 1, %q: [`, list)
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"name": "%c%d", "host": "h", "steps": [%s]}`, list[0], i, steps)
	}
	b.WriteString("]}")
	return b.String()
}

func knockerDoc(n int, steps string) string { return listDoc("profiles", n, steps) }
func kopFile(n int, steps string) string    { return listDoc("sequences", n, steps) }

func knockdSections(n int, sequence string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "[s%d]\nsequence = %s\n", i, sequence)
	}
	return b.String()
}

func fwknoprcStanzas(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "[s%d]\nSPA_SERVER h\nACCESS tcp/22\n%s", i, rcKeyLines)
	}
	return b.String()
}

const (
	tcpStep  = `{"proto": "tcp", "port": 1}`
	kopTCP   = `{"type": "tcp", "port": 1}`
	kopBigIC = `{"type": "icmp", "icmp_size": 65000, "icmp_count": 1}`
)

// TestImportLimits: each limit holds at its edge, in every format, with an
// error naming where and why.
func TestImportLimits(t *testing.T) {
	tests := []struct {
		name, in, host string
		ok             bool
		want           string
	}{
		{"knocker: profiles at the limit", knockerDoc(MaxImportProfiles, tcpStep), "", true, ""},
		{"knocker: one profile more", knockerDoc(MaxImportProfiles+1, tcpStep), "", false, "line 1, column 28: more than 1000 profiles"},
		{"knocker: steps at the limit, too many for the keyring", knockerDoc(1, repeatJoin(tcpStep, ",", MaxSteps)), "", false, "more than the 2560 bytes"},
		{"knocker: one step more", knockerDoc(1, repeatJoin(tcpStep, ",", MaxSteps+1)), "", false, "line 1, column 66: more than 100 steps in one profile"},
		{"knocker: payload budget", knockerDoc(200, `{"proto": "udp", "port": 1, "payload": "65000", "encoding": "size"}`), "", false,
			"profiles[129] (p129): the file expands into more payload than Knocker imports at once"},
		{"kop: sequences at the limit", kopFile(MaxImportProfiles, kopTCP), "", true, ""},
		{"kop: one sequence more", kopFile(MaxImportProfiles+1, kopTCP), "", false, "more than 1000 profiles"},
		{"kop legacy: one sequence more", "[" + repeatJoin(`{"name":"a","host":"h","steps":[{"port":1}]}`, ",", MaxImportProfiles+1) + "]", "", false, "line 1, column 1: more than 1000 profiles"},
		{"kop: one step more", kopFile(1, repeatJoin(kopTCP, ",", MaxSteps+1)), "", false, "more than 100 steps in one profile"},
		// Two echo steps of 60 become 120 steps: refused before any is made.
		{"kop: icmp_count adds up", kopFile(1, repeatJoin(`{"type": "icmp", "icmp_count": 60}`, ",", 2)), "", false, "sequences[0] (s0).steps: more than 100 steps in one profile"},
		{"kop: payload budget", kopFile(200, kopBigIC), "", false, "sequences[129] (s129).steps[0]: the file expands into more payload"},
		{"knockd: sections at the limit", knockdSections(MaxImportProfiles, "1,2"), "h", true, ""},
		{"knockd: one section more", knockdSections(MaxImportProfiles+1, "1,2"), "h", false, "line 2001: [s1000]: more than 1000 profiles"},
		{"knockd: one step more", knockdSections(1, repeatJoin("1", ",", MaxSteps+1)), "h", false, "line 2: more than 100 steps"},
		{"fwknoprc: stanzas at the limit", fwknoprcStanzas(MaxImportProfiles), "", true, ""},
		{"fwknoprc: one stanza more", fwknoprcStanzas(MaxImportProfiles + 1), "", false, "line 5001: more than 1000 profiles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			imp, err := ParseImport([]byte(tt.in), tt.host)
			switch {
			case tt.ok && (err != nil || len(imp.Profiles) != MaxImportProfiles):
				t.Fatalf("%d profiles, err %v; want all %d", len(imp.Profiles), err, MaxImportProfiles)
			case !tt.ok && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestImportWarningsAreCapped: a file that repeats an ignored setting or an
// unknockable section a million times gives bounded lists of warnings and
// of sections left out, saying how many more.
func TestImportWarningsAreCapped(t *testing.T) {
	var rc strings.Builder
	for i := range 200 {
		fmt.Fprintf(&rc, "[s%d]\nSPA_SERVER h\nACCESS tcp/22\nALLOW_IP source\nVERBOSE Y\n%s", i, rcKeyLines)
	}
	imp, err := ParseFwknoprc([]byte(rc.String()))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(imp.Warnings); n != maxImportWarnings+1 || imp.Warnings[n-1] != "and 150 more warnings" || !strings.HasPrefix(imp.Warnings[0], "line 1: [s0]: line 5: VERBOSE") {
		t.Fatalf("%d warnings, first %q, last %q", n, imp.Warnings[0], imp.Warnings[n-1])
	}
	conf := "[a]\nsequence = 1\n" + strings.Repeat("[b]\nsequence = 2\none_time_sequences = /etc/k\n", 200)
	imp, err = ParseKnockd([]byte(conf), "h")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(imp.Skipped); len(imp.Profiles) != 1 || n != maxImportWarnings+1 || imp.Skipped[n-1].Reason != "150 more sections left out" {
		t.Fatalf("%d profiles, %d left out, last %v", len(imp.Profiles), n, imp.Skipped[n-1])
	}
}

// allocated is how many bytes fn allocated on the heap. runtime/metrics
// reads the count without stopping the world, as ReadMemStats would on
// every fuzz input.
func allocated(fn func()) uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(sample)
	before := sample[0].Value.Uint64()
	fn()
	metrics.Read(sample)
	return sample[0].Value.Uint64() - before
}

// maxBombAlloc is what one hostile import file may cost, at most: well
// under the 100 MB a desktop program may grow to without harm.
const maxBombAlloc = 64 << 20

// TestImportBombsStaySmall feeds files built to expand (the Knock on Ports
// bomb of many repeated ICMP echoes, and lists of millions of empty items
// in every format) and checks each is refused while allocating little.
// Before the limits, the first took about 0.8 GB from 1 MiB.
func TestImportBombsStaySmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds files of several megabytes")
	}
	echo := `{"type":"icmp","icmp_count":100}`
	fill := func(prefix, item, suffix string) string {
		n := (MaxFileSize - len(prefix) - len(suffix)) / (len(item) + 1)
		return prefix + repeatJoin(item, ",", n) + suffix
	}
	tests := []struct{ name, in, host string }{
		// The bomb as found: refused by the count of sequences alone.
		{"kop: 1 MiB of sequences with 100-echo steps", kopFile((1<<20)/90, echo), ""},
		{"kop: every list at its limit, 100 echoes each", kopFile(MaxImportProfiles, repeatJoin(echo, ",", MaxSteps)), ""},
		{"kop: empty sequences", fill(`{"version":1,"sequences":[`, "{}", "]}"), ""},
		{"kop: empty steps", fill(`{"version":1,"sequences":[{"name":"a","host":"h","steps":[`, "{}", "]}]}"), ""},
		{"kop legacy: empty sequences", fill("[", "{}", "]"), ""},
		{"knocker: empty profiles", fill(`{"version":1,"profiles":[`, "{}", "]}"), ""},
		{"knocker: empty steps", fill(`{"version":1,"profiles":[{"name":"a","host":"h","steps":[`, "{}", "]}]}"), ""},
		{"knocker: size payloads", knockerDoc(MaxImportProfiles, repeatJoin(`{"proto":"icmp","payload":"65507","encoding":"size"}`, ",", 40)), ""},
		{"knockd: one long sequence", fill("[a]\nsequence = ", "1", "\n"), "h"},
		{"knockd: many sections", strings.Repeat("[a]\n", MaxFileSize/4), "h"},
		{"fwknoprc: many unknown lines", "[a]\nSPA_SERVER h\n" + strings.Repeat("X1 1\n", (MaxFileSize-20)/5), ""},
		{"fwknoprc: many stanzas", strings.Repeat("[a]\nSPA_SERVER h\n", MaxFileSize/17), ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if raceDetector && i > 0 {
				t.Skip("the race detector makes parsing megabytes take seconds; make test runs this without it (scripts/coverage.sh)")
			}
			if len(tt.in) > MaxFileSize {
				t.Fatalf("the test file is %d bytes, over the %d an import reads", len(tt.in), MaxFileSize)
			}
			data := []byte(tt.in)
			var err error
			n := allocated(func() { _, err = ParseImport(data, tt.host) })
			if err == nil {
				t.Fatal("accepted")
			}
			if n > maxBombAlloc {
				t.Fatalf("allocated %d MiB (err %v)", n>>20, err)
			}
			t.Logf("%d KiB of input: refused after %d KiB allocated: %v", len(data)>>10, n>>10, shortErr(err))
		})
	}
}

func shortErr(err error) string {
	s, _ := shorten(err.Error())
	return s
}

// maxParseAlloc bounds what parsing one fuzz input may allocate: the
// payload budget twice over, plus a generous factor of its size.
func maxParseAlloc(data []byte) uint64 { return 2*importBudget + 512*uint64(len(data)) }

// parseBounded runs parse on data, failing the test if it allocates more
// than maxParseAlloc or returns an error or warning that is not one line
// of printable text.
func parseBounded(t *testing.T, data []byte, parse func() (Imported, error)) (Imported, error) {
	t.Helper()
	var imp Imported
	var err error
	if n := allocated(func() { imp, err = parse() }); n > maxParseAlloc(data) {
		t.Fatalf("parsing %d bytes allocated %d", len(data), n)
	}
	msgs := imp.Warnings
	if err != nil {
		msgs = append(msgs, err.Error())
	}
	for _, m := range msgs {
		if !utf8.ValidString(m) || strings.ContainsFunc(m, hiddenRune) || strings.Contains(m, "\n") {
			t.Fatalf("message is not one line of printable text: %q", m)
		}
	}
	return imp, err
}

// FuzzCheckJSONLists compares the byte scanner with a real decoder: it
// refuses a document exactly when a list in it is longer than allowed.
func FuzzCheckJSONLists(f *testing.F) {
	f.Add([]byte(`{"profiles":[{"steps":[1,2,3]},{"steps":[]}]}`))
	f.Add([]byte(`[{"steps":[{"a":"]\"["}]}, [[1,2],[3]]]`))
	f.Add([]byte(`{"a":"\\","b":[[],[[]]]}`))
	f.Add([]byte("[" + repeatJoin("0", ",", MaxImportProfiles+1) + "]"))
	f.Add([]byte(`{"x":[[` + repeatJoin("{}", ",", MaxSteps+1) + `]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		// The decoder's tokens, which keep every duplicate key's value.
		type frame struct {
			list, nested, key bool
			items             int
		}
		var stack []frame
		lists, over := 0, false
		dec := json.NewDecoder(bytes.NewReader(data))
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			if d, ok := tok.(json.Delim); ok && (d == ']' || d == '}') {
				if stack[len(stack)-1].list {
					lists--
				}
				stack = stack[:len(stack)-1]
				continue
			}
			if top := len(stack) - 1; top >= 0 {
				f := &stack[top]
				switch {
				case f.list:
					f.items++
					over = over || !f.nested && f.items > MaxImportProfiles || f.nested && f.items > MaxSteps
				case f.key:
					f.key = false
					continue // a key, not a value
				default:
					f.key = true
				}
			}
			switch tok {
			case json.Delim('['):
				stack = append(stack, frame{list: true, nested: lists > 0})
				lists++
			case json.Delim('{'):
				stack = append(stack, frame{key: true})
			}
		}
		if err := checkJSONLists(data); (err != nil) != over {
			t.Fatalf("checkJSONLists = %v, but a list over the limits: %v", err, over)
		}
	})
}

// FuzzFoldName: the name index finds exactly the clashes the linear scan
// with strings.EqualFold found.
func FuzzFoldName(f *testing.F) {
	f.Add("Office", "oFFICE")
	f.Add("ǅ", "ǆ")
	f.Add("straße", "STRASSE")
	f.Add("K", "\u212a") // Kelvin sign
	f.Add("ſ", "S")
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return
		}
		if fold := foldName(a) == foldName(b); fold != strings.EqualFold(a, b) {
			t.Fatalf("foldName says %v for %q and %q, EqualFold the opposite", fold, a, b)
		}
	})
}

// The hostile files of TestImportBombsStaySmall, timed (make bench):
// refusing each should take well under a second.
func benchmarkImport(b *testing.B, data []byte, host string) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseImport(data, host); err == nil {
			b.Fatal("accepted")
		}
	}
}

func BenchmarkImportKoPBomb1MiB(b *testing.B) {
	benchmarkImport(b, []byte(kopFile((1<<20)/90, `{"type":"icmp","icmp_count":100}`)), "")
}

func BenchmarkImportKoPFullLists(b *testing.B) {
	benchmarkImport(b, []byte(kopFile(MaxImportProfiles, repeatJoin(`{"type":"icmp","icmp_count":100}`, ",", MaxSteps))), "")
}

func BenchmarkImportEmptySteps8MiB(b *testing.B) {
	prefix, suffix := `{"version":1,"profiles":[{"name":"a","host":"h","steps":[`, "]}]}"
	benchmarkImport(b, []byte(prefix+repeatJoin("{}", ",", (MaxFileSize-len(prefix)-len(suffix))/3)+suffix), "")
}

// BenchmarkImportKnockd1000Sections: the most sections an import takes,
// each name checked against the others through the index, then one more.
func BenchmarkImportKnockd1000Sections(b *testing.B) {
	benchmarkImport(b, []byte(knockdSections(MaxImportProfiles+1, "1,2,3")), "h")
}
