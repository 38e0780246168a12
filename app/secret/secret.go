// Package secret keeps the secret part of each profile (its knock steps, later
// SPA keys) out of plain files: in the OS keyring, one item per profile ID.
// It never imports the UI toolkit.
package secret

import (
	"context"
	"errors"
	"fmt"
)

// Service is the keyring service name every item is filed under.
const Service = "io.knocker.desktop"

// MaxSize is the largest value stored, in bytes. It is the smallest limit of
// the keyrings Knocker runs on (Windows Credential Manager: 2560 bytes), so a
// profile saved on Linux still fits when moved to Windows.
const MaxSize = 2560

// ErrNotFound is returned by Get and Delete when no secret is stored under an ID.
var ErrNotFound = errors.New("no secret stored for this profile")

// Store keeps secrets by profile ID. Values are opaque to it; error messages
// never contain them.
type Store interface {
	Get(ctx context.Context, id string) (string, error)
	Set(ctx context.Context, id, value string) error
	Delete(ctx context.Context, id string) error
}

// TooLargeError reports a value above MaxSize.
type TooLargeError struct{ Size int }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the secret part is %d bytes, more than the %d bytes a keyring item can hold on every system (Windows sets the limit): use fewer steps or shorter payloads", e.Size, MaxSize)
}

// CheckSize reports whether value fits in a keyring item, so callers can
// check a whole batch before writing any of it.
func CheckSize(value string) error {
	if len(value) > MaxSize {
		return &TooLargeError{Size: len(value)}
	}
	return nil
}
