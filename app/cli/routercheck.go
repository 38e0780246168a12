package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/knocker/knocker/app/profile"
	"github.com/knocker/knocker/knock/routerconf"
)

const routerCheckUsage = `Usage: knocker router-check NAME FILE|-

Read the router's RouterOS configuration in FILE (or standard input): the
output of /export or /ip firewall export, a script, or one command a line.
Then walk the saved profile NAME's knock through the router's rules, step by
step as RouterOS would, and a connection to the profile's check port (else
tcp/22) after it, and say whether it gets in:

  exit 0  the router's rules let this knock in (through list LIST, TIMEOUT, PORT)
  exit 1  the first place the profile and the router disagree, such as
          "step 2: the router wants udp/5678, this profile sends udp/5679"
          or "no rule lets the final list reach tcp/22"
  exit 2  bad input: no such profile, an SPA profile, a file that is not
          RouterOS configuration

Payload bytes are never shown, only their lengths.

Example:
  ssh admin@router /ip firewall export | knocker router-check office -`

func runRouterCheck(ctx context.Context, env *Env, args []string) error {
	pos, err := parseFlags(newFlagSet("router-check"), env, args, routerCheckUsage)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("want a saved profile NAME and the router's configuration FILE, or - for standard input")
	}
	data, err := readImport(env.Stdin, pos[1])
	if err != nil {
		return usageError{err}
	}
	_, p, err := openProfile(ctx, env, pos[0])
	if err != nil {
		return err
	}
	if p.SPA != nil {
		return usageError{profile.ErrSPARouter}
	}
	spec := p.RouterSpec()
	v, err := routerconf.CheckRouterOS(string(data), p.Steps, spec.Family, spec.Protect)
	if err != nil {
		return usagef("%s: %w", pos[1], err)
	}
	for _, w := range v.Warnings {
		fmt.Fprintf(env.Stderr, "knocker: warning: %s\n", profile.Printable(w))
	}
	if !v.OK {
		return fmt.Errorf("%s", profile.Printable(strings.TrimSpace(v.String())))
	}
	fmt.Fprintln(env.Stdout, profile.Printable(v.String()))
	return nil
}
