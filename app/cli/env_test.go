package cli

import (
	"context"
	"io"
	"testing"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/app/secret"
)

// testProfiles is what the commands of the running test see: the book of
// useTestProfiles, and a stand-in for the window. Tests that use it do not
// run in parallel.
var testProfiles struct {
	book    *profile.Book
	notices *profile.Notices
	window  func(ctx context.Context, book *profile.Book) error
}

// useTestProfiles gives the test its own config folder and an in-memory
// keyring (or ring, if given), and returns the keyring.
func useTestProfiles(t *testing.T, ring secret.Store) secret.Store {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("KNOCKER_CONFIG_DIR", dir)
	if ring == nil {
		ring = &secret.Memory{}
	}
	notices := new(profile.Notices)
	testProfiles.book = &profile.Book{Store: profile.NewStore(dir, notices.Add), Secrets: ring}
	testProfiles.notices = notices
	t.Cleanup(func() { testProfiles.book, testProfiles.notices = nil, nil })
	return ring
}

// useTestWindow has knocker demo open window instead of the real one.
func useTestWindow(t *testing.T, window func(ctx context.Context, book *profile.Book) error) {
	testProfiles.window = window
	t.Cleanup(func() { testProfiles.window = nil })
}

// testEnv is the Env main would build, over the test's profiles.
func testEnv(stdin io.Reader, stdout, stderr io.Writer) *Env {
	return &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Book: testProfiles.book, Notices: testProfiles.notices, Window: testProfiles.window}
}
