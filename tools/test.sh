#!/usr/bin/env bash
# README command 2: set up, lint, then run the whole test suite (unit + end-to-end through the plugin process).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
