package profile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/app/secret"
	"github.com/knocker/knocker/knock"
)

// failing is a keyring that is down, or that breaks after some writes.
type failing struct {
	secret.Memory
	setsLeft int // Set fails once this reaches 0; -1 never
	down     bool
}

var errDown = &secret.UnavailableError{Op: "test", Err: errors.New("keyring locked")}

func (f *failing) Get(ctx context.Context, id string) (string, error) {
	if f.down {
		return "", errDown
	}
	return f.Memory.Get(ctx, id)
}

func (f *failing) Set(ctx context.Context, id, v string) error {
	if f.down || f.setsLeft == 0 {
		return errDown
	}
	f.setsLeft--
	return f.Memory.Set(ctx, id, v)
}

func (f *failing) Delete(ctx context.Context, id string) error {
	if f.down {
		return errDown
	}
	return f.Memory.Delete(ctx, id)
}

func withSteps(name string, port uint16) Profile {
	p := sample(name)
	p.Steps = []knock.Step{{Proto: knock.UDP, Port: port, Payload: knock.Payload{Data: []byte("pw-" + name)}}}
	return p
}

func newBook(t *testing.T, secrets secret.Store) *Book {
	s, _ := newTestStore(t)
	return &Book{Store: s, Secrets: secrets}
}

func TestBookLifecycle(t *testing.T) {
	ctx := context.Background()
	mem := &secret.Memory{}
	b := newBook(t, mem)
	if err := b.Add(ctx, []Profile{withSteps("office", 1000), withSteps("home", 2000)}); err != nil {
		t.Fatal(err)
	}
	p, err := b.Get(ctx, "office")
	if err != nil || len(p.Steps) != 1 || p.Steps[0].Port != 1000 {
		t.Fatalf("Get = %+v, %v", p, err)
	}
	if err := b.Rename("office", "work"); err != nil {
		t.Fatal(err)
	}
	renamed, err := b.Get(ctx, "WORK")
	if err != nil || renamed.ID != p.ID || renamed.Steps[0].Port != 1000 {
		t.Fatalf("after rename: %+v, %v (the secret must follow the ID)", renamed, err)
	}
	if err := b.Rename("home", "Work"); !errors.As(err, new(*ExistsError)) {
		t.Fatalf("rename onto a taken name: %v", err)
	}
	if err := b.MarkKnocked(p.ID, time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if l, _ := b.List(); l.Profiles[0].LastKnocked.IsZero() {
		t.Fatal("MarkKnocked did not record the time")
	}
	if err := b.Delete(ctx, "work"); err != nil {
		t.Fatal(err)
	}
	if _, err := mem.Get(ctx, p.ID); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("the secret outlived its profile: %v", err)
	}
	if _, err := b.Get(ctx, "work"); !errors.As(err, new(*NotFoundError)) {
		t.Fatalf("Get of a deleted profile: %v", err)
	}
	if mem.Len() != 1 {
		t.Fatalf("%d secrets left, want home's only", mem.Len())
	}
}

func TestBookAddIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		secrets *failing
		add     []Profile
		want    string
	}{
		{"keyring fails on the second", &failing{setsLeft: 1}, []Profile{withSteps("a", 1), withSteps("b", 2)}, `profile "b": cannot test`},
		{"keyring down", &failing{down: true}, []Profile{withSteps("a", 1)}, "keyring locked"},
		{"name taken", &failing{setsLeft: -1}, []Profile{withSteps("c", 1), withSteps("existing", 2)}, `"existing" already exists`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.secrets.Memory.Set(ctx, "old", "v"); err != nil {
				t.Fatal(err)
			}
			b := newBook(t, tt.secrets)
			if err := b.Store.Update(func(l *List) error { return l.Add(sample("existing")) }); err != nil {
				t.Fatal(err)
			}
			err := b.Add(ctx, tt.add)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if l, _ := b.List(); len(l.Profiles) != 1 {
				t.Fatalf("%d profiles after a failed import", len(l.Profiles))
			}
			if n := tt.secrets.Len(); n != 1 {
				t.Fatalf("%d secrets after a failed import; the written ones must be removed", n)
			}
		})
	}
}

func TestBookWithoutKeyring(t *testing.T) {
	ctx := context.Background()
	f := &failing{setsLeft: -1}
	b := newBook(t, f)
	if err := b.Add(ctx, []Profile{withSteps("office", 1)}); err != nil {
		t.Fatal(err)
	}
	f.down = true
	if l, err := b.List(); err != nil || len(l.Profiles) != 1 {
		t.Fatalf("List without a keyring = %v, %v", l, err)
	}
	if err := b.Rename("office", "work"); err != nil {
		t.Fatalf("Rename without a keyring: %v", err)
	}
	if _, err := b.Get(ctx, "work"); !errors.Is(err, secret.ErrUnavailable) || !strings.Contains(err.Error(), `profile "work"`) {
		t.Fatalf("Get: %v", err)
	}
	if err := b.Delete(ctx, "work"); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("Delete: %v", err)
	}
	if l, _ := b.List(); len(l.Profiles) != 1 {
		t.Fatal("Delete removed the profile though its secret could not be deleted")
	}
	f.down = false
	if _, err := f.Memory.Get(ctx, b.mustID(t, "work")); err != nil {
		t.Fatalf("secret lost: %v", err)
	}
}

func (b *Book) mustID(t *testing.T, name string) string {
	t.Helper()
	l, err := b.List()
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

func TestBookMissingOrDamagedSecret(t *testing.T) {
	ctx := context.Background()
	mem := &secret.Memory{}
	b := newBook(t, mem)
	if err := b.Add(ctx, []Profile{withSteps("office", 1)}); err != nil {
		t.Fatal(err)
	}
	id := b.mustID(t, "office")
	if err := mem.Set(ctx, id, `{"steps":[{"proto":"udp","port":0,"payload":"hunter2"}]}`); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "office"); err == nil || !strings.Contains(err.Error(), "damaged") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("damaged secret: %v", err)
	}
	if err := mem.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "office"); err == nil || !strings.Contains(err.Error(), "import it again") {
		t.Fatalf("missing secret: %v", err)
	}
	if err := b.Delete(ctx, "office"); err != nil {
		t.Fatalf("deleting a profile whose secret is already gone: %v", err)
	}
}

// TestBookRealKeyring runs the lifecycle against gnome-keyring (make test
// starts one through scripts/with-keyring.sh): rename keeps the secret,
// delete removes it.
func TestBookRealKeyring(t *testing.T) {
	if os.Getenv("KNOCKER_KEYRING_TEST") == "" {
		t.Skip("no test keyring: run under scripts/with-keyring.sh (make test does) to test against gnome-keyring")
	}
	ctx := context.Background()
	ring := secret.NewKeyring(secret.DefaultTimeout)
	b := newBook(t, ring)
	p := withSteps(fmt.Sprintf("real-%d", time.Now().UnixNano()), 4321)
	if err := b.Add(ctx, []Profile{p}); err != nil {
		t.Fatal(err)
	}
	if err := b.Rename(p.Name, p.Name+"-renamed"); err != nil {
		t.Fatal(err)
	}
	got, err := b.Get(ctx, p.Name+"-renamed")
	if err != nil || got.Steps[0].Port != 4321 || string(got.Steps[0].Payload.Data) != "pw-"+p.Name {
		t.Fatalf("after rename: %+v, %v", got, err)
	}
	if err := b.Delete(ctx, p.Name+"-renamed"); err != nil {
		t.Fatal(err)
	}
	if _, err := ring.Get(ctx, p.ID); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("secret still in the keyring after delete: %v", err)
	}
}
