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
// and what fwknopd is asked to open.
type spaFields struct {
	rijndael, hmac *widget.Entry
	generate       *widget.Button
	access         *widget.Entry
	allowIP        *widget.Entry
	port           *widget.Entry
	err            *widget.Label
	box            *fyne.Container
}

func newSPAFields() *spaFields {
	f := &spaFields{
		rijndael: widget.NewPasswordEntry(),
		hmac:     widget.NewPasswordEntry(),
		access:   widget.NewEntry(),
		allowIP:  widget.NewEntry(),
		port:     widget.NewEntry(),
		err:      widget.NewLabel(""),
	}
	f.rijndael.SetPlaceHolder(lang.L("KEY_BASE64, as fwknop --key-gen prints it"))
	f.hmac.SetPlaceHolder("HMAC_KEY_BASE64")
	f.access.SetPlaceHolder("tcp/22")
	f.allowIP.SetPlaceHolder(lang.L("empty: the address the packet comes from"))
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
	for _, e := range []*widget.Entry{f.rijndael, f.hmac, f.access, f.allowIP} {
		e.OnChanged = func(string) { f.check() }
	}
	note := widget.NewLabel(lang.L("Asking for the sender's address works unless fwknopd's access.conf sets REQUIRE_SOURCE_ADDRESS Y. " +
		"Router setup shows the access.conf stanza that matches."))
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.LowImportance
	form := widget.NewForm(
		widget.NewFormItem(lang.L("Encryption key"), f.rijndael),
		widget.NewFormItem(lang.L("HMAC key"), f.hmac),
		widget.NewFormItem("", container.NewHBox(f.generate)),
		widget.NewFormItem(lang.L("Open"), f.access),
		widget.NewFormItem(lang.L("For address"), f.allowIP),
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
	if s.AllowIP.IsValid() {
		f.allowIP.SetText(s.AllowIP.String())
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
	if a := strings.TrimSpace(f.allowIP.Text); a != "" {
		if s.AllowIP, err = netip.ParseAddr(a); err != nil {
			return nil, errors.New(lang.L("for address: not an IP address (leave it empty for the sender's)"))
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
