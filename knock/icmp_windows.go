//go:build windows

package knock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"unsafe"

	"golang.org/x/sys/windows"
)

const icmpNotPermitted = "ICMP steps need the ICMP helper of iphlpapi.dll, or administrator rights for raw sockets"

// The ICMP helper API of iphlpapi.dll, which ping.exe uses: it sends echo
// requests for any user, where raw sockets need administrator rights.
var (
	iphlpapi            = windows.NewLazySystemDLL("iphlpapi.dll")
	procIcmpCreateFile  = iphlpapi.NewProc("IcmpCreateFile")
	procIcmp6CreateFile = iphlpapi.NewProc("Icmp6CreateFile")
	procIcmpSendEcho2   = iphlpapi.NewProc("IcmpSendEcho2")
	procIcmp6SendEcho2  = iphlpapi.NewProc("Icmp6SendEcho2")
	procIcmpCloseHandle = iphlpapi.NewProc("IcmpCloseHandle")
)

// echoReplyWait is how long the system waits for the echo reply, which a
// knock does not need; the request leaves at once.
const echoReplyWait = 1000 // milliseconds

// sendICMPEcho sends one echo request through the ICMP helper API, from a
// handle of its own (a fresh request, as each step's own socket is
// elsewhere). It does not wait for the reply: the request is asynchronous,
// and a goroutine releases it once the system is done with it. It reports
// false, with no error, where the API is missing or does not implement the
// address family (Wine has no Icmp6SendEcho2), so sockets are tried instead.
func sendICMPEcho(remote netip.Addr, data []byte) (bool, error) {
	if len(data) > 0xffff {
		return false, fmt.Errorf("an ICMP payload of %d bytes is more than 65535", len(data))
	}
	create, send := procIcmpCreateFile, procIcmpSendEcho2
	if remote.Is6() {
		create, send = procIcmp6CreateFile, procIcmp6SendEcho2
	}
	if create.Find() != nil || send.Find() != nil || procIcmpCloseHandle.Find() != nil {
		return false, nil
	}
	h, _, _ := create.Call()
	if windows.Handle(h) == windows.InvalidHandle {
		return false, nil
	}
	req, err := newEchoRequest(windows.Handle(h), data)
	if err != nil {
		procIcmpCloseHandle.Call(h)
		return false, err
	}
	var r uintptr
	if remote.Is6() {
		// The source is left unspecified: the route decides, as for sockets.
		src := windows.RawSockaddrInet6{Family: windows.AF_INET6}
		dst := windows.RawSockaddrInet6{Family: windows.AF_INET6, Addr: remote.As16(), Scope_id: zoneIndex(remote)}
		r, _, err = send.Call(h, uintptr(req.done), 0, 0,
			uintptr(unsafe.Pointer(&src)), uintptr(unsafe.Pointer(&dst)),
			req.request(), uintptr(len(data)), 0, req.reply(), req.replySize(), echoReplyWait)
	} else {
		a := remote.As4()
		// IPAddr is the address in network byte order, as it lies in memory.
		r, _, err = send.Call(h, uintptr(req.done), 0, 0, uintptr(binary.LittleEndian.Uint32(a[:])),
			req.request(), uintptr(len(data)), 0, req.reply(), req.replySize(), echoReplyWait)
	}
	if r == 0 && !errors.Is(err, windows.ERROR_IO_PENDING) {
		req.release()
		if errors.Is(err, windows.ERROR_CALL_NOT_IMPLEMENTED) || errors.Is(err, windows.ERROR_NOT_SUPPORTED) {
			return false, nil
		}
		return false, fmt.Errorf("IcmpSendEcho2: %w", err)
	}
	go req.releaseWhenDone()
	return true, nil
}

// echoRequest is one outstanding request. The system writes the reply (or
// its error) into buf after the call has returned, and then signals done;
// buf, which also holds the payload, is pinned until then.
type echoRequest struct {
	handle windows.Handle
	done   windows.Handle
	buf    []byte // the payload, then room for the reply
	size   int    // of the payload
	pin    runtime.Pinner
}

func newEchoRequest(h windows.Handle, data []byte) (*echoRequest, error) {
	done, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return nil, err
	}
	// Room for the echoed data, a reply header (40 bytes at most), 8 bytes
	// of an ICMP error and the I/O status block of an asynchronous request.
	r := &echoRequest{handle: h, done: done, buf: make([]byte, 2*len(data)+256), size: len(data)}
	copy(r.buf, data)
	r.pin.Pin(&r.buf[0])
	return r, nil
}

func (r *echoRequest) request() uintptr { return uintptr(unsafe.Pointer(&r.buf[0])) }
func (r *echoRequest) reply() uintptr   { return uintptr(unsafe.Pointer(&r.buf[r.size])) }
func (r *echoRequest) replySize() uintptr {
	return uintptr(len(r.buf) - r.size)
}

// releaseWhenDone waits for the reply or its timeout before closing the
// handle, so closing cannot cancel a request the system has not sent yet.
// A request the system never finishes stays pinned: the system could still
// write into it.
func (r *echoRequest) releaseWhenDone() {
	if ev, _ := windows.WaitForSingleObject(r.done, 2*echoReplyWait+1000); ev == windows.WAIT_OBJECT_0 {
		r.release()
		return
	}
	procIcmpCloseHandle.Call(uintptr(r.handle))
}

func (r *echoRequest) release() {
	procIcmpCloseHandle.Call(uintptr(r.handle))
	windows.CloseHandle(r.done)
	r.pin.Unpin()
}

// zoneIndex is the interface index of a link-local address's zone (a name
// or a number), as Windows numbers interfaces; 0 where there is none.
func zoneIndex(a netip.Addr) uint32 {
	if a.Zone() == "" {
		return 0
	}
	if ifc, err := net.InterfaceByName(a.Zone()); err == nil {
		return uint32(ifc.Index)
	}
	n, _ := strconv.ParseUint(a.Zone(), 10, 32)
	return uint32(n)
}
