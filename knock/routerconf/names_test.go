package routerconf

import (
	"strings"
	"testing"
)

// Two profile IDs and the first 8 hex digits of their SHA-256.
const (
	idA, hashA = "5f1c0e2ab54d4c3e9a8b7c6d5e4f3a2b", "67e71a0f"
	idB, hashB = "9d2e7b41c0a34f5e8b6d1c2a3e4f5061", "bd434412"
)

func TestProfileName(t *testing.T) {
	tests := []struct{ name, id, want string }{
		// Already a router name: kept, whatever the ID.
		{"office", idA, "office"},
		{"office", idB, "office"},
		{"office-old", idA, "office-old"},
		{"a--b_c", idA, "a--b_c"},
		{strings.Repeat("k", 32), idA, strings.Repeat("k", 32)},
		// The pair: both clean to office-old, and neither takes
		// the name of a profile called office-old.
		{"Office (old)", idA, "office-old-" + hashA},
		{"Office old", idB, "office-old-" + hashB},
		{"Office", idA, "office-" + hashA},
		{"office.lan", idA, "office-lan-" + hashA},
		{"Zürich ☃ gateway", idA, "zrich-gateway-" + hashA},
		{"2nd site", idA, "knock-2nd-site-" + hashA},
		{"", idA, "knock-" + hashA},
		{"☃", idB, "knock-" + hashB},
		{"-office-", idA, "office-" + hashA},
		// Longer than a router name: cut to 23 bytes, "-" trimmed.
		{strings.Repeat("k", 33), idA, strings.Repeat("k", 23) + "-" + hashA},
		{"branch-office-number-1-north-wing", idA, "branch-office-number-1-" + hashA},
		{"branch office number 1 north wing", idB, "branch-office-number-1-" + hashB},
		{"branch-office-number-12-b", idA, "branch-office-number-12-b"},
		{"branch-office-number-1--x-y-z-0123", idA, "branch-office-number-1-" + hashA},
		// Shaped like a suffixed name: suffixed again, so it never meets
		// the profile whose suffixed name it copies.
		{"office-old-" + hashB, idA, "office-old-" + hashB + "-" + hashA},
		{"office-old-" + strings.ToUpper(hashB), idA, "office-old-" + hashB + "-" + hashA},
		{"office-old-1234567", idA, "office-old-1234567"}, // 7 digits: not the shape
		{"office-old-1234567g", idA, "office-old-1234567g"},
	}
	for _, tt := range tests {
		got := ProfileName(tt.name, tt.id)
		if got != tt.want {
			t.Errorf("ProfileName(%q, %s) = %q, want %q", tt.name, tt.id[:4], got, tt.want)
		}
		if !knockName.matches(got) {
			t.Errorf("ProfileName(%q) = %q, which routers refuse", tt.name, got)
		}
	}
}

// A rename keeps a cleaned name's suffix: it follows the ID, not the name
// or the other profiles.
func TestProfileNameSuffixFollowsTheID(t *testing.T) {
	for _, rename := range [][2]string{{"Office (old)", "Office (older)"}, {"Office", "Head Office"}} {
		before, after := ProfileName(rename[0], idA), ProfileName(rename[1], idA)
		if !strings.HasSuffix(before, "-"+hashA) || !strings.HasSuffix(after, "-"+hashA) {
			t.Errorf("rename %q -> %q: %q -> %q, want both to end in -%s", rename[0], rename[1], before, after, hashA)
		}
	}
}

// Two different profiles (their names differ, as a Book keeps them, and
// so do their IDs) never share a router name, and every router name is
// one routers take.
func FuzzProfileName(f *testing.F) {
	for _, s := range [][4]string{
		{"Office (old)", idA, "Office old", idB},
		{"office-old", idA, "Office old", idB},
		{"office-old-" + hashB, idA, "Office old", idB},
		{strings.Repeat("a", 32) + "1", idA, strings.Repeat("a", 32) + "2", idB},
		{"", "", "x", "y"},
		{"Ünïcode", "1", "unicode", "2"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, name1, id1, name2, id2 string) {
		a, b := ProfileName(name1, id1), ProfileName(name2, id2)
		for _, n := range []string{a, b} {
			if !knockName.matches(n) {
				t.Fatalf("router name %q is one routers refuse", n)
			}
		}
		if name1 != name2 && id1 != id2 && a == b {
			t.Fatalf("profiles %q (%q) and %q (%q) share the router name %q", name1, id1, name2, id2, a)
		}
		if id1 == id2 && hasIDSuffix(a) && hasIDSuffix(b) && a[len(a)-idSuffixLen:] != b[len(b)-idSuffixLen:] {
			t.Fatalf("one ID, two suffixes: %q, %q", a, b)
		}
		if again := ProfileName(name1, id1); again != a {
			t.Fatalf("ProfileName(%q) gave %q, then %q", name1, a, again)
		}
	})
}
