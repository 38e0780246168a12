#!/usr/bin/env bash
# make package's headless half: the static command-line build (make cli) of
# the committed tree (HEAD) for every platform a server or small machine
# may be, one archive each in dist/, every binary checked with file(1):
#
#   dist/knocker-cli-VERSION-linux-amd64.tar.gz    linux-arm64, linux-armv7
#   dist/knocker-cli-VERSION-windows-amd64.zip     a console program
#   dist/knocker-cli-VERSION-darwin-amd64.tar.gz   darwin-arm64
#
# The Linux archives carry the systemd user unit for knocker keep.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
for tool in file zip; do
	command -v "$tool" >/dev/null || { echo "cli-archives: $tool not found (Debian package $tool)" >&2; exit 1; }
done
version=$(git describe --tags --always)
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	echo "cli-archives: the working tree has uncommitted changes; packaging HEAD ($version) without them" >&2
scratch=$(mktemp -d /tmp/knocker-cli-archives.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
git archive HEAD | tar -x -C "$scratch" --one-top-level=src
mkdir -p dist

# target: GOOS GOARCH GOARM name, and what file(1) must say of the binary.
while read -r goos goarch goarm name expect; do
	stage=$scratch/$name/knocker-cli
	mkdir -p "$stage"
	exe=knocker-cli
	[ "$goos" = windows ] && exe=knocker-cli.exe
	(cd "$scratch/src" && CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch GOARM=$goarm \
		go build -tags headless -trimpath -ldflags "-s -w -X github.com/knocker/knocker/app/cli.Version=$version" -o "$stage/$exe" .)
	got=$(file -b "$stage/$exe")
	grep -qE "$expect" <<<"$got" || { echo "cli-archives: $name: file says \"$got\", want /$expect/" >&2; exit 1; }
	cp "$scratch/src/README.md" "$stage/"
	if [ "$goos" = linux ]; then
		cp "$scratch/src/packaging/systemd/knocker-keep@.service" "$stage/"
	fi
	if [ "$goos" = windows ]; then
		out=$root/dist/knocker-cli-$version-$name.zip
		rm -f "$out"
		(cd "$scratch/$name" && zip -qr "$out" knocker-cli)
	else
		out=$root/dist/knocker-cli-$version-$name.tar.gz
		tar -czf "$out" -C "$scratch/$name" knocker-cli
	fi
	echo "cli-archives: wrote ${out#"$root"/} ($got)"
done <<'TARGETS'
linux amd64 7 linux-amd64 ^ELF 64-bit LSB executable, x86-64, .*statically linked
linux arm64 7 linux-arm64 ^ELF 64-bit LSB executable, ARM aarch64, .*statically linked
linux arm 7 linux-armv7 ^ELF 32-bit LSB executable, ARM, EABI5 .*statically linked
windows amd64 7 windows-amd64 ^PE32\+ executable \(console\) x86-64
darwin amd64 7 darwin-amd64 ^Mach-O 64-bit x86_64 executable
darwin arm64 7 darwin-arm64 ^Mach-O 64-bit arm64 executable
TARGETS
