package profile

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/knocker/knocker/app/secret"
	"github.com/knocker/knocker/knock"
	"github.com/knocker/knocker/knock/routerconf"
)

func newTestBook(t *testing.T) (*Book, *secret.Memory) {
	t.Helper()
	mem := &secret.Memory{}
	return &Book{Store: NewStore(t.TempDir(), nil), Secrets: mem}, mem
}

func TestBookUpdate(t *testing.T) {
	b, _ := newTestBook(t)
	ctx := context.Background()
	p := Profile{ID: NewID(), Name: "office", Host: "192.0.2.1", Steps: []knock.Step{{Proto: knock.TCP, Port: 22}}}
	other := Profile{ID: NewID(), Name: "home", Host: "192.0.2.2", Steps: []knock.Step{{Proto: knock.TCP, Port: 23}}}
	if err := b.Add(ctx, []Profile{p, other}); err != nil {
		t.Fatal(err)
	}
	p.Name, p.Host, p.Timeout = "office 2", "192.0.2.3", time.Hour
	p.Steps = []knock.Step{{Proto: knock.UDP, Port: 1234, Payload: knock.Payload{Data: []byte("new")}}}
	if err := b.Update(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := b.Get(ctx, "office 2")
	if err != nil || got.Host != "192.0.2.3" || got.Timeout != time.Hour || got.Steps[0].Spec() != "1234:udp=new" {
		t.Fatalf("after update: %+v, %v", got, err)
	}

	clash := p
	clash.Name = "HOME"
	var exists *ExistsError
	if err := b.Update(ctx, clash); !errors.As(err, &exists) {
		t.Fatalf("renaming onto another profile's name: %v", err)
	}
	gone := p
	gone.ID = NewID()
	var notFound *NotFoundError
	if err := b.Update(ctx, gone); !errors.As(err, &notFound) {
		t.Fatalf("updating a deleted profile: %v", err)
	}
	if got, _ := b.Get(ctx, "office 2"); got.Steps[0].Spec() != "1234:udp=new" {
		t.Fatal("a refused update must leave the secret alone")
	}
}

// A locked keyring must leave the profile exactly as it was.
func TestBookUpdateKeyringFailure(t *testing.T) {
	b, mem := newTestBook(t)
	ctx := context.Background()
	p := Profile{ID: NewID(), Name: "office", Host: "192.0.2.1", Steps: []knock.Step{{Proto: knock.TCP, Port: 22}}}
	if err := b.Add(ctx, []Profile{p}); err != nil {
		t.Fatal(err)
	}
	b.Secrets = lockedKeyring{}
	p.Host = "192.0.2.99"
	if err := b.Update(ctx, p); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	b.Secrets = mem
	if got, _ := b.Get(ctx, "office"); got.Host != "192.0.2.1" {
		t.Fatal("the file changed although the keyring refused the steps")
	}
}

type lockedKeyring struct{}

func (lockedKeyring) Get(context.Context, string) (string, error) {
	return "", &secret.UnavailableError{Op: "read", Err: errors.New("locked")}
}
func (lockedKeyring) Set(context.Context, string, string) error {
	return &secret.UnavailableError{Op: "save", Err: errors.New("locked")}
}
func (lockedKeyring) Delete(context.Context, string) error {
	return &secret.UnavailableError{Op: "delete", Err: errors.New("locked")}
}

func TestSetAutoRefresh(t *testing.T) {
	b, _ := newTestBook(t)
	ctx := context.Background()
	withTimeout := Profile{ID: NewID(), Name: "a", Host: "h", Timeout: time.Hour, Steps: []knock.Step{{Proto: knock.TCP, Port: 1}}}
	noTimeout := Profile{ID: NewID(), Name: "b", Host: "h", Steps: []knock.Step{{Proto: knock.TCP, Port: 1}}}
	if err := b.Add(ctx, []Profile{withTimeout, noTimeout}); err != nil {
		t.Fatal(err)
	}
	b.Secrets = lockedKeyring{} // the switch must work without a keyring
	if err := b.SetAutoRefresh(withTimeout.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := b.SetAutoRefresh(noTimeout.ID, true); err == nil || !strings.Contains(err.Error(), "needs the router's timeout") {
		t.Fatalf("auto-refresh without a timeout: %v", err)
	}
	l, _ := b.List()
	if !l.Profiles[0].AutoRefresh || l.Profiles[1].AutoRefresh {
		t.Fatalf("saved %v %v", l.Profiles[0].AutoRefresh, l.Profiles[1].AutoRefresh)
	}
}

func TestRouterSpec(t *testing.T) {
	steps := []knock.Step{{Proto: knock.UDP, Port: 1234, Payload: knock.Payload{Data: []byte("test")}}}
	const id = "5f1c0e2ab54d4c3e9a8b7c6d5e4f3a2b" // sha256: 67e71a0f...
	tests := []struct {
		p       Profile
		name    string
		protect uint16
		family  knock.Family
	}{
		{Profile{ID: id, Name: "office", Host: "192.0.2.1", Steps: steps}, "office", 22, knock.IPv4},
		{Profile{ID: id, Name: "Office Router", Host: "192.0.2.1", Steps: steps}, "office-router-67e71a0f", 22, knock.IPv4},
		{Profile{ID: id, Name: "2nd site", Host: "2001:db8::1", Steps: steps, Verify: &Verify{Port: 8291}}, "knock-2nd-site-67e71a0f", 8291, knock.IPv6},
		{Profile{ID: id, Name: "Zürich ☃ gateway.lan", Host: "gw.example", Steps: steps}, "zrich-gateway-lan-67e71a0f", 22, knock.Auto},
		{Profile{ID: id, Name: "v4 only", Host: "gw.example", Family: knock.IPv4, Steps: steps}, "v4-only-67e71a0f", 22, knock.IPv4},
		{Profile{ID: id, Name: strings.Repeat("long", 20), Host: "h", Steps: steps}, "longlonglonglonglonglon-67e71a0f", 22, knock.Auto},
	}
	for _, tt := range tests {
		spec := tt.p.RouterSpec()
		if spec.Name != tt.name || spec.Protect.Port != tt.protect || spec.Family != tt.family {
			t.Errorf("%q: name %q protect %v family %v", tt.p.Name, spec.Name, spec.Protect, spec.Family)
		}
		if _, err := routerconf.NFTables(spec); err != nil {
			t.Errorf("%q: the spec must generate: %v", tt.p.Name, err)
		}
	}
}

func FuzzRouterName(f *testing.F) {
	for _, s := range []string{"office", "", "-", "1", "Ünïcode", "a b.c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		spec := (&Profile{ID: "0123456789abcdef0123456789abcdef", Name: name, Host: "h", Steps: []knock.Step{{Proto: knock.TCP, Port: 1}}}).RouterSpec()
		if _, err := routerconf.RouterOS(spec); err != nil {
			t.Fatalf("name %q became %q, which routers refuse: %v", name, spec.Name, err)
		}
	})
}
