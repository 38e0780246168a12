package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/internal/plural"
	"github.com/knocker/knocker/knock"
)

// profileUsage is the help text of the saved-profile commands.
var profileUsage = map[string]string{
	"knock": `Usage: knocker knock [-v] NAME

Knock the saved profile NAME with the steps kept in the keyring; for an
SPA profile, send one fresh fwknop packet made with its keys.
  -v    print each step as it is sent, with time and addresses`,
	"list": `Usage: knocker list

Print the saved profiles, one a line: name, host, and when last knocked
(tab-separated). Steps are secret and never shown; no keyring is needed.`,
	"import": `Usage: knocker import [--host HOST] [--scrub-source] FILE|-
       knocker import --command 'LINE' [NAME]

Add the profiles in FILE (or standard input) and put their secrets (steps,
SPA keys) in the keyring. The format is detected and named:
  Knocker JSON         as written by knocker export --with-secrets
  Knock on Ports JSON  the Android app's export, format version 1 or legacy
  knockd.conf          sections become profiles knocking HOST (--host)
  ~/.fwknoprc          fwknop client stanzas become SPA profiles
  RouterOS             an export (/export, /ip firewall export), a script or
                       one command a line: each knock the rules let in becomes
                       a profile knocking HOST (--host), named after the list
                       that grants access; chains that are no knock (such as
                       brute-force ladders) are left out, with why
Settings Knocker cannot honour are reported as warnings. A knockd.conf
section or .fwknoprc stanza Knocker cannot knock (tcpflags other than syn,
one_time_sequences, a knockd fork's setting, GnuPG, NAT, a stanza without
keys) is left out and named on stderr with the reason; the others import,
and only a file with nothing to import fails. Nothing is changed unless
every profile imported is valid and its name is free.
A file may hold at most 1000 profiles of at most 100 steps each.

  --scrub-source   for a .fwknoprc: after a successful import, rewrite FILE
                   (or the file it links to) with its key lines replaced by
                   comments (the keys are now in the keyring); a file with
                   other hard links is refused before anything is imported;
                   never done without this flag
  --command LINE   read the knock from the command you use today instead of
                   a file: an nping one-liner, a knock line or a knocker send
                   line, read as that tool reads it. Nothing is run. The
                   profile is called NAME, or after the host; where it
                   differs from what the tool sends, or the line asks for
                   what a profile cannot hold, a warning says so.`,
	"export": `Usage: knocker export [--with-secrets] [--format knocker|knockonports] NAME...|--all

Print profiles as Knocker JSON. Steps and SPA keys are secret and left out
unless --with-secrets is given (then the keyring is read).
--format knockonports writes a file for the Knock on Ports Android app; it
needs --with-secrets, since the app needs the steps. SPA profiles cannot be
written for it; settings it lacks are reported as warnings.`,
	"rename": `Usage: knocker rename NAME NEW-NAME

Rename a profile; its steps stay in the keyring.`,
	"delete": `Usage: knocker delete NAME

Delete a profile and its steps in the keyring.`,
}

// openProfile opens the book and reads the profile called name with its
// secret; failures are bad input (exit 2).
func openProfile(ctx context.Context, env *Env, name string) (*profile.Book, profile.Profile, error) {
	book, err := env.book()
	if err != nil {
		return nil, profile.Profile{}, err
	}
	p, err := book.Get(ctx, name)
	return book, p, bookErr(err)
}

// bookErr marks profile and keyring failures as exit code 2: only a knock
// that was sent and failed exits with 1.
func bookErr(err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return classify(err)
	}
	return usageError{err}
}

func runKnock(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet("knock")
	verbose := fs.Bool("v", false, "")
	pos, err := parseFlags(fs, env, args, profileUsage["knock"])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one profile NAME (see knocker list)")
	}
	book, p, err := openProfile(ctx, env, pos[0])
	if err != nil {
		return err
	}
	var hooks knock.Hooks
	if *verbose {
		hooks = verboseHooks(env.Stdout)
	}
	_, err = book.Knock(ctx, p, hooks, nil)
	if errors.Is(err, profile.ErrNotRecorded) {
		fmt.Fprintf(env.Stderr, "knocker: warning: %v\n", err)
		return nil
	}
	return classify(err)
}

func runList(_ context.Context, env *Env, args []string) error {
	pos, err := parseFlags(newFlagSet("list"), env, args, profileUsage["list"])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("takes no arguments")
	}
	book, err := env.book()
	if err != nil {
		return err
	}
	l, err := book.List()
	if err != nil {
		return bookErr(err)
	}
	for _, p := range l.Profiles {
		last := "never knocked"
		if !p.LastKnocked.IsZero() {
			last = "last knocked " + p.LastKnocked.Local().Format(time.DateTime)
		}
		// Names saved by older builds may hold invisible characters.
		fmt.Fprintf(env.Stdout, "%s\t%s\t%s\n", profile.Printable(p.Name), profile.Printable(p.Host), last)
	}
	return nil
}

func runImport(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet("import")
	host := fs.String("host", "", "")
	scrub := fs.Bool("scrub-source", false, "")
	command := fs.String("command", "", "")
	pos, err := parseFlags(fs, env, args, profileUsage["import"])
	if err != nil {
		return err
	}
	if flagGiven(fs, "command") {
		return importCommand(ctx, env, fs, *command, pos)
	}
	if len(pos) != 1 {
		return usagef("want one FILE, or - for standard input")
	}
	data, err := readImport(env.Stdin, pos[0])
	if err != nil {
		return usageError{err}
	}
	imp, err := profile.ParseImport(data, *host)
	if err != nil {
		// The format is named last, so the line still starts with the place at fault.
		return usagef("%s: %w (read as %s)", pos[0], err, imp.Format)
	}
	if *scrub && (imp.Format != profile.FormatFwknoprc || pos[0] == "-") {
		return usagef("--scrub-source rewrites a .fwknoprc FILE; %s is %s", pos[0], imp.Format)
	}
	if *scrub {
		// Refused before anything is imported, so the user can fix it and
		// run the same command again.
		if _, err := profile.ScrubTarget(pos[0]); err != nil {
			return usagef("nothing imported: --scrub-source cannot rewrite %s: %w", pos[0], err)
		}
	}
	book, err := env.book()
	if err != nil {
		return err
	}
	if err := book.Add(ctx, imp.Profiles); err != nil {
		return usagef("nothing imported: %w", err)
	}
	// Only now: a refused import says one line and nothing else.
	for _, w := range imp.Warnings {
		fmt.Fprintf(env.Stderr, "knocker: warning: %s: %s\n", pos[0], w)
	}
	for _, s := range imp.Skipped {
		fmt.Fprintf(env.Stderr, "knocker: left out: %s: %s\n", pos[0], s)
	}
	names := make([]string, len(imp.Profiles))
	for i, p := range imp.Profiles {
		names[i] = p.Name
	}
	fmt.Fprintf(env.Stdout, "imported %s from %s: %s\n", plural.Count(len(names), "profile", "profiles"), imp.Format, strings.Join(names, ", "))
	if imp.Format != profile.FormatFwknoprc {
		return nil
	}
	if !*scrub {
		fmt.Fprintf(env.Stdout, "the keys are in the keyring now and still in plain text in %s: remove them with knocker import --scrub-source (the profiles stay)\n", pos[0])
		return nil
	}
	return scrubFwknoprc(env.Stdout, pos[0], data)
}

// scrubFwknoprc replaces the key lines of the .fwknoprc just imported, or
// of the file it links to, atomically and keeping its mode and owner, so a
// crash leaves the old file or the new one. A file changed since it was
// read is left alone.
func scrubFwknoprc(stdout io.Writer, name string, imported []byte) error {
	target, n, err := profile.ScrubFwknoprcFile(name, imported)
	if err != nil {
		return fmt.Errorf("imported, but %s was not scrubbed (it is unchanged): %w", name, err)
	}
	if fi, err := os.Lstat(name); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		name = fmt.Sprintf("%s (the file %s links to)", target, name)
	}
	if n == 0 {
		fmt.Fprintf(stdout, "%s holds no key lines: left unchanged\n", name)
		return nil
	}
	fmt.Fprintf(stdout, "scrubbed %s: %s replaced by comments; fwknop itself now needs the keys another way (e.g. fwknop --get-key)\n", name, plural.Count(n, "key line", "key lines"))
	return nil
}

// readImport reads FILE or stdin ("-"), refusing more than any profile file
// can hold without reading it all.
func readImport(stdin io.Reader, name string) ([]byte, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, profile.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > profile.MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes: not a profile file", name, profile.MaxFileSize)
	}
	return data, nil
}

func runExport(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet("export")
	all := fs.Bool("all", false, "")
	withSecrets := fs.Bool("with-secrets", false, "")
	format := fs.String("format", "knocker", "")
	names, err := parseFlags(fs, env, args, profileUsage["export"])
	if err != nil {
		return err
	}
	switch {
	case *format != "knocker" && *format != "knockonports":
		return usagef("unknown --format %q (want knocker or knockonports)", *format)
	case *format == "knockonports" && !*withSecrets:
		return usagef("--format knockonports writes the steps, which are secret: add --with-secrets")
	case *all && len(names) > 0:
		return usagef("give profile names or --all, not both")
	case !*all && len(names) == 0:
		return usagef("want profile names or --all (see knocker list)")
	}
	book, err := env.book()
	if err != nil {
		return err
	}
	l, err := book.List()
	if err != nil {
		return bookErr(err)
	}
	ps := l.Profiles
	if !*all {
		ps = make([]profile.Profile, len(names))
		for i, n := range names {
			if ps[i], err = l.Get(n); err != nil {
				return bookErr(err)
			}
		}
	}
	if *format == "knockonports" && *all {
		// The app has no SPA: with --all, those are left out, and said so.
		ps = slices.DeleteFunc(ps, func(p profile.Profile) bool {
			if p.SPA != nil {
				fmt.Fprintf(env.Stderr, "knocker: warning: profile %q is SPA, which Knock on Ports lacks: left out\n", p.Name)
			}
			return p.SPA != nil
		})
	}
	if *withSecrets {
		if ps, err = book.WithSteps(ctx, ps); err != nil {
			return bookErr(err)
		}
	}
	var out []byte
	if *format == "knockonports" {
		var warnings []string
		if out, warnings, err = profile.ExportKnockOnPorts(ps); err != nil {
			return usageError{err}
		}
		for _, w := range warnings {
			fmt.Fprintf(env.Stderr, "knocker: warning: %s\n", w)
		}
	} else if out, err = profile.Export(ps, profile.ExportSecrets(*withSecrets)); err != nil {
		return err
	}
	_, err = env.Stdout.Write(out)
	return err
}

// runFwknopdConfig prints the fwknopd access.conf stanza of the SPA profile
// NAME: knocker router-config NAME --format fwknopd.
func runFwknopdConfig(ctx context.Context, env *Env, pos []string) error {
	if len(pos) != 1 {
		return usagef("--format fwknopd takes one saved SPA profile NAME")
	}
	_, p, err := openProfile(ctx, env, pos[0])
	if err != nil {
		return err
	}
	stanza, err := p.FwknopdAccess()
	if err != nil {
		return usageError{err}
	}
	_, err = fmt.Fprint(env.Stdout, stanza)
	return err
}

func runRename(_ context.Context, env *Env, args []string) error {
	book, pos, err := bookArgs(env, "rename", args, 2, "want NAME and NEW-NAME")
	if err != nil {
		return err
	}
	return bookErr(book.Rename(pos[0], pos[1]))
}

func runDelete(ctx context.Context, env *Env, args []string) error {
	book, pos, err := bookArgs(env, "delete", args, 1, "want one profile NAME")
	if err != nil {
		return err
	}
	return bookErr(book.Delete(ctx, pos[0]))
}

// bookArgs reads the arguments of a command that changes a saved profile:
// exactly n of them (else want says what), and the book they go to.
func bookArgs(env *Env, cmd string, args []string, n int, want string) (*profile.Book, []string, error) {
	pos, err := parseFlags(newFlagSet(cmd), env, args, profileUsage[cmd])
	if err != nil {
		return nil, nil, err
	}
	if len(pos) != n {
		return nil, nil, usagef("%s", want)
	}
	book, err := env.book()
	return book, pos, err
}
