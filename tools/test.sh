#!/usr/bin/env bash
# README command 2: set up, lint, then run the whole test suite: the unit tests (in-process), then
# the process-level ones (through `python -m main`). With arguments, pytest runs just those:
# `bash tools/test.sh tests/unit` is the fast unit suite alone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
if [ "$#" -gt 0 ]; then
  exec .venv/bin/python -m pytest -p no:randomly "$@"
fi
status=0
.venv/bin/python -m pytest -p no:randomly tests/unit || status=$?
.venv/bin/python -m pytest -p no:randomly tests/e2e tests/replay || status=$?
exit "$status"
