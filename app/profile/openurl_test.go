package profile

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateOpenURL(t *testing.T) {
	tests := []struct{ url, want string }{
		{"", ""},
		{"ssh://admin@router.example", ""},
		{"ssh://admin@[2001:db8::1]:2222", ""},
		{"https://router.example/webfig/", ""},
		{"HTTP://192.0.2.1:8080/", ""},
		{"winbox://admin@192.0.2.1:8291", ""},
		{"rdp://desk.example", ""},
		{"file:///etc/passwd", "scheme must be one of"},
		{"javascript:alert(1)", "scheme must be one of"},
		{"intent://x#Intent;end", "scheme must be one of"},
		{"smb://nas/share", "scheme must be one of"},
		{"router.example", "scheme must be one of"},
		{"ssh:admin@router", "want ssh://HOST"},
		{"https:///path", "want https://HOST"},
		{"ssh://admin:hunter2@router", "holds a password"},
		{"https://router/ x", "space or control character"},
		{"https://router/\n", "space or control character"},
		{"https://%zz", "not a valid URL"},
		{"https://r/" + strings.Repeat("a", MaxOpenURLLen), "longer than"},
		// Parts a handler could take for an option or for shell syntax.
		{"ssh://-oProxyCommand=touch%20x@router", `user name starts with "-"`},
		{"ssh://%2DoProxyCommand@router", `user name starts with "-"`},
		{"ssh://admin@-oProxyCommand=x", `host starts with "-"`},
		{"ssh://admin@.router", `host starts with "-" or "."`},
		{"ssh://$(touch%20x)@router", "user name may hold letters"},
		{"ssh://a;b@router", "user name may hold letters"},
		{"ssh://@router", "user name before \"@\" is empty"},
		{"ssh://router;reboot/", "host may hold letters"},
		{"sftp://router/-oProxyCommand=x", `the path has a part starting with "-"`},
		{"vnc://router/?-via=x", `the query has a part starting with "-"`},
		{"rdp://router#-x", `the fragment has a part starting with "-"`},
		{"https://router/-/settings?q=-x", ""},
		{"ssh://ad%0Amin@router", "user name may hold letters"},
		{"https://router/%1b[2J", "the path decodes to a control"},
		{"https://router/?x=%E2%80%AE", "the query decodes to a control"},
		{"https://router/#%00", "the fragment decodes to a control"},
		{"https://router/\u202e", "space or control character"},
		{"ssh://user.name+knock@router_1.example:22", ""},
		{"ssh://admin@[fe80::1%25eth0]:22", ""},
		{"https://bücher.example/", ""},
	}
	for _, tt := range tests {
		err := ValidateOpenURL(tt.url)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("ValidateOpenURL(%q) = %v, want %q", tt.url, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error quotes the password: %v", err)
		}
	}
}

func TestOpenURLInterchange(t *testing.T) {
	doc := `{"version": 2, "profiles": [{"name": "a", "host": "h", "steps": [{"proto": "tcp", "port": 1}], "open_url": "file:///bin/sh"}]}`
	if _, err := ParseKnocker([]byte(doc)); err == nil || !strings.Contains(err.Error(), "profiles[0] (a).open_url: scheme") {
		t.Fatalf("err = %v", err)
	}
	p := sample("a")
	p.OpenURL = "ssh://me@h"
	l := List{}
	if err := l.Add(p); err != nil {
		t.Fatal(err)
	}
	out, err := encodeList(l)
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := decodeList(out)
	if err != nil || back.Profiles[0].OpenURL != "ssh://me@h" || !strings.Contains(string(out), `"version": 2`) {
		t.Fatalf("%v\n%s", err, out)
	}
	// Without the new fields a file stays version 1, readable by older builds.
	l.Profiles[0].OpenURL = ""
	if out, _ := encodeList(l); !strings.Contains(string(out), `"version": 1`) {
		t.Fatalf("plain list written as\n%s", out)
	}
}

// TestOpenURLConsent: a URL from an imported file needs the user's consent
// once; it survives saving (in a version 3 file, which older builds do not
// rewrite), is not exported, and is gone once the user agrees or types a
// URL of their own.
func TestOpenURLConsent(t *testing.T) {
	book, _ := newTestBook(t)
	ctx := t.Context()
	doc := `{"version": 2, "profiles": [
	  {"name": "a", "host": "h", "steps": [{"proto": "tcp", "port": 1}], "open_url": "ssh://me@h"},
	  {"name": "b", "host": "h", "steps": [{"proto": "tcp", "port": 1}]}]}`
	imp, err := ParseImport([]byte(doc), "")
	if err != nil {
		t.Fatal(err)
	}
	if !imp.Profiles[0].NeedsOpenURLConsent() || imp.Profiles[1].NeedsOpenURLConsent() {
		t.Fatalf("after import: %v %v", imp.Profiles[0].OpenURLImported, imp.Profiles[1].OpenURLImported)
	}
	if err := book.Add(ctx, imp.Profiles); err != nil {
		t.Fatal(err)
	}
	saved, _ := os.ReadFile(book.Store.(*Store).Path())
	if !strings.Contains(string(saved), `"version": 3`) || !strings.Contains(string(saved), `"open_url_imported": true`) {
		t.Fatalf("saved as\n%s", saved)
	}
	l, _ := book.List()
	if !l.Profiles[0].NeedsOpenURLConsent() {
		t.Fatal("the flag was lost on saving")
	}
	if out, _ := Export(l.Profiles, WithoutSecrets); strings.Contains(string(out), "open_url_imported") {
		t.Fatalf("exported:\n%s", out)
	}

	// Editing something else keeps the question; agreeing to another URL
	// than the one saved changes nothing.
	p, err := book.Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	p.OpenURLImported = false // what the editor carries does not count
	p.Notes = "edited"
	if err := book.Update(ctx, p); err != nil {
		t.Fatal(err)
	}
	if l, _ := book.List(); !l.Profiles[0].NeedsOpenURLConsent() {
		t.Fatal("an edit of the notes answered the question")
	}
	if err := book.ConsentOpenURL(p.ID, "ssh://other@h"); err == nil {
		t.Fatal("consent to a URL the profile does not have")
	}
	if err := book.ConsentOpenURL(p.ID, "ssh://me@h"); err != nil {
		t.Fatal(err)
	}
	l, _ = book.List()
	if l.Profiles[0].NeedsOpenURLConsent() {
		t.Fatal("still asks after consent")
	}
	if saved, _ := os.ReadFile(book.Store.(*Store).Path()); !strings.Contains(string(saved), `"version": 2`) {
		t.Fatalf("without the flag the file goes back to version 2:\n%s", saved)
	}

	// A URL the user types is theirs.
	imp, _ = ParseImport([]byte(strings.ReplaceAll(strings.ReplaceAll(doc, `"a"`, `"c"`), `"b"`, `"d"`)), "")
	if err := book.Add(ctx, imp.Profiles); err != nil {
		t.Fatal(err)
	}
	c, _ := book.Get(ctx, "c")
	c.OpenURL = "ssh://typed@h"
	if err := book.Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	if c, _ := book.Get(ctx, "c"); c.NeedsOpenURLConsent() {
		t.Fatal("a URL typed in the editor needs consent")
	}
}

// FuzzValidateOpenURL: an accepted URL has a known scheme, and no part of
// it, decoded, reads as an option or hides a control character.
func FuzzValidateOpenURL(f *testing.F) {
	f.Add("ssh://admin@router.example:22")
	f.Add("ssh://-oProxyCommand=x@router")
	f.Add("https://router/a?b=c#d")
	f.Add("vnc://%2D@[::1]/")
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateOpenURL(s) != nil || s == "" {
			return
		}
		u, err := url.Parse(s)
		if err != nil {
			t.Fatalf("accepted an unparsable URL: %v", err)
		}
		parts := []string{u.User.Username(), u.Hostname(), u.Path, u.Fragment}
		if q, err := url.QueryUnescape(u.RawQuery); err == nil {
			parts = append(parts, q)
		}
		for _, p := range parts {
			if strings.ContainsFunc(p, hiddenRune) {
				t.Fatalf("accepted %q with a hidden character in %q", s, p)
			}
		}
		if strings.HasPrefix(u.User.Username(), "-") || strings.HasPrefix(u.Hostname(), "-") {
			t.Fatalf("accepted %q with an option-like user or host", s)
		}
	})
}

// TestSavedOpenURLNowRefused: a URL saved before the rules grew stricter is
// not opened: the list loads without it, the user is told, and the next
// save leaves it out.
func TestSavedOpenURLNowRefused(t *testing.T) {
	s, warnings := newTestStore(t)
	if err := os.MkdirAll(filepath.Dir(s.Path()), 0o700); err != nil {
		t.Fatal(err)
	}
	saved := `{"version": 2, "profiles": [{"id": "a1", "name": "office", "host": "h", "auto_refresh": false, "open_url": "ssh://-oProxyCommand=x@h"}]}`
	if err := os.WriteFile(s.Path(), []byte(saved), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := s.Load()
	if err != nil || len(l.Profiles) != 1 || l.Profiles[0].OpenURL != "" {
		t.Fatalf("%+v %v", l, err)
	}
	if len(*warnings) != 1 || !strings.Contains((*warnings)[0], `profile "office": its after-knock URL is not opened any more (the user name starts with "-"`) {
		t.Fatalf("warnings %q", *warnings)
	}
	if err := s.Update(func(*List) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(s.Path()); strings.Contains(string(data), "ProxyCommand") {
		t.Fatalf("saved again with the URL:\n%s", data)
	}
}
