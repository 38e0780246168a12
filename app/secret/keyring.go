package secret

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/zalando/go-keyring"
)

// DefaultTimeout bounds each keyring call. A Secret Service that waits on an
// unlock prompt nobody sees never answers; five seconds is long for a healthy
// keyring (a few milliseconds) and short enough for a CLI user to wait.
const DefaultTimeout = 5 * time.Second

// ErrUnavailable matches (with errors.Is) every error that means the keyring
// could not be used at all: no keyring, a locked one, or one that did not answer.
var ErrUnavailable = errors.New("keyring unavailable")

// UnavailableError says why the keyring could not be used and how to fix it.
type UnavailableError struct {
	Op  string // "read", "save" or "delete"
	Err error  // the cause; never holds a secret value
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("cannot %s the profile's secret: keyring unavailable (%v); %s", e.Op, e.Err, fixHint())
}

func (e *UnavailableError) Unwrap() error { return e.Err }

func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// fixHint names what the user can start or unlock on this system.
func fixHint() string {
	switch runtime.GOOS {
	case "darwin":
		return "unlock the login keychain and try again"
	case "windows":
		return "check that Windows Credential Manager is running and try again"
	}
	return "start and unlock a Secret Service keyring (gnome-keyring, or KeePassXC with Secret Service integration enabled) and try again"
}

// backend is the slice of go-keyring's API used here, so tests can stand in
// a keyring that hangs, fails or panics.
type backend interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

type osBackend struct{}

func (osBackend) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (osBackend) Set(service, user, pw string) error       { return keyring.Set(service, user, pw) }
func (osBackend) Delete(service, user string) error        { return keyring.Delete(service, user) }

// Keyring is the Store backed by the OS keyring (Secret Service on Linux,
// Keychain on macOS, Credential Manager on Windows).
type Keyring struct {
	timeout time.Duration
	os      backend
}

var _ Store = (*Keyring)(nil)

// NewKeyring returns the OS keyring with each call bounded by timeout
// (DefaultTimeout if zero or less).
func NewKeyring(timeout time.Duration) *Keyring {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Keyring{timeout: timeout, os: osBackend{}}
}

func (k *Keyring) Get(ctx context.Context, id string) (string, error) {
	var v string
	err := k.call(ctx, "read", func() (err error) {
		v, err = k.os.Get(Service, id)
		return err
	})
	return v, err
}

func (k *Keyring) Set(ctx context.Context, id, value string) error {
	if err := CheckSize(value); err != nil {
		return err
	}
	err := k.call(ctx, "save", func() error { return k.os.Set(Service, id, value) })
	if tooLarge := new(TooLargeError); errors.As(err, &tooLarge) {
		// macOS counts service and account names too, so a value under
		// MaxSize can still be refused there.
		tooLarge.Size = len(value)
	}
	return err
}

func (k *Keyring) Delete(ctx context.Context, id string) error {
	return k.call(ctx, "delete", func() error { return k.os.Delete(Service, id) })
}

// call runs fn on its own goroutine and gives up after the timeout. go-keyring
// has no cancellation, so a call that never returns leaves its goroutine
// blocked on D-Bus; that costs a little memory, where waiting would hang the
// program. A Set that times out may still land later: the caller is told it
// failed, and a retry overwrites the same item.
func (k *Keyring) call(ctx context.Context, op string, fn func() error) error {
	ctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		// go-keyring type-asserts D-Bus replies; a malformed one from a
		// foreign service must not take the program down.
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("the keyring service sent a reply Knocker cannot read")
			}
		}()
		done <- fn()
	}()
	select {
	case err := <-done:
		return classify(op, err)
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return &UnavailableError{Op: op, Err: fmt.Errorf("no answer within %v, it may be locked and waiting for a password prompt", k.timeout)}
		}
		return ctx.Err()
	}
}

func classify(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return &TooLargeError{} // Set fills in the size
	}
	return &UnavailableError{Op: op, Err: err}
}
