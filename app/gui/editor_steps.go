package gui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// stepColumns lays out a step row and the column headings above the rows:
// protocol, port, payload, encoding, delay and the row's buttons. Every
// column but the payload's is as wide as its content needs, so the payload,
// which may be a long hex string, gets what is left: equal cells gave it
// as little as the port.
type stepColumns struct{}

// The fixed columns' widths, in the order of a row's objects; the payload
// (third) takes the rest. A row's buttons get their own minimum width.
var stepColumnWidths = [...]float32{92, 80, 0, 104, 104}

// minPayloadWidth keeps a masked payload of a dozen characters in view.
const minPayloadWidth = 160

const payloadColumn = 2

func (stepColumns) widths(objects []fyne.CanvasObject, total float32) []float32 {
	w := make([]float32, len(objects))
	fixed := theme.Padding() * float32(len(objects)-1)
	for i, o := range objects {
		switch {
		case i == payloadColumn:
		case i < len(stepColumnWidths):
			w[i] = stepColumnWidths[i]
		default:
			w[i] = o.MinSize().Width
		}
		fixed += w[i]
	}
	w[payloadColumn] = max(total-fixed, minPayloadWidth)
	return w
}

func (c stepColumns) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var size fyne.Size
	for i, w := range c.widths(objects, 0) {
		size.Width += w
		size.Height = max(size.Height, objects[i].MinSize().Height)
	}
	size.Width += theme.Padding() * float32(len(objects)-1)
	return size
}

func (c stepColumns) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	x := float32(0)
	for i, w := range c.widths(objects, size.Width) {
		objects[i].Move(fyne.NewPos(x, 0))
		objects[i].Resize(fyne.NewSize(w, size.Height))
		x += w + theme.Padding()
	}
}

// stepButtons are a row's move and remove buttons, side by side.
func stepButtons(up, down, remove *widget.Button) *fyne.Container {
	return container.NewHBox(up, down, remove)
}

// stepHeader names the columns of the step rows; it reserves the buttons'
// width with stand-ins, so its columns fall where the rows' do.
func stepHeader() *fyne.Container {
	heading := func(text string) *widget.Label {
		l := widget.NewLabel(text)
		l.SizeName = theme.SizeNameCaptionText
		return l
	}
	standIn := func() *widget.Button { return widget.NewButtonWithIcon("", theme.MoveUpIcon(), nil) }
	reserve := canvas.NewRectangle(color.Transparent)
	reserve.SetMinSize(stepButtons(standIn(), standIn(), standIn()).MinSize())
	return container.New(stepColumns{},
		heading(lang.L("Protocol")), heading(lang.L("Port")), heading(lang.L("Payload")), heading(lang.L("Encoding")), heading(lang.L("Wait before")), reserve)
}
