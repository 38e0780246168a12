//go:build !unix

package app

// claimInstance has no single-instance lock here yet: every launch runs.
func claimInstance(func()) (bool, error) { return true, nil }
