# The two set-up commands of README.md: `make demo` and `make test`. Each installs what it needs.
SHELL := /bin/bash
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
ORACLE_VENV := .oracle/venv
ORACLE := $(ORACLE_VENV)/lib/python3.11/site-packages/compose/docker-compose
CONFIG ?= debug

.PHONY: demo test build deps oracle bench clean

deps:
	@scripts/install-deps.sh

oracle: $(ORACLE)

$(ORACLE):
	@scripts/install-oracle.sh

build: deps
	$(SWIFT) build -c $(CONFIG)

# The main job: until the runtime lands, show the Flink SQL demo as swcompose resolves it.
demo: build
	cd compose-files/flink-sql-demo && ../../.build/$(CONFIG)/swcompose config

# Every test: unit tests, the built binary end to end, and the differential tests against
# Docker Compose v2.40.3 over the whole corpus.
test: deps oracle
	$(SWIFT) build --build-tests
	COMPOSE_ORACLE=$(CURDIR)/$(ORACLE) SWCOMPOSE_BIN=$(CURDIR)/.build/debug/swcompose \
	  $(SWIFT) test --skip-build --parallel

# `swcompose config` against Docker Compose v2, docker-compose 1.29 and podman-compose, with
# hyperfine; builds its own release binary in .build-bench/ (see bench/README.md).
bench: deps
	bench/config.sh

clean:
	rm -rf .build
