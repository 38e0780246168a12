package cli

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/knocker/knocker/internal/testnet"
)

// A pasted nping line becomes a saved profile that knocks as nping did;
// the payload goes to the keyring and into no message.
func TestImportCommand(t *testing.T) {
	ring := useTestProfiles(t, nil)
	ln := testnet.ListenUDP(t)
	port := ln.LocalAddr().(*net.UDPAddr).Port
	line := fmt.Sprintf("nping --udp -p %d --data-string %s --ttl 9 -c 1 127.0.0.1", port, cliSecret)

	stdout, stderr, code := run("import", "--command", line)
	if code != ExitOK || stdout != "imported profile 127.0.0.1 from the nping command: 1 step knocking 127.0.0.1\n" {
		t.Fatalf("import --command: %d %q %q", code, stdout, stderr)
	}
	if stderr != "knocker: warning: --command: not carried over: --ttl\n" {
		t.Fatalf("warnings %q", stderr)
	}
	if _, _, code = run("knock", "127.0.0.1"); code != ExitOK {
		t.Fatal("the imported profile does not knock")
	}
	if got := readDatagrams(t, ln, 1); got[0] != cliSecret {
		t.Fatalf("listener got %q", got)
	}
	// knock -u sends every step as UDP, one written :tcp included.
	stdout, stderr, code = run("import", "--command", fmt.Sprintf("knock -u 127.0.0.1 %d:tcp %d", port, port), "office")
	if code != ExitOK || !strings.HasPrefix(stdout, "imported profile office from the knock command: 2 steps") ||
		stderr != "knocker: warning: --command: knock -u sends every step as UDP, whatever its protocol says: step 1 is UDP here too\n" {
		t.Fatalf("import --command with a NAME: %d %q %q", code, stdout, stderr)
	}
	if _, _, code = run("knock", "office"); code != ExitOK {
		t.Fatal("the imported knock profile does not knock")
	}
	if got := readDatagrams(t, ln, 2); got[0] != "\x00" || got[1] != "\x00" {
		t.Fatalf("listener got %q, want knock's two one-byte datagrams", got)
	}
	if n := ring.(interface{ Len() int }).Len(); n != 2 {
		t.Fatalf("%d keyring items after two imports", n)
	}
}

func TestImportCommandBadInput(t *testing.T) {
	useTestProfiles(t, nil)
	nping := "nping --udp -p 1 --data-string " + cliSecret + " 127.0.0.1"
	if _, _, code := run("import", "--command", nping); code != ExitOK {
		t.Fatal("setting up the taken name failed")
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"import", "--command", nping}, `nothing imported: a profile named "127.0.0.1" already exists (rename or delete it first); or give this one a NAME after the line`},
		{[]string{"import", "--command", "nping --udp -p 1 --data " + cliSecret + "x h"}, "--command: nping --data: nping reads hex written as 0xAABB, \\xAA\\xBB or AABB, with an even number of digits; this value is none of those (read as nping command)"},
		{[]string{"import", "--command", "ssh " + cliSecret}, "--command: the line does not start with nping, knock or knocker send"},
		{[]string{"import", "--command", nping, "a", "b"}, "at most one NAME"},
		{[]string{"import", "--host", "h", "--command", nping}, "--host and --scrub-source are for files"},
		{[]string{"import", "--command", nping, "bad\tname"}, "NAME: name holds a control or invisible formatting character"},
	}
	for _, tt := range tests {
		stdout, stderr, code := run(tt.args...)
		if code != ExitUsage || stdout != "" || !strings.HasPrefix(stderr, "knocker import: ") || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q, want one line with %q", tt.args, code, stderr, tt.want)
		}
		if strings.Contains(stderr, cliSecret) {
			t.Errorf("%q: the message repeats the payload: %q", tt.args, stderr)
		}
	}
}
