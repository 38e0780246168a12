package profile

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/knocker/knocker/app/secret"
)

// Book is the saved profiles with their secrets: profiles.json for what may
// be seen, the keyring for the steps. Listing and renaming never touch the
// keyring, so they work while it is locked or missing.
type Book struct {
	Store   Shelf
	Secrets secret.Store
	// HTTP looks up the public address of SPA profiles that ask for it
	// (nil: the system's certificate authorities and proxy settings).
	HTTP *http.Client
}

// Shelf keeps what may be seen of the profiles, everything but their
// secrets: profiles.json (a Store), or a profile file read into memory.
type Shelf interface {
	// Load returns the profiles, without secrets.
	Load() (List, error)
	// Update applies change to the current profiles and keeps the result;
	// if change fails, nothing changes.
	Update(change func(*List) error) error
}

// List returns the saved profiles without steps.
func (b *Book) List() (List, error) { return b.Store.Load() }

// Get returns the profile called name with its steps from the keyring.
func (b *Book) Get(ctx context.Context, name string) (Profile, error) {
	return b.get(ctx, func(l List) (Profile, error) { return l.Get(name) })
}

// GetID is Get by the profile's ID, which stays when the profile is renamed
// (by another process, say, while the window shows it).
func (b *Book) GetID(ctx context.Context, id string) (Profile, error) {
	return b.get(ctx, withID(id))
}

func (b *Book) get(ctx context.Context, find func(List) (Profile, error)) (Profile, error) {
	l, err := b.Store.Load()
	if err != nil {
		return Profile{}, err
	}
	p, err := find(l)
	if err != nil {
		return Profile{}, err
	}
	if err := b.fillSteps(ctx, &p); err != nil {
		return Profile{}, err
	}
	return p, nil
}

// ErrDeleted is the error for a profile ID no longer saved.
var ErrDeleted = errors.New("the profile was deleted")

// ByID returns the listed profile with id.
func (l List) ByID(id string) (Profile, bool) {
	if i := l.indexID(id); i >= 0 {
		return l.Profiles[i], true
	}
	return Profile{}, false
}

// withID finds the profile with id for Book.get and Book.delete.
func withID(id string) func(List) (Profile, error) {
	return func(l List) (Profile, error) {
		if p, ok := l.ByID(id); ok {
			return p, nil
		}
		return Profile{}, ErrDeleted
	}
}

// WithSteps returns copies of ps with their steps read from the keyring.
func (b *Book) WithSteps(ctx context.Context, ps []Profile) ([]Profile, error) {
	out := slices.Clone(ps)
	for i := range out {
		if err := b.fillSteps(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (b *Book) fillSteps(ctx context.Context, p *Profile) error {
	v, err := b.Secrets.Get(ctx, p.ID)
	if errors.Is(err, secret.ErrNotFound) {
		return fmt.Errorf("profile %q has no secret (steps or SPA keys) in the keyring (a keyring from another machine or user?): delete it and import it again with its secrets", p.Name)
	}
	if err != nil {
		return fmt.Errorf("profile %q: %w", p.Name, err)
	}
	if p.SPA != nil {
		// The stored SPA part is shared with the List it came from.
		s := *p.SPA
		p.SPA = &s
	}
	if err := DecodeSecret(v, p); err != nil {
		return fmt.Errorf("profile %q: %w", p.Name, err)
	}
	return nil
}

// Add saves new profiles, steps included, all or nothing: secrets go to the
// keyring first (a profile without its secret would be useless), and if
// anything fails the secrets already written are removed again.
func (b *Book) Add(ctx context.Context, ps []Profile) error {
	// Name clashes are found before the keyring is asked anything.
	current, err := b.Store.Load()
	if err != nil {
		return err
	}
	if err := addAll(&current, ps); err != nil {
		return err
	}
	var written []string
	rollback := func() {
		ctx := context.WithoutCancel(ctx)
		for _, id := range written {
			_ = b.Secrets.Delete(ctx, id)
		}
	}
	for i := range ps {
		v, err := EncodeSecret(&ps[i])
		if err == nil {
			err = b.Secrets.Set(ctx, ps[i].ID, v)
		}
		if err != nil {
			rollback()
			return fmt.Errorf("profile %q: %w", ps[i].Name, err)
		}
		written = append(written, ps[i].ID)
	}
	// Checked again under the lock: another process may have saved meanwhile.
	if err := b.Store.Update(func(l *List) error { return addAll(l, ps) }); err != nil {
		rollback()
		return err
	}
	return nil
}

func addAll(l *List, ps []Profile) error {
	a := l.adder()
	for i := range ps {
		if err := a.add(ps[i]); err != nil {
			return err
		}
	}
	return nil
}

// Rename renames a profile; its secret stays under the same ID.
func (b *Book) Rename(name, newName string) error {
	return b.Store.Update(func(l *List) error { return l.Rename(name, newName) })
}

// Delete removes a profile and its secret. The secret goes first: if the
// keyring cannot be reached, nothing is deleted, rather than leaving a
// password behind that no profile points to.
func (b *Book) Delete(ctx context.Context, name string) error {
	return b.delete(ctx, func(l List) (Profile, error) { return l.Get(name) })
}

// DeleteID is Delete by the profile's ID.
func (b *Book) DeleteID(ctx context.Context, id string) error {
	return b.delete(ctx, withID(id))
}

func (b *Book) delete(ctx context.Context, find func(List) (Profile, error)) error {
	l, err := b.Store.Load()
	if err != nil {
		return err
	}
	p, err := find(l)
	if err != nil {
		return err
	}
	if err := b.Secrets.Delete(ctx, p.ID); err != nil && !errors.Is(err, secret.ErrNotFound) {
		return err
	}
	return b.Store.Update(func(l *List) error {
		// By ID: another process may have renamed it meanwhile.
		if i := l.indexID(p.ID); i >= 0 {
			l.Profiles = slices.Delete(l.Profiles, i, i+1)
		}
		return nil
	})
}

// MarkKnocked records when the profile with id was last knocked.
func (b *Book) MarkKnocked(id string, t time.Time) error {
	return b.Store.Update(func(l *List) error {
		if i := l.indexID(id); i >= 0 {
			l.Profiles[i].LastKnocked = t.UTC()
		}
		return nil
	})
}
