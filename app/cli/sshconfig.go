package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"

	"github.com/knocker/knocker/app/profile"
)

const sshConfigUsage = `Usage: knocker ssh-config [--user U] [--port P] [--alias A] NAME

Print an OpenSSH Host block that knocks the saved profile NAME before each
connection, through knocker proxy; append it to ~/.ssh/config (above any
"Host *" block, since ssh takes the first value it finds), then
"ssh ALIAS", scp, sftp, rsync and git all knock first:

  knocker ssh-config office --user admin >> ~/.ssh/config

  --alias A   the name to type after ssh (default: NAME in lower case,
              other characters turned into "-")
  --user U    the login name (default: the user of the profile's ssh:// URL
              to open, else none: ssh uses your local name)
  --port P    the SSH port (default: the port of that URL, else the
              profile's check port, else 22)

ProxyCommand runs knocker proxy --id ID, naming the profile by its ID,
which needs no quoting and survives a rename, and this knocker program by
its absolute path, or the headless build knocker-cli where it is installed
in the same folder (it starts faster); the path chosen is also said on
standard error. The path is quoted so that ssh and every usual shell (sh,
bash, dash, zsh, fish) read it back unchanged; a path that cannot be (a
line break or another control character in it) is refused. The block holds
no secret; no keyring is needed.`

func runSSHConfig(_ context.Context, env *Env, args []string) error {
	fs := newFlagSet("ssh-config")
	var (
		alias, user string
		port        portFlag
	)
	fs.StringVar(&alias, "alias", "", "")
	fs.StringVar(&user, "user", "", "")
	fs.Var(&port, "port", "")
	pos, err := parseFlags(fs, env, args, sshConfigUsage)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one profile NAME (see knocker list)")
	}
	_, p, err := listedProfile(env, pos[0], "")
	if err != nil {
		return err
	}
	program, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find this program's path for ProxyCommand: %w", err)
	}
	block, err := p.SSHConfig(profile.SSHHost{Alias: alias, User: user, Port: port.port, Program: program, Windows: runtime.GOOS == "windows"})
	if errors.Is(err, profile.ErrNoSSHAlias) {
		return usagef("%v: give one with --alias", err)
	}
	if err != nil {
		return usageError{err}
	}
	if _, err = fmt.Fprint(env.Stdout, block); err != nil {
		return err
	}
	// Standard output usually goes straight into ~/.ssh/config.
	fmt.Fprintf(env.Stderr, "knocker ssh-config: ProxyCommand runs %s\n", profile.Printable(profile.ProxyProgram(program)))
	return nil
}
