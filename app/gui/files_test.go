package gui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// passwordEntries are the masked fields of the dialog on top, in order.
func (h *harness) passwordEntries() []*widget.Entry {
	var out []*widget.Entry
	if top := h.u.win.Canvas().Overlays().Top(); top != nil {
		walk(top, func(o fyne.CanvasObject) bool {
			if e, ok := o.(*widget.Entry); ok && e.Password {
				out = append(out, e)
			}
			return false
		})
	}
	return out
}

const (
	rcKey     = "c2VjcmV0LWtleS0xMjM0NTY3ODkwYWJjZGVmZ2hpams="
	rcHMACKey = "aG1hYy1rZXktMTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1Njc4OQ=="
)

// A .fwknoprc stanza whose keys fwknop asks for at each run is not refused
// by the window: the preview asks for the keys, shows a bad one next to the
// fields, and imports the stanza with them.
func TestImportPreviewAsksForKeys(t *testing.T) {
	h := newHarness(t, nil)
	rc := "[default]\nUSE_HMAC Y\n\n[gpg]\nSPA_SERVER 192.0.2.1\nACCESS tcp/22\nUSE_GPG Y\n\n" +
		"[nas]\nSPA_SERVER nas.example.net\nACCESS tcp/5001\n\n" +
		"[home]\nSPA_SERVER 192.0.2.2\nACCESS tcp/22\nKEY_BASE64 " + rcKey + "\nHMAC_KEY_BASE64 " + rcHMACKey + "\n"
	h.u.previewImport(".fwknoprc", []byte(rc), "")
	h.settle()
	got := h.dialogText()
	if !strings.Contains(got, "1 profile") || !strings.Contains(got, "line 4: [gpg]: line 7: USE_GPG: GnuPG is not supported") ||
		!strings.Contains(got, "nas (nas.example.net): fwknop asks for its keys at each run") {
		t.Fatalf("preview %q", got)
	}
	entries := h.passwordEntries()
	if len(entries) != 2 {
		t.Fatalf("%d key fields, want the two of [nas]", len(entries))
	}
	test.Type(entries[0], "not base64!")
	if got := h.dialogText(); !strings.Contains(got, "keys: ") || strings.Contains(got, "not base64!") {
		t.Fatalf("a bad key must be shown next to the fields, never repeated: %q", got)
	}
	entries[0].SetText(rcKey)
	entries[1].SetText(rcHMACKey[:40] + "AAAA" + rcHMACKey[44:]) // another key: not identical to the first
	h.tapDialogButton("Import")
	h.settle()
	if len(h.u.list.profiles) != 2 || h.mem.Len() != 2 {
		t.Fatalf("after import: %d profiles, %d keyring items (banner %q)", len(h.u.list.profiles), h.mem.Len(), h.u.banner.label.Text)
	}
	names := h.u.list.profiles[0].Name + " " + h.u.list.profiles[1].Name
	if !strings.Contains(names, "nas") || !strings.Contains(names, "home") {
		t.Fatalf("imported %s", names)
	}

	// A file whose only stanza wants keys still opens the preview; left
	// empty, nothing is imported.
	h.u.previewImport("only.rc", []byte("[laptop]\nSPA_SERVER 192.0.2.3\nACCESS tcp/22\n"), "")
	h.settle()
	if len(h.passwordEntries()) != 2 {
		t.Fatalf("no key fields: %q (banner %q)", h.dialogText(), h.u.banner.label.Text)
	}
	h.tapDialogButton("Import")
	h.settle()
	if len(h.u.list.profiles) != 2 {
		t.Fatalf("%d profiles after importing nothing", len(h.u.list.profiles))
	}
}

// The editor offers fwknop's three answers to "which address": the packet's
// source, a given address, and the public address looked up at a URL the
// user sets (fwknop's own service only when picked), with bad input shown
// next to its field.
func TestEditorSPAAllowModes(t *testing.T) {
	h := newHarness(t, nil)
	e := h.newSPAEditor("roaming")
	test.Tap(e.spa.generate)
	e.spa.access.SetText("tcp/22")
	if e.spa.allow.Selected != e.spa.allowModes[allowSource] || e.spa.resolveURL.Text != "" {
		t.Fatalf("a new profile asks for %q with URL %q; want the source address and no lookup", e.spa.allow.Selected, e.spa.resolveURL.Text)
	}

	test.Type(e.spa.allowIP, "2001:db8::1")
	if e.spa.allow.Selected != e.spa.allowModes[allowGiven] || e.spa.allowIP.Validate() == nil || !strings.Contains(e.spa.err.Text, "address: want an IPv4 address") {
		t.Fatalf("an IPv6 address must be refused next to the field; mode %q, error %q", e.spa.allow.Selected, e.spa.err.Text)
	}
	test.Type(e.spa.resolveURL, "http://myip.example.org/")
	if e.spa.allow.Selected != e.spa.allowModes[allowResolve] || e.spa.resolveURL.Validate() == nil || !strings.Contains(e.spa.err.Text, "lookup URL: must start with https://") {
		t.Fatalf("a plain-HTTP lookup must be refused next to the field; mode %q, error %q", e.spa.allow.Selected, e.spa.err.Text)
	}
	test.Tap(e.spa.fwknopURL)
	if e.spa.resolveURL.Text != "https://www.cipherdyne.org/cgi-bin/myip" || e.spa.err.Visible() {
		t.Fatalf("fwknop's service: URL %q, error %q", e.spa.resolveURL.Text, e.spa.err.Text)
	}
	e.spa.resolveURL.SetText("https://myip.example.org/plain")
	test.Tap(e.save)
	h.settle()
	if h.u.editor != nil {
		t.Fatalf("the form must save; status %q, spa error %q", e.status.Text, e.spa.err.Text)
	}
	p, err := h.u.book.Get(t.Context(), "roaming")
	if err != nil || p.SPA.ResolveURL != "https://myip.example.org/plain" || p.SPA.AllowIP.IsValid() {
		t.Fatalf("saved %+v, %v", p.SPA, err)
	}
	if got := knockSummary(p); !strings.Contains(got, "the public address looked up at myip.example.org") {
		t.Fatalf("summary %q", got)
	}

	// Opened again, the editor shows the lookup; back to the source address, it saves none.
	h.selectProfile("roaming")
	h.u.editSelected()
	h.settle()
	if e = h.u.editor; e == nil {
		t.Fatalf("no editor; banner %q", h.u.banner.label.Text)
	}
	if e.spa.allow.Selected != e.spa.allowModes[allowResolve] || e.spa.resolveURL.Text != "https://myip.example.org/plain" {
		t.Fatalf("editing shows %q %q", e.spa.allow.Selected, e.spa.resolveURL.Text)
	}
	e.spa.allow.SetSelected(e.spa.allowModes[allowSource])
	test.Tap(e.save)
	h.settle()
	if p, err = h.u.book.Get(t.Context(), "roaming"); err != nil || p.SPA.ResolveURL != "" || p.SPA.AllowIP.IsValid() {
		t.Fatalf("saved %+v, %v", p.SPA, err)
	}
}

// newSPAEditor opens the editor on a new SPA profile called name, knocking 192.0.2.1.
func (h *harness) newSPAEditor(name string) *editor {
	h.u.newProfile()
	e := h.u.editor
	test.Type(e.name, name)
	test.Type(e.host, "192.0.2.1")
	e.kind.SetSelected(kindSPA())
	return e
}
