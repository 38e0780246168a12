package profile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/knocker/knocker/knock"
)

// newTestStore returns a store in a fresh folder and the warnings it gave.
func newTestStore(t *testing.T) (*Store, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var warnings []string
	s := NewStore(filepath.Join(t.TempDir(), "knocker"), func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		warnings = append(warnings, msg)
	})
	return s, &warnings
}

func sample(name string) Profile {
	return Profile{
		ID:          NewID(),
		Name:        name,
		Host:        "router.example",
		Family:      knock.PreferIPv6,
		Timeout:     2 * time.Hour,
		AutoRefresh: true,
		Verify:      &Verify{Port: 22, Timeout: 3 * time.Second, Retries: 2},
		Notes:       "rack 3\nsecond line",
		Created:     time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		LastKnocked: time.Date(2026, 2, 3, 4, 5, 6, 7, time.UTC),
	}
}

func TestStoreRoundTrip(t *testing.T) {
	minimal := Profile{ID: "x1", Name: "min", Host: "192.0.2.1"}
	tests := []struct {
		name     string
		profiles []Profile
	}{
		{"empty", nil},
		{"one minimal", []Profile{minimal}},
		{"full", []Profile{sample("office")}},
		{"several, unicode", []Profile{sample("office"), sample("Büro ✓"), {ID: "v6", Name: "v6", Host: "2001:db8::1", Family: knock.IPv6}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, warnings := newTestStore(t)
			err := s.Update(func(l *List) error { return addAll(l, tt.profiles) })
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Load()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Profiles, tt.profiles) && !(len(got.Profiles) == 0 && len(tt.profiles) == 0) {
				t.Fatalf("loaded\n%+v\nwant\n%+v", got.Profiles, tt.profiles)
			}
			if len(*warnings) > 0 {
				t.Fatalf("warnings: %q", *warnings)
			}
			fi, err := os.Stat(s.Path())
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Fatalf("profiles.json mode %v, want 0600", fi.Mode().Perm())
			}
			if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(s.Path()), tempPrefix+"*")); len(leftovers) > 0 {
				t.Fatalf("temporary files left: %v", leftovers)
			}
		})
	}
}

func TestStoreNeverSavesSteps(t *testing.T) {
	s, _ := newTestStore(t)
	p := sample("office")
	p.Steps = []knock.Step{{Proto: knock.UDP, Port: 4711, Payload: knock.Payload{Data: []byte("hunter2-payload")}}}
	if err := s.Update(func(l *List) error { return l.Add(p) }); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2", "4711", "steps"} {
		if bytes.Contains(data, []byte(secret)) {
			t.Fatalf("profiles.json holds %q:\n%s", secret, data)
		}
	}
}

func TestStoreMissingFile(t *testing.T) {
	s, _ := newTestStore(t)
	l, err := s.Load()
	if err != nil || len(l.Profiles) != 0 {
		t.Fatalf("Load of a missing file = %v, %v; want an empty list", l, err)
	}
	if _, err := os.Stat(filepath.Dir(s.Path())); !os.IsNotExist(err) {
		t.Fatalf("Load created the config folder (err %v)", err)
	}
}

func TestStoreFailedChangeWritesNothing(t *testing.T) {
	s, _ := newTestStore(t)
	if err := s.Update(func(l *List) error { return l.Add(sample("a")) }); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(s.Path())
	boom := errors.New("boom")
	err := s.Update(func(l *List) error {
		l.Profiles = nil
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	after, _ := os.ReadFile(s.Path())
	if !bytes.Equal(before, after) {
		t.Fatal("a failed change rewrote the file")
	}
}

func TestStoreRemovesStaleTemps(t *testing.T) {
	s, _ := newTestStore(t)
	if err := os.MkdirAll(filepath.Dir(s.Path()), 0o700); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(filepath.Dir(s.Path()), tempPrefix+"123")
	if err := os.WriteFile(stale, []byte(`{"version":1,"profi`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(func(l *List) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale temporary file survived a save (err %v)", err)
	}
}

func TestStoreCorruptFiles(t *testing.T) {
	valid := `{"version":1,"profiles":[{"id":"a","name":"a","host":"h","auto_refresh":false}]}`
	tests := []struct {
		name, content, reason string
	}{
		{"empty", "", "it is empty"},
		{"blank", " \n\t\n", "it is empty"},
		{"garbage", "\x00\x01binary", "line 1, column 1: not valid JSON"},
		{"truncated", valid[:len(valid)/2], "ends too early"},
		{"syntax on line 3", "{\n\"version\": 1,\n\"profiles\": [}\n", "line 3"},
		{"no version", `{"profiles":[]}`, "version: missing"},
		{"version zero", `{"version":0,"profiles":[]}`, "version: 0 is not a format version"},
		{"wrong type", `{"version":1,"profiles":[{"id":"a","name":7}]}`, "want a string, found number"},
		{"duplicate names", `{"version":1,"profiles":[{"id":"a","name":"x","host":"h"},{"id":"b","name":"X","host":"h"}]}`, `profiles[1]: a profile named "X" already exists`},
		{"duplicate ids", `{"version":1,"profiles":[{"id":"a","name":"x","host":"h"},{"id":"a","name":"y","host":"h"}]}`, "profiles[1].id: used by two profiles"},
		{"missing host", `{"version":1,"profiles":[{"id":"a","name":"x"}]}`, "profiles[0].host: missing"},
		{"bad family", `{"version":1,"profiles":[{"id":"a","name":"x","host":"h","family":"ipx"}]}`, "profiles[0].family"},
		{"secrets in file", `{"version":1,"profiles":[{"id":"a","name":"x","host":"h","steps":[{"proto":"udp","port":1}]}]}`, "secrets do not belong"},
		{"trailing data", valid + "{}", fmt.Sprintf("line 1, column %d: not valid JSON", len(valid)+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, warnings := newTestStore(t)
			dir := filepath.Dir(s.Path())
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(s.Path(), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			l, err := s.Load()
			if err != nil || len(l.Profiles) != 0 {
				t.Fatalf("Load = %d profiles, %v; want an empty list and no error", len(l.Profiles), err)
			}
			if len(*warnings) != 1 || !strings.Contains((*warnings)[0], tt.reason) || !strings.Contains((*warnings)[0], "moved to") {
				t.Fatalf("warnings %q do not say %q and where the file went", *warnings, tt.reason)
			}
			aside, _ := filepath.Glob(s.Path() + ".corrupt-*")
			if len(aside) != 1 {
				t.Fatalf("corrupt copies: %v, want one", aside)
			}
			if kept, _ := os.ReadFile(aside[0]); string(kept) != tt.content {
				t.Fatal("the moved-aside file differs from the original")
			}
			// The program goes on: saving works and starts afresh.
			if err := s.Update(func(l *List) error { return l.Add(sample("new")) }); err != nil {
				t.Fatal(err)
			}
			if l, err := s.Load(); err != nil || len(l.Profiles) != 1 {
				t.Fatalf("after recovery: %v, %v", l, err)
			}
		})
	}
}

func TestStoreFutureVersion(t *testing.T) {
	s, warnings := newTestStore(t)
	if err := os.MkdirAll(filepath.Dir(s.Path()), 0o700); err != nil {
		t.Fatal(err)
	}
	future := fmt.Appendf(nil, `{"version": %d, "profiles": [{"shape": "unknown to this build"}], "tls": {}}`, FormatVersion+1)
	if err := os.WriteFile(s.Path(), future, 0o600); err != nil {
		t.Fatal(err)
	}
	var ve *VersionError
	if _, err := s.Load(); !errors.As(err, &ve) || ve.Found != FormatVersion+1 || !strings.Contains(err.Error(), "update Knocker") {
		t.Fatalf("Load: err = %v, want a VersionError asking to update", err)
	}
	called := false
	err := s.Update(func(l *List) error { called = true; return nil })
	if !errors.As(err, &ve) || called {
		t.Fatalf("Update: err = %v, change called %v; want a VersionError before any change", err, called)
	}
	if got, _ := os.ReadFile(s.Path()); !bytes.Equal(got, future) {
		t.Fatal("a newer file was changed")
	}
	if aside, _ := filepath.Glob(s.Path() + ".corrupt-*"); len(aside) > 0 || len(*warnings) > 0 {
		t.Fatalf("a newer file was treated as corrupt: %v %q", aside, *warnings)
	}
}

// TestStoreHugeFile: a 100 MB file is refused from its size alone. It is
// sparse, so the test writes almost nothing, and a loader that read it
// whole would show in the memory it allocated.
func TestStoreHugeFile(t *testing.T) {
	s, warnings := newTestStore(t)
	if err := os.MkdirAll(filepath.Dir(s.Path()), 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"version":1,"profiles":[`); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(100 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	l, err := s.Load()
	runtime.ReadMemStats(&after)
	if read := after.TotalAlloc - before.TotalAlloc; read > 10<<20 {
		t.Fatalf("refusing a 100 MB file allocated %d bytes: it was read", read)
	}
	if err != nil || len(l.Profiles) != 0 {
		t.Fatalf("Load = %v, %v", l, err)
	}
	if len(*warnings) != 1 || !strings.Contains((*warnings)[0], fmt.Sprint(100<<20)) {
		t.Fatalf("warnings %q do not give the size", *warnings)
	}
}

func TestDecodeListLimitHolds(t *testing.T) {
	// Just above the limit, read through a file that Stat cannot see grow.
	data := make([]byte, MaxFileSize+10)
	copy(data, `{"version":1}`)
	s, warnings := newTestStore(t)
	if err := os.MkdirAll(filepath.Dir(s.Path()), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Path(), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(); err != nil || len(*warnings) != 1 {
		t.Fatalf("err %v warnings %q", err, *warnings)
	}
}

// TestStoreConcurrentUpdates: every save re-reads under the lock, so no
// writer loses another's profile. Each goroutine has its own Store and so
// its own lock file descriptor, as separate processes would.
func TestStoreConcurrentUpdates(t *testing.T) {
	s, _ := newTestStore(t)
	const writers, each = 4, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			mine := NewStore(filepath.Dir(s.Path()), nil)
			for i := range each {
				errs <- mine.Update(func(l *List) error { return l.Add(sample(fmt.Sprintf("w%d-%d", w, i))) })
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	l, err := s.Load()
	if err != nil || len(l.Profiles) != writers*each {
		t.Fatalf("%d profiles, %v; want %d", len(l.Profiles), err, writers*each)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("KNOCKER_CONFIG_DIR", "/some/where")
	if d, err := DefaultDir(); err != nil || d != "/some/where" {
		t.Fatalf("DefaultDir = %q, %v", d, err)
	}
	t.Setenv("KNOCKER_CONFIG_DIR", "")
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	t.Setenv("HOME", "/home/u")
	want := "/xdg/knocker"
	if d, err := DefaultDir(); err != nil || d != want {
		t.Fatalf("DefaultDir = %q, %v; want %q", d, err, want)
	}
}
