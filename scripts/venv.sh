#!/usr/bin/env bash
# Creates .venv and installs the project with the given extras (idempotent: reinstalls only when
# pyproject.toml changed). Usage: scripts/venv.sh [EXTRAS]   e.g. scripts/venv.sh test,dev
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
spec="."; [ -n "$extras" ] && spec=".[$extras]"
stamp=".venv/.installed-$(echo "$extras" | tr ',' '-')"
# constraints.txt: the library versions the figures were measured with (reads depend on them).
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >&2
  .venv/bin/python -m pip install -q -c constraints.txt -e "$spec" >&2
  touch "$stamp"
fi
