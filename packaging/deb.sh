#!/usr/bin/env bash
# Wraps a Linux knocker binary into a Debian package:
#
#   packaging/deb.sh BINARY VERSION BUILD OUT [CLI_BINARY]
#
#   /usr/bin/knocker                    the desktop build (window + every subcommand)
#   /usr/bin/knocker-cli                the static headless build, when CLI_BINARY is given
#   /usr/share/applications/io.knocker.desktop.desktop
#   /usr/share/icons/hicolor/*/apps/io.knocker.desktop.{png,svg}
#   /usr/share/metainfo/io.knocker.desktop.metainfo.xml (AppStream)
#
# Depends is computed from the binaries' shared libraries (dpkg-shlibdeps)
# and from the window libraries GLFW loads at run time (dlopen, so
# invisible to dpkg-shlibdeps): the package that ships each, found on the
# machine that builds the package. The desktop entry
# is written from FyneApp.toml, as fyne package does. VERSION is git
# describe's; a bare commit hash becomes FyneApp.toml's version +gitBUILD.HASH,
# since a Debian version must start with a digit. make package runs it on
# the release build; make test on the test build, then installs it, with
# DEB_COMPRESSOR=gzip (xz is the smallest but takes a while).
set -euo pipefail
[ $# -eq 4 ] || [ $# -eq 5 ] || { echo "usage: $0 BINARY VERSION BUILD OUT [CLI_BINARY]" >&2; exit 2; }
bin=$1 version=$2 build=$3 out=$4 cli=${5:-}
root=$(cd "$(dirname "$0")/.." && pwd)
for tool in dpkg-deb dpkg-shlibdeps convert strings ldconfig; do
	command -v "$tool" >/dev/null || { echo "deb: $tool not found (Debian packages dpkg-dev, imagemagick)" >&2; exit 1; }
done
for f in "$bin" ${cli:+"$cli"}; do [ -f "$f" ] || { echo "deb: $f not found" >&2; exit 1; }; done

# toml KEY prints the value of KEY = "..." or KEY = [...] in FyneApp.toml.
toml() { sed -n "s/^ *$1 *= *//p" "$root/FyneApp.toml" | head -1; }
# list turns a TOML array of strings into a desktop entry list (a;b;).
list() { sed 's/^\[//; s/\]$//; s/", *"/;/g; s/^"//; s/"$/;/'; }
unquote() { sed 's/^"//; s/"$//'; }
base=$(toml Version | unquote)
case $version in
v[0-9]* | [0-9]*.[0-9]*) debversion=$(echo "${version#v}" | tr - +) ;;
*) debversion=$base+git$build.$(echo "$version" | tr - +) ;;
esac
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)

tmp=$(mktemp -d /tmp/knocker-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pkg=$tmp/debian/knocker # where dpkg-shlibdeps expects the package's files
install -D -m 0755 "$bin" "$pkg/usr/bin/knocker"
[ -z "$cli" ] || install -D -m 0755 "$cli" "$pkg/usr/bin/knocker-cli"

app=$pkg/usr/share/applications/io.knocker.desktop.desktop
mkdir -p "$(dirname "$app")"
cat >"$app" <<ENTRY
[Desktop Entry]
Type=Application
Name=$(toml Name | unquote)
GenericName=$(toml GenericName | unquote)
Comment=$(toml Comment | unquote)
Exec=knocker
Icon=io.knocker.desktop
Terminal=false
Categories=$(toml Categories | list)
Keywords=$(toml Keywords | list)
ENTRY
chmod 0644 "$app"

for size in 16 24 32 48 64 128 256 512; do
	dir=$pkg/usr/share/icons/hicolor/${size}x$size/apps
	mkdir -p "$dir"
	convert "$root/assets/icon.png" -resize "${size}x$size" "$dir/io.knocker.desktop.png"
done
install -D -m 0644 "$root/assets/icon.svg" "$pkg/usr/share/icons/hicolor/scalable/apps/io.knocker.desktop.svg"
install -D -m 0644 "$root/packaging/linux/io.knocker.desktop.metainfo.xml" "$pkg/usr/share/metainfo/io.knocker.desktop.metainfo.xml"

# dpkg-shlibdeps reads debian/control in the folder it runs in, and finds
# the package's root by its DEBIAN folder.
mkdir -p "$pkg/DEBIAN"
printf 'Source: knocker\n\nPackage: knocker\nArchitecture: any\n' >"$tmp/debian/control"
depends=$(cd "$tmp" && dpkg-shlibdeps -O -edebian/knocker/usr/bin/knocker ${cli:+-edebian/knocker/usr/bin/knocker-cli} |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb: dpkg-shlibdeps found no library dependencies for $bin" >&2; exit 1; }

# GLFW opens these with dlopen. Without the first group it cannot open a
# window at all (X11: libX11; Wayland: the cursor, EGL and keyboard
# libraries); the second only adds features (cursors, monitors, input,
# decorations). Only names the binary holds count.
dlopen_required="libX11.so.6 libwayland-cursor.so.0 libwayland-egl.so.1 libxkbcommon.so.0 libEGL.so.1"
dlopen_optional="libXcursor.so.1 libXrandr.so.2 libXinerama.so.1 libXi.so.6 libXrender.so.1 libXext.so.6 libXxf86vm.so.1 libX11-xcb.so.1 libdecor-0.so.0"
embedded=$(strings -a "$bin" | grep -xE 'lib[A-Za-z0-9_+-]+\.so\.[0-9]+' | sort -u)
# package_of SONAME prints the package that ships the library the dynamic
# linker would load, or nothing where it is not installed here.
package_of() {
	local path
	path=$(ldconfig -p | awk -v so="$1" -v dir="/$multiarch/" '$1 == so && index($NF, dir) { print $NF; exit }')
	[ -n "$path" ] || return 0
	local p owner
	for p in "$path" "/usr$path" "${path#/usr}" "$(readlink -f "$path")"; do
		owner=$(dpkg-query -S "$p" 2>/dev/null) || continue
		echo "${owner%%:*}"
		return 0
	done
}
# packages SONAME... prints the packages of those the binary names, comma-separated.
packages() {
	for so in "$@"; do
		grep -qxF "$so" <<<"$embedded" && package_of "$so"
	done | sort -u | paste -sd, - | sed 's/,/, /g'
}
required=$(packages $dlopen_required)
[ -z "$required" ] || depends="$depends, $required"
recommends=$(packages $dlopen_optional)

cat >"$pkg/DEBIAN/control" <<CONTROL
Package: knocker
Version: $debversion
Architecture: $arch
Maintainer: ${DEB_MAINTAINER:-Knocker developers <knocker@users.noreply.github.com>}
Installed-Size: $(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
Depends: $depends
${recommends:+Recommends: $recommends
}Section: net
Priority: optional
Homepage: https://github.com/knocker/knocker
Description: port-knocking client with a desktop window and a command line
 Knocker opens a router's protected services (SSH, Winbox, a web UI) with a
 secret knock: UDP datagrams, TCP SYNs or ICMP echoes to chosen ports, each
 possibly carrying a payload, or an fwknop single packet authorization.
 MikroTik RouterOS comes first; nftables, knockd and fwknopd work too.
 .
 Profiles keep their secrets in the desktop keyring (Secret Service), and
 Knocker can re-knock before the router forgets the address. The same
 program runs headless: "knocker help" lists the subcommands.
CONTROL
mkdir -p "$(dirname "$out")"
dpkg-deb --root-owner-group -Z"${DEB_COMPRESSOR:-xz}" --build "$pkg" "$out" >/dev/null
echo "deb: wrote $out ($debversion; Depends: $depends; Recommends: $recommends)"
