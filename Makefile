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
# server and clients that knocker proxy carries, and the shells ssh may run
# its ProxyCommand with).
BUILD_DEPS := gcc pkg-config libgl1-mesa-dev xorg-dev libwayland-dev libxkbcommon-dev
TEST_DEPS  := $(BUILD_DEPS) libgl1-mesa-dri nftables iptables iproute2 tcpdump dbus gnome-keyring \
              xvfb x11-utils xdotool imagemagick knockd fwknop-client fwknop-server strace xxd tzdata systemd time tesseract-ocr \
              openssh-server openssh-client zsh fish util-linux
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

# Every check, each once: static checks, then the whole suite with the race
# detector (UI logic on Fyne's test driver, -tags ci; end-to-end tests
# driving the real $(BIN), every start of it watched by the secrets audit;
# keyring tests against a real gnome-keyring in a private D-Bus session; in
# a time zone 14 hours from UTC), the end-to-end tests with the headless
# $(CLI), coverage floors from that run, the fuzz targets, the Windows
# stage (knocker.exe and its installer under Wine, cross-built in the
# background meanwhile) and the .deb. Ends with a table of each stage's
# seconds. The stages are in scripts/test.sh; screenshots go to bin/artifacts.
FAR_ZONE := Pacific/Kiritimati
BINS  := KNOCKER_BIN=$(CURDIR)/$(BIN) KNOCKER_CLI_BIN=$(CURDIR)/$(CLI)
HEADLESS := KNOCKER_BIN=$(CURDIR)/$(CLI) KNOCKER_CLI_BIN=$(CURDIR)/$(CLI)
AUDIT := $(BINS) scripts/with-keyring.sh scripts/secrets-audit.sh
HEADLESS_AUDIT := $(HEADLESS) scripts/with-keyring.sh scripts/secrets-audit.sh

test:
	GO="$(GO)" TEST_DEPS="$(TEST_DEPS)" BIN=$(BIN) CLI=$(CLI) VERSION=$(VERSION) \
	  FUZZTIME=$(FUZZTIME) FAR_ZONE=$(FAR_ZONE) scripts/test.sh

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
