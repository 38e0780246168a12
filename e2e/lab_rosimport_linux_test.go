package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/knocker/knocker/internal/testbin"
	"github.com/knocker/knocker/knock/routerconf/rosmodel"
)

// labExport is a router's /ip firewall export in MikroTik's style, with
// defconf's input chain and a three-step knock typed in by hand above its
// drops: content= with packet-size, an ICMP echo of a size, a layer-7
// pattern; an old stage left disabled. The export wraps lines as RouterOS
// does, inside values and strings too.
const labExport = `# 2024-05-01 10:00:00 by RouterOS 7.14.3
# software id = ABCD-1234
/ip firewall layer7-protocol
add name=knock3 regexp="^third\\.one\$"
/ip firewall filter
add action=accept chain=input comment=\
    "defconf: accept established,related,untracked" connection-state=\
    established,related,untracked
add action=add-src-to-address-list address-list=lab-allow address-list-timeout=\
    1m chain=input comment="knock 3" dst-port=7003 layer7-protocol=knock3 \
    packet-size=37 protocol=udp src-address-list=lab-stage2
add action=add-src-to-address-list address-list=lab-stage2 address-list-timeout=\
    30s chain=input comment="knock 2" icmp-options=8:0 packet-size=60 protocol=\
    icmp src-address-list=lab-stage1
add action=add-src-to-address-list address-list=lab-stage1 address-list-timeout=\
    30s chain=input comment="knock 1" content="open sesame" dst-port=7001 \
    packet-size=39 protocol=udp
add action=add-src-to-address-list address-list=lab-stage1 address-list-timeout=\
    30s chain=input comment="old knock 1" disabled=yes dst-port=6001 protocol=tcp
add action=accept chain=input comment="after the knock" dst-port=%d protocol=tcp \
    src-address-list=lab-allow
add action=drop chain=input comment="defconf: drop invalid" connection-state=\
    invalid
add action=accept chain=input comment="defconf: accept ICMP" protocol=icmp
add action=drop chain=input comment="defconf: drop all not coming from LAN" \
    in-interface-list=!LAN
`

// A knock read from the router's own export is the router's knock: the
// export runs on the RouterOS model, the profile imported from it opens the
// port to real packets, and router-check says so. The same profile with
// one payload byte changed opens nothing, and router-check says why.
func TestLabRouterOSImportedKnock(t *testing.T) {
	t.Parallel()
	needKeyring(t)
	declareSecrets(t, "open sesame", "third.one", "third.onf")
	model := rosmodel.New()
	if err := model.AddInterfaceList("LAN", labLANIface); err != nil {
		t.Fatal(err)
	}
	r, l, _ := newRouterOS(t, model)
	export := fmt.Sprintf(labExport, echoPort)
	r.apply(export)

	dir := t.TempDir()
	file := filepath.Join(dir, "router.rsc")
	if err := os.WriteFile(file, []byte(export), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append([]string{"KNOCKER_CONFIG_DIR=" + t.TempDir()}, noDisplay...)
	res := testbin.Run(t, env, "import", "--host", labRouter4.String(), file)
	if res.Code != 0 || res.Stdout != "imported 1 profile from RouterOS configuration: lab-allow\n" {
		t.Fatalf("import: %d %q %q", res.Code, res.Stdout, res.Stderr)
	}
	res = testbin.Run(t, env, "export", "--with-secrets", "lab-allow")
	if res.Code != 0 || !strings.Contains(res.Stdout, `"payload": "third.one"`) {
		t.Fatalf("export: %d %q", res.Code, res.Stderr)
	}
	imported := filepath.Join(dir, "imported.json")
	changed := filepath.Join(dir, "changed.json")
	for name, json := range map[string]string{imported: res.Stdout, changed: strings.Replace(res.Stdout, "third.one", "third.onf", 1)} {
		if err := os.WriteFile(name, []byte(json), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// One byte changed: router-check finds it, the router keeps the port shut.
	check := func(profiles string) testbin.Result {
		return testbin.Run(t, append(noDisplay, "KNOCKER_PROFILES="+profiles), "router-check", "lab-allow", file)
	}
	res = check(changed)
	if res.Code != 1 || res.Stderr != "knocker router-check: step 3: the router wants other payload bytes than this profile sends\n" {
		t.Fatalf("router-check of the changed profile: %d %q %q", res.Code, res.Stdout, res.Stderr)
	}
	// The imported profile checks the port it opens (the accept rule's),
	// so knock itself says whether the router let it in.
	knock := func(profiles string, code int) {
		t.Helper()
		res := testbin.RunIn(t, nsExec(l.client), append(noDisplay, "KNOCKER_PROFILES="+profiles), "knock", "lab-allow")
		if res.Code != code {
			t.Fatalf("knocker knock exited %d, want %d: %q", res.Code, code, res.Stderr)
		}
	}
	if l.reaches(l.client, labRouter4) {
		t.Fatal("the port is open before any knock")
	}
	knock(changed, 1)
	if l.reaches(l.client, labRouter4) {
		t.Fatal("the profile with a changed byte opened the port")
	}

	// As imported: router-check agrees, and the router opens.
	res = check(imported)
	if res.Code != 0 || res.Stdout != fmt.Sprintf("the router's rules let this knock in (through list lab-allow, 1m, tcp/%d)\n", echoPort) {
		t.Fatalf("router-check of the imported profile: %d %q %q", res.Code, res.Stdout, res.Stderr)
	}
	knock(imported, 0)
	if !l.reaches(l.client, labRouter4) {
		t.Fatal("the imported profile's knock did not open the port")
	}
}
