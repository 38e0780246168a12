package gui

import (
	"context"
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
	"github.com/knocker/knocker/internal/plural"
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
		u.banner.showError(fmt.Errorf("reading %s: %w", name, err))
		return
	}
	if f := profile.DetectFormat(data); f != profile.FormatKnockd && f != profile.FormatRouterOS {
		u.previewImport(name, data, "")
		return
	}
	host := widget.NewEntry()
	host.SetPlaceHolder("router.example.com")
	host.Validator = profile.ValidateHost
	dialog.ShowForm("Import "+name, "Next", "Cancel",
		[]*widget.FormItem{widget.NewFormItem("Router to knock", host)},
		func(ok bool) {
			if ok {
				u.previewImport(name, data, strings.TrimSpace(host.Text))
			}
		}, u.win)
}

// previewImport checks the whole file, then shows what would be imported
// (names, hosts, steps with payloads masked, and what cannot be carried
// over) before anything is written.
func (u *ui) previewImport(name string, data []byte, host string) {
	background(&u.bridge, "parsed", func() (profile.Imported, error) {
		return profile.ParseImport(data, host)
	}, func(imp profile.Imported, err error) {
		if err != nil {
			u.banner.showError(fmt.Errorf("%s was not imported: %w", name, err))
			return
		}
		lines := []string{fmt.Sprintf("%s holds %s with %s:", name, imp.Format, plural.Count(len(imp.Profiles), "profile", "profiles")), ""}
		for _, p := range imp.Profiles {
			lines = append(lines, fmt.Sprintf("• %s — %s — %s", profile.Printable(p.Name), profile.Printable(p.Host), knockSummary(p)))
			if p.OpenURL != "" {
				lines = append(lines, "    opens "+p.OpenURL+" after a knock (you are asked before the first time)")
			}
		}
		if len(imp.LeftOut) > 0 {
			lines = append(lines, "", lang.L("Left out, as no knock Knocker can send:"))
			for _, l := range imp.LeftOut {
				lines = append(lines, "• "+l)
			}
		}
		if len(imp.Warnings) > 0 {
			lines = append(lines, "", "Not carried over:")
			for _, w := range imp.Warnings {
				lines = append(lines, "• "+w)
			}
		}
		text := widget.NewLabel(strings.Join(lines, "\n"))
		text.Wrapping = fyne.TextWrapWord
		preview := u.ask("Import profiles", "Import", "Cancel", container.NewVScroll(text), enterConfirms, func(ok bool) {
			if ok {
				u.addImported(name, imp)
			}
		})
		preview.Resize(fyne.NewSize(640, 420))
	})
}

// addImported saves the previewed profiles, all or nothing.
func (u *ui) addImported(name string, imp profile.Imported) {
	background(&u.bridge, "imported", func() (struct{}, error) {
		return struct{}{}, u.book.Add(context.Background(), imp.Profiles)
	}, func(_ struct{}, err error) {
		if err != nil {
			u.banner.showError(fmt.Errorf("%s was not imported: %w", name, err))
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
var exportFormats = []exportFormat{
	{"Knocker JSON without secrets (a list of routers)", "knocker-profiles.json", func(ps []profile.Profile) ([]byte, []string, error) {
		data, err := profile.Export(ps, profile.WithoutSecrets)
		return data, nil, err
	}, false},
	{"Knocker JSON with secrets (anyone who reads it can open your routers)", "knocker-profiles.json", func(ps []profile.Profile) ([]byte, []string, error) {
		data, err := profile.Export(ps, profile.WithSecrets)
		return data, nil, err
	}, true},
	{"Knock on Ports for Android (holds the secrets)", "knockonports.json", profile.ExportKnockOnPorts, true},
}

// exportFile writes every profile in the format the user picks. Secrets go
// into the file only when the user picks a format that says so.
func (u *ui) exportFile() {
	if len(u.list.profiles) == 0 {
		u.banner.showError(fmt.Errorf("there are no profiles to export"))
		return
	}
	labels := labelsOf(exportFormats, func(f exportFormat) string { return f.label })
	choice := widget.NewRadioGroup(labels, nil)
	choice.SetSelected(labels[0])
	dialog.ShowCustomConfirm("Export profiles", "Save…", "Cancel", choice, func(ok bool) {
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
		save.SetFileName(exportFormats[format].file)
		save.Show()
	}, u.win)
}

// exportTo writes the profiles in exportFormats[format], reading the
// keyring only for a format with secrets. A local file (local is its path)
// is replaced whole, with mode 0600 when it holds secrets: the save dialog
// creates it readable by everyone, and a secret must never sit in it so.
// Anything else (a portal, a test's buffer) is written through w.
func (u *ui) exportTo(w io.WriteCloser, local string, format int) {
	f := exportFormats[format]
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
			u.banner.showError(fmt.Errorf("export failed: %w", err))
		case len(warnings) > 0:
			u.banner.showWarning("Exported; not carried over: " + strings.Join(warnings, "; "))
		}
	})
}
