//go:build headless

package main

import (
	"context"

	"github.com/knocker/knocker/app/profile"
)

// openWindow never runs a window: this build has none, and the command
// line says so where a window would open.
func openWindow([]string, *profile.Book, *profile.Notices, error) (opened bool, err error) {
	return false, nil
}

// demoWindow is nil: knocker demo points to the demo router instead.
var demoWindow func(context.Context, *profile.Book) error
