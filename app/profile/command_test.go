package profile

import (
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/knock"
)

// stepSpecs writes steps as knocker send would take them, delays included.
func stepSpecs(steps []knock.Step) string {
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = s.Spec()
		if s.Delay > 0 {
			parts[i] += "+" + s.Delay.String()
		}
	}
	return strings.Join(parts, " ")
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		line     string
		format   Format
		host     string
		steps    string
		family   knock.Family
		verify   *Verify
		warnings []string // each a part of one warning, in order
	}{
		// nping, the RouterOS reference client. It reads targets as IPv4
		// unless -6 is given, and sends 5 rounds unless -c says otherwise.
		{line: `nping --udp -p 1234 --data-string test -c 1 203.0.113.7`, format: FormatNping, host: "203.0.113.7", steps: "1234:udp=test", family: knock.IPv4},
		{line: `nping 203.0.113.7 --udp -p 1234 --data-string "two words"`, format: FormatNping, host: "203.0.113.7", steps: "1234:udp=two words", family: knock.IPv4,
			warnings: []string{"no -c: nping sends the sequence 5 times"}},
		{line: `sudo /usr/bin/nping --udp -p 7000,8000 --data 0xCAFE -c 1 router.example`, format: FormatNping, host: "router.example",
			steps: "7000:udp=hex:cafe 8000:udp=hex:cafe+1s", family: knock.IPv4},
		{line: `nping --udp -p 7000-7002 --delay 200ms --data '\xca\xfe' -c1 r`, format: FormatNping, host: "r", family: knock.IPv4,
			steps: "7000:udp=hex:cafe 7001:udp=hex:cafe+200ms 7002:udp=hex:cafe+200ms"},
		{line: `nping --icmp --data-length 36 -6 -c 1 r`, format: FormatNping, host: "r", steps: "icmp=size:36", family: knock.IPv6,
			warnings: []string{"random bytes"}},
		{line: `nping --tcp -p 2000,3000 --delay 0.5 --ttl 5 -g 999 -v3 -c 2 r`, format: FormatNping, host: "r", steps: "2000:tcp 3000:tcp+500ms", family: knock.IPv4,
			warnings: []string{"in rounds", "not carried over: --ttl, -g"}},
		{line: `nping --tcp -p 22 --data-string x -c 1 r`, format: FormatNping, host: "r", steps: "22:tcp", family: knock.IPv4, warnings: []string{"bare SYN"}},
		// A connect carries no payload, in nping as in Knocker: nothing differs.
		{line: `nping --tcp-connect -p 22 --data-string x -c 1 r`, format: FormatNping, host: "r", steps: "22:tcp", family: knock.IPv4},
		{line: `sudo nping --udp r -c 5`, format: FormatNping, host: "r", steps: "40125:udp=size:0", family: knock.IPv4,
			warnings: []string{"default UDP port 40125", "-c: nping sends"}},
		// Without root nping's UDP probes carry 4 zero bytes; unknown privilege is read as root, and said.
		{line: `nping --unprivileged --udp -p 9 -c 1 r`, format: FormatNping, host: "r", steps: "9:udp=size:4", family: knock.IPv4},
		{line: `nping --udp -p 9 -c 1 r`, format: FormatNping, host: "r", steps: "9:udp=size:0", family: knock.IPv4, warnings: []string{"4 zero bytes"}},
		// No mode: as root nping sends ICMP echo (ports ignored), TCP SYNs on IPv6, TCP connects without root.
		{line: `sudo nping -p 22 -c 1 r`, format: FormatNping, host: "r", steps: "icmp", family: knock.IPv4,
			warnings: []string{"read as ICMP echo, as nping sends as root", "ICMP has no ports"}},
		{line: `nping -p 22 -c 1 r`, format: FormatNping, host: "r", steps: "icmp", family: knock.IPv4,
			warnings: []string{"does not show whether nping ran as root", "ICMP has no ports"}},
		{line: `doas nping -6 -p 22 -c 1 r`, format: FormatNping, host: "r", steps: "22:tcp", family: knock.IPv6, warnings: []string{"read as TCP SYNs"}},
		{line: `nping --unprivileged -p 22 -c 1 r`, format: FormatNping, host: "r", steps: "22:tcp", family: knock.IPv4, warnings: []string{"TCP connects"}},
		{line: `nping --icmp -p 22 --data-string=ping -c 1 r && ssh r`, format: FormatNping, host: "r", steps: "icmp=ping", family: knock.IPv4,
			warnings: []string{"ICMP has no ports", "only the first command"}},
		{line: "nping --udp \\\n  -p 1234 --data-string test -c 1 r # the office", format: FormatNping, host: "r", steps: "1234:udp=test", family: knock.IPv4},
		{line: `$ nping --udp -p 1 --dest-ip 192.0.2.1 --data-string "a\"b" -c 1`, format: FormatNping, host: "192.0.2.1", steps: `1:udp=a"b`, family: knock.IPv4},
		// nping sends -p in ascending order, each port once.
		{line: `nping --udp -p 9000,7000,8000,7000 --data-string k -c 1 r`, format: FormatNping, host: "r", family: knock.IPv4,
			steps: "7000:udp=k 8000:udp=k+1s 9000:udp=k+1s", warnings: []string{"ascending order"}},
		{line: `nping --udp -p [65534-],1 --data-string k -c 1 r`, format: FormatNping, host: "r", family: knock.IPv4,
			steps: "1:udp=k 65534:udp=k+1s 65535:udp=k+1s", warnings: []string{"ascending order"}},
		// getopt_long_only: one dash, abbreviations, attached values.
		{line: `nping -udp -dest-p 1234 -data-str=x -c1 --rate 4 -ipv6 r`, format: FormatNping, host: "r", steps: "1234:udp=x", family: knock.IPv6},
		{line: `nping --udp -p1,2 --rate 3 -c 1 -S 192.0.2.9 r`, format: FormatNping, host: "r", family: knock.IPv4,
			steps: "1:udp=size:0 2:udp=size:0+333ms", warnings: []string{"-S: nping would send from another source", "4 zero bytes"}},
		{line: `nping --icmp --echo-request --icmp-type e --delay 2S -c 0x1 r`, format: FormatNping, host: "r", steps: "icmp", family: knock.IPv4},
		{line: `nping --tcp -p 1,2 --delay 1.5 --flags syn -c 1 r`, format: FormatNping, host: "r", steps: "1:tcp 2:tcp+1.5s", family: knock.IPv4},
		{line: `nping --tcp -p 1 --flags ack -c 1 r`, format: FormatNping, host: "r", steps: "1:tcp", family: knock.IPv4, warnings: []string{"not carried over: --flags"}},
		{line: `nping --udp -p 1 --data '\xca\xfeX00' -c 1 r`, format: FormatNping, host: "r", steps: "1:udp=hex:cafe00", family: knock.IPv4},
		// knock, knockd's client: -u makes every step UDP, :tcp included (knock.c: o_udp || proto == PROTO_UDP).
		{line: `knock -u host 1000:tcp 2000`, format: FormatKnockClient, host: "host",
			steps: "1000:udp=size:1 2000:udp=size:1", warnings: []string{"knock -u sends every step as UDP, whatever its protocol says: step 1 is UDP"}},
		{line: `knock -u -d 200 192.0.2.1 7000 8000:tcp 9000:TCP`, format: FormatKnockClient, host: "192.0.2.1",
			steps: "7000:udp=size:1 8000:udp=size:1+200ms 9000:udp=size:1+200ms", warnings: []string{"steps 2, 3 are UDP"}},
		{line: `knock router.example 7000 8000:udp -4 -v`, format: FormatKnockClient, host: "router.example", steps: "7000:tcp 8000:udp=size:1", family: knock.IPv4},
		// Only a lowercase "udp" is UDP to knock: anything else is TCP.
		{line: `knock r 1:UDP 2:s3cret 3: 4:tcp`, format: FormatKnockClient, host: "r", steps: "1:tcp 2:tcp 3:tcp 4:tcp",
			warnings: []string{"steps 1, 2, 3 are TCP"}},
		{line: `knock --udp --delay=50 r 1 2`, format: FormatKnockClient, host: "r", steps: "1:udp=size:1 2:udp=size:1+50ms"},
		{line: `knock --u --del 50 r 1 2`, format: FormatKnockClient, host: "r", steps: "1:udp=size:1 2:udp=size:1+50ms"},
		{line: `knock -ud100 r 1 2`, format: FormatKnockClient, host: "r", steps: "1:udp=size:1 2:udp=size:1+100ms"},
		// atoi: "1s" is 1 ms to knock.
		{line: `knock -d 1s r 1 2`, format: FormatKnockClient, host: "r", steps: "1:tcp 2:tcp+1ms", warnings: []string{`"1s" is 1 ms`}},
		// knocker send.
		{line: `knocker send -u -d 200ms 192.0.2.1 7000 8000 9000`, format: FormatKnockerSend, host: "192.0.2.1",
			steps: "7000:udp=size:1 8000:udp=size:1+200ms 9000:udp=size:1+200ms"},
		{line: `./bin/knocker send router.example 1234:udp=hex:74657374 icmp=size:64 --verify 22 --retries 2 -v`, format: FormatKnockerSend,
			host: "router.example", steps: "1234:udp=hex:74657374 icmp=size:64", verify: &Verify{Port: 22, Retries: 2}},
		{line: `knocker send -6 -verify=22 -verify-timeout 5s ::1 1:udp=base64:dGVzdA==`, format: FormatKnockerSend, host: "::1",
			steps: "1:udp=base64:dGVzdA==", family: knock.IPv6, verify: &Verify{Port: 22, Timeout: 5 * time.Second}},
		{line: `knocker send -d 150 -u=false r 1 2`, format: FormatKnockerSend, host: "r", steps: "1:tcp 2:tcp+150ms"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			imp, err := ParseCommand(tt.line)
			if err != nil {
				t.Fatal(err)
			}
			if imp.Format != tt.format || len(imp.Profiles) != 1 {
				t.Fatalf("read as %s with %d profiles", imp.Format, len(imp.Profiles))
			}
			p := imp.Profiles[0]
			if p.Host != tt.host || p.Name != tt.host || p.ID == "" || p.Family != tt.family {
				t.Errorf("profile %q host %q family %v", p.Name, p.Host, p.Family)
			}
			if got := stepSpecs(p.Steps); got != tt.steps {
				t.Errorf("steps %q, want %q", got, tt.steps)
			}
			switch {
			case (p.Verify == nil) != (tt.verify == nil):
				t.Errorf("verify %+v, want %+v", p.Verify, tt.verify)
			case p.Verify != nil && *p.Verify != *tt.verify:
				t.Errorf("verify %+v, want %+v", *p.Verify, *tt.verify)
			}
			if len(imp.Warnings) != len(tt.warnings) {
				t.Fatalf("warnings %q, want some containing %q", imp.Warnings, tt.warnings)
			}
			for i, w := range tt.warnings {
				if !strings.Contains(imp.Warnings[i], w) {
					t.Errorf("warning %q lacks %q", imp.Warnings[i], w)
				}
			}
		})
	}
}

// Lines that cannot become a profile say why, and never repeat the payload
// (here always the word "s3cret", in some form).
func TestParseCommandRefuses(t *testing.T) {
	tests := []struct{ line, want string }{
		{``, "no command"},
		{`sudo`, "no command"},
		{`ssh s3cret@host`, "does not start with nping, knock or knocker send"},
		{`knocker knock office`, "only knocker send"},
		{`nping --udp -p 1234 --data-string s3cret`, "no host"},
		{`nping --udp -p 1234 s3cret host`, "2 words where one host"},
		{`nping --udp -p 1234 --data-string $SECRET host`, "shell expansion"},
		{`nping --udp -p 1234 --data-string $'s3cret\n' host`, `bash's $'…' or $"…" quoting`},
		{`nping --udp -p 1234 --data-string $"s3cret" host`, `bash's $'…' or $"…" quoting`},
		{`nping --udp -p 1234 --data-string "s3cret" --data-length 4 host`, "refuses --data-length after --data-string"},
		{`nping --udp -p 1234 --data-string random host`, "random makes a new payload"},
		{`nping --udp -p 1234 --data 0Xs3cret host`, "none of those"},
		{`nping --udp -p 1 --delay 10 host`, "10 or more without a unit"},
		{`nping --udp -p 1 --delay -1s host`, "negative"},
		{`nping --udp -p 1 --rate 0 host`, "1-1000"},
		{`nping -p 1 -6 --icmp --icmp-type 8 host`, "type 128"},
		{`nping --udp -p 1 --da 00 host`, "ambiguous"},
		{`nping --udp -p 1 2001:db8::1`, "add -6"},
		{`nping --timestamp host`, "echo requests only"},
		{`nping --udp -p 1,s3cret host`, "numbers and ranges"},
		{`knock host 7000,8000`, "give each port as its own word"},
		{`knock host ssh`, "/etc/services"},
		{`knock -d -5 host 1`, "negative"},
		{`knock --ver host 1`, "ambiguous"},
		{`nping --udp -p 1234 --data-string "s3cret$(x)" host`, "shell expansion"},
		{`nping --udp -p 1234 --data-string 's3cret host`, "' quote is not closed"},
		{`nping --udp -p 1234 --data-string "s3cret host`, `" quote is not closed`},
		{`nping --udp -p 1234 --data 73336372657 host`, "even number of digits"},
		{`nping --udp -p 1234 --data s3cret host`, "none of those"},
		{`nping --udp -p 70000 host`, "out of range"},
		{`nping --udp -p 9-1 host`, "runs backwards"},
		{`nping --udp -p 70000-70001 host`, "out of range"},
		{`nping --udp -p 1-65535 host`, "more than 64 ports"},
		{`nping --udp --tcp -p 1 host`, "nping takes one"},
		{`nping --arp host`, "does not knock"},
		{`nping --icmp --icmp-type 13 host`, "echo requests"},
		{`nping --udp -p 1 --frobnicate host`, "--frobnicate is not one nping knows"},
		{`nping --udp -p`, "needs a value"},
		{`nping --udp -p 1 --delay soon host`, "want a time"},
		{`knock host`, "want HOST and at least one PORT"},
		{`knock -Xs3cret host 1`, "-X is not one"},
		{`knock host 0`, "out of range"},
		{`knocker send host 1:udp=hex:s3cret`, "step 1: payload"},
		{`knocker send host 1:s3cret`, "unknown protocol"},
		{`knocker send --retries 2 host 1`, "need --verify"},
		{`knocker send --verify 0 host 1`, "out of range"},
		{`knocker send host`, "want HOST and at least one STEP"},
		{`knock "bad host" 1`, "space"},
		{`nping --udp -p 1 --data-length 70000 host`, "want a length 0-65400"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			imp, err := ParseCommand(tt.line)
			if err == nil {
				t.Fatalf("accepted, as %+v", imp.Profiles)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
			for _, secret := range []string{"s3cret", "73336372657"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q repeats the payload", err)
				}
			}
		})
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, line := range []string{
		`nping --udp -p 1234 --data-string test 203.0.113.7`,
		`nping --icmp --data-length 36 -6 r`,
		`nping --udp -p 7000-7002 --delay 200ms --data '\xca\xfe' r`,
		`knock -ud100 r 1 2:tcp 3:UDP`,
		`nping -udp -p [9-7],-3 --data \\xca\\xfe -c rand $'x'`,
		`nping --tcp --dest-p=1,2 --delay 1.5E2ms --rate 7 --ec x r`,
		`knocker send -verify=22 r 1:udp=base64:dGVzdA== icmp=size:64`,
		"nping \"a\\\"b\" 'c' \\\n d ; e",
	} {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		imp, err := parseBounded(t, []byte(line), func() (Imported, error) { return ParseCommand(line) })
		if err == nil && len(imp.Profiles) != 1 {
			t.Fatalf("%d profiles from one line", len(imp.Profiles))
		}
		checkImport(t, imp, err)
	})
}
