//go:build windows

package gui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// testPipe is a pipe name of this test's own, so a running Knocker of the
// same user is left alone.
func testPipe(t *testing.T) (string, *windows.SID) {
	t.Helper()
	name, owner, err := instancePipe()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s-%s-%d", name, t.Name(), time.Now().UnixNano()), owner
}

// The pipe is named after the user and the logon session, so another
// user's or session's Knocker never answers for this one.
func TestInstancePipeNamesUserAndSession(t *testing.T) {
	name, owner, err := instancePipe()
	if err != nil {
		t.Fatal(err)
	}
	var session uint32
	if err := windows.ProcessIdToSessionId(windows.GetCurrentProcessId(), &session); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`\\.\pipe\io.knocker.desktop-%s-%d`, owner, session)
	if name != want || !strings.HasPrefix(owner.String(), "S-1-") {
		t.Fatalf("pipe %q (owner %v), want %q", name, owner, want)
	}
}

// A second claim hands over to the first: the first's show runs, the
// second is told not to run. Every later launch is served too.
func TestSecondClaimShowsTheFirst(t *testing.T) {
	name, owner := testPipe(t)
	shown := make(chan struct{}, 3)
	first, err := claimPipe(name, owner, func() { shown <- struct{}{} })
	if !first || err != nil {
		t.Fatalf("first claim: first=%v err=%v", first, err)
	}
	for launch := 2; launch <= 3; launch++ {
		again, err := claimPipe(name, owner, func() { t.Error("a later launch's show must not run") })
		if again || err != nil {
			t.Fatalf("launch %d: first=%v err=%v, want a hand-over", launch, again, err)
		}
		select {
		case <-shown:
		case <-time.After(5 * time.Second):
			t.Fatalf("launch %d: the first Knocker was not asked to show its window", launch)
		}
	}
}

// The pipe admits its owner alone (a protected DACL with one entry) and
// names the user as its owner; a pipe of that name owned by anyone else is
// not handed over to.
func TestInstancePipeIsTheOwnersOnly(t *testing.T) {
	name, owner := testPipe(t)
	if first, err := claimPipe(name, owner, func() {}); !first || err != nil {
		t.Fatalf("claim: first=%v err=%v", first, err)
	}
	sd, err := windows.GetNamedSecurityInfo(name, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	got := sd.String()
	if !strings.HasPrefix(got, "O:"+owner.String()+"D:P(A;;") || strings.Count(got, "(") != 1 ||
		!strings.HasSuffix(got, ";;;"+owner.String()+")") {
		t.Fatalf("security descriptor %s, want the owner %v alone", got, owner)
	}

	world, err := windows.CreateWellKnownSid(windows.WinWorldSid)
	if err != nil {
		t.Fatal(err)
	}
	first, err := claimPipe(name, world, func() {})
	if !first || err == nil || !strings.Contains(err.Error(), "belongs to another user") {
		t.Fatalf("a pipe of another owner: first=%v err=%v, want to run on with an error", first, err)
	}
}

// A launch that connects and then says nothing holds the pipe for the read
// timeout at most: the next launch still gets through.
func TestSilentLaunchDoesNotHoldThePipe(t *testing.T) {
	name, owner := testPipe(t)
	shown := make(chan struct{}, 1)
	if first, err := claimPipe(name, owner, func() { shown <- struct{}{} }); !first || err != nil {
		t.Fatalf("claim: first=%v err=%v", first, err)
	}
	path, err := windows.UTF16PtrFromString(name)
	if err != nil {
		t.Fatal(err)
	}
	silent, err := windows.CreateFile(path, windows.GENERIC_WRITE, 0, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer windows.CloseHandle(silent)
	if again, err := claimPipe(name, owner, func() {}); again || err != nil {
		t.Fatalf("the launch after a silent one: first=%v err=%v, want a hand-over", again, err)
	}
	select {
	case <-shown:
	case <-time.After(5 * time.Second):
		t.Fatal("the first Knocker was not asked to show its window")
	}
}
