package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/internal/plural"
)

// importCommand adds the profile that a command line someone knocks with
// today describes (knocker import --command 'LINE' [NAME]). The line is
// only read, never run; its payloads go to the keyring like any import's
// and are never printed.
func importCommand(ctx context.Context, env *Env, fs *flag.FlagSet, line string, pos []string) error {
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
	book, err := env.book()
	if err != nil {
		return err
	}
	if err := book.Add(ctx, imp.Profiles); err != nil {
		return usagef("nothing imported: %w; or give this one a NAME after the line", err)
	}
	// Only now: a refused import says one line and nothing else.
	for _, w := range imp.Warnings {
		fmt.Fprintf(env.Stderr, "knocker: warning: --command: %s\n", w)
	}
	fmt.Fprintf(env.Stdout, "imported profile %s from the %s: %s knocking %s\n",
		p.Name, imp.Format, plural.Count(len(p.Steps), "step", "steps"), p.Host)
	return nil
}
