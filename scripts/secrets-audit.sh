#!/usr/bin/env bash
# Secrets audit: runs a test command (by default the end-to-end suite) with
# every start of the knocker binary wrapped, then checks that no test
# secret turned up where it must not:
#
#   - in any file the program left in its folders when it exited
#     ($KNOCKER_CONFIG_DIR, Fyne's preferences and the autostart folder
#     under $XDG_CONFIG_HOME), snapshotted before the test removes them;
#   - in any other file it wrote (a scrubbed .fwknoprc, anything else:
#     strace records every file opened for writing and every rename),
#     likewise snapshotted;
#   - in what it printed, which is where "knocker export" writes (stdout of
#     "export --with-secrets" excepted, which must hold them, and that of
#     "proxy", which is the server's bytes relayed; the window's
#     export files, with and without secrets, and their modes are checked
#     by app/gui's TestExportFilesWithSecretsAreMode0600);
#   - in the command line of any process it started (strace -f records
#     every execve of the process tree).
#
# The secrets are those the tests declare (declareSecrets in e2e, through
# the file $KNOCKER_AUDIT_SECRETS: payloads and SPA keys of the profiles
# they import, random payloads, generated keys), plus any listed in
# $AUDIT_SECRETS (space-separated); each is also looked for in hex and
# base64, in any letter case (an importer once printed a key upper-cased).
# Where a secret legitimately lives (the keyring's own files, the
# tests' input files, "send" steps typed on knocker's own command line, the
# output of "export --with-secrets" and of "router-config", which are the
# secrets asked for) is not audited.
#
# Where ptrace is not allowed (some containers), strace cannot run: the
# audit says so and checks files and output only.
#
# Usage: scripts/secrets-audit.sh [COMMAND...]
# COMMAND defaults to "go test -tags ci -count=1 ./e2e/..."; make test
# passes its one run of the whole suite, so the audit costs no run of its
# own. Run it under scripts/with-keyring.sh for the keyring tests, as make
# test does, and as root for the lab tests. It exits as the command did
# when that failed (a test that fails under the wrapper fails the audit),
# else 1 on a leak, else 0.
set -euo pipefail
cd "$(dirname "$0")/.."
real=${KNOCKER_BIN:-$PWD/bin/knocker}
[ -x "$real" ] || { echo "secrets-audit: $real missing; run make build" >&2; exit 2; }
for tool in setpriv base64 xxd; do
	command -v "$tool" >/dev/null || { echo "secrets-audit: $tool not found (Debian packages strace, util-linux, coreutils, xxd)" >&2; exit 2; }
done
# The wrapper's strace command, as text for the wrapper below: program
# starts, and files opened for writing or renamed into place.
trace='strace -f -qq --seccomp-bpf -e trace=execve,openat,creat,rename,renameat,renameat2 -e signal=none -s 65536 -o "$run/exec.trace"'
if ! command -v strace >/dev/null || ! strace -f -qq -o /dev/null true 2>/dev/null; then
	echo "secrets-audit: strace cannot trace here (missing, or ptrace not permitted): the command lines of child processes and the files written outside the config folders go unchecked" >&2
	trace=
fi
audit=$(mktemp -d /tmp/knocker-secrets-audit.XXXXXX)
[ -n "${AUDIT_KEEP:-}" ] && echo "secrets-audit: keeping $audit" || trap 'rm -rf "$audit"' EXIT
mkdir -p "$audit/bin" "$audit/runs"
# A private copy: bin/knocker may be rebuilt while the suite runs.
cp "$real" "$audit/knocker.real"
real=$audit/knocker.real

# The wrapper the tests run as KNOCKER_BIN. strace is the wrapper's child and
# knocker strace's; each dies with its parent (pdeathsig), and the signals a
# test sends to "knocker" are passed on to the real one.
cat >"$audit/bin/knocker" <<WRAP
#!/usr/bin/env bash
set -u
run=$audit/runs/\$(date +%s%N)-\$\$
mkdir -p "\$run"
printf '%s\n' "\$*" >"\$run/argv"
printf '%s' "\${KNOCKER_CONFIG_DIR:-}" >"\$run/configdir"
pwd >"\$run/cwd"
cfg=\${XDG_CONFIG_HOME:-\$HOME/.config}
# Copies of the output go through FIFOs: tee processes forked by the traced
# side would be strace's children, and strace waits for them.
mkfifo "\$run/err"
tee "\$run/stderr" <"\$run/err" >&2 &
tee2=\$!
tee1=
if [ "\${1:-}" = proxy ]; then
	# knocker proxy's standard output is the server's bytes relayed for
	# ssh: it goes straight through, so that ssh going away reaches knocker
	# as it would without the audit (through tee, never while the server
	# is silent).
	: >"\$run/stdout"
	setpriv --pdeathsig KILL -- $trace \\
		setpriv --pdeathsig KILL -- "$real" "\$@" <&0 2>"\$run/err" &
else
	mkfifo "\$run/out"
	tee "\$run/stdout" <"\$run/out" &
	tee1=\$!
	setpriv --pdeathsig KILL -- $trace \\
		setpriv --pdeathsig KILL -- "$real" "\$@" <&0 >"\$run/out" 2>"\$run/err" &
fi
tracer=\$!
forward() { kill -s "\$1" \$(pgrep -P "\$tracer" 2>/dev/null) 2>/dev/null; }
trap 'forward TERM' TERM
trap 'forward INT' INT
trap 'forward HUP' HUP
while :; do
	wait "\$tracer"
	code=\$?
	kill -0 "\$tracer" 2>/dev/null || break
done
wait \$tee1 "\$tee2"
rm -f "\$run/out" "\$run/err"
for d in "\${KNOCKER_CONFIG_DIR:-}" "\$cfg/fyne/io.knocker.desktop" "\$cfg/autostart" "\$cfg/knocker"; do
	[ -n "\$d" ] && [ -d "\$d" ] && mkdir -p "\$run/files\$(dirname "\$d")" && cp -a "\$d" "\$run/files\$(dirname "\$d")/" 2>/dev/null
done
# Files written anywhere else: opened for writing, or the target of a rename.
if [ -f "\$run/exec.trace" ]; then
	{
		sed -nE 's/.*(openat\(AT_FDCWD, |creat\()"([^"]*)", [A-Z_|]*(O_WRONLY|O_RDWR|O_CREAT).*/\2/p' "\$run/exec.trace"
		sed -nE 's/.*rename(at2?)?\((AT_FDCWD, )?"[^"]*", (AT_FDCWD, )?"([^"]*)".*/\4/p' "\$run/exec.trace"
	} | sort -u | while IFS= read -r f; do
		case \$f in /*) ;; *) f=\$(cat "\$run/cwd")/\$f ;; esac
		case \$f in /proc/* | /dev/* | /sys/*) continue ;; esac
		[ -f "\$f" ] && mkdir -p "\$run/written\$(dirname "\$f")" && cp -a "\$f" "\$run/written\$f" 2>/dev/null
	done
fi
exit \$code
WRAP
chmod +x "$audit/bin/knocker"

[ $# -gt 0 ] || set -- go test -tags ci -count=1 ./e2e/...
echo "secrets-audit: $* with every start of $(basename "${KNOCKER_BIN:-knocker}") wrapped"
suite=0
declared=$audit/declared
: >"$declared"
KNOCKER_AUDIT_SECRETS=$declared KNOCKER_BIN=$audit/bin/knocker "$@" || suite=$?

runs=$(find "$audit/runs" -mindepth 1 -maxdepth 1 -type d | wc -l)
[ "$runs" -gt 0 ] || { echo "secrets-audit: the suite never started knocker" >&2; exit 1; }

# The secrets: those the tests declared, plus AUDIT_SECRETS.
mapfile -t secrets < <({
	cat "$declared"
	for s in ${AUDIT_SECRETS:-}; do echo "$s"; done
} | sort -u)
patterns=$audit/patterns
: >"$patterns"
for s in "${secrets[@]}"; do
	printf '%s\n' "$s" "$(printf %s "$s" | xxd -p | tr -d '\n')" "$(printf %s "$s" | base64 -w0)" >>"$patterns"
done
echo "secrets-audit: $runs knocker runs, ${#secrets[@]} distinct test secrets (each as text, hex and base64)"
[ ${#secrets[@]} -gt 0 ] || echo "secrets-audit: warning: no secret seen; did the keyring tests run (scripts/with-keyring.sh)?" >&2

leaks=0 execs=0
leak() { echo "LEAK: $*"; leaks=$((leaks + 1)); }
# Every place a secret must not be, of every run, is searched by one grep
# (a grep per file took half a minute): the files each run left in its
# folders and wrote elsewhere, its stderr, and its stdout unless secrets
# were asked for. Every search ignores letter case: a secret upper-cased is
# still a secret.
places=$audit/places
: >"$places"
# count KIND lists the files of every run's folder KIND into $places and
# prints how many there were.
count() { find "$audit"/runs/*/"$1" -type f -print0 2>/dev/null | tee -a "$places" | tr -cd '\0' | wc -c; }
files=$(count files)
written=$(count written)
for run in "$audit"/runs/*/; do
	argv=$(cat "$run/argv")
	printf '%s\0' "$run/stderr" >>"$places"
	if [[ " $argv " != *" --with-secrets "* && "$argv" != router-config* ]]; then
		printf '%s\0' "$run/stdout" >>"$places"
	fi
	# Command lines of what it started: every execve after setpriv and knocker itself.
	if [ -f "$run/exec.trace" ]; then
		children=$(grep -E 'execve\(' "$run/exec.trace" | grep -vF "execve(\"$real\"" | grep -vE 'execve\("[^"]*/setpriv"' || true)
		if [ -n "$children" ]; then
			execs=$((execs + $(wc -l <<<"$children")))
			[ -s "$patterns" ] && grep -qaiFf "$patterns" <<<"$children" && leak "knocker $argv started a process with a secret on its command line: $(grep -aiFf "$patterns" <<<"$children" | head -1 | cut -c1-200)"
		fi
	fi
done
if [ -s "$patterns" ]; then
	while IFS= read -r -d '' f; do
		rel=${f#"$audit/runs/"}
		run=$audit/runs/${rel%%/*}
		place=${rel#*/}
		place=${place#/} # the runs' glob ends in a slash
		argv=$(cat "$run/argv")
		case $place in
		files/*) leak "knocker $argv left a secret in ${place#files}" ;;
		written/*) leak "knocker $argv wrote a secret into ${place#written}" ;;
		*) leak "knocker $argv printed a secret on $place" ;;
		esac
	done < <(xargs -0 -r grep -laiZFf "$patterns" -- <"$places" 2>/dev/null || true)
fi
echo "secrets-audit: checked $files files left behind, $written files written elsewhere, the output of $runs runs and $execs child command lines"
if [ "$leaks" -gt 0 ]; then
	echo "secrets-audit: $leaks leaks" >&2
	exit 1
fi
echo "secrets-audit: no test secret found where it must not be"
if [ "$suite" -ne 0 ]; then
	echo "secrets-audit: the tests failed (exit $suite)" >&2
	exit "$suite"
fi
