package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/internal/plural"
	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/schedule"
)

const proxyUsage = `Usage: knocker proxy [flags] NAME HOST PORT
       knocker proxy [flags] --id ID HOST PORT

Connect to TCP PORT on HOST, knocking the saved profile NAME first when
needed, then pass standard input to the connection and the connection to
standard output until both directions have closed. Made for OpenSSH:

  ProxyCommand knocker proxy office %h %p     (in ~/.ssh/config)
  ssh -o 'ProxyCommand knocker proxy office %h %p' admin@203.0.113.7

knocker ssh-config writes the Host block for you. It names the profile
with --id ID, its stable ID, which needs no quoting in any shell and stays
the same when the profile is renamed.

If NAME was knocked recently enough that the router should still let this
machine in (the last knock plus the profile's router timeout, less the
re-knock margin) and PORT answers, it connects at once without reading the
keyring. Otherwise it knocks NAME's host, waits for PORT on HOST to answer,
knocking again as often as the profile's check allows, and saves the knock
time as knocker knock does. HOST is where ssh connects (%h: the HostName),
usually the profile's host; the knock always goes to the profile's host.

Standard output carries the connection's bytes and nothing else; a note
when it knocked and any error go to standard error, one line each. When
ssh goes away (its end of standard output closes), the proxy passes on
what ssh wrote before it went and ends, whatever the server does.

Flags:
  --id ID       the profile with this ID instead of NAME (as ssh-config
                writes it)
  --always      knock even when the last knock should still hold
  --timeout D   how long each connection attempt to PORT waits (default:
                the profile's check timeout, else 3s)
  -4, -6        knock and connect over IPv4 / IPv6 only
  -q            no note when it knocked (errors are still shown)

Exit codes: 0 after both directions closed or ssh went away, 1 the knock
or the connection failed, 2 bad input, a missing profile or a keyring
problem.`

func runProxy(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet("proxy")
	var (
		always, quiet bool
		families      familyFlags
		timeout       time.Duration
		id            string
	)
	fs.StringVar(&id, "id", "", "")
	fs.BoolVar(&always, "always", false, "")
	fs.DurationVar(&timeout, "timeout", 0, "")
	families.register(fs)
	fs.BoolVar(&quiet, "q", false, "")
	pos, err := parseFlags(fs, env, args, proxyUsage)
	if err != nil {
		return err
	}
	idSet := false
	fs.Visit(func(f *flag.Flag) { idSet = idSet || f.Name == "id" })
	switch {
	case idSet && len(pos) != 2:
		return usagef("want --id ID HOST PORT, as in ProxyCommand knocker proxy --id ID %%h %%p")
	case idSet && id == "":
		return usagef("--id is empty")
	case !idSet && len(pos) != 3:
		return usagef("want NAME HOST PORT, as in ProxyCommand knocker proxy office %%h %%p")
	}
	name := ""
	if !idSet {
		name, pos = pos[0], pos[1:]
	}
	if timeout < 0 {
		return usagef("--timeout cannot be negative")
	}
	family, err := families.family()
	if err != nil {
		return err
	}
	port, err := knock.ParsePort(pos[1])
	if err != nil {
		return usagef("PORT: %v", err)
	}
	host := profile.BareHost(pos[0])
	if host == "" {
		return usagef("HOST is empty")
	}
	// A fresh router entry needs no keyring.
	book, p, err := listedProfile(env, name, id)
	if err != nil {
		return err
	}
	if family != knock.Auto {
		p.Family = family
	}
	if timeout == 0 {
		timeout = knock.DefaultVerifyTimeout
		if p.Verify != nil && p.Verify.Timeout > 0 {
			timeout = p.Verify.Timeout
		}
	}
	target := &proxyTarget{host: host, port: port, family: p.Family, sameHost: strings.EqualFold(host, profile.BareHost(p.Host))}

	var conn *net.TCPConn
	if !always && recentlyKnocked(p, time.Now()) {
		conn, err = target.dial(ctx, netip.Addr{}, timeout)
		if err != nil && !knockMayHelp(err) {
			return classify(err)
		}
	}
	if conn == nil {
		if conn, err = knockAndConnect(ctx, env, book, p, target, timeout, quiet); err != nil {
			return err
		}
	}
	defer conn.Close()
	return relay(ctx, conn, env.Stdin, env.Stdout)
}

// listedProfile opens the book and returns the profile with id, or if id
// is empty the one called name, as profiles.json has it, without its
// secret: no keyring is asked.
func listedProfile(env *Env, name, id string) (*profile.Book, profile.Profile, error) {
	book, err := env.book()
	if err != nil {
		return nil, profile.Profile{}, err
	}
	l, err := book.List()
	if err != nil {
		return nil, profile.Profile{}, bookErr(err)
	}
	if id == "" {
		p, err := l.Get(name)
		return book, p, bookErr(err)
	}
	p, ok := l.ByID(id)
	if !ok {
		return nil, profile.Profile{}, usagef("no profile with ID %q (deleted? then write its Host block again with knocker ssh-config)", id)
	}
	return book, p, nil
}

// recentlyKnocked reports whether p's router should still list this machine
// at now: its last knock plus the router timeout, less the margin the
// re-knocking keeps, has not passed.
func recentlyKnocked(p profile.Profile, now time.Time) bool {
	if p.Timeout <= 0 || p.LastKnocked.IsZero() {
		return false
	}
	return now.Before(p.LastKnocked.Add(p.Timeout - schedule.Margin(p.Timeout, 0)))
}

// knockAndConnect knocks p with a check that is the connection itself: the
// service sees one connection, not a probe and then the real one.
func knockAndConnect(ctx context.Context, env *Env, book *profile.Book, listed profile.Profile, target *proxyTarget, timeout time.Duration, quiet bool) (*net.TCPConn, error) {
	p, err := book.GetID(ctx, listed.ID)
	if err != nil {
		return nil, bookErr(err)
	}
	p.Family = listed.Family
	retries := 0
	if p.Verify != nil {
		retries = p.Verify.Retries
	}
	p.Verify = &profile.Verify{Port: target.port, Timeout: timeout, Retries: retries}
	network := &connectNetwork{target: target}
	res, err := book.Knock(ctx, p, knock.Hooks{}, network)
	if errors.Is(err, profile.ErrNotRecorded) {
		fmt.Fprintf(env.Stderr, "knocker: warning: %v\n", err)
		err = nil
	}
	var notOpen *knock.NotOpenError
	switch {
	case errors.As(err, &notOpen):
		why := ""
		if network.lastErr != nil {
			why = ": " + reason(network.lastErr)
		}
		return nil, fmt.Errorf("knocked %s, but %s did not answer after %s%s (is the sequence right?)",
			p.Name, target, plural.Count(notOpen.Attempts, "knock", "knocks"), why)
	case err != nil:
		return nil, classify(err)
	}
	if !quiet {
		again := ""
		if res.Attempts > 1 {
			again = " after " + plural.Count(res.Attempts, "knock", "knocks")
		}
		fmt.Fprintf(env.Stderr, "knocker proxy: knocked %s at %v; %v answered%s\n", p.Name, res.Addr, network.conn.RemoteAddr(), again)
	}
	return network.conn, nil
}

// proxyTarget is HOST and PORT of knocker proxy.
type proxyTarget struct {
	host   string
	port   uint16
	family knock.Family
	// sameHost: HOST is the profile's host, so the connection must use the
	// address family the knock used, which is the one the router let in.
	sameHost bool
}

func (t *proxyTarget) String() string {
	return net.JoinHostPort(t.host, strconv.Itoa(int(t.port)))
}

// dial connects to the target; knocked, when valid, is the address the
// knock went to.
func (t *proxyTarget) dial(ctx context.Context, knocked netip.Addr, timeout time.Duration) (*net.TCPConn, error) {
	network := "tcp"
	switch {
	case t.family == knock.IPv4, t.sameHost && knocked.Is4():
		network = "tcp4"
	case t.family == knock.IPv6, t.sameHost && knocked.Is6():
		network = "tcp6"
	}
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, network, t.String())
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// connectNetwork sends the knock through the system's sockets; its check
// connects to the proxy's target and keeps the connection.
type connectNetwork struct {
	knock.SystemNetwork
	target  *proxyTarget
	conn    *net.TCPConn // the connection, once a check succeeded
	lastErr error        // why the last check failed
}

func (n *connectNetwork) Probe(ctx context.Context, knocked netip.AddrPort, timeout time.Duration) (bool, error) {
	c, err := n.target.dial(ctx, knocked.Addr(), timeout)
	switch {
	case err == nil:
		n.conn = c
		return true, nil
	case ctx.Err() != nil:
		return false, ctx.Err()
	case knockMayHelp(err):
		n.lastErr = err
		return false, nil
	}
	return false, err
}

// knockMayHelp reports whether a failed connection attempt could succeed
// after a knock: refused, reset, unreachable (a router's reject), timed out
// or anything else the network said, but not a name that does not resolve
// or an address of the wrong family. Errors are told apart by type, not by
// number, since every system numbers them its own way.
func knockMayHelp(err error) bool {
	var dnsErr *net.DNSError
	var addrErr *net.AddrError
	return !errors.As(err, &dnsErr) && !errors.As(err, &addrErr)
}

// reason is the operating system's words for a failed connection attempt.
func reason(err error) string {
	var errno syscall.Errno
	var ne net.Error
	switch {
	case errors.As(err, &errno):
		return errno.Error()
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	}
	return err.Error()
}

// errOutputClosed is the end of standard output seen before writing to it.
var errOutputClosed = errors.New("standard output was closed")

// readerLeft says whether err means that the reader of standard output went
// away. ssh closes its end as soon as its session ends, sometimes before
// the server's last bytes (its side of the goodbye) came through.
func readerLeft(err error) bool {
	var errno syscall.Errno
	return errors.Is(err, errOutputClosed) || errors.As(err, &errno) && brokenPipe(errno)
}

// halfConn is a connection whose sending side can be closed alone.
type halfConn interface {
	io.ReadWriter
	CloseWrite() error
}

// relay copies conn to out and in to conn at the same time, until both
// directions have ended. The end of each is passed on: the end of in becomes
// a half-close of conn (the server reads end of file and may still answer),
// and the server's end closes out when out can be closed. Protocols that
// mark the end of their data by closing (a file sent through a bare TCP
// stream, a server that answers after its input ended) depend on this.
//
// When the reader of out goes away (ssh ended or was killed), seen when
// poll says so (watchHangup) or when a write fails, the relay passes on
// what ssh wrote before it went and ends, whatever the server does
// (finishSending).
//
// Where the standard streams are pipes, as ssh gives them, Linux moves the
// bytes with splice(2) (relay_linux.go), and 1 MiB pipes.
//
// A failure in one direction ends the relay at once. The goroutine reading
// in may then stay blocked in its read, which nothing can interrupt for a
// standard input; the process exits right after.
func relay(ctx context.Context, conn halfConn, in io.Reader, out io.Writer) error {
	hungUp, stopWatch := watchHangup(out)
	defer stopWatch()
	received, sent := make(chan error, 1), make(chan error, 1)
	go func() {
		err := copyStream(out, conn)
		stopWatch()
		if c, ok := out.(io.Closer); ok {
			if cerr := c.Close(); err == nil {
				err = cerr
			}
		}
		received <- err
		if readerLeft(err) {
			// What the server still sends is read and dropped: data left
			// unread when the connection closes would make the kernel reset
			// it, throwing away what is still on its way to the server.
			_, _ = io.Copy(io.Discard, conn)
		}
	}()
	go func() {
		err := copyStream(conn, in)
		if err == nil {
			err = conn.CloseWrite()
		}
		sent <- err
	}()
	var receiving, sending = true, true
	for receiving || sending {
		select {
		case err := <-received:
			switch {
			case readerLeft(err):
				return finishSending(ctx, conn, in, sent, sending)
			case err != nil:
				return fmt.Errorf("receiving: %w", err)
			}
			receiving, hungUp = false, nil
		case <-hungUp:
			return finishSending(ctx, conn, in, sent, sending)
		case err := <-sent:
			// A server that closed its side may also have stopped reading:
			// what was still being sent then has no reader, which is its choice.
			if err != nil && receiving {
				return fmt.Errorf("sending: %w", err)
			}
			sending = false
		case <-ctx.Done():
			return classify(ctx.Err())
		}
	}
	return nil
}

// lingerTime is how long finishSending waits for a server that takes none
// of what ssh wrote, as SO_LINGER would.
const lingerTime = time.Second

// finishSending is the end of a relay whose output has no reader any more:
// ssh has gone, or is going. Every byte ssh wrote before is still passed
// on: it waits for the sending direction to end (ssh's end of standard
// input closed, then conn half-closed) and for the server to acknowledge
// it all, since the process exits next and an unacknowledged byte could
// then be lost. It gives up after lingerTime without progress, so the
// proxy ends whatever the server does. Nobody is left to tell of an error.
func finishSending(ctx context.Context, conn halfConn, in io.Reader, sent <-chan error, sending bool) error {
	stalled := time.NewTimer(lingerTime)
	defer stalled.Stop()
	tick := time.NewTicker(lingerTime / 20)
	defer tick.Stop()
	left, known := unsent(conn, in)
	for sending || known && left > 0 {
		select {
		case err := <-sent:
			if err != nil {
				return nil // the server stopped taking it
			}
			sending = false
		case <-tick.C:
		case <-stalled.C:
			return nil
		case <-ctx.Done():
			return classify(ctx.Err())
		}
		if now, ok := unsent(conn, in); ok && now != left {
			left = now
			stalled.Reset(lingerTime)
		}
	}
	return nil
}
