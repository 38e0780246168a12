package profile

import (
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
	back, err := decodeList(out)
	if err != nil || back.Profiles[0].OpenURL != "ssh://me@h" || !strings.Contains(string(out), `"version": 2`) {
		t.Fatalf("%v\n%s", err, out)
	}
	// Without the new fields a file stays version 1, readable by older builds.
	l.Profiles[0].OpenURL = ""
	if out, _ := encodeList(l); !strings.Contains(string(out), `"version": 1`) {
		t.Fatalf("plain list written as\n%s", out)
	}
}
