#!/usr/bin/env bash
# Shared by README commands 1 and 2: make .venv with Python 3.12 and the locked dependencies.
# Needs only Python 3.12 and PyPI; installs uv with pip when it is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.12 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
      PYTHON="$candidate"; break
    fi
  done
fi
if [ -z "$PYTHON" ]; then
  echo "Python 3.12 is required (set PYTHON=/path/to/python3.12)." >&2
  exit 1
fi
if ! "$PYTHON" -m uv --version >/dev/null 2>&1; then
  "$PYTHON" -m pip install --quiet --disable-pip-version-check uv
fi
"$PYTHON" -m uv sync --frozen --quiet --python "$PYTHON" "$@"
