package gui

import (
	"context"
	"image/color"
	"os"
	"os/exec"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/knocker/knocker/assets"
)

// welcome is the first-run screen: the whole window while there is no
// profile, so a newcomer has one text to read and one place to look (the
// list and the detail view, each with its own empty text, would be two).
type welcome struct {
	content      *fyne.Container
	title        *widget.Label
	text         *widget.Label
	addButton    *widget.Button
	importButton *widget.Button
	demoButton   *widget.Button
	demoNote     *widget.Label

	demo demoRun
}

// The welcome text is broken by hand into lines short enough for the
// window's smallest size: a wrapped label inside a centring container
// would take the width of its longest word. Each language breaks its own.
func welcomeText() string {
	return lang.L("Knocker opens the ports your routers keep closed until they hear a secret knock:\n" +
		"a few packets to the right ports, with the right payloads, in the right order.\n" +
		"It sends that knock when you ask, shows how long the router keeps you in,\n" +
		"and knocks again before it forgets you. The knocks stay in your keyring.")
}

func demoIdle() string {
	return lang.L("The demo runs a pretend router on this computer, in a window of its own;\nyour profiles and your keyring are not touched.")
}

func demoRunning() string {
	return lang.L("The demo runs in its own window; close it to end the demo.")
}

func newWelcome(add, open, tryDemo func()) *welcome {
	w := &welcome{}
	w.title = widget.NewLabelWithStyle(lang.L("Welcome to Knocker"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	w.title.SizeName = theme.SizeNameHeadingText
	w.text = widget.NewLabel(welcomeText())
	w.text.Alignment = fyne.TextAlignCenter
	w.addButton = widget.NewButtonWithIcon(lang.L("Add a profile"), theme.ContentAddIcon(), add)
	w.addButton.Importance = widget.HighImportance
	w.importButton = widget.NewButtonWithIcon(lang.L("Import…"), theme.FolderOpenIcon(), open)
	w.demoButton = widget.NewButtonWithIcon(lang.L("Try the demo router"), theme.MediaPlayIcon(), tryDemo)
	w.demoNote = widget.NewLabel(demoIdle())
	w.demoNote.Alignment = fyne.TextAlignCenter
	w.demoNote.SizeName = theme.SizeNameCaptionText
	icon := canvas.NewImageFromResource(assets.IconSmall)
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSquareSize(64))
	buttons := container.NewCenter(container.NewHBox(w.addButton, w.importButton, w.demoButton))
	gap := canvas.NewRectangle(color.Transparent)
	gap.SetMinSize(fyne.NewSize(0, 2*theme.Padding()))
	w.content = container.NewCenter(container.NewVBox(icon, w.title, w.text, gap, buttons, w.demoNote))
	return w
}

// showDemo says whether the demo runs now, and offers it again once it ended.
func (w *welcome) showDemo(running bool) {
	setEnabled(w.demoButton, !running)
	if running {
		w.demoNote.SetText(demoRunning())
	} else {
		w.demoNote.SetText(demoIdle())
	}
}

// demoRun is the demo started from the window: knocker demo, run as a
// child process of this one. A process of its own keeps the demo apart by
// construction: it has its own Fyne app (one per process), its own
// throwaway profile folder and an in-memory keyring, exactly as a demo
// started from a terminal, so nothing it does can reach the user's
// profiles, keyring or this window's state; closing either window leaves
// the other as it was, and quitting this one ends the demo.
type demoRun struct {
	running bool
	// start launches the demo and returns a wait for its end; tests
	// replace it, since the test binary is not knocker.
	start func(ctx context.Context) (wait func() error, err error)
}

// startDemoProcess runs "knocker demo" from this executable until it ends
// or ctx does; then it is asked to stop (SIGTERM where there is one), so it
// removes its temporary folder, and killed if it lingers.
func startDemoProcess(ctx context.Context) (func() error, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "demo")
	// The router's events go where this process's output goes: a terminal
	// if Knocker was started from one. They hold no payloads.
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Cancel = func() error {
		if cmd.Process.Signal(syscall.SIGTERM) != nil {
			return cmd.Process.Kill() // Windows has no SIGTERM to send
		}
		return nil
	}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd.Wait, nil
}

// tryDemo starts the demo unless it runs already.
func (u *ui) tryDemo() {
	d := &u.welcome.demo
	if d.running {
		return
	}
	wait, err := d.start(u.ctx)
	if err != nil {
		u.banner.showError(err)
		return
	}
	d.running = true
	u.welcome.showDemo(true)
	background(&u.bridge, "demo ended", func() (struct{}, error) {
		return struct{}{}, wait()
	}, func(struct{}, error) {
		d.running = false
		u.welcome.showDemo(false)
	})
}
