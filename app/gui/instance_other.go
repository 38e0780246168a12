//go:build !unix && !windows

package gui

// claimInstance has no single-instance lock here yet: every launch runs.
func claimInstance(func()) (bool, error) { return true, nil }
