#!/usr/bin/env bash
# Cross-builds bin/knocker.exe for the Windows stage of make test (MinGW
# cgo, the GUI subsystem and no symbols, as released, but with the build
# cache: no -trimpath).
#
#   scripts/windows-build.sh          build now
#   scripts/windows-build.sh --start  build in the background, at low priority
#   scripts/windows-build.sh --wait   wait for a background build, and fail as it did
#
# On a machine with an empty build cache the cross build takes about ten
# minutes, nearly all of it compiling the OpenGL binding for Windows; make
# test starts it before the Linux suite, which spends most of its time
# waiting on sockets, timers and X, and collects it before the Wine tests.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
log=bin/windows-build.log status=bin/windows-build.status started=bin/windows-build.started

build() {
	local start=$SECONDS
	GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc \
		go build -ldflags "-s -w -H=windowsgui -X github.com/knocker/knocker/app/cli.Version=$version" -o bin/knocker.exe .
	echo "windows-build: bin/knocker.exe built in $((SECONDS - start)) s"
}

case ${1:-} in
"")
	build
	;;
--start)
	command -v x86_64-w64-mingw32-gcc >/dev/null || exit 0 # the stage says what is missing
	mkdir -p bin
	rm -f "$status"
	touch "$started"
	(
		set +e
		VERSION=$version nice -n 10 "$0"
		echo $? >"$status"
	) >"$log" 2>&1 </dev/null &
	echo "windows-build: building bin/knocker.exe in the background (log: $log)"
	;;
--wait)
	[ -e "$started" ] || { build; exit; } # none in the background: build now
	while [ ! -s "$status" ]; do sleep 2; done
	cat "$log"
	rc=$(cat "$status")
	rm -f "$started" "$status" # collected: the next stage on its own builds afresh
	exit "$rc"
	;;
*)
	echo "usage: $0 [--start|--wait]" >&2
	exit 2
	;;
esac
