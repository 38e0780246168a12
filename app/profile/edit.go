package profile

import (
	"context"
	"errors"
	"fmt"
)

// Update saves an edited profile, found by its ID: the steps to the keyring
// first, then the rest to profiles.json. If the file cannot be written, the
// old steps go back to the keyring, so the two never disagree.
func (b *Book) Update(ctx context.Context, p Profile) error {
	current, err := b.Store.Load()
	if err != nil {
		return err
	}
	i := current.indexID(p.ID)
	if i < 0 {
		return &NotFoundError{Name: p.Name}
	}
	if err := replace(&current, p); err != nil {
		return err
	}
	value, err := EncodeSecret(&p)
	if err != nil {
		return err
	}
	old, oldErr := b.Secrets.Get(ctx, p.ID)
	if err := b.Secrets.Set(ctx, p.ID, value); err != nil {
		return fmt.Errorf("profile %q: %w", p.Name, err)
	}
	if err := b.Store.Update(func(l *List) error { return replace(l, p) }); err != nil {
		restore := context.WithoutCancel(ctx)
		if oldErr == nil {
			_ = b.Secrets.Set(restore, p.ID, old)
		} else {
			_ = b.Secrets.Delete(restore, p.ID)
		}
		return err
	}
	return nil
}

// replace puts p in place of the profile with its ID, checking it as Add does.
func replace(l *List, p Profile) error {
	i := l.indexID(p.ID)
	if i < 0 {
		return &NotFoundError{Name: p.Name}
	}
	if err := p.validate(); err != nil {
		return err
	}
	if j := l.Index(p.Name); j >= 0 && j != i {
		return &ExistsError{Name: p.Name}
	}
	// A URL the user typed in needs no consent; an imported one keeps
	// needing it while it is unchanged.
	old := l.Profiles[i]
	p.OpenURLImported = old.OpenURLImported && p.OpenURL == old.OpenURL
	l.Profiles[i] = p.public()
	return nil
}

// SetAutoRefresh turns re-knocking on or off for the profile with id; it
// needs no keyring.
func (b *Book) SetAutoRefresh(id string, on bool) error {
	return b.Store.Update(func(l *List) error {
		i := l.indexID(id)
		if i < 0 {
			return errors.New("the profile was deleted meanwhile")
		}
		if on && l.Profiles[i].Timeout <= 0 {
			return fmt.Errorf("profile %q: re-knocking needs the router's timeout (edit the profile to set it)", l.Profiles[i].Name)
		}
		l.Profiles[i].AutoRefresh = on
		return nil
	})
}
