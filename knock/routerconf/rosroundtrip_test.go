package routerconf

import (
	"slices"
	"testing"
	"time"

	"github.com/knocker/knocker/knock"
)

// readBack reads script, which RouterOS(spec) wrote, and checks that it
// gives back spec's knock: its steps (delays aside: the rules do not hold
// them; letter case aside with layer-7, which ignores it), timeout, service
// and family.
func readBack(t *testing.T, spec Spec, script string) {
	t.Helper()
	rd, err := ReadRouterOS(script)
	if err != nil {
		t.Fatalf("the reader refuses what the writer wrote: %v\n%s", err, script)
	}
	if len(rd.Knocks) != 1 {
		t.Fatalf("%d knocks read back, want 1; left out %v\n%s", len(rd.Knocks), rd.LeftOut, script)
	}
	k := rd.Knocks[0]
	want := slices.Clone(spec.Steps)
	for i, st := range want {
		st.Delay = 0
		switch {
		case st.Proto == knock.UDP && len(st.Payload.Data) == 0:
			// No payload is matched: any datagram passes, and Knocker's
			// usual one is knock(1)'s.
			st.Payload = knock.KnockZeroByte()
		case spec.Matcher == Layer7 && exactPayload(st):
			st.Payload.Data = []byte(asciiLower(string(st.Payload.Data)))
		}
		want[i] = st
	}
	timeout := spec.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	family := spec.Family
	if family != knock.IPv4 && family != knock.IPv6 {
		family = knock.Auto
	}
	if !sameSteps(k.Steps, want) || k.Timeout != roundUpToSecond(timeout) || k.Protect != spec.Protect || k.Family != family {
		t.Fatalf("read back %v %v %v %v, want %v %v %v %v\n%s", stepSpecs(k.Steps), k.Timeout, k.Protect, k.Family,
			stepSpecs(want), roundUpToSecond(timeout), spec.Protect, family, script)
	}
}

// Every kind of step, each matcher, both families, and the LAN lists.
func TestRouterOSReadBack(t *testing.T) {
	for _, tt := range []struct {
		name  string
		steps []string
		fam   knock.Family
		m     Matcher
		lan   string
	}{
		{"content, both families", []string{"1234:udp=open-sesame", "icmp=size:32", "22"}, knock.Auto, Content, ""},
		{"layer-7", []string{"1234:udp=Open.Sesame?", "1234:udp=second"}, knock.IPv4, Layer7, ""},
		{"IPv6 sizes", []string{"icmp", "5000:udp=size:7", "5001:udp"}, knock.IPv6, Content, NoLANList},
		{"hex payload, other LAN list", []string{"9:udp=hex:01ff7f", "icmp=hex:0102"}, knock.IPv4, Content, "trusted"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec := Spec{Name: "rb", Steps: steps(t, tt.steps...), Timeout: 90 * time.Minute, Protect: Protect{Proto: knock.TCP, Port: 2222},
				Family: tt.fam, Matcher: tt.m, LANList: tt.lan}
			script, err := RouterOS(spec)
			if err != nil {
				t.Fatal(err)
			}
			readBack(t, spec, script)
		})
	}
}
