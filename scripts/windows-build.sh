#!/usr/bin/env bash
# Cross-builds bin/knocker.exe for the Windows stage of make test (MinGW
# cgo, the GUI subsystem and no symbols, as released, but with the build
# cache: no -trimpath).
#
# On a machine with an empty build cache the cross build takes about ten
# minutes, nearly all of it compiling the OpenGL binding for Windows; make
# test runs it beside the Linux stages (scripts/test.sh), which spend most
# of their time waiting on sockets, timers and X.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
start=$SECONDS
GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc \
	go build -ldflags "-s -w -H=windowsgui -X github.com/knocker/knocker/app/cli.Version=$version" -o bin/knocker.exe .
echo "windows-build: bin/knocker.exe built in $((SECONDS - start)) s"
