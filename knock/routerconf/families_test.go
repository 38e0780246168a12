package routerconf

import (
	"slices"
	"strings"
	"testing"

	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/routerconf/rosmodel"
)

// knockerRules lists the comments of a menu's rules that carry name.
func knockerRules(r *rosmodel.Router, menu, name string) []string {
	var out []string
	for _, it := range r.Items(menu) {
		if c := it.Props["comment"]; strings.HasPrefix(c, "knocker "+name+": ") {
			out = append(out, c)
		}
	}
	return out
}

// A profile run again with fewer families (its host became an address of
// one family, or -4 / -6 was given) leaves no rule of the family it lost,
// on a router with defconf's rules of both families; and one run for IPv4
// only runs on a RouterOS 6 without its ipv6 package, where one for both
// families is refused, as RouterOS refuses a script naming a missing menu.
func TestRouterOSRerunWithFewerFamilies(t *testing.T) {
	spec := func(f knock.Family) Spec {
		return Spec{Name: "office", Steps: steps(t, "1234:udp=test", "2345"), Protect: ssh, Family: f}
	}
	script := func(f knock.Family) string {
		s, err := RouterOS(spec(f))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		then       knock.Family
		keep, gone string
	}{
		{knock.IPv4, rosmodel.IPFilter, rosmodel.IPv6Filter},
		{knock.IPv6, rosmodel.IPv6Filter, rosmodel.IPFilter},
	}
	for _, tt := range tests {
		t.Run(tt.then.String(), func(t *testing.T) {
			r := rosmodel.Defconf([]string{"bridge"}, []string{"ether1"})
			paste(t, r, script(knock.Auto))
			if len(knockerRules(r, tt.gone, "office")) == 0 {
				t.Fatal("the script for both families wrote no rules for one of them")
			}
			want := knockerRules(r, tt.keep, "office")
			paste(t, r, script(tt.then))
			if got := knockerRules(r, tt.gone, "office"); len(got) != 0 {
				t.Fatalf("running again for %s left %s rules: %q", tt.then, tt.gone, got)
			}
			if got := knockerRules(r, tt.keep, "office"); !slices.Equal(got, want) {
				t.Fatalf("%s rules %q, want %q", tt.keep, got, want)
			}
		})
	}

	t.Run("without IPv6", func(t *testing.T) {
		r := rosmodel.Defconf([]string{"bridge"}, []string{"ether1"}).WithoutIPv6()
		if err := r.Run(script(knock.Auto)); err == nil || !strings.Contains(err.Error(), "unknown menu /ipv6") {
			t.Fatalf("a script with IPv6 rules on a router without IPv6: %v, want unknown menu", err)
		}
		if got := knockerRules(r, rosmodel.IPFilter, "office"); len(got) != 0 {
			t.Fatalf("a refused script ran in part: %q", got)
		}
		v4 := script(knock.IPv4)
		paste(t, r, v4)
		once := r.Export()
		paste(t, r, v4)
		if len(knockerRules(r, rosmodel.IPFilter, "office")) != 4 || r.Export() != once {
			t.Fatalf("the IPv4 script, twice, on a router without IPv6:\n%s", r.Export())
		}
	})
}

// A run that removes a name's rules in both families takes that name's
// only: a profile whose name begins the same keeps all of its rules.
func TestRouterOSRerunKeepsOtherNames(t *testing.T) {
	r := rosmodel.Defconf([]string{"bridge"}, []string{"ether1"})
	for _, name := range []string{"office", "office-old"} {
		s, err := RouterOS(Spec{Name: name, Steps: steps(t, "1234:udp=test"), Protect: ssh})
		if err != nil {
			t.Fatal(err)
		}
		paste(t, r, s)
	}
	s, err := RouterOS(Spec{Name: "office", Steps: steps(t, "1234:udp=test"), Protect: ssh, Family: knock.IPv4})
	if err != nil {
		t.Fatal(err)
	}
	paste(t, r, s)
	if n := len(knockerRules(r, rosmodel.IPv6Filter, "office-old")); n != 3 {
		t.Fatalf("office's run for IPv4 left office-old %d IPv6 rules, want its 3", n)
	}
	if n := len(knockerRules(r, rosmodel.IPv6Filter, "office")); n != 0 {
		t.Fatalf("office's run for IPv4 left %d of its IPv6 rules", n)
	}
}

// nftables: a ruleset for one family deletes the other family's table of
// that name, after adding it so that the delete works where there is none
// (the e2e lab loads both ways into a real kernel).
func TestNFTablesRerunWithFewerFamilies(t *testing.T) {
	for _, tt := range []struct {
		family     knock.Family
		keep, gone string
	}{{knock.IPv4, "ip", "ip6"}, {knock.IPv6, "ip6", "ip"}} {
		out, err := NFTables(Spec{Name: "office", Steps: steps(t, "1234:udp=test"), Protect: ssh, Family: tt.family})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"add table " + tt.keep + " knocker-office\n",
			"add table " + tt.gone + " knocker-office\ndelete table " + tt.gone + " knocker-office\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s ruleset lacks %q:\n%s", tt.family, want, out)
			}
		}
		if strings.Contains(out, "delete table "+tt.keep+" ") {
			t.Errorf("%s ruleset deletes its own table:\n%s", tt.family, out)
		}
	}
	both, err := NFTables(Spec{Name: "office", Steps: steps(t, "1234:udp=test"), Protect: ssh})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(both, "delete") {
		t.Errorf("a ruleset for both families deletes something:\n%s", both)
	}
}
