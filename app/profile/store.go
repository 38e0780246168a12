package profile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FileName is the profile list's name in the config folder.
const FileName = "profiles.json"

// MaxFileSize bounds what the loader reads. A profile is a few hundred bytes
// without its steps, so 8 MiB holds tens of thousands; anything larger is not
// a file Knocker wrote, and is refused without being read into memory.
const MaxFileSize = 8 << 20

// LockTimeout is how long a save waits for another Knocker process to finish
// its own; saves take milliseconds, so hitting it means a stuck process.
const LockTimeout = 10 * time.Second

// DefaultDir is the config folder: $KNOCKER_CONFIG_DIR, else the system's
// user config folder with "knocker" appended.
func DefaultDir() (string, error) {
	if d := os.Getenv("KNOCKER_CONFIG_DIR"); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the config folder (set KNOCKER_CONFIG_DIR): %w", err)
	}
	return filepath.Join(base, "knocker"), nil
}

// Store is profiles.json in one folder.
//
// Saves are safe against crashes and against other Knocker processes: each
// save holds an exclusive lock on profiles.json.lock (a separate file, since
// the data file is replaced by rename), re-reads the file under the lock,
// applies the change, and replaces the file atomically (temporary file in the
// same folder, fsync, rename, fsync of the folder). Loads need no lock, as a
// rename is atomic; only moving a corrupt file aside takes it.
type Store struct {
	dir  string
	warn func(string)
}

// NewStore returns the store in dir. warn receives messages the user must
// see but that do not stop the program, such as a corrupt file moved aside.
func NewStore(dir string, warn func(msg string)) *Store {
	if warn == nil {
		warn = func(string) {}
	}
	return &Store{dir: dir, warn: warn}
}

// Path is the profile file's path.
func (s *Store) Path() string { return filepath.Join(s.dir, FileName) }

func (s *Store) lockPath() string { return s.Path() + ".lock" }

const tempPrefix = FileName + tempSuffix

// CorruptError says why profiles.json could not be read.
type CorruptError struct{ Reason error }

func (e *CorruptError) Error() string { return FileName + " is unreadable: " + e.Reason.Error() }
func (e *CorruptError) Unwrap() error { return e.Reason }

// Load returns the saved profiles (without steps). A missing file is an
// empty list. A corrupt one is moved aside, reported through warn, and an
// empty list returned, so the program still starts. A file of a newer format
// is a *VersionError and stays as it is.
func (s *Store) Load() (List, error) {
	l, err := s.read()
	if !errors.As(err, new(*CorruptError)) {
		return l, err
	}
	var out List
	err = s.locked(func() error {
		var err error
		out, err = s.readRecovering()
		return err
	})
	return out, err
}

// Update applies change to the current list and saves the result, all under
// the lock, so concurrent processes never lose each other's changes. If
// change fails, nothing is written.
func (s *Store) Update(change func(*List) error) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("cannot create the config folder: %w", err)
	}
	return s.locked(func() error {
		s.removeStaleTemps()
		l, err := s.readRecovering()
		if err != nil {
			return err
		}
		if err := change(&l); err != nil {
			return err
		}
		return s.write(l)
	})
}

// readRecovering reads the file and, holding the lock, moves a corrupt one aside.
func (s *Store) readRecovering() (List, error) {
	l, err := s.read()
	var corrupt *CorruptError
	if !errors.As(err, &corrupt) {
		return l, err
	}
	aside := fmt.Sprintf("%s.corrupt-%s", s.Path(), time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.Rename(s.Path(), aside); err != nil {
		return List{}, fmt.Errorf("%w; moving it aside failed: %v", corrupt, err)
	}
	s.warn(fmt.Sprintf("%v; it was moved to %s and Knocker goes on with no saved profiles (their secrets are still in the keyring)", corrupt, aside))
	return List{}, nil
}

func (s *Store) read() (List, error) {
	f, err := os.Open(s.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return List{}, nil
	}
	if err != nil {
		return List{}, fmt.Errorf("cannot read %s: %w", FileName, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > MaxFileSize {
		return List{}, &CorruptError{fmt.Errorf("it is %d bytes, more than the %d a profile list can be", fi.Size(), MaxFileSize)}
	}
	// The limit holds even if the file grew after Stat.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return List{}, fmt.Errorf("cannot read %s: %w", FileName, err)
	}
	if len(data) > MaxFileSize {
		return List{}, &CorruptError{fmt.Errorf("it is more than %d bytes", MaxFileSize)}
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return List{}, &CorruptError{errors.New("it is empty")}
	}
	l, dropped, err := decodeList(data)
	for _, msg := range dropped {
		s.warn(msg)
	}
	var ve *VersionError
	if errors.As(err, &ve) {
		return List{}, fmt.Errorf("%s was %w", s.Path(), err)
	}
	if err != nil {
		return List{}, &CorruptError{err}
	}
	return l, nil
}

var errSecretsInFile = errors.New("secrets do not belong in this file")

// decodeList reads a profiles.json. An after-knock URL that today's rules
// refuse (ValidateOpenURL grew stricter) is dropped with a message rather
// than opened, or than failing the whole list; the next save leaves it out.
func decodeList(data []byte) (l List, dropped []string, err error) {
	doc, err := decodeDoc(data, false)
	if err != nil {
		return List{}, nil, err
	}
	a := l.adder()
	a.refused = savedRune
	for i := range doc.Profiles {
		j := &doc.Profiles[i]
		// A file with secrets in it must not be read as if it were fine.
		if len(j.Steps) > 0 {
			return List{}, nil, fieldErr(fmt.Sprintf("profiles[%d].steps", i), errSecretsInFile)
		}
		if j.SPA != nil && j.SPA.hasKeys() {
			return List{}, nil, fieldErr(fmt.Sprintf("profiles[%d].spa", i), errSecretsInFile)
		}
		if err := ValidateOpenURL(j.OpenURL); err != nil {
			dropped = append(dropped, fmt.Sprintf("profile %s: its after-knock URL is not opened any more (%v); set one in the editor", quoted(j.Name), err))
			j.OpenURL = ""
		}
		p, err := fromJSON(j, savedRune)
		if err == nil {
			err = a.add(p)
		}
		if err != nil {
			return List{}, nil, fieldErr(fmt.Sprintf("profiles[%d]", i), err)
		}
	}
	return l, dropped, nil
}

func encodeList(l List) ([]byte, error) {
	doc := document{Profiles: make([]profileJSON, len(l.Profiles))}
	for i := range l.Profiles {
		doc.Profiles[i] = toJSON(&l.Profiles[i], false, true)
	}
	return marshalDoc(doc)
}

// write replaces the file atomically: a crash at any point leaves either
// the old file or the new one, never a mix. Callers hold the lock.
func (s *Store) write(l List) error {
	data, err := encodeList(l)
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(s.Path(), data, 0o600); err != nil {
		return fmt.Errorf("cannot save profiles: %w", err)
	}
	return nil
}

// removeStaleTemps deletes temporary files left by a process killed while
// saving. Callers hold the lock, so no save is in progress.
func (s *Store) removeStaleTemps() {
	names, _ := filepath.Glob(filepath.Join(s.dir, tempPrefix+"*"))
	for _, n := range names {
		os.Remove(n)
	}
}

// locked runs fn holding the exclusive lock on the lock file.
func (s *Store) locked(fn func() error) error {
	f, err := os.OpenFile(s.lockPath(), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("cannot lock the profile list: %w", err)
	}
	defer f.Close()
	deadline := time.Now().Add(LockTimeout)
	for {
		ok, err := tryLock(f)
		if err != nil {
			return fmt.Errorf("cannot lock the profile list: %w", err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("another Knocker process has held %s for over %v; close it and try again", s.lockPath(), LockTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
	defer unlock(f)
	return fn()
}
