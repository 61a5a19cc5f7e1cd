# Doorstep: the two commands of README.md are `make run` and `make test`.
SWIFT ?= swift
PREFIX ?= /usr/local
# Where bash-completion, zsh and fish look for completions under PREFIX (Debian's zsh and fish
# read /usr/local/share/… too; a Debian package uses /usr/share/bash-completion/completions,
# /usr/share/zsh/vendor-completions and /usr/share/fish/vendor_completions.d).
BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions
ZSH_COMPLETION_DIR ?= $(PREFIX)/share/zsh/site-functions
FISH_COMPLETION_DIR ?= $(PREFIX)/share/fish/vendor_completions.d
ARGS ?=

# The Debian package's version: the release (Sources/DoorstepProtocol/Version.swift) and a revision.
VERSION := $(shell sed -n 's/.*release = "\(.*\)".*/\1/p' Sources/DoorstepProtocol/Version.swift)
DEB_REVISION ?= 1
DEB_VERSION ?= $(VERSION)-$(DEB_REVISION)
DEB_DIR ?= .
MANDIR ?= $(PREFIX)/share/man

.PHONY: all deps build run test release install man deb system-test clean-state bench bench-smoke bench-ship fuzz fuzz-smoke

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

# The daemon in the foreground with embedded defaults: socket var/doorstep.sock, state var/state.
run: deps
	$(SWIFT) build --product doorstepd
	$(SWIFT) build --product doorstepctl
	./.build/debug/doorstepd $(ARGS)

# Every test: unit tests, integration tests against the real daemon, unit-file checks; then
# the district test on its own (100 daemons and shippers into PostgreSQL: about a minute, and
# heavy enough to disturb timing-sensitive tests running beside it).
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip DistrictTests
	$(SWIFT) test --skip-build --filter DistrictTests

# The benchmark harness (bench/README.md): release build, Doorstep beside Redis, about 5 minutes.
bench: deps
	bash bench/run.sh

# The harness at toy size on the debug build, in seconds (CI runs it after the tests).
bench-smoke: deps
	bash bench/run.sh --smoke

# doorstep-ship from 100 daemons into PostgreSQL: events per second and the lag p99 (bench/README.md).
bench-ship: deps
	bash bench/ship.sh

# The libFuzzer targets of fuzz/ (fuzz/README.md): FUZZ_SECONDS per target (default 1 h, all
# five one after another; FUZZ_JOBS=2 runs two at once). Build in .build-fuzz, output in /tmp.
FUZZ_SECONDS ?= 3600
fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

# 60 s per target, as CI runs it after the tests.
fuzz-smoke: deps
	bash scripts/fuzz.sh 60

# Release binaries with the Swift runtime linked in (no libswift*.so needed where they run):
# what `make install` and the Debian package ship.
release: deps
	$(SWIFT) build -c release --static-swift-stdlib --product doorstepd
	$(SWIFT) build -c release --static-swift-stdlib --product doorstepctl

# The manual pages doorstepd(8), doorstepctl(1), doorstep.toml(5), doorstep-protocol(7) from
# docs/man/*.md, config/doorstep.toml and docs/protocol.md, through pandoc, into .build/man.
man:
	@scripts/install-deps.sh pandoc
	scripts/man.sh .build/man

# doorstep_$(DEB_VERSION)_amd64.deb in DEB_DIR (default: here; docs/packaging.md); no network
# once the tools are installed: dpkg-dev, pandoc, binutils.
deb: release
	@scripts/install-deps.sh pandoc dpkg-dev binutils
	scripts/deb.sh .build/release $(DEB_VERSION) $(DEB_DIR)

# Boots Debian 12 with systemd in systemd-nspawn and checks the package and the unit there
# (Tests/system/README.md; root; CI runs it after `make test`).
system-test:
	bash Tests/system/run.sh

# Installs binaries, shell completions, systemd units, sysusers.d/tmpfiles.d entries, manual pages
# and an example config. The completion scripts are static (they ask the daemon at each Tab), so
# they are written here by the client itself: `doorstepctl completion bash|zsh|fish`.
install: release man
	install -D -m 0755 .build/release/doorstepd $(DESTDIR)$(PREFIX)/bin/doorstepd
	install -D -m 0755 .build/release/doorstepctl $(DESTDIR)$(PREFIX)/bin/doorstepctl
	install -d $(DESTDIR)$(BASH_COMPLETION_DIR) $(DESTDIR)$(ZSH_COMPLETION_DIR) $(DESTDIR)$(FISH_COMPLETION_DIR)
	.build/release/doorstepctl completion bash > $(DESTDIR)$(BASH_COMPLETION_DIR)/doorstepctl
	.build/release/doorstepctl completion zsh > $(DESTDIR)$(ZSH_COMPLETION_DIR)/_doorstepctl
	.build/release/doorstepctl completion fish > $(DESTDIR)$(FISH_COMPLETION_DIR)/doorstepctl.fish
	chmod 0644 $(DESTDIR)$(BASH_COMPLETION_DIR)/doorstepctl $(DESTDIR)$(ZSH_COMPLETION_DIR)/_doorstepctl $(DESTDIR)$(FISH_COMPLETION_DIR)/doorstepctl.fish
	sed 's|/usr/local/|$(PREFIX)/|g' systemd/doorstep.service > .build/doorstep.service
	sed 's|/usr/local/|$(PREFIX)/|g' systemd/doorstep.socket > .build/doorstep.socket
	install -D -m 0644 .build/doorstep.service $(DESTDIR)$(PREFIX)/lib/systemd/system/doorstep.service
	install -D -m 0644 .build/doorstep.socket $(DESTDIR)$(PREFIX)/lib/systemd/system/doorstep.socket
	install -D -m 0755 .build/release/doorstep-ship $(DESTDIR)$(PREFIX)/bin/doorstep-ship
	install -D -m 0644 systemd/doorstep-ship.service $(DESTDIR)$(PREFIX)/lib/systemd/system/doorstep-ship.service
	install -d $(DESTDIR)$(PREFIX)/share/doorstep/sql
	install -m 0644 sql/*.sql $(DESTDIR)$(PREFIX)/share/doorstep/sql/
	install -D -m 0644 docs/district.md $(DESTDIR)$(PREFIX)/share/doc/doorstep/district.md
	install -D -m 0644 systemd/doorstep.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/doorstep.conf
	install -D -m 0644 systemd/doorstep.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/doorstep.conf
	install -D -m 0644 .build/man/doorstepd.8 $(DESTDIR)$(MANDIR)/man8/doorstepd.8
	install -D -m 0644 .build/man/doorstepctl.1 $(DESTDIR)$(MANDIR)/man1/doorstepctl.1
	install -D -m 0644 .build/man/doorstep.toml.5 $(DESTDIR)$(MANDIR)/man5/doorstep.toml.5
	install -D -m 0644 .build/man/doorstep-protocol.7 $(DESTDIR)$(MANDIR)/man7/doorstep-protocol.7
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/doorstep/README.md
	install -D -m 0644 docs/protocol.md $(DESTDIR)$(PREFIX)/share/doc/doorstep/protocol.md
	install -D -m 0644 docs/doorstepctl.md $(DESTDIR)$(PREFIX)/share/doc/doorstep/doorstepctl.md
	[ -e $(DESTDIR)/etc/doorstep/doorstep.toml ] || install -D -m 0640 config/doorstep.toml $(DESTDIR)/etc/doorstep/doorstep.toml
