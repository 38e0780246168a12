#!/usr/bin/env bash
# make install / make uninstall: put the Linux package's files (the binary,
# the .desktop file and the icon) under DESTDIR+PREFIX, or take them away,
# with the Makefile that fyne package ships inside the archive.
#
#   packaging/install.sh install|uninstall PREFIX [DESTDIR]
#
# install uses dist/knocker-VERSION-linux-amd64.tar.xz for HEAD's VERSION,
# and builds it first (make package's Linux half) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 install|uninstall PREFIX [DESTDIR]" >&2; exit 2; }
action=$1 prefix=$2 destdir=${3:-}
case $action in install | uninstall) ;; *) echo "install: unknown action $action" >&2; exit 2 ;; esac
command -v make >/dev/null || { echo "install: make not found (Debian package make)" >&2; exit 1; }

version=$(git describe --tags --always)
archive=dist/knocker-$version-linux-amd64.tar.xz
if [ ! -f "$archive" ]; then
	[ "$action" = uninstall ] && archive=$(ls -t dist/knocker-*-linux-amd64.tar.xz 2>/dev/null | head -1)
	[ -n "$archive" ] && [ -f "$archive" ] || { packaging/package.sh linux; archive=dist/knocker-$version-linux-amd64.tar.xz; }
fi
tmp=$(mktemp -d /tmp/knocker-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
tar -xJf "$archive" -C "$tmp"
make -s -C "$tmp/knocker" "$action" PREFIX="$prefix" DESTDIR="$destdir"
if [ "$action" = install ]; then
	echo "installed $archive under ${destdir}${prefix}: bin/knocker, share/applications/io.knocker.desktop.desktop, share/pixmaps/io.knocker.desktop.png"
	command -v update-desktop-database >/dev/null && [ -z "$destdir" ] && update-desktop-database -q "$prefix/share/applications" 2>/dev/null || true
else
	echo "removed Knocker's files from ${destdir}${prefix}"
fi
