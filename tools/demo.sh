#!/usr/bin/env bash
# README command 1: set up, then run the plugin end to end (AtlasCloud if ATLASCLOUD_API_KEY is set, else the simulator).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup.sh
exec .venv/bin/python tools/demo.py
