# Doorstep: the two commands of README.md are `make run` and `make test`.
SWIFT ?= swift
PREFIX ?= /usr/local
ARGS ?=

.PHONY: all deps build run test release install clean-state bench bench-smoke bench-ship fuzz fuzz-smoke

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

release: deps
	$(SWIFT) build -c release

# Installs binaries, systemd units, sysusers.d/tmpfiles.d entries and an example config.
install: release
	install -D -m 0755 .build/release/doorstepd $(DESTDIR)$(PREFIX)/bin/doorstepd
	install -D -m 0755 .build/release/doorstepctl $(DESTDIR)$(PREFIX)/bin/doorstepctl
	install -D -m 0755 .build/release/doorstep-ship $(DESTDIR)$(PREFIX)/bin/doorstep-ship
	install -D -m 0644 systemd/doorstep-ship.service $(DESTDIR)$(PREFIX)/lib/systemd/system/doorstep-ship.service
	install -d $(DESTDIR)$(PREFIX)/share/doorstep/sql
	install -m 0644 sql/*.sql $(DESTDIR)$(PREFIX)/share/doorstep/sql/
	install -D -m 0644 docs/district.md $(DESTDIR)$(PREFIX)/share/doc/doorstep/district.md
	install -D -m 0644 systemd/doorstep.service $(DESTDIR)$(PREFIX)/lib/systemd/system/doorstep.service
	install -D -m 0644 systemd/doorstep.socket $(DESTDIR)$(PREFIX)/lib/systemd/system/doorstep.socket
	install -D -m 0644 systemd/doorstep.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/doorstep.conf
	install -D -m 0644 systemd/doorstep.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/doorstep.conf
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/doorstep/README.md
	install -D -m 0644 docs/protocol.md $(DESTDIR)$(PREFIX)/share/doc/doorstep/protocol.md
	[ -e $(DESTDIR)/etc/doorstep/doorstep.toml ] || install -D -m 0640 config/doorstep.toml $(DESTDIR)/etc/doorstep/doorstep.toml
