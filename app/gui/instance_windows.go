//go:build windows

package gui

import (
	"errors"
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// What a second launch may send the running Knocker: one short line, soon.
// Anything slower or longer is dropped, so a stuck launch cannot hold the
// pipe, which serves one launch at a time.
const (
	instanceMessage     = "show\n"
	instanceReadTimeout = time.Second
)

// instancePipe names the pipe the running Knocker listens on, and returns
// the user who must own it. Pipe names are machine-wide, so the name holds
// the user's SID and the logon session: another user, or the same user's
// second session, has a pipe of its own.
func instancePipe() (string, *windows.SID, error) {
	user, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "", nil, fmt.Errorf("cannot read this process's user: %w", err)
	}
	var session uint32
	if err := windows.ProcessIdToSessionId(windows.GetCurrentProcessId(), &session); err != nil {
		return "", nil, fmt.Errorf("cannot read this process's session: %w", err)
	}
	sid := user.User.Sid
	return fmt.Sprintf(`\\.\pipe\%s-%s-%d`, ID, sid, session), sid, nil
}

// claimInstance makes this process the one Knocker of the user. If another
// runs, it is asked to show its window and claimInstance returns false.
// Otherwise show is called, on a goroutine of its own, whenever a later
// launch asks.
func claimInstance(show func()) (bool, error) {
	name, owner, err := instancePipe()
	if err != nil {
		return true, err // run anyway; a second launch then starts a second Knocker
	}
	return claimPipe(name, owner, show)
}

// claimPipe asks the holder of pipe name to show its window, or, if there
// is none, creates the pipe and serves it. Creating it as the first
// instance is atomic, so of two launches at the same moment one serves and
// the other asks.
func claimPipe(name string, owner *windows.SID, show func()) (bool, error) {
	for range 3 {
		asked, err := askToShow(name, owner)
		if asked || err != nil {
			return !asked, err
		}
		pipe, err := createInstancePipe(name, owner)
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
			continue // another launch created it first: ask that one
		}
		if err != nil {
			return true, fmt.Errorf("cannot create %s: %w", name, err)
		}
		go serveInstancePipe(pipe, show)
		return true, nil
	}
	return true, fmt.Errorf("%s exists but does not answer", name)
}

// askToShow sends the show request to the running Knocker. It reports
// false without an error when no Knocker listens. The pipe must belong to
// owner: one created by another user under this name is refused.
func askToShow(name string, owner *windows.SID) (bool, error) {
	path, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return false, err
	}
	var pipe windows.Handle
	// The running Knocker serves one launch at a time; a busy pipe frees
	// itself within milliseconds.
	for deadline := time.Now().Add(2 * time.Second); ; {
		// Identification level only: the server cannot act as this user.
		pipe, err = windows.CreateFile(path, windows.GENERIC_WRITE|windows.READ_CONTROL, 0, nil, windows.OPEN_EXISTING,
			windows.SECURITY_SQOS_PRESENT|windows.SECURITY_IDENTIFICATION, 0)
		if !errors.Is(err, windows.ERROR_PIPE_BUSY) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cannot reach the running Knocker through %s: %w", name, err)
	}
	defer windows.CloseHandle(pipe)
	sd, err := windows.GetSecurityInfo(pipe, windows.SE_KERNEL_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return false, fmt.Errorf("cannot read the owner of %s: %w", name, err)
	}
	if got, _, err := sd.Owner(); err != nil || !got.Equals(owner) {
		return false, fmt.Errorf("%s belongs to another user (%v); not handing over to it", name, got)
	}
	var n uint32
	if err := windows.WriteFile(pipe, []byte(instanceMessage), &n, nil); err != nil {
		return false, fmt.Errorf("cannot ask the running Knocker to show its window: %w", err)
	}
	return true, nil
}

// createInstancePipe creates the one instance of pipe name, owned by owner
// and open to nobody else, local clients only.
func createInstancePipe(name string, owner *windows.SID) (windows.Handle, error) {
	path, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return 0, err
	}
	// O: sets the owner even where the token's default owner is the
	// Administrators group (an elevated start); D:P is a protected DACL
	// granting the owner alone.
	sd, err := windows.SecurityDescriptorFromString(fmt.Sprintf("O:%[1]sD:P(A;;GA;;;%[1]s)", owner))
	if err != nil {
		return 0, err
	}
	sa := windows.SecurityAttributes{Length: uint32(unsafe.Sizeof(windows.SecurityAttributes{})), SecurityDescriptor: sd}
	return windows.CreateNamedPipe(path,
		windows.PIPE_ACCESS_INBOUND|windows.FILE_FLAG_FIRST_PIPE_INSTANCE|windows.FILE_FLAG_OVERLAPPED,
		windows.PIPE_TYPE_BYTE|windows.PIPE_READMODE_BYTE|windows.PIPE_WAIT|windows.PIPE_REJECT_REMOTE_CLIENTS,
		1, 0, uint32(len(instanceMessage)), 0, &sa)
}

// serveInstancePipe answers later launches, one at a time, for as long as
// the process lives; the pipe goes with it, so nothing stale is left.
func serveInstancePipe(pipe windows.Handle, show func()) {
	done, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return
	}
	// Heap memory: the system writes into both while Go may move stacks.
	ov := &windows.Overlapped{HEvent: done}
	buf := make([]byte, 2*len(instanceMessage))
	for {
		err := windows.ConnectNamedPipe(pipe, ov)
		// A launch that connected, or even wrote and left, before this call
		// still left its message in the pipe.
		if !errors.Is(err, windows.ERROR_PIPE_CONNECTED) && !errors.Is(err, windows.ERROR_NO_DATA) {
			if _, err := waitIO(pipe, ov, err, windows.INFINITE); err != nil {
				return
			}
		}
		message := readInstanceMessage(pipe, ov, buf)
		windows.DisconnectNamedPipe(pipe)
		if message == instanceMessage {
			show()
		}
	}
}

// readInstanceMessage reads what a launch wrote until it closed its end,
// within the time limit and at most a few bytes more than any message.
func readInstanceMessage(pipe windows.Handle, ov *windows.Overlapped, buf []byte) string {
	got := 0
	for deadline := time.Now().Add(instanceReadTimeout); got < len(buf); {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		var n uint32
		err := windows.ReadFile(pipe, buf[got:], &n, ov)
		n, err = waitIO(pipe, ov, err, uint32(left.Milliseconds())+1)
		got += int(n)
		if err != nil || n == 0 {
			break
		}
	}
	return string(buf[:got])
}

// waitIO waits up to timeout milliseconds for the overlapped operation
// that returned err to finish, cancels it when the time is up, and returns
// how many bytes it moved.
func waitIO(pipe windows.Handle, ov *windows.Overlapped, err error, timeout uint32) (uint32, error) {
	if err != nil && !errors.Is(err, windows.ERROR_IO_PENDING) {
		return 0, err
	}
	if ev, _ := windows.WaitForSingleObject(ov.HEvent, timeout); ev != windows.WAIT_OBJECT_0 {
		windows.CancelIoEx(pipe, ov)
	}
	var n uint32
	err = windows.GetOverlappedResult(pipe, ov, &n, true)
	return n, err
}
