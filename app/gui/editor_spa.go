package gui

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock/spa"
)

// spaFields edit the SPA part of a profile: the keys, masked like payloads,
// what fwknopd is asked to open, and for which address: fwknop's -s, -a
// and -R.
type spaFields struct {
	rijndael, hmac *widget.Entry
	generate       *widget.Button
	access         *widget.Entry
	allow          *widget.RadioGroup
	allowModes     []string // the allow choices, in allowSource... order
	allowIP        *widget.Entry
	resolveURL     *widget.Entry
	fwknopURL      *widget.Button
	port           *widget.Entry
	err            *widget.Label
	box            *fyne.Container
}

// The addresses an SPA packet can ask fwknopd to allow.
const (
	allowSource  = iota // the packet's source, as fwknopd sees it (fwknop -s)
	allowGiven          // the address typed (fwknop -a)
	allowResolve        // this machine's public address, looked up over HTTPS (fwknop -R)
)

func newSPAFields() *spaFields {
	f := &spaFields{
		rijndael:   widget.NewPasswordEntry(),
		hmac:       widget.NewPasswordEntry(),
		access:     widget.NewEntry(),
		allowIP:    widget.NewEntry(),
		resolveURL: widget.NewEntry(),
		port:       widget.NewEntry(),
		err:        widget.NewLabel(""),
		allowModes: []string{
			lang.L("The address the packet comes from, as the server sees it (fwknop -s)"),
			lang.L("This address (fwknop -a)"),
			lang.L("My public address, looked up over HTTPS at this URL (fwknop -R)"),
		},
	}
	f.rijndael.SetPlaceHolder(lang.L("KEY_BASE64, as fwknop --key-gen prints it"))
	f.hmac.SetPlaceHolder("HMAC_KEY_BASE64")
	f.access.SetPlaceHolder("tcp/22")
	f.allowIP.SetPlaceHolder("203.0.113.7")
	f.allowIP.Validator = optional(func(s string) error { _, err := parseAllowAddress(s); return err })
	f.resolveURL.SetPlaceHolder(lang.L("https://… (a page that answers with your address)"))
	f.resolveURL.Validator = optional(spa.CheckResolveURL)
	f.allow = widget.NewRadioGroup(f.allowModes, func(string) { f.check() })
	f.allow.Required = true
	f.allow.SetSelected(f.allowModes[allowSource])
	// fwknop's own lookup service, offered, never used unless picked.
	f.fwknopURL = widget.NewButton(lang.L("Use fwknop's service"), func() { f.resolveURL.SetText(spa.FwknopResolveURL) })
	f.port.SetPlaceHolder(fmt.Sprint(spa.DefaultPort))
	f.port.Validator = optional(func(s string) error { _, err := parsePort(s); return err })
	f.err.Importance = widget.DangerImportance
	f.err.Wrapping = fyne.TextWrapWord
	f.err.Hide()
	f.generate = widget.NewButtonWithIcon(lang.L("Generate keys"), theme.ViewRefreshIcon(), func() {
		keys, err := spa.GenerateKeys(nil)
		if err != nil {
			f.show(err)
			return
		}
		r, h := keys.Base64()
		f.rijndael.SetText(r)
		f.hmac.SetText(h)
	})
	for _, e := range []*widget.Entry{f.rijndael, f.hmac, f.access} {
		e.OnChanged = func(string) { f.check() }
	}
	// Typing an address or a URL chooses what it is for.
	for mode, e := range map[int]*widget.Entry{allowGiven: f.allowIP, allowResolve: f.resolveURL} {
		e.OnChanged = func(string) {
			if f.allow.Selected != f.allowModes[mode] {
				f.allow.SetSelected(f.allowModes[mode]) // checks
				return
			}
			f.check()
		}
	}
	note := widget.NewLabel(lang.L("The address the packet comes from works unless fwknopd's access.conf sets REQUIRE_SOURCE_ADDRESS Y; then give the address, or look your public address up (each knock asks that URL first). " +
		"Router setup shows the access.conf stanza that matches."))
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.LowImportance
	form := widget.NewForm(
		widget.NewFormItem(lang.L("Encryption key"), f.rijndael),
		widget.NewFormItem(lang.L("HMAC key"), f.hmac),
		widget.NewFormItem("", container.NewHBox(f.generate)),
		widget.NewFormItem(lang.L("Open"), f.access),
		widget.NewFormItem(lang.L("Allow"), f.allow),
		widget.NewFormItem(lang.L("Address"), f.allowIP),
		widget.NewFormItem(lang.L("Lookup URL"), container.NewBorder(nil, nil, nil, f.fwknopURL, f.resolveURL)),
		widget.NewFormItem(lang.L("fwknopd port"), f.port),
	)
	f.box = container.NewVBox(form, note, f.err)
	return f
}

func (f *spaFields) fill(s *profile.SPA) {
	if !s.Keys.IsZero() {
		r, h := s.Keys.Keys().Base64()
		f.rijndael.SetText(r)
		f.hmac.SetText(h)
	}
	f.access.SetText(s.Access)
	switch {
	case s.ResolveURL != "":
		f.resolveURL.SetText(s.ResolveURL)
		f.allow.SetSelected(f.allowModes[allowResolve])
	case s.AllowIP.IsValid():
		f.allowIP.SetText(s.AllowIP.String())
		f.allow.SetSelected(f.allowModes[allowGiven])
	default:
		f.allow.SetSelected(f.allowModes[allowSource])
	}
	if s.Port != 0 {
		f.port.SetText(fmt.Sprint(s.Port))
	}
}

// read builds the SPA part; its errors name the field, never a key.
func (f *spaFields) read() (*profile.SPA, error) {
	keys, err := spa.ParseKeys(strings.TrimSpace(f.rijndael.Text), strings.TrimSpace(f.hmac.Text))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", lang.L("keys"), err)
	}
	s := &profile.SPA{Keys: profile.NewSPAKeys(keys), Access: strings.TrimSpace(f.access.Text)}
	switch f.allow.Selected {
	case f.allowModes[allowGiven]:
		if s.AllowIP, err = parseAllowAddress(f.allowIP.Text); err != nil {
			return nil, fmt.Errorf("%s: %w", lang.L("address"), err)
		}
	case f.allowModes[allowResolve]:
		s.ResolveURL = strings.TrimSpace(f.resolveURL.Text)
		if err := spa.CheckResolveURL(s.ResolveURL); err != nil {
			return nil, fmt.Errorf("%s: %w", lang.L("lookup URL"), err)
		}
	}
	if p := strings.TrimSpace(f.port.Text); p != "" {
		if s.Port, err = parsePort(p); err != nil {
			return nil, fmt.Errorf("%s: %w", lang.L("fwknopd port"), err)
		}
	}
	if s.Access == "" {
		return nil, errors.New(lang.L("open: say what fwknopd should open, e.g. tcp/22"))
	}
	// A packet built now proves fwknopd can take what was typed.
	if _, err := spa.Build(keys, spa.Request{Access: s.Access, AllowIP: s.AllowIP, Time: time.Now()}, nil); err != nil {
		return nil, err
	}
	return s, nil
}

// parseAllowAddress reads the address a packet asks fwknopd to allow.
func parseAllowAddress(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || !a.Unmap().Is4() || a.Unmap().IsUnspecified() {
		return netip.Addr{}, errors.New(lang.L("want an IPv4 address (fwknop 2.6 carries IPv4 only)"))
	}
	return a.Unmap(), nil
}

// check shows read's verdict under the fields.
func (f *spaFields) check() error {
	_, err := f.read()
	f.show(err)
	return err
}

func (f *spaFields) show(err error) {
	if err == nil {
		f.err.Hide()
		return
	}
	f.err.SetText(err.Error())
	f.err.Show()
}
