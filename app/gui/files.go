package gui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock/spa"
)

// importFile asks for a file of profiles (any format DetectFormat knows:
// Knocker JSON, knockd.conf, RouterOS rules...) and adds its profiles, all
// or nothing, with their steps going to the keyring.
func (u *ui) importFile() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			u.banner.showError(err)
			return
		}
		if r == nil {
			return // cancelled
		}
		u.importFrom(r.URI().Name(), r)
	}, u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".json", ".conf", ".rsc", ".txt"}))
	d.Show()
}

// importFrom reads r and shows what it holds; a knockd.conf or RouterOS
// configuration first asks which router it belongs to, since the file
// describes only the server.
func (u *ui) importFrom(name string, r io.ReadCloser) {
	data, err := io.ReadAll(io.LimitReader(r, profile.MaxFileSize+1))
	r.Close()
	if err != nil {
		u.banner.showError(fmt.Errorf("%s: %w", lang.L("reading {{.File}}", tmpl{"File": name}), err))
		return
	}
	if f := profile.DetectFormat(data); f != profile.FormatKnockd && f != profile.FormatRouterOS {
		u.previewImport(name, data, "")
		return
	}
	host := widget.NewEntry()
	host.SetPlaceHolder("router.example.com")
	host.Validator = profile.ValidateHost
	dialog.ShowForm(lang.L("Import {{.File}}", tmpl{"File": name}), lang.L("Next"), lang.L("Cancel"),
		[]*widget.FormItem{widget.NewFormItem(lang.L("Router to knock"), host)},
		func(ok bool) {
			if ok {
				u.previewImport(name, data, strings.TrimSpace(host.Text))
			}
		}, u.win)
}

// previewImport checks the whole file, then shows what would be imported
// (names, hosts, steps with payloads masked, what cannot be carried over,
// the sections left out and why) before anything is written. A .fwknoprc
// stanza whose keys fwknop asks for at each run is offered with fields for
// them.
func (u *ui) previewImport(name string, data []byte, host string) {
	background(&u.bridge, "parsed", func() (profile.Imported, error) {
		return profile.ParseImport(data, host)
	}, func(imp profile.Imported, err error) {
		var asks []*keyAsk
		var leftOut []string
		for _, s := range imp.Skipped {
			if s.NeedsKeys != nil {
				asks = append(asks, newKeyAsk(*s.NeedsKeys))
			} else {
				leftOut = append(leftOut, "• "+s.String())
			}
		}
		if err != nil && len(asks) == 0 {
			u.banner.showError(notImported(name, err))
			return
		}
		n := len(imp.Profiles)
		lines := []string{lang.XN("import.holds", "{{.File}} holds {{.Format}} with {{.Count}} profiles:", n,
			tmpl{"File": name, "Format": formatName(imp.Format), "Count": n}), ""}
		for _, p := range imp.Profiles {
			lines = append(lines, fmt.Sprintf("• %s — %s — %s", profile.Printable(p.Name), profile.Printable(p.Host), knockSummary(p)))
			if p.OpenURL != "" {
				lines = append(lines, "    "+lang.L("opens {{.URL}} after a knock (you are asked before the first time)", tmpl{"URL": p.OpenURL}))
			}
		}
		if len(imp.Warnings) > 0 {
			lines = append(lines, "", lang.L("Not carried over:"))
			for _, w := range imp.Warnings {
				lines = append(lines, "• "+w)
			}
		}
		if len(leftOut) > 0 {
			lines = append(lines, "", lang.L("Left out, since Knocker cannot knock them:"))
			lines = append(lines, leftOut...)
		}
		text := widget.NewLabel(strings.Join(lines, "\n"))
		text.Wrapping = fyne.TextWrapWord
		content := container.NewVBox(text)
		for _, a := range asks {
			content.Add(a.box)
		}
		preview := u.ask(lang.L("Import profiles"), lang.L("Import"), lang.L("Cancel"), container.NewVScroll(content), enterConfirms, func(ok bool) {
			if !ok {
				return
			}
			profiles := imp.Profiles
			var bad []string
			for _, a := range asks {
				p, typed, err := a.profile()
				switch {
				case err != nil:
					bad = append(bad, fmt.Sprintf("%s: %v", profile.Printable(a.p.Name), err))
				case typed:
					profiles = append(slices.Clip(profiles), p)
				}
			}
			if len(bad) > 0 {
				u.banner.showError(notImported(name, errors.New(strings.Join(bad, "; "))))
				return
			}
			if len(profiles) > 0 {
				u.addImported(name, profile.Imported{Profiles: profiles})
			}
		})
		preview.Resize(fyne.NewSize(640, 420))
	})
}

// keyAsk asks for the keys of a .fwknoprc stanza that leaves them to
// fwknop's prompt, so that it can be imported with the others.
type keyAsk struct {
	p              profile.Profile // the stanza, read without its keys
	rijndael, hmac *widget.Entry
	err            *widget.Label
	box            *fyne.Container
}

func newKeyAsk(p profile.Profile) *keyAsk {
	a := &keyAsk{p: p, rijndael: widget.NewPasswordEntry(), hmac: widget.NewPasswordEntry(), err: widget.NewLabel("")}
	a.rijndael.SetPlaceHolder("KEY_BASE64")
	a.hmac.SetPlaceHolder("HMAC_KEY_BASE64")
	a.err.Importance = widget.DangerImportance
	a.err.Wrapping = fyne.TextWrapWord
	a.err.Hide()
	for _, e := range []*widget.Entry{a.rijndael, a.hmac} {
		e.OnChanged = func(string) {
			if _, _, err := a.profile(); err != nil {
				a.err.SetText(err.Error())
				a.err.Show()
			} else {
				a.err.Hide()
			}
		}
	}
	intro := widget.NewLabel(lang.L("{{.Name}} ({{.Host}}): fwknop asks for its keys at each run. Type them to import it too, or leave them empty to leave it out:",
		tmpl{"Name": profile.Printable(p.Name), "Host": profile.Printable(p.Host)}))
	intro.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(widget.NewFormItem(lang.L("Encryption key"), a.rijndael), widget.NewFormItem(lang.L("HMAC key"), a.hmac))
	a.box = container.NewVBox(widget.NewSeparator(), intro, form, a.err)
	return a
}

// profile is the stanza with the keys typed; typed is false when both
// fields are empty. Errors name the key, never quote it.
func (a *keyAsk) profile() (p profile.Profile, typed bool, err error) {
	r, h := strings.TrimSpace(a.rijndael.Text), strings.TrimSpace(a.hmac.Text)
	if r == "" && h == "" {
		return p, false, nil
	}
	keys, err := spa.ParseKeys(r, h)
	if err != nil {
		return p, true, fmt.Errorf("%s: %w", lang.L("keys"), err)
	}
	p = a.p
	s := *p.SPA
	s.Keys = profile.NewSPAKeys(keys)
	p.SPA = &s
	return p, true, nil
}

// addImported saves the previewed profiles, all or nothing.
func (u *ui) addImported(name string, imp profile.Imported) {
	background(&u.bridge, "imported", func() (struct{}, error) {
		return struct{}{}, u.book.Add(context.Background(), imp.Profiles)
	}, func(_ struct{}, err error) {
		if err != nil {
			u.banner.showError(notImported(name, err))
			return
		}
		u.banner.showError(nil)
		if len(imp.Profiles) > 0 {
			u.list.selected = imp.Profiles[0].ID
		}
		u.reload()
	})
}

// exportFormat is a kind of file Export can write.
type exportFormat struct {
	label, file string
	write       func([]profile.Profile) ([]byte, []string, error)
	secrets     bool
}

// exportFormats are the files Export can write, as the dialog offers them.
func exportFormats() []exportFormat {
	return []exportFormat{
		{lang.L("Knocker JSON without secrets (a list of routers)"), "knocker-profiles.json", func(ps []profile.Profile) ([]byte, []string, error) {
			data, err := profile.Export(ps, profile.WithoutSecrets)
			return data, nil, err
		}, false},
		{lang.L("Knocker JSON with secrets (anyone who reads it can open your routers)"), "knocker-profiles.json", func(ps []profile.Profile) ([]byte, []string, error) {
			data, err := profile.Export(ps, profile.WithSecrets)
			return data, nil, err
		}, true},
		{lang.L("Knock on Ports for Android (holds the secrets)"), "knockonports.json", profile.ExportKnockOnPorts, true},
	}
}

// exportFile writes every profile in the format the user picks. Secrets go
// into the file only when the user picks a format that says so.
func (u *ui) exportFile() {
	if len(u.list.profiles) == 0 {
		u.banner.showError(errors.New(lang.L("there are no profiles to export")))
		return
	}
	formats := exportFormats()
	labels := labelsOf(formats, func(f exportFormat) string { return f.label })
	choice := widget.NewRadioGroup(labels, nil)
	choice.SetSelected(labels[0])
	dialog.ShowCustomConfirm(lang.L("Export profiles"), lang.L("Save…"), lang.L("Cancel"), choice, func(ok bool) {
		if !ok {
			return
		}
		format := slices.Index(labels, choice.Selected)
		save := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
			if err != nil {
				u.banner.showError(err)
				return
			}
			if w != nil {
				local := ""
				if w.URI().Scheme() == "file" {
					local = w.URI().Path()
				}
				u.exportTo(w, local, format)
			}
		}, u.win)
		save.SetFileName(formats[format].file)
		save.Show()
	}, u.win)
}

// exportTo writes the profiles in exportFormats[format], reading the
// keyring only for a format with secrets. A local file (local is its path)
// is replaced whole, with mode 0600 when it holds secrets: the save dialog
// creates it readable by everyone, and a secret must never sit in it so.
// Anything else (a portal, a test's buffer) is written through w.
func (u *ui) exportTo(w io.WriteCloser, local string, format int) {
	f := exportFormats()[format]
	profiles := u.list.profiles
	background(&u.bridge, "exported", func() ([]string, error) {
		ps := profiles
		if f.secrets {
			var err error
			if ps, err = u.book.WithSteps(context.Background(), profiles); err != nil {
				w.Close()
				return nil, err
			}
		}
		data, warnings, err := f.write(ps)
		switch {
		case err != nil:
			w.Close()
		case local != "":
			w.Close() // still empty
			mode := os.FileMode(0o644)
			if f.secrets {
				mode = 0o600
			}
			err = profile.WriteFileAtomic(local, data, mode)
		default:
			_, err = w.Write(data)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
		}
		return warnings, err
	}, func(warnings []string, err error) {
		switch {
		case err != nil:
			u.banner.showError(fmt.Errorf("%s: %w", lang.L("export failed"), err))
		case len(warnings) > 0:
			u.banner.showWarning(lang.L("Exported; not carried over: {{.Warnings}}", tmpl{"Warnings": strings.Join(warnings, "; ")}))
		}
	})
}

// notImported says a file was left out, and why.
func notImported(name string, err error) error {
	return fmt.Errorf("%s: %w", lang.L("{{.File}} was not imported", tmpl{"File": name}), err)
}

// formatName names a kind of file or command line in the window's
// language; a kind this list does not know keeps its English name.
func formatName(f profile.Format) string {
	switch f {
	case profile.FormatKnocker:
		return lang.L("Knocker JSON")
	case profile.FormatKoP:
		return lang.L("Knock on Ports JSON (format version 1)")
	case profile.FormatKoPLegacy:
		return lang.L("Knock on Ports JSON (legacy, unversioned)")
	case profile.FormatKnockd:
		return lang.L("knockd.conf")
	case profile.FormatFwknoprc:
		return lang.L("fwknop client configuration (.fwknoprc)")
	case profile.FormatRouterOS:
		return lang.L("RouterOS configuration")
	case profile.FormatNping:
		return lang.L("nping command")
	case profile.FormatKnockClient:
		return lang.L("knock command")
	case profile.FormatKnockerSend:
		return lang.L("knocker send command")
	}
	return string(f)
}
