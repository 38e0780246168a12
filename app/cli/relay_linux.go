package cli

import (
	"io"
	"net"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// pipeSize is the buffer asked of the kernel for the pipes the proxy reads
// and writes: 1 MiB, the most a user may ask by default (fs.pipe-max-size),
// so that each wake-up of the proxy and of ssh moves up to that much.
const pipeSize = 1 << 20

// copyStream copies src to dst until src ends. Between a pipe (ssh's end)
// and the TCP connection, splice(2) moves the data inside the kernel, one
// system call per chunk and no copy through this process; anything else
// goes through io.Copy.
func copyStream(dst io.Writer, src io.Reader) error {
	if in, ok := src.(*os.File); ok && isPipe(in) {
		if conn, ok := dst.(*net.TCPConn); ok {
			return spliceFromPipe(conn, in)
		}
	}
	if conn, ok := src.(*net.TCPConn); ok {
		if out, ok := dst.(*os.File); ok && isPipe(out) {
			return spliceToPipe(out, conn)
		}
	}
	_, err := io.Copy(dst, src)
	return err
}

// isPipe reports whether f is a pipe, and if so asks for a larger buffer.
func isPipe(f *os.File) bool {
	fd, ok := fileFD(f)
	var st unix.Stat_t
	if !ok || unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return false
	}
	_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, pipeSize) // a smaller pipe only costs speed
	return true
}

// fileFD is f's descriptor. Standard input and output stay open until the
// process ends, so the number stays valid outside Control.
func fileFD(f *os.File) (int, bool) {
	raw, err := f.SyscallConn()
	if err != nil {
		return 0, false
	}
	fd := -1
	if raw.Control(func(d uintptr) { fd = int(d) }) != nil || fd < 0 {
		return 0, false
	}
	return fd, true
}

const spliceFlags = unix.SPLICE_F_MOVE | unix.SPLICE_F_NONBLOCK

// splice is splice(2) from in to out, retried when a signal interrupts it.
func splice(in, out int) (int, error) {
	for {
		n, err := unix.Splice(in, nil, out, nil, pipeSize, spliceFlags)
		if err != unix.EINTR {
			return int(n), err
		}
	}
}

// waitFD blocks until fd is ready for events, or for timeout ms (-1:
// forever), and returns what poll(2) saw.
func waitFD(fd int, events int16, timeout int) (int16, error) {
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: events}}
		_, err := unix.Poll(fds, timeout)
		if err != unix.EINTR {
			return fds[0].Revents, err
		}
	}
}

// spliceFromPipe sends what arrives on the pipe in over conn until the
// pipe's writer closes it. A non-blocking splice that cannot go on does not
// say which side stopped it, and Go's poller, edge-triggered, waits only
// for a change: waiting for the socket while the pipe is empty could wait
// forever. So it splices only once the pipe holds data, and waits for the
// socket only when poll says it is full.
func spliceFromPipe(conn *net.TCPConn, in *os.File) error {
	infd, _ := fileFD(in)
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	for {
		// SIOCINQ is FIONREAD, which a pipe answers with the bytes it holds.
		queued, err := unix.IoctlGetInt(infd, unix.SIOCINQ)
		if err != nil {
			return err
		}
		if queued == 0 {
			revents, err := waitFD(infd, unix.POLLIN, -1)
			if err != nil {
				return err
			}
			if queued, _ = unix.IoctlGetInt(infd, unix.SIOCINQ); queued == 0 {
				if revents&(unix.POLLHUP|unix.POLLERR) != 0 {
					return nil // the writer closed the pipe
				}
				continue
			}
		}
		var n int
		var serr error
		err = raw.Write(func(sock uintptr) bool {
			n, serr = splice(infd, int(sock))
			if serr != unix.EAGAIN {
				return true
			}
			revents, err := waitFD(int(sock), unix.POLLOUT, 0)
			return err == nil && revents&unix.POLLOUT != 0 // false: full, Go's poller waits for room
		})
		switch {
		case err != nil:
			return err
		case serr == unix.EAGAIN:
			continue // the socket had room after all: look at the pipe again
		case serr != nil:
			return serr
		case n == 0:
			return nil
		}
	}
}

// spliceToPipe writes what arrives on conn to the pipe out until the server
// closes its side. When a splice cannot go on, poll tells which side
// stopped it: a socket with nothing to read (Go's poller waits for data) or
// a full pipe (poll waits for its reader). A splice may also move data and
// still report EAGAIN, and the server's end may have come meanwhile, so the
// socket is asked, not assumed.
func spliceToPipe(out *os.File, conn *net.TCPConn) error {
	outfd, _ := fileFD(out)
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	for {
		var n int
		var serr error
		pipeFull := false
		err := raw.Read(func(sock uintptr) bool {
			n, serr = splice(int(sock), outfd)
			if serr != unix.EAGAIN {
				return true
			}
			revents, err := waitFD(int(sock), unix.POLLIN|unix.POLLRDHUP, 0)
			if err != nil {
				serr = err
				return true
			}
			pipeFull = revents != 0 // something to read (or the end, or an error): the pipe is what is full
			return pipeFull
		})
		switch {
		case err != nil:
			return err
		case pipeFull:
			revents, err := waitFD(outfd, unix.POLLOUT, -1)
			if err != nil {
				return err
			}
			if revents&unix.POLLERR != 0 {
				return errOutputClosed
			}
		case serr != nil:
			return serr
		case n == 0:
			return nil // the server closed its side
		}
	}
}

// watchHangup reports when the reader of out goes away: poll(2) says
// POLLERR for a pipe whose reading end is closed, and POLLHUP for a socket
// whose peer has gone, without anything written. ssh closes its end of the
// proxy's standard output when its session ends or it is killed; a proxy
// that waited to learn that from a failed write would wait forever for a
// server that has nothing to say. stop ends the watch; it must come before
// out is closed, so that its descriptor, which may then be reused, is no
// longer watched. Where out is neither a pipe nor a socket, the channel
// never fires.
func watchHangup(out io.Writer) (hungUp <-chan struct{}, stop func()) {
	f, ok := out.(*os.File)
	if !ok {
		return nil, func() {}
	}
	fd, ok := fileFD(f)
	var st unix.Stat_t
	if !ok || unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO && st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return nil, func() {}
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	if err != nil {
		return nil, func() {}
	}
	gone, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			fds := []unix.PollFd{{Fd: int32(fd)}, {Fd: int32(wake), Events: unix.POLLIN}}
			_, err := unix.Poll(fds, -1)
			switch {
			case err == unix.EINTR:
				continue
			case err == nil && fds[1].Revents == 0 && fds[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0:
				close(gone)
			}
			return
		}
	}()
	var once sync.Once
	return gone, func() {
		once.Do(func() {
			_, _ = unix.Write(wake, []byte{1, 0, 0, 0, 0, 0, 0, 0}) // an eventfd takes a 64-bit count
			<-done
			unix.Close(wake)
		})
	}
}

// unsent is how many bytes ssh wrote that the server has not yet
// acknowledged: those still in standard input, when it is a pipe, and
// those sent but not acknowledged on conn.
func unsent(conn halfConn, in io.Reader) (int, bool) {
	c, ok := conn.(*net.TCPConn)
	if !ok {
		return 0, false
	}
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, false
	}
	var queued int
	if raw.Control(func(fd uintptr) { queued, err = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ) }) != nil || err != nil {
		return 0, false
	}
	if f, ok := in.(*os.File); ok {
		if fd, ok := fileFD(f); ok {
			// FIONREAD of a pipe is the bytes it holds (an error: not a pipe).
			if n, err := unix.IoctlGetInt(fd, unix.SIOCINQ); err == nil {
				queued += n
			}
		}
	}
	return queued, true
}
