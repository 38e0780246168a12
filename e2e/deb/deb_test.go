// Package deb builds the Debian package around the test build of knocker
// with the script make package uses, installs it on this machine with
// apt-get, checks what it put in place, and removes it again. It changes
// the machine's installed packages, so it runs only when asked
// (KNOCKER_PACKAGE_TEST=1, as make test does) and as root.
package deb

import (
	"bufio"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/knocker/knocker/internal/testbin"
)

// need skips the test where it cannot or must not run; in CI (CI set) a
// machine that cannot run it fails instead.
func need(t *testing.T) {
	t.Helper()
	skip := func(why string) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf("the .deb test cannot run in CI: %s", why)
		}
		t.Skip(why)
	}
	if os.Getenv("KNOCKER_PACKAGE_TEST") != "1" {
		t.Skip("the .deb test installs a package on this machine: make test runs it (KNOCKER_PACKAGE_TEST=1)")
	}
	if os.Geteuid() != 0 {
		skip("installing the .deb needs root")
	}
	for _, tool := range []string{"dpkg-deb", "dpkg-shlibdeps", "apt-get", "appstreamcli", "desktop-file-validate", "convert"} {
		if _, err := exec.LookPath(tool); err != nil {
			skip(tool + " is missing (make test installs dpkg-dev, appstream, desktop-file-utils, imagemagick)")
		}
	}
	if installed("knocker") {
		skip("a knocker package is installed on this machine; the test would replace it")
	}
}

// installed reports whether Debian package pkg is installed.
func installed(pkg string) bool {
	out, _ := exec.Command("dpkg-query", "-W", "-f=${Status}", pkg).Output()
	return strings.HasSuffix(string(out), " installed")
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// files is what the package must install, beyond the binaries.
var files = []string{
	"/usr/share/applications/io.knocker.desktop.desktop",
	"/usr/share/metainfo/io.knocker.desktop.metainfo.xml",
	"/usr/share/icons/hicolor/16x16/apps/io.knocker.desktop.png",
	"/usr/share/icons/hicolor/48x48/apps/io.knocker.desktop.png",
	"/usr/share/icons/hicolor/256x256/apps/io.knocker.desktop.png",
	"/usr/share/icons/hicolor/512x512/apps/io.knocker.desktop.png",
	"/usr/share/icons/hicolor/scalable/apps/io.knocker.desktop.svg",
}

// The .deb holds the desktop build and the headless one, the desktop
// entry, icons and AppStream metainfo (both valid), all owned by root; it declares the packages of
// every library the binary links; apt-get installs it and the installed
// knocker runs; apt-get remove takes every file away again.
func TestDebInstallsAndRemoves(t *testing.T) {
	need(t)
	bin := testbin.Path(t)
	fields := strings.Fields(testbin.Run(t, nil, "version").Stdout)
	if len(fields) < 2 {
		t.Fatal("knocker version printed no version")
	}
	version := fields[1]
	deb := filepath.Join(t.TempDir(), "knocker_test.deb")
	cli := testbin.HeadlessPath(t)
	build := exec.Command(filepath.Join(repoRoot(), "packaging", "deb.sh"), bin, version, "7", deb, cli)
	build.Env = append(os.Environ(), "DEB_COMPRESSOR=gzip") // xz is for releases: smaller, slower
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("packaging/deb.sh: %v\n%s", err, out)
	}

	control := run(t, "dpkg-deb", "--field", deb, "Package", "Version", "Depends")
	assertDepends(t, bin, control)
	for line := range strings.SplitSeq(run(t, "dpkg-deb", "--contents", deb), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] != "root/root" {
			t.Errorf("not owned by root: %s", line)
		}
	}
	extracted := t.TempDir()
	run(t, "dpkg-deb", "--extract", deb, extracted)
	run(t, "appstreamcli", "validate", "--no-net", filepath.Join(extracted, files[1]))
	run(t, "desktop-file-validate", filepath.Join(extracted, files[0]))

	t.Cleanup(func() {
		if installed("knocker") { // the machine had no knocker before (need)
			exec.Command("apt-get", "remove", "-y", "-qq", "knocker").Run()
		}
	})
	run(t, "apt-get", "install", "-y", "-qq", "--no-install-recommends", deb)
	if !installed("knocker") {
		t.Fatal("apt-get install left knocker uninstalled")
	}
	binaries := []string{"/usr/bin/knocker", "/usr/bin/knocker-cli"}
	for _, b := range binaries {
		if out := run(t, b, "version"); !strings.HasPrefix(out, "knocker "+version+" ") {
			t.Fatalf("the installed %s says %q, want version %s", b, out, version)
		}
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("not installed: %v", err)
		}
	}
	entry := run(t, "cat", files[0])
	for _, want := range []string{"Exec=knocker\n", "Icon=io.knocker.desktop\n", "Categories=Network;\n"} {
		if !strings.Contains(entry, want) {
			t.Errorf("the desktop entry lacks %q:\n%s", want, entry)
		}
	}

	run(t, "apt-get", "remove", "-y", "-qq", "knocker")
	if installed("knocker") {
		t.Fatal("apt-get remove left knocker installed")
	}
	for _, f := range append(binaries, files...) {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("apt-get remove left %s", f)
		}
	}
}

// assertDepends checks the package's Depends against the binary: the
// package that ships each library it links (its DT_NEEDED entries, found
// where the dynamic linker finds them) must be declared, and so must
// libX11's, which GLFW loads with dlopen and cannot open a window on X11
// without.
func assertDepends(t *testing.T, bin, control string) {
	t.Helper()
	var depends []string
	for line := range strings.SplitSeq(control, "\n") {
		if rest, ok := strings.CutPrefix(line, "Depends: "); ok {
			for dep := range strings.SplitSeq(rest, ",") {
				depends = append(depends, strings.Fields(dep)[0])
			}
		}
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	needed, err := f.ImportedLibraries()
	f.Close()
	if err != nil || len(needed) == 0 {
		t.Fatalf("the desktop build links no shared library (%v)?", err)
	}
	paths := map[string]string{} // soname -> path, from ldd
	sc := bufio.NewScanner(strings.NewReader(run(t, "ldd", bin)))
	for sc.Scan() {
		if name, rest, ok := strings.Cut(strings.TrimSpace(sc.Text()), " => "); ok {
			paths[name] = strings.Fields(rest)[0]
		}
	}
	multiarch := "/" + strings.TrimSpace(run(t, "dpkg-architecture", "-qDEB_HOST_MULTIARCH")) + "/"
	for line := range strings.SplitSeq(run(t, "ldconfig", "-p"), "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "libX11.so.6" && strings.Contains(f[len(f)-1], multiarch) {
			paths[f[0]] = f[len(f)-1]
		}
	}
	for _, lib := range append(needed, "libX11.so.6") {
		path := paths[lib]
		if path == "" {
			t.Fatalf("ldd does not resolve %s", lib)
		}
		pkg := owner(t, path)
		if !slices.Contains(depends, pkg) {
			t.Errorf("the binary links %s (package %s), which Depends lacks: %q", lib, pkg, depends)
		}
	}
	t.Logf("Depends: %s", strings.Join(depends, ", "))
}

// owner is the package that ships path; with merged /usr, the linker's
// path may differ from the package's by the /usr prefix.
func owner(t *testing.T, path string) string {
	t.Helper()
	for _, p := range []string{path, strings.TrimPrefix(path, "/usr"), "/usr" + path} {
		if out, err := exec.Command("dpkg", "-S", p).Output(); err == nil {
			pkg, _, _ := strings.Cut(string(out), ":")
			return pkg
		}
	}
	t.Fatalf("no package ships %s", path)
	return ""
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
