package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// routerExport is profile's export with a two-step knock above defconf's
// drops, and a ladder that is no knock.
var routerExport = func() string {
	data, err := os.ReadFile("../profile/testdata/routeros-export.rsc")
	if err != nil {
		panic(err)
	}
	return string(data)
}()

func TestImportAndCheckRouterOS(t *testing.T) {
	useTestProfiles(t, nil)
	stdout, stderr, code := runStdin(routerExport, "import", "--host", "203.0.113.7", "-")
	if code != ExitOK || stdout != "imported 1 profile from RouterOS configuration: office-allow\n" ||
		!strings.Contains(stderr, "knocker: left out: -: list telnet_black (IPv4): the rule at line 12 drops sources on it: a blocklist") {
		t.Fatalf("import: %d %q %q", code, stdout, stderr)
	}
	file := filepath.Join(t.TempDir(), "export.rsc")
	if err := os.WriteFile(file, []byte(strings.ReplaceAll(routerExport, "\n", "\r\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = run("router-check", "office-allow", file)
	if code != ExitOK || stdout != "the router's rules let this knock in (through list office-allow, 2h, tcp/22)\n" {
		t.Fatalf("router-check: %d %q %q", code, stdout, stderr)
	}

	// The same profile against a router that wants one byte more, and one
	// that wants another port.
	for _, tt := range []struct{ from, to, want string }{
		{"content=second dst-port=5678 packet-size=34", "content=seconds dst-port=5678 packet-size=35",
			"knocker router-check: step 2: the router wants 7 payload bytes, this profile sends 6\n"},
		{"dst-port=1234", "dst-port=1235", "knocker router-check: step 1: the router wants udp/1235, this profile sends udp/1234\n"},
		{"dst-port=22 protocol=tcp src", "dst-port=2222 protocol=tcp src",
			"knocker router-check: no rule lets the final list reach tcp/22 (list office-allow opens tcp/2222)\n"},
	} {
		changed := strings.Replace(routerExport, tt.from, tt.to, 1)
		stdout, stderr, code = runStdin(changed, "router-check", "office-allow", "-")
		if code != ExitFailed || stdout != "" || stderr != tt.want {
			t.Errorf("router-check against %s: %d %q %q, want exit 1 and %q", tt.to, code, stdout, stderr, tt.want)
		}
	}

	for _, tt := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"router-check", "office-allow"}, "", "want a saved profile NAME and the router's configuration FILE"},
		{[]string{"router-check", "nobody", "-"}, routerExport, "nobody"},
		{[]string{"router-check", "office-allow", "-"}, "Flags: X - disabled\n 0 chain=input\n", "print output"},
		{[]string{"router-check", "office-allow", filepath.Join(t.TempDir(), "missing.rsc")}, "", "no such file"},
		{[]string{"import", "-"}, routerExport, "give its name or address with --host"},
	} {
		_, stderr, code := runStdin(tt.stdin, tt.args...)
		if code != ExitUsage || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: %d %q, want exit 2 saying %q", tt.args, code, stderr, tt.want)
		}
	}
}
