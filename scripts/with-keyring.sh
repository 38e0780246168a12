#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked
# gnome-keyring Secret Service, so keyring tests use a real OS keyring
# without touching the user's own. The keyring lives in a temporary folder.
set -euo pipefail
if [ -z "${KNOCKER_IN_KEYRING_SESSION:-}" ]; then
	export KNOCKER_IN_KEYRING_SESSION=1
	exec dbus-run-session -- "$0" "$@"
fi
data=$(mktemp -d)
trap 'kill "${GNOME_KEYRING_PID:-}" 2>/dev/null || true; rm -rf "$data"' EXIT
mkdir -p -m 700 "$data/keyrings"
export XDG_DATA_HOME="$data"
eval "$(echo -n knocker-test | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL GNOME_KEYRING_PID KNOCKER_KEYRING_TEST=1
"$@"
