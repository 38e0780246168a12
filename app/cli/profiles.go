package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/app/secret"
)

// profileUsage is the help text of the saved-profile commands.
var profileUsage = map[string]string{
	"knock": `Usage: knocker knock [-v] NAME

Knock the saved profile NAME with the steps kept in the keyring.
  -v    print each step as it is sent, with time and addresses`,
	"list": `Usage: knocker list

Print the saved profiles, one a line: name, host, and when last knocked
(tab-separated). Steps are secret and never shown; no keyring is needed.`,
	"import": `Usage: knocker import [--host HOST] FILE|-

Add the profiles in FILE (or standard input) and put their steps in the
keyring. FILE is Knocker JSON (as written by export --with-secrets) or a
knockd.conf, whose sections become profiles knocking HOST. Nothing is
changed unless every profile in the file is valid and its name is free.`,
	"export": `Usage: knocker export [--with-secrets] [--format knocker] NAME...|--all

Print profiles as Knocker JSON. Steps are secret and left out unless
--with-secrets is given (then the keyring is read).`,
	"rename": `Usage: knocker rename NAME NEW-NAME

Rename a profile; its steps stay in the keyring.`,
	"delete": `Usage: knocker delete NAME

Delete a profile and its steps in the keyring.`,
}

// newSecrets opens the keyring; tests put an in-memory store here.
var newSecrets = func() secret.Store { return secret.NewKeyring(secret.DefaultTimeout) }

func openBook(stderr io.Writer) (*profile.Book, error) {
	dir, err := profile.DefaultDir()
	if err != nil {
		return nil, usageError{err}
	}
	warn := func(msg string) { fmt.Fprintf(stderr, "knocker: warning: %s\n", msg) }
	return &profile.Book{Store: profile.NewStore(dir, warn), Secrets: newSecrets()}, nil
}

// bookErr marks profile and keyring failures as exit code 2: only a knock
// that was sent and failed exits with 1.
func bookErr(err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return classify(err)
	}
	return usageError{err}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func runKnock(ctx context.Context, io IO, args []string) error {
	fs := newFlagSet("knock")
	verbose := fs.Bool("v", false, "")
	pos, err := parseFlags(fs, io, args, profileUsage["knock"])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one profile NAME (see knocker list)")
	}
	book, err := openBook(io.Stderr)
	if err != nil {
		return err
	}
	p, err := book.Get(ctx, pos[0])
	if err != nil {
		return bookErr(err)
	}
	k := p.Knocker()
	if *verbose {
		k.Hooks = verboseHooks(io.Stdout)
	}
	if _, err := k.Knock(ctx, p.Host, p.Steps); err != nil {
		return classify(err)
	}
	if err := book.MarkKnocked(p.ID, time.Now()); err != nil {
		fmt.Fprintf(io.Stderr, "knocker: warning: knocked, but could not record the time: %v\n", err)
	}
	return nil
}

func runList(_ context.Context, io IO, args []string) error {
	pos, err := parseFlags(newFlagSet("list"), io, args, profileUsage["list"])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("takes no arguments")
	}
	book, err := openBook(io.Stderr)
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
		fmt.Fprintf(io.Stdout, "%s\t%s\t%s\n", p.Name, p.Host, last)
	}
	return nil
}

func runImport(ctx context.Context, io IO, args []string) error {
	fs := newFlagSet("import")
	host := fs.String("host", "", "")
	pos, err := parseFlags(fs, io, args, profileUsage["import"])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one FILE, or - for standard input")
	}
	data, err := readImport(io.Stdin, pos[0])
	if err != nil {
		return usageError{err}
	}
	imp, err := profile.ParseImport(data, *host)
	if err != nil {
		return usagef("%s: %w", pos[0], err)
	}
	for _, w := range imp.Warnings {
		fmt.Fprintf(io.Stderr, "knocker: warning: %s: %s\n", pos[0], w)
	}
	book, err := openBook(io.Stderr)
	if err != nil {
		return err
	}
	if err := book.Add(ctx, imp.Profiles); err != nil {
		return usagef("nothing imported: %w", err)
	}
	names := make([]string, len(imp.Profiles))
	for i, p := range imp.Profiles {
		names[i] = p.Name
	}
	fmt.Fprintf(io.Stdout, "imported %d profile%s: %s\n", len(names), plural(len(names)), strings.Join(names, ", "))
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

func runExport(ctx context.Context, io IO, args []string) error {
	fs := newFlagSet("export")
	all := fs.Bool("all", false, "")
	withSecrets := fs.Bool("with-secrets", false, "")
	format := fs.String("format", "knocker", "")
	names, err := parseFlags(fs, io, args, profileUsage["export"])
	if err != nil {
		return err
	}
	switch {
	case *format != "knocker":
		return usagef("unknown --format %q (want knocker)", *format)
	case *all && len(names) > 0:
		return usagef("give profile names or --all, not both")
	case !*all && len(names) == 0:
		return usagef("want profile names or --all (see knocker list)")
	}
	book, err := openBook(io.Stderr)
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
	if *withSecrets {
		if ps, err = book.WithSteps(ctx, ps); err != nil {
			return bookErr(err)
		}
	}
	out, err := profile.Export(ps, *withSecrets)
	if err != nil {
		return err
	}
	_, err = io.Stdout.Write(out)
	return err
}

func runRename(_ context.Context, io IO, args []string) error {
	pos, err := parseFlags(newFlagSet("rename"), io, args, profileUsage["rename"])
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("want NAME and NEW-NAME")
	}
	book, err := openBook(io.Stderr)
	if err != nil {
		return err
	}
	return bookErr(book.Rename(pos[0], pos[1]))
}

func runDelete(ctx context.Context, io IO, args []string) error {
	pos, err := parseFlags(newFlagSet("delete"), io, args, profileUsage["delete"])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one profile NAME")
	}
	book, err := openBook(io.Stderr)
	if err != nil {
		return err
	}
	return bookErr(book.Delete(ctx, pos[0]))
}
