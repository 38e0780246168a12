// Package cli is Knocker's headless command line. It works over SSH without a
// display and never imports the UI toolkit.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/knocker/knocker/app/profile"
)

// Exit codes, a contract with scripts.
const (
	ExitOK     = 0 // every step sent (and verified, if asked)
	ExitFailed = 1 // the knock or its verification failed
	ExitUsage  = 2 // bad input, usage, missing profile or keyring error
)

// Version is set at build time with -ldflags "-X …/app/cli.Version=…".
var Version = ""

// Env is what the commands work with: the standard streams, the saved
// profiles, and the window where the build has one. main builds it; tests
// build their own.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Book           *profile.Book // the saved profiles over the keyring
	BookErr        error         // why there is no Book, such as no config folder
	// Notices are the Book's messages for the user, such as a corrupt
	// profiles.json moved aside; they go to Stderr as warnings.
	Notices *profile.Notices
	// Window opens the window over book for knocker demo and returns when
	// the user quits or ctx ends; nil in a build without a window. An error
	// means the window could not open, and the user has been told why.
	Window func(ctx context.Context, book *profile.Book) error
}

// book is the saved profiles, or why there are none (bad setup: exit 2).
func (env *Env) book() (*profile.Book, error) {
	switch {
	case env.BookErr != nil:
		return nil, usageError{env.BookErr}
	case env.Book == nil:
		return nil, usagef("this knocker has no saved profiles")
	}
	return env.Book, nil
}

type command struct {
	name    string
	summary string
	usage   string // the full help; "" means the summary says it all
	run     func(ctx context.Context, env *Env, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"send", "knock HOST with the steps given on the command line", sendUsage, runSend},
		{"knock", "knock a saved profile (steps from the keyring)", profileUsage["knock"], runKnock},
		{"keep", "keep saved profiles open: re-knock before expiry, without a window", keepUsage, runKeep},
		{"proxy", "knock a saved profile if needed, then connect: an OpenSSH ProxyCommand", proxyUsage, runProxy},
		{"ssh-config", "print an ~/.ssh/config Host block that knocks through knocker proxy", sshConfigUsage, runSSHConfig},
		{"list", "list saved profiles, one a line (no secrets)", profileUsage["list"], runList},
		{"import", "add profiles from Knocker JSON, Knock on Ports, knockd.conf, .fwknoprc or RouterOS rules", profileUsage["import"], runImport},
		{"export", "print profiles as Knocker or Knock on Ports JSON (secrets only with --with-secrets)", profileUsage["export"], runExport},
		{"rename", "rename a saved profile (its secret stays)", profileUsage["rename"], runRename},
		{"delete", "delete a saved profile and its secret", profileUsage["delete"], runDelete},
		{"router-config", "print RouterOS or nftables rules for a knock", routerConfigUsage, runRouterConfig},
		{"router-check", "check a saved profile's knock against the router's RouterOS rules", routerCheckUsage, runRouterCheck},
		{"demo-router", "a pretend router on this machine to knock on (a demo, not a security product)", demoRouterUsage, runDemoRouter},
		{"demo", "try Knocker without a router: the demo router and the window with a profile for it", demoUsage, runDemo},
		{"version", "print the version", "", runVersion},
		{"help", "show this help or a command's", "", runHelp},
	}
}

// Main runs the subcommand in args (without the program name) and returns the
// process exit code. Ctrl+C cancels a running knock at once.
func Main(env *Env, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, env, args)
}

// Run is Main with a caller's context.
func Run(ctx context.Context, env *Env, args []string) int {
	if env.Notices != nil {
		env.Notices.ShowWith(func(msg string) { fmt.Fprintf(env.Stderr, "knocker: warning: %s\n", msg) })
	}
	if len(args) == 0 {
		env.printUsage(env.Stderr)
		return ExitUsage
	}
	name := args[0]
	if name == "-h" || name == "--help" {
		name = "help"
	}
	for _, c := range commands {
		if c.name == name {
			return report(env.Stderr, c.name, c.run(ctx, env, args[1:]))
		}
	}
	fmt.Fprintf(env.Stderr, "knocker: unknown command %q (run \"knocker help\" for the list)\n", name)
	return ExitUsage
}

// usageError marks bad input: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// toldError is a failure the user has been told about already.
type toldError struct{ err error }

func (e toldError) Error() string { return e.err.Error() }
func (e toldError) Unwrap() error { return e.err }

// errHelp is returned after help was printed on request.
var errHelp = errors.New("help shown")

// report prints err as one line on stderr and picks the exit code.
func report(stderr io.Writer, cmd string, err error) int {
	if err == nil || errors.Is(err, errHelp) {
		return ExitOK
	}
	if errors.As(err, new(toldError)) {
		return ExitFailed
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	fmt.Fprintf(stderr, "knocker %s: %s\n", cmd, msg)
	if errors.As(err, new(usageError)) {
		return ExitUsage
	}
	return ExitFailed
}

// parseInterspersed lets flags follow positional arguments, as in
// "knocker send HOST 1234 -v"; "--" ends flag parsing.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// newFlagSet makes a flag set whose parse errors come back as one-line usage
// errors instead of being printed with the whole flag list.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags wraps parseInterspersed, turning -h into help text on stdout.
func parseFlags(fs *flag.FlagSet, env *Env, args []string, usage string) ([]string, error) {
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(env.Stdout, usage)
		return nil, errHelp
	}
	if err != nil {
		return nil, usageError{err}
	}
	return pos, nil
}

func runVersion(_ context.Context, env *Env, args []string) error {
	if len(args) > 0 {
		return usagef("takes no arguments")
	}
	build := "desktop"
	if env.Window == nil {
		build = "headless"
	}
	fmt.Fprintf(env.Stdout, "knocker %s (%s build, %s %s/%s)\n", version(), build, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func runHelp(_ context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		env.printUsage(env.Stdout)
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			if c.usage == "" {
				fmt.Fprintf(env.Stdout, "knocker %s: %s\n", c.name, c.summary)
			} else {
				fmt.Fprintln(env.Stdout, c.usage)
			}
			return nil
		}
	}
	return usagef("unknown command %q", args[0])
}

func (env *Env) printUsage(w io.Writer) {
	fmt.Fprintln(w, "Knocker sends port-knock sequences to open a router's protected services.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	if env.Window != nil {
		fmt.Fprintln(w, "  knocker                open the window")
	} else {
		fmt.Fprintln(w, "  (this is Knocker's headless build: the window is in the desktop build)")
	}
	for _, c := range commands {
		fmt.Fprintf(w, "  knocker %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Example: knocker send router.example 1234:udp=test --verify 22`)
	fmt.Fprintln(w, `Exit codes: 0 sent (and verified), 1 knock or verification failed, 2 bad input.`)
}
