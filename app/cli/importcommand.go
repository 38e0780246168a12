package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/knocker/knocker/app/profile"
)

// importCommand adds the profile that a command line someone knocks with
// today describes (knocker import --command 'LINE' [NAME]). The line is
// only read, never run; its payloads go to the keyring like any import's
// and are never printed.
func importCommand(ctx context.Context, io IO, fs *flag.FlagSet, line string, pos []string) error {
	if flagGiven(fs, "host", "scrub-source") {
		return usagef("--command names its own host; --host and --scrub-source are for files")
	}
	if len(pos) > 1 {
		return usagef("--command takes at most one NAME after it (the line itself is the source)")
	}
	imp, err := profile.ParseCommand(line)
	if err != nil {
		if imp.Format != "" {
			return usagef("--command: %w (read as %s)", err, imp.Format)
		}
		return usagef("--command: %w", err)
	}
	p := &imp.Profiles[0]
	if len(pos) == 1 {
		if err := profile.ValidateName(pos[0]); err != nil {
			return usagef("NAME: %w", err)
		}
		p.Name = pos[0]
	}
	for _, w := range imp.Warnings {
		fmt.Fprintf(io.Stderr, "knocker: warning: --command: %s\n", w)
	}
	book, err := openBook(io.Stderr)
	if err != nil {
		return err
	}
	if err := book.Add(ctx, imp.Profiles); err != nil {
		return usagef("nothing imported: %w; or give this one a NAME after the line", err)
	}
	fmt.Fprintf(io.Stdout, "imported profile %s from the %s: %d step%s knocking %s\n",
		p.Name, imp.Format, len(p.Steps), plural(len(p.Steps)), p.Host)
	return nil
}
