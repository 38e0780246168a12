#!/usr/bin/env bash
# The Windows stage of make test: takes bin/knocker.exe from
# scripts/windows-build.sh (built beside the suite by make test, or now) and runs e2e/wine, which starts it under
# Wine with a private X server and a fresh Wine prefix: the CLI against the
# Credential Manager, the window (screenshot in bin/artifacts), the single
# instance, start at login, the Windows unit tests (ICMP helper, instance
# pipe) and the installer built from it.
#
# Without Wine and the cross tools it says so and skips, except in CI (CI
# set), where that fails: make test installs them (TEST_DEPS).
set -euo pipefail
cd "$(dirname "$0")/.."
wine=${KNOCKER_WINE:-/usr/lib/wine/wine64}
missing=()
for tool in "$wine" x86_64-w64-mingw32-gcc makensis convert import Xvfb xwininfo; do
	command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
	msg="the Windows stage needs ${missing[*]}: Debian packages wine64 gcc-mingw-w64-x86-64 nsis imagemagick xvfb x11-utils (make test-deps, as root)"
	if [ -n "${CI:-}" ]; then
		echo "windows-test: $msg" >&2
		exit 1
	fi
	echo "windows-test: SKIP: $msg"
	exit 0
fi
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
# make test builds it beside the suite, as a stage of its own.
[ -n "${KNOCKER_EXE_BUILT:-}" ] || VERSION=$version scripts/windows-build.sh
start=$SECONDS
KNOCKER_WINE_TEST=1 KNOCKER_WINE=$wine KNOCKER_EXE=$PWD/bin/knocker.exe KNOCKER_VERSION=$version \
	KNOCKER_ARTIFACTS=${KNOCKER_ARTIFACTS:-$PWD/bin/artifacts} \
	go test -count=1 -v -timeout 20m ./e2e/wine/
echo "windows-test: the Wine tests took $((SECONDS - start)) s"
