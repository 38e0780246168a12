# Knocker build. `make run` opens the window, `make test` runs every check.
GO       ?= go
BIN      := bin/knocker
CLI      := bin/knocker-cli
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/knocker/knocker/app/cli.Version=$(VERSION)
FUZZTIME ?= 150000x

# Debian packages: building Fyne (cgo, OpenGL, X11, Wayland), then what the
# tests use (firewalls and namespaces, captures, a keyring, a display and
# input, the knockd and fwknop servers the lab knocks on, and the OpenSSH
# server and clients that knocker proxy carries).
BUILD_DEPS := gcc pkg-config libgl1-mesa-dev xorg-dev libwayland-dev libxkbcommon-dev
TEST_DEPS  := $(BUILD_DEPS) libgl1-mesa-dri nftables iptables iproute2 tcpdump dbus gnome-keyring \
              xvfb x11-utils xdotool imagemagick knockd fwknop-client fwknop-server strace xxd tzdata systemd time tesseract-ocr \
              openssh-server openssh-client
# The Windows stage (cross build, Wine, the NSIS installer) and the .deb test.
WINDOWS_TEST_DEPS := gcc-mingw-w64-x86-64 wine64 nsis imagemagick xvfb x11-utils
PACKAGE_TEST_DEPS := dpkg-dev binutils appstream desktop-file-utils imagemagick
TEST_DEPS += $(WINDOWS_TEST_DEPS) $(PACKAGE_TEST_DEPS)

.PHONY: all build cli run demo test check bench fuzz deps test-deps clean

all: build

deps:
	@scripts/deps.sh $(BUILD_DEPS)

test-deps:
	@scripts/deps.sh $(TEST_DEPS)

build: deps
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

# The headless build: the command line alone, static, without cgo or any
# GUI library, for servers and small machines. Same subcommands, same output.
cli:
	CGO_ENABLED=0 $(GO) build -tags headless -ldflags "$(LDFLAGS)" -o $(CLI) .

run: build
	./$(BIN)

# Try it without a router: a pretend router on loopback (its events in this
# terminal) and the window with a throwaway profile for it; quitting stops both.
demo: build
	./$(BIN) demo --timeout 2m

# Static checks, then the whole suite with the race detector. UI logic runs on
# Fyne's test driver (-tags ci); end-to-end tests drive the real $(BIN), and
# run once more with the headless $(CLI) (tests of the window skip there).
# Keyring tests talk to a real gnome-keyring in a private D-Bus session.
# After the suite, the secrets audit runs the end-to-end tests again, with
# each build, with every knocker start watched (scripts/secrets-audit.sh).
BINS  := KNOCKER_BIN=$(CURDIR)/$(BIN) KNOCKER_CLI_BIN=$(CURDIR)/$(CLI)
HEADLESS := KNOCKER_BIN=$(CURDIR)/$(CLI) KNOCKER_CLI_BIN=$(CURDIR)/$(CLI)
AUDIT := $(BINS) scripts/with-keyring.sh scripts/secrets-audit.sh
HEADLESS_AUDIT := $(HEADLESS) scripts/with-keyring.sh scripts/secrets-audit.sh

# The app packages run a second time in a zone 14 hours from UTC, so no test
# can lean on the machine's time zone or on the day of the month.
FAR_ZONE := Pacific/Kiritimati

# The window's screenshots (each screen in both themes, the keyboard-only
# run, the window shown from the tray) go to bin/artifacts.
#
# Last, the Windows stage (knocker.exe and its installer under Wine:
# scripts/windows-test.sh) and the .deb, installed here and removed (as root).
# knocker.exe is cross-built in the background from the start, since that
# takes some ten minutes on a fresh machine and the suite mostly waits.

test: test-deps build cli check
	VERSION=$(VERSION) scripts/windows-build.sh --start
	KNOCKER_ARTIFACTS=$(CURDIR)/bin/artifacts $(BINS) scripts/with-keyring.sh $(GO) test -race -tags ci -count=1 ./...
	$(HEADLESS) scripts/with-keyring.sh $(GO) test -race -tags ci -count=1 ./e2e/...
	TZ=$(FAR_ZONE) $(BINS) scripts/with-keyring.sh $(GO) test -race -tags ci -count=1 ./app/...
	$(AUDIT)
	$(HEADLESS_AUDIT)
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh
	scripts/coverage.sh
	VERSION=$(VERSION) scripts/windows-test.sh
	KNOCKER_PACKAGE_TEST=1 $(BINS) $(GO) test -count=1 -v ./e2e/deb/

check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet -tags ci ./...
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) vet -tags headless .
	$(GO) tool staticcheck -tags ci ./...

# The side-by-side benchmarks (knocker vs knock, nping and an empty Fyne
# app; delay accuracy and knock-to-open in network namespaces, so as root)
# plus every Go benchmark, written to docs/bench.md and docs/delay-error.png.
BENCH_DEPS := hyperfine knockd nmap tcpdump gnuplot-nox xvfb x11-utils dbus iproute2 nftables \
              openssh-server openssh-client gnome-keyring socat
bench: build cli
	@scripts/deps.sh $(BENCH_DEPS)
	$(BINS) bench/run.sh

.PHONY: package windows install uninstall coverage audit

# Release builds of the committed tree (HEAD) into dist/: the Linux archive
# (binary, .desktop file, icon), the Windows GUI .exe with icon and
# version resource, and the headless build for six platforms, each binary
# checked with file(1). Release flags mean full rebuilds: several minutes.
PACKAGE_DEPS := $(BUILD_DEPS) xz-utils file binutils gcc-mingw-w64-x86-64
# ...and around them the .deb and the Windows installer.
PACKAGE_DEPS += dpkg-dev imagemagick nsis
package:
	@scripts/deps.sh $(PACKAGE_DEPS) zip
	packaging/package.sh linux windows
	packaging/cli-archives.sh

windows:
	@scripts/deps.sh $(PACKAGE_DEPS)
	packaging/package.sh windows

# Install the Linux archive's files under $(DESTDIR)$(PREFIX) (built first if missing).
PREFIX ?= /usr/local
install:
	packaging/install.sh install "$(PREFIX)" "$(DESTDIR)"

uninstall:
	packaging/install.sh uninstall "$(PREFIX)" "$(DESTDIR)"

# The end-to-end suite again with every knocker start wrapped, then a search
# for the tests' secrets in every file, output and child argv it left.
audit: build cli test-deps
	$(AUDIT)
	$(HEADLESS_AUDIT)

# Statement coverage floor (80 %) for knock/ and app/profile.
coverage:
	scripts/coverage.sh

fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

clean:
	rm -rf bin
