#!/usr/bin/env bash
# One command: install, then replay the bundled sample video with the bundled models and default config.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh demo
bash scripts/venv.sh
exec .venv/bin/anpr replay sample_videos/gantry_day.mp4 --truth sample_videos/gantry_day.truth.json --format text "$@"
