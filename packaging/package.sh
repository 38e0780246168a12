#!/usr/bin/env bash
# make package / make windows: release builds of the committed tree (HEAD)
# into dist/.
#
#   packaging/package.sh linux     dist/knocker-VERSION-linux-amd64.tar.xz (fyne package -os linux)
#                                  dist/knocker_DEBVERSION_amd64.deb        (its binary, packaging/deb.sh)
#   packaging/package.sh windows   dist/knocker-VERSION-windows-amd64.exe  (fyne package -os windows)
#                                  dist/knocker-VERSION-windows-amd64-setup.exe (that .exe, packaging/windows-setup.sh)
#
# The .deb also carries the static headless build as /usr/bin/knocker-cli.
#
# Both are built from a scratch copy of HEAD (git archive), because fyne
# package bumps Build in FyneApp.toml, deletes ./knocker and drops generated
# files into the folder it runs in, and other work in this tree must not
# leak into a release. Uncommitted changes are not packaged (a warning says
# so). VERSION is `git describe --tags --always` of HEAD, passed to
# app/cli.Version as make build does; the package's build number (and the
# last part of the Windows file version) is the commit count. Release flags (-trimpath -s -w) mean a full rebuild (about
# three minutes for Linux, five for the Windows cross build).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
[ $# -gt 0 ] || { echo "usage: $0 linux|windows..." >&2; exit 2; }

fyne=$root/bin/tools/fyne
fyne_version=v1.7.4
if [ ! -x "$fyne" ]; then
	echo "package: installing the fyne tool ($fyne_version) into bin/tools"
	GOBIN=$root/bin/tools go install "fyne.io/tools/cmd/fyne@$fyne_version"
fi

version=$(git describe --tags --always)
build=$(git rev-list --count HEAD)
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	echo "package: the working tree has uncommitted changes; packaging HEAD ($version) without them" >&2

scratch=$(mktemp -d /tmp/knocker-package.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p dist

# export prints a fresh copy of HEAD's tree for one target.
export_tree() {
	local dir=$scratch/$1
	mkdir -p "$dir"
	git archive HEAD | tar -x -C "$dir"
	echo "$dir"
}

# The version goes onto fyne's go build lines through a "go" first on PATH
# that adds -X to their -ldflags. (fyne package takes -ldflags= from GOFLAGS
# too, but only for its first build: the Windows package is built twice,
# the second time with the icon and version resource, and without them.)
xflag=-X=github.com/knocker/knocker/app/cli.Version=$version
mkdir -p "$scratch/gobin"
cat >"$scratch/gobin/go" <<WRAP
#!/usr/bin/env bash
if [ "\${1:-}" = build ]; then
	args=() prev= seen=
	for a in "\$@"; do
		[ "\$prev" = -ldflags ] && { args+=("\$a $xflag"); seen=1; } || args+=("\$a")
		prev=\$a
	done
	[ -n "\$seen" ] || args=(build -ldflags "$xflag" "\${args[@]:1}")
	exec "$(command -v go)" "\${args[@]}"
fi
exec "$(command -v go)" "\$@"
WRAP
chmod +x "$scratch/gobin/go"
fyne_env() { env GO="$scratch/gobin/go" PATH="$scratch/gobin:$PATH" "$@"; }

for target in "$@"; do
	case $target in
	linux)
		src=$(export_tree linux)
		echo "package: linux, $version (build $build)"
		(cd "$src" && fyne_env "$fyne" package -os linux --release --app-build "$build")
		out=dist/knocker-$version-linux-amd64.tar.xz
		mv "$src/Knocker.tar.xz" "$out"
		# The archive must hold the binary, the .desktop file and the icon.
		listing=$(tar -tJf "$out")
		# (grep without -q: an early exit would break tar's pipe)
		tar -xJOf "$out" knocker/usr/local/bin/knocker | grep -aF "$version" >/dev/null || { echo "package: $out: knocker does not carry version $version" >&2; exit 1; }
		for f in usr/local/bin/knocker usr/local/share/applications/io.knocker.desktop.desktop usr/local/share/pixmaps/io.knocker.desktop.png Makefile; do
			grep -qx "knocker/$f" <<<"$listing" || { echo "package: $out lacks $f" >&2; exit 1; }
		done
		echo "package: wrote $out ($(du -h "$out" | cut -f1))"
		# The .deb wraps the same release binary.
		tar -xJOf "$out" knocker/usr/local/bin/knocker >"$scratch/knocker"
		# With it, the headless build, as make cli and cli-archives.sh build it.
		(cd "$src" && CGO_ENABLED=0 go build -tags headless -trimpath \
			-ldflags "-s -w -X github.com/knocker/knocker/app/cli.Version=$version" -o "$scratch/knocker-cli" .)
		packaging/deb.sh "$scratch/knocker" "$version" "$build" "$scratch/knocker.deb" "$scratch/knocker-cli"
		out=dist/$(dpkg-deb --show --showformat='${Package}_${Version}_${Architecture}' "$scratch/knocker.deb").deb
		mv "$scratch/knocker.deb" "$out"
		;;
	windows)
		command -v x86_64-w64-mingw32-gcc >/dev/null || {
			echo "package: x86_64-w64-mingw32-gcc not found; install Debian package gcc-mingw-w64-x86-64 (scripts/deps.sh gcc-mingw-w64-x86-64, as root)" >&2
			exit 1
		}
		src=$(export_tree windows)
		echo "package: windows, $version (build $build)"
		# fyne package -os windows embeds the icon, a version resource and a
		# manifest (a .syso) and links with -H=windowsgui.
		(cd "$src" && fyne_env CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
			"$fyne" package -os windows --release --app-build "$build")
		out=dist/knocker-$version-windows-amd64.exe
		mv "$src/Knocker.exe" "$out"
		file "$out" | grep -q 'PE32+ executable (GUI)' || { echo "package: $out is not a GUI-subsystem PE: $(file -b "$out")" >&2; exit 1; }
		strings -el "$out" | grep -q '^ProductVersion$' || { echo "package: $out has no version resource" >&2; exit 1; }
		grep -qaF "$version" "$out" || { echo "package: $out does not carry version $version" >&2; exit 1; }
		echo "package: wrote $out ($(du -h "$out" | cut -f1))"
		out=dist/knocker-$version-windows-amd64-setup.exe
		packaging/windows-setup.sh "dist/knocker-$version-windows-amd64.exe" "$version" "$build" "$out"
		;;
	*)
		echo "package: unknown target $target (linux or windows)" >&2
		exit 2
		;;
	esac
	echo "package: wrote $out ($(du -h "$out" | cut -f1))"
done
