package e2e

import (
	"net"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// stampedUDP reads datagrams with the time the kernel received them
// (SO_TIMESTAMPNS), not the later moment a busy scheduler ran the reading
// goroutine: on a loaded machine that moment can put a UDP knock behind the
// TCP connect that followed it.
type stampedUDP struct {
	*net.UDPConn
	oob []byte
}

func newStampedUDP(c *net.UDPConn) *stampedUDP {
	if raw, err := c.SyscallConn(); err == nil {
		_ = raw.Control(func(fd uintptr) {
			_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
		})
	}
	return &stampedUDP{UDPConn: c, oob: make([]byte, unix.CmsgSpace(int(unsafe.Sizeof(unix.Timespec{}))))}
}

func (s *stampedUDP) read(buf []byte) (int, time.Time, error) {
	n, oobn, _, _, err := s.ReadMsgUDP(buf, s.oob)
	if err != nil {
		return 0, time.Time{}, err
	}
	msgs, _ := unix.ParseSocketControlMessage(s.oob[:oobn])
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= int(unsafe.Sizeof(unix.Timespec{})) {
			ts := (*unix.Timespec)(unsafe.Pointer(&m.Data[0]))
			return n, time.Unix(ts.Unix()), nil
		}
	}
	return n, time.Now(), nil
}

// connectedAt is when the kernel completed an accepted TCP connection's
// handshake (the client's last ACK, which on loopback follows its SYN at
// once), from TCP_INFO, not the later moment a busy scheduler ran the
// accepting goroutine. Its resolution is the kernel's tick, a few ms.
func connectedAt(c net.Conn) time.Time {
	now := time.Now()
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return now
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return now
	}
	var info *unix.TCPInfo
	_ = raw.Control(func(fd uintptr) {
		info, err = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	})
	if err != nil || info == nil {
		return now
	}
	return now.Add(-time.Duration(info.Last_ack_recv) * time.Millisecond)
}
