#!/usr/bin/env bash
# Wraps a knocker.exe into the Windows installer (NSIS, packaging/windows/knocker.nsi):
# a per-user install into %LOCALAPPDATA%\Programs\Knocker with a Start menu
# entry, an entry in "Apps" to uninstall it, and an optional start at login.
#
#   packaging/windows-setup.sh EXE VERSION BUILD OUT
#
# VERSION is what users see (git describe), BUILD the build number (the
# commit count), the last part of the installer's four-part file version;
# the first three come from FyneApp.toml. make package runs it on the
# release .exe; the Windows stage of make test on the test build, with
# SETUP_COMPRESSOR=zlib (LZMA takes minutes over a 40 MB program).
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 EXE VERSION BUILD OUT" >&2; exit 2; }
exe=$1 version=$2 build=$3 out=$4
root=$(cd "$(dirname "$0")/.." && pwd)
for tool in makensis convert; do
	command -v "$tool" >/dev/null || { echo "windows-setup: $tool not found (Debian packages nsis, imagemagick)" >&2; exit 1; }
done
[ -f "$exe" ] || { echo "windows-setup: $exe not found" >&2; exit 1; }
base=$(sed -n 's/^ *Version *= *"\([0-9]*\.[0-9]*\.[0-9]*\)".*/\1/p' "$root/FyneApp.toml")
[ -n "$base" ] || { echo "windows-setup: no Version = \"X.Y.Z\" in FyneApp.toml" >&2; exit 1; }
tmp=$(mktemp -d /tmp/knocker-setup.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
convert "$root/assets/icon.png" -define icon:auto-resize=256,64,48,32,16 "$tmp/knocker.ico"
abs() { (cd "$(dirname "$1")" && echo "$PWD/$(basename "$1")"); }
mkdir -p "$(dirname "$out")"
makensis -V2 -NOCD -INPUTCHARSET UTF8 \
	"-DVERSION=$version" "-DFILEVERSION=$base.$build" "-DEXE=$(abs "$exe")" \
	"-DICON=$tmp/knocker.ico" "-DOUTFILE=$(abs "$out")" ${SETUP_COMPRESSOR:+"-DCOMPRESSOR=$SETUP_COMPRESSOR"} \
	"$root/packaging/windows/knocker.nsi"
