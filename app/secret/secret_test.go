package secret

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"

	"github.com/knocker/knocker/internal/testbus"
)

const testValue = `{"steps":[{"proto":"udp","port":1234,"payload":"hunter2-secret"}]}`

// exercise runs one store through the contract every Store keeps.
func exercise(t *testing.T, s Store, id string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Get(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before Set: err = %v, want ErrNotFound", err)
	}
	for _, v := range []string{testValue, strings.Repeat("x", MaxSize), "changed"} {
		if err := s.Set(ctx, id, v); err != nil {
			t.Fatalf("Set %d bytes: %v", len(v), err)
		}
		got, err := s.Get(ctx, id)
		if err != nil || got != v {
			t.Fatalf("Get after Set of %d bytes = %d bytes, %v", len(v), len(got), err)
		}
	}
	var tooLarge *TooLargeError
	if err := s.Set(ctx, id, strings.Repeat("y", MaxSize+1)); !errors.As(err, &tooLarge) || tooLarge.Size != MaxSize+1 {
		t.Fatalf("Set of %d bytes: err = %v, want TooLargeError", MaxSize+1, err)
	}
	if got, _ := s.Get(ctx, id); got != "changed" {
		t.Fatalf("a refused Set changed the stored value")
	}
	if err := s.Delete(ctx, id); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: err = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: err = %v, want ErrNotFound", err)
	}
}

func TestMemory(t *testing.T) {
	m := &Memory{}
	exercise(t, m, "a")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Set(ctx, "a", "v"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Set with a cancelled context: %v", err)
	}
	if m.Len() != 0 {
		t.Fatalf("Len = %d after a cancelled Set", m.Len())
	}
}

func TestTooLargeMessage(t *testing.T) {
	msg := CheckSize(strings.Repeat("z", 3000)).Error()
	for _, want := range []string{"3000 bytes", "2560", "Windows"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not mention %q", msg, want)
		}
	}
	if CheckSize(strings.Repeat("z", MaxSize)) != nil {
		t.Errorf("a value of exactly MaxSize was refused")
	}
}

// fakeOS stands in for go-keyring.
type fakeOS struct {
	err    error
	panics bool
	block  chan struct{} // when set, every call waits for it to close
	calls  atomic.Int32
}

func (f *fakeOS) do() error {
	f.calls.Add(1)
	if f.block != nil {
		<-f.block
	}
	if f.panics {
		var body []any
		_ = body[0].(bool) // what go-keyring does with a short D-Bus signal
	}
	return f.err
}

func (f *fakeOS) Get(string, string) (string, error) { return "", f.do() }
func (f *fakeOS) Set(string, string, string) error   { return f.do() }
func (f *fakeOS) Delete(string, string) error        { return f.do() }

func TestKeyringErrors(t *testing.T) {
	tests := []struct {
		name    string
		os      *fakeOS
		want    error // matched with errors.Is
		message string
	}{
		{"not found", &fakeOS{err: keyring.ErrNotFound}, ErrNotFound, ""},
		{"no bus", &fakeOS{err: errors.New("dial unix /run/none: connect: no such file or directory")}, ErrUnavailable, "gnome-keyring"},
		{"no service", &fakeOS{err: dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown"}}, ErrUnavailable, "unlock"},
		{"locked", &fakeOS{err: errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'")}, ErrUnavailable, "KeePassXC"},
		{"malformed reply", &fakeOS{panics: true}, ErrUnavailable, "cannot read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &Keyring{timeout: time.Second, os: tt.os}
			_, err := k.Get(context.Background(), "id")
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("message %q does not say %q", err, tt.message)
			}
		})
	}
}

func TestKeyringTooLargeNeverSent(t *testing.T) {
	f := &fakeOS{}
	k := &Keyring{timeout: time.Second, os: f}
	if err := k.Set(context.Background(), "id", strings.Repeat("s", MaxSize+1)); !errors.As(err, new(*TooLargeError)) {
		t.Fatalf("err = %v, want TooLargeError", err)
	}
	if n := f.calls.Load(); n != 0 {
		t.Fatalf("the keyring was called %d times for a value that does not fit", n)
	}
}

// TestKeyringRefusesSize: macOS refuses some values under MaxSize, since
// it counts the service and account names too.
func TestKeyringRefusesSize(t *testing.T) {
	k := &Keyring{timeout: time.Second, os: &fakeOS{err: keyring.ErrSetDataTooBig}}
	var tooLarge *TooLargeError
	if err := k.Set(context.Background(), "id", strings.Repeat("v", 2500)); !errors.As(err, &tooLarge) || tooLarge.Size != 2500 {
		t.Fatalf("err = %v, want a TooLargeError for 2500 bytes", err)
	}
}

func TestKeyringTimeout(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	k := &Keyring{timeout: 100 * time.Millisecond, os: &fakeOS{block: block}}
	start := time.Now()
	err := k.Set(context.Background(), "id", "hunter2-secret")
	took := time.Since(start)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "no answer within 100ms") {
		t.Fatalf("err = %v, want a timeout naming the limit", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %q holds the secret", err)
	}
	if took > 100*k.timeout { // far more than any scheduling delay: it did not wait for the keyring
		t.Fatalf("took %v for a 100ms timeout", took)
	}

}

// A cancelled call returns at once with the cancellation, not the timeout.
func TestKeyringCancel(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	f := &fakeOS{block: block}
	k := &Keyring{timeout: time.Hour, os: f}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for f.calls.Load() == 0 { // the keyring is being asked, and hangs
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if _, err := k.Get(ctx, "id"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Get: err = %v, want context.Canceled", err)
	}
}

func TestNewKeyringDefaultTimeout(t *testing.T) {
	if k := NewKeyring(0); k.timeout != DefaultTimeout {
		t.Fatalf("timeout = %v, want %v", k.timeout, DefaultTimeout)
	}
}

// The tests below use the real go-keyring against D-Bus. They run in a child
// process because godbus keeps one session bus connection per process, and a
// bus that never answers holds its lock for good.

const helperEnv = "KNOCKER_SECRET_HELPER"

// TestHelperKeyringCall is the child: one Get through the real keyring.
func TestHelperKeyringCall(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("helper for the D-Bus tests; runs only as their child process")
	}
	start := time.Now()
	_, err := NewKeyring(300*time.Millisecond).Get(context.Background(), "knocker-test-none")
	fmt.Printf("took=%v unavailable=%v err=%v\n", time.Since(start).Round(time.Millisecond), errors.Is(err, ErrUnavailable), err)
}

func runHelper(t *testing.T, busAddress string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperKeyringCall$", "-test.v")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "DBUS_SESSION_BUS_ADDRESS="+busAddress)
	cmd.WaitDelay = 5 * time.Second
	done := time.AfterFunc(20*time.Second, func() { _ = cmd.Process.Kill() })
	defer done.Stop()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	return string(out)
}

func TestKeyringWithoutBus(t *testing.T) {
	tests := []struct{ name, bus, want string }{
		{"no bus socket", testbus.Missing(t), "no such file"},
		{"bus never answers", testbus.Silent(t), "no answer within 300ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := runHelper(t, tt.bus)
			if !strings.Contains(out, "unavailable=true") || !strings.Contains(out, tt.want) || !strings.Contains(out, "gnome-keyring") {
				t.Fatalf("helper output does not show a clear keyring error with %q:\n%s", tt.want, out)
			}
			took := time.Duration(-1)
			if i := strings.Index(out, "took="); i >= 0 {
				took, _ = time.ParseDuration(strings.Fields(out[i+5:])[0])
			}
			// D-Bus's own call timeout is 25 s: a call past 20 s waited for
			// that, not for the keyring's 300 ms.
			if took < 0 || took > 20*time.Second {
				t.Fatalf("the call took %v, so it did not end by the keyring's own timeout:\n%s", took, out)
			}
		})
	}
}

// TestRealKeyring talks to the Secret Service that scripts/with-keyring.sh
// starts (make test runs the suite inside it).
func TestRealKeyring(t *testing.T) {
	if os.Getenv("KNOCKER_KEYRING_TEST") == "" {
		t.Skip("no test keyring: run under scripts/with-keyring.sh (make test does) to test against gnome-keyring")
	}
	id := fmt.Sprintf("knocker-test-%d", time.Now().UnixNano())
	exercise(t, NewKeyring(DefaultTimeout), id)
}
