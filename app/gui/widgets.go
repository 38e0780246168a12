package gui

import (
	"strings"

	"fyne.io/fyne/v2"
)

// labelsOf is the labels of a list of choices, in order, as a Select or a
// RadioGroup offers them.
func labelsOf[T any](choices []T, label func(T) string) []string {
	labels := make([]string, len(choices))
	for i, c := range choices {
		labels[i] = label(c)
	}
	return labels
}

// optional lets a field be left empty.
func optional(v func(string) error) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		return v(s)
	}
}

func setEnabled(w fyne.Disableable, on bool) {
	if on {
		w.Enable()
	} else {
		w.Disable()
	}
}
