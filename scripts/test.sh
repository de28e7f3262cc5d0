#!/usr/bin/env bash
# One command: install everything the tests need (Debian and Python packages), then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh test
bash scripts/venv.sh test,dev
exec .venv/bin/python -m pytest -q "$@"
