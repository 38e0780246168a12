#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked
# gnome-keyring Secret Service, so keyring tests use a real OS keyring
# without touching the user's own. The keyring and the daemon's control
# socket live in a temporary folder; the daemon ends with the session bus.
# Tests that need the keyring run only when KNOCKER_KEYRING_TEST=1, which
# this script sets, and skip with a message otherwise.
set -euo pipefail
for tool in dbus-run-session gnome-keyring-daemon; do
	if ! command -v "$tool" >/dev/null; then
		echo "with-keyring.sh: $tool is missing: install the Debian packages dbus and gnome-keyring (make test-deps)" >&2
		exit 1
	fi
done
if [ -z "${KNOCKER_IN_KEYRING_SESSION:-}" ]; then
	export KNOCKER_IN_KEYRING_SESSION=1
	exec dbus-run-session -- "$0" "$@"
fi
unset KNOCKER_IN_KEYRING_SESSION
data=$(mktemp -d)
daemon=""
# The daemon would outlive this script until the bus closes, still writing
# into $data; stop it first.
cleanup() {
	if [ -n "$daemon" ]; then
		kill "$daemon" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$daemon" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -rf "$data"
}
trap cleanup EXIT
mkdir -p -m 700 "$data/keyrings" "$data/run"
export XDG_DATA_HOME="$data"
# --unlock reads the new login keyring's password from stdin and creates it
# unlocked. XDG_RUNTIME_DIR only for the daemon: its control socket goes to
# the temporary folder instead of ~/.cache.
echo -n knocker-test | XDG_RUNTIME_DIR="$data/run" gnome-keyring-daemon --unlock --components=secrets >/dev/null
# The daemon forks and claims its bus name a moment later: wait up to 5 s.
for _ in $(seq 50); do
	daemon=$(dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null | awk '{print $2}') || true
	[ -n "$daemon" ] && break
	sleep 0.1
done
if [ -z "$daemon" ]; then
	echo "with-keyring.sh: gnome-keyring-daemon started but no Secret Service is on the session bus" >&2
	exit 1
fi
export KNOCKER_KEYRING_TEST=1
"$@"
