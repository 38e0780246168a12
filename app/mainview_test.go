package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

func TestEmptyStateExplainsWhatToDo(t *testing.T) {
	a := test.NewTempApp(t)
	v := newMainView()
	w := a.NewWindow("Knocker")
	w.SetContent(v.content)
	defer w.Close()

	if !strings.Contains(v.empty.Text, "No profiles yet") || !strings.Contains(v.empty.Text, "knocker send HOST STEP") {
		t.Fatalf("empty state says %q", v.empty.Text)
	}
	if !v.empty.Visible() {
		t.Fatal("the empty state must be visible on first start")
	}
}
