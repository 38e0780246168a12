package gui

import (
	"context"
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/internal/testnet"
	"github.com/knocker/knocker/knock"
)

// BenchmarkOpen1000Profiles is the window's start with a large store: read
// profiles.json, build the list and show the first profile (target: well
// under 500 ms).
func BenchmarkOpen1000Profiles(b *testing.B) {
	h := newHarness(b, nil)
	ps := make([]profile.Profile, 1000)
	for i := range ps {
		ps[i] = profile.Profile{ID: profile.NewID(), Name: fmt.Sprintf("router %04d", i), Host: fmt.Sprintf("r%d.example", i),
			Timeout: time.Hour, LastKnocked: time.Now().Add(-time.Duration(i) * time.Minute),
			Steps: []knock.Step{{Proto: knock.UDP, Port: uint16(1000 + i), Payload: knock.Payload{Data: []byte("test")}}}}
	}
	if err := h.u.book.Add(context.Background(), ps); err != nil {
		b.Fatal(err)
	}
	a := test.NewTempApp(b)
	for b.Loop() {
		w := a.NewWindow("Knocker")
		u := newUI(a, w, h.u.book, uiOptions{dispatch: dropUpdate}) // the steps summary arrives later; not part of opening
		u.list.widget.ScrollToBottom()
		w.Close()
	}
}

func dropUpdate(string, func()) {}

// BenchmarkClickToFirstPacket is the time from a tap on Knock to the first
// datagram at a loopback listener (target: under 5 ms): the keyring read,
// the engine's set-up and the first send.
func BenchmarkClickToFirstPacket(b *testing.B) {
	h := newHarness(b, nil)
	ln := testnet.ListenUDP(b)
	h.add(profile.Profile{Name: "lab", Host: "127.0.0.1", Steps: udpSteps(b, ln, "x")})
	buf := make([]byte, 16)
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		h.u.knockSelected()
		ln.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := ln.ReadFromUDP(buf); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		h.settle()
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs-to-first-packet")
}
