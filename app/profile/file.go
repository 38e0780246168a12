package profile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/knocker/knocker/app/secret"
)

// FileEnv names the environment variable that points Knocker at a profile
// file instead of profiles.json and the keyring: for servers without a
// Secret Service, where the file comes from `knocker export --with-secrets`
// and reaches the process as a systemd credential.
const FileEnv = "KNOCKER_PROFILES"

// OpenFile reads a profile file (Knocker JSON with secrets) into a Book of
// its own. The file holds knocks, so, as ssh does with a private key, it is
// refused unless only its owner can read it and the owner is the user (or
// root). Knocker never writes it: the Book it gives may knock and record
// knock times for this process, but refuses every other change.
func OpenFile(path string) (*Book, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", FileEnv, err)
	}
	defer f.Close()
	info, err := f.Stat() // of the file opened, so it cannot be swapped after the check
	if err != nil {
		return nil, fmt.Errorf("%s: %w", FileEnv, err)
	}
	if err := checkPrivate(path, info); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", FileEnv, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: %s is larger than %d MiB", FileEnv, path, MaxFileSize>>20)
	}
	profiles, err := ParseKnocker(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", FileEnv, path, err)
	}
	shelf := &fileShelf{path: path}
	secrets := &secret.Memory{}
	for i := range profiles {
		// An ID of the name, not a random one per process: ssh-config
		// writes it into ~/.ssh/config, and the router knows a profile by a
		// name its ID may be part of; both must find it in the next process.
		profiles[i].ID = fileID(profiles[i].Name)
		if err := shelf.list.Add(profiles[i]); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", FileEnv, path, err)
		}
		v, err := EncodeSecret(&profiles[i])
		if err == nil {
			err = secrets.Set(context.Background(), profiles[i].ID, v)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", FileEnv, path, err)
		}
	}
	return &Book{Store: shelf, Secrets: fileSecrets{secrets, path}}, nil
}

// fileID is the ID of the profile called name in a profile file, which
// holds no IDs: the same for every process that reads the file, and
// distinct for distinct names, as a file's names are.
func fileID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "file-" + hex.EncodeToString(sum[:16])
}

// fileSecrets are a profile file's secrets in memory, as read.
type fileSecrets struct {
	*secret.Memory
	path string
}

func (s fileSecrets) Set(context.Context, string, string) error { return &ReadOnlyError{Path: s.path} }
func (s fileSecrets) Delete(context.Context, string) error      { return &ReadOnlyError{Path: s.path} }

// ReadOnlyError refuses a change to profiles that come from a file.
type ReadOnlyError struct{ Path string }

func (e *ReadOnlyError) Error() string {
	return fmt.Sprintf("the profiles come from %s (%s), which Knocker never changes: edit that file, or unset %s to use the saved profiles",
		e.Path, FileEnv, FileEnv)
}

// fileShelf is a profile file's profiles in memory.
type fileShelf struct {
	path string
	mu   sync.Mutex
	list List
}

func (s *fileShelf) Load() (List, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return List{Profiles: slices.Clone(s.list.Profiles)}, nil
}

// Update keeps a change of knock times, which lives as long as the process;
// any other change is a *ReadOnlyError.
func (s *fileShelf) Update(change func(*List) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := List{Profiles: slices.Clone(s.list.Profiles)}
	if err := change(&l); err != nil {
		return err
	}
	if !sameButKnockTimes(s.list.Profiles, l.Profiles) {
		return &ReadOnlyError{Path: s.path}
	}
	s.list = l
	return nil
}

func sameButKnockTimes(a, b []Profile) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		x.LastKnocked, y.LastKnocked = time.Time{}, time.Time{}
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}
